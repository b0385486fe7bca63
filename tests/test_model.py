"""Tiny hand-checkable plans over the toy items (tests/data)."""

from __future__ import annotations

import pytest

from planner import InfeasiblePlan, ScenarioError, plan, with_changes
from planner.model import build_model
from planner.stages import model_input, prepare

GPU_COST = 10000 + 1 * 8760 * 0.1  # price + energy at PUE 1 and USD 0.1/kWh
CPU_COST = 1000 + 0.5 * 8760 * 0.1
GPU_TOKENS = 1e15 * 0.5 * 8760 * 3600 / 6e9  # 2.628e12 tokens a year
CPU_TOKENS = 1000 * 8760 * 1000  # 8.76e9 tokens a year


def test_min_cost_external_data_only(toy_scenario, toy_catalog):
    # 5e12 tokens from ample external data: ceil(5e12 / 2.628e12) = 2 GPUs in training, nothing else
    p = plan(toy_scenario, toy_catalog)
    assert p.status.value == "optimal"
    assert [(r.id, r.role, r.quantity) for r in p.line_items.itertuples()] == [("toy-gpu", "training", 2)]
    assert p.cost_usd.total == pytest.approx(2 * GPU_COST)
    assert p.objective.value == pytest.approx(2 * GPU_COST)
    assert p.alpha == pytest.approx(1.0)
    assert p.tokens.total == pytest.approx(5e12, rel=1e-6)


def test_min_cost_all_verified(toy_scenario, toy_catalog):
    # No external data and alpha = 1: every token verified, ceil(5e12 / 8.76e9) = 571 CPU nodes
    s = with_changes(toy_scenario, {"data.external_tokens": 0, "alpha_floor": 1.0})
    p = plan(s, toy_catalog)
    q = {(r.id, r.role): r.quantity for r in p.line_items.itertuples()}
    assert q == {("toy-gpu", "training"): 2, ("toy-cpu", "verification"): 571}
    assert p.cost_usd.total == pytest.approx(2 * GPU_COST + 571 * CPU_COST)
    assert p.cost_usd.capex == pytest.approx(2 * 10000 + 571 * 1000)
    assert p.line_items["extended_price_usd"].sum() == pytest.approx(p.cost_usd.capex)
    assert "verification_supply" in p.binding_constraints


def test_agents_need_inference_and_memory(toy_scenario, toy_catalog):
    # 100 agents x 10 tok/s = 1000 tok/s; one toy-GPU replica (1 device, batch 10) serves
    # 10 / 0.012 = 833.3 tok/s -> 2 replicas = 2 GPUs. KV: 100 x 1e4 tokens x 1e5 B = 100 GB;
    # 2 replicas hold 2 x 88 GB after weights -> no CXL. Min-cost may serve spare agents for free.
    s = with_changes(toy_scenario, {"targets.agents": 100})
    p = plan(s, toy_catalog)
    q = {(r.id, r.role): r.quantity for r in p.line_items.itertuples()}
    assert q[("toy-gpu", "inference")] == 2
    assert ("toy-cxl", "memory") not in q
    assert 100 - 1e-6 <= p.agents <= 2 * 833.34 / 10
    assert p.memory_gb.needed_gb == pytest.approx(p.agents)
    li = next(li for li in p.items if li.role == "inference")
    assert li.agent_replicas == 2 and li.synthetic_replicas == 0


def test_memory_tier_bought_for_parked_contexts(toy_scenario, toy_catalog):
    # Contexts of 1e5 tokens = 10 GB each. A replica (1 GPU, 88 GB free) batches 8 of them:
    # 2e9 + 8 x 1e10 bytes per step at 1 TB/s -> 8 / 0.082 = 97.56 tok/s = 9.756 agents at 10 tok/s.
    # 48 agents need 480 tok/s -> 5 replicas (4.92); their contexts need 480 GB, 5 x 88 = 440 GB
    # of HBM is free, so 40 GB go to the capacity tier: one toy CXL of 100 GB (USD 500) rather
    # than a sixth GPU (USD 10,876 for 88 GB).
    s = with_changes(toy_scenario, {"targets.agents": 48, "targets.training_tokens": None, "agents.context_tokens": 1e5})
    p = plan(s, toy_catalog)
    q = {(r.id, r.role): r.quantity for r in p.line_items.itertuples()}
    assert q == {("toy-gpu", "inference"): 5, ("toy-cxl", "memory"): 1}
    assert p.memory_gb.hbm_free_gb == pytest.approx(440)
    assert p.memory_gb.needed_gb == pytest.approx(10 * p.agents)
    assert p.memory_gb.held_in_capacity_tier_gb == pytest.approx(10 * p.agents - 440)
    assert p.memory_gb.capacity_tier_usd_per_gb == pytest.approx(500 / 100)
    assert p.memory_gb.hbm_usd_per_gb == pytest.approx(5 * (10000 + 8760 * 0.1) / 440)
    (serve,) = p.serving
    assert (serve.replicas, serve.devices, serve.binds) == (5, 5, "throughput")


def test_budget_infeasible_reports_least_budget(toy_scenario, toy_catalog):
    s = with_changes(toy_scenario, {"budget_usd": 15000})
    with pytest.raises(InfeasiblePlan) as info:
        plan(s, toy_catalog)
    assert info.value.suggestions["least_budget_usd"] == pytest.approx(2 * GPU_COST)
    assert "budget" in str(info.value) and "least cost" in str(info.value)


def test_floor_infeasible_reports_highest_floor(toy_scenario, toy_catalog):
    # 1e12 free external tokens; synthetic tokens need inference GPUs and verified ones CPU nodes.
    # With 20 GPUs' worth of budget a floor of 0.5 is out of reach; the reported highest floor must
    # be feasible and one point more must not be.
    base = with_changes(
        toy_scenario,
        {"data.external_tokens": 1e12, "alpha_floor": 0.5, "budget_usd": 20 * GPU_COST, "inference.synthetic_batch": 1000},
    )
    with pytest.raises(InfeasiblePlan) as info:
        plan(base, toy_catalog)
    sug = info.value.suggestions
    assert sug["least_budget_usd"] > 20 * GPU_COST
    best = sug["highest_alpha_floor"]
    assert 0.2 < best < 0.5
    ok = plan(with_changes(base, {"alpha_floor": best}), toy_catalog, marginals=False)
    assert ok.alpha >= best - 1e-9
    with pytest.raises(InfeasiblePlan):
        plan(with_changes(base, {"alpha_floor": best + 0.01}), toy_catalog, marginals=False)
    assert any("alpha floor" in c for c in info.value.conflicts)
    assert "least_budget_usd" in str(info.value) and "highest_alpha_floor" in str(info.value)


def test_power_cap_infeasible(toy_scenario, toy_catalog):
    s = with_changes(toy_scenario, {"facility.power_cap_kw": 1.5})
    with pytest.raises(InfeasiblePlan) as info:
        plan(s, toy_catalog)
    assert info.value.suggestions["least_power_cap_kw"] == pytest.approx(2.0)


def test_max_progress_balances(toy_scenario, toy_catalog):
    s = with_changes(toy_scenario, {"objective": "max-progress", "targets.training_tokens": None, "budget_usd": 200000})
    p = plan(s, toy_catalog)
    assert p.progress.value > 0
    assert p.cost_usd.total <= 200000 + 1e-6
    assert p.progress.bottleneck in ("balanced", "ideas (agents' speedup)", "experiments (grounded training tokens)")
    assert p.progress.value <= p.progress.from_speedup + 1e-6
    assert p.progress.value <= p.progress.from_tokens + 1e-6
    assert set(p.marginal_values) == {"budget_per_musd", "power_per_mw", "alpha_floor_per_point"}
    assert p.marginal_values["budget_per_musd"].value >= 0


def test_highs_agrees_with_cbc(toy_scenario, toy_catalog):
    s = with_changes(toy_scenario, {"data.external_tokens": 0, "alpha_floor": 1.0})
    a = plan(s, toy_catalog)
    b = plan(with_changes(s, {"solver": "highs"}), toy_catalog)
    assert a.cost_usd.total == pytest.approx(b.cost_usd.total)


def test_deterministic_constraint_names(toy_scenario, toy_catalog):
    prep = prepare(toy_scenario, toy_catalog)
    names1 = list(build_model(model_input(toy_scenario, prep)).constraints)
    names2 = list(build_model(model_input(toy_scenario, prep)).constraints)
    assert names1 == names2
    assert names1[:3] == ["budget", "training_compute", "verification_supply"]


def test_unknown_only_id(toy_scenario, toy_catalog):
    with pytest.raises(ScenarioError, match=r"did you mean 'toy-gpu'"):
        plan(with_changes(toy_scenario, {"catalog.only": ["toy-gpo"]}), toy_catalog)


def test_reference_item_refused(toy_scenario, toy_catalog):
    with pytest.raises(ScenarioError, match="reference data"):
        plan(with_changes(toy_scenario, {"catalog.only": ["toy-gpu", "hbm3e-micron-24gb-stack"]}), toy_catalog)


def test_cloud_only_needs_opt_in(toy_scenario, catalog):
    s = with_changes(toy_scenario, {"catalog.only": ["google-tpu-v5p"]})
    with pytest.raises(ScenarioError, match="cloud-only"):
        plan(s, catalog)
    p = plan(with_changes(s, {"catalog.allow_cloud_only": True}), catalog)
    assert set(p.line_items["id"]) == {"google-tpu-v5p"}


def test_constraint_table_reconciles(toy_scenario, toy_catalog):
    s = with_changes(toy_scenario, {"data.external_tokens": 0, "alpha_floor": 1.0})
    p = plan(s, toy_catalog)
    c = p.frame("constraints").set_index("name")
    assert c.at["budget", "lhs"] * 1e6 == pytest.approx(p.cost_usd.total)
    assert c.at["training_compute", "lhs"] * 1e9 == pytest.approx(p.tokens.total, rel=1e-6)


def test_dominated_items_dropped(toy_scenario, tmp_path):
    from hwcatalog import load_catalog
    from planner.stages import dominated, prepare
    from tests.conftest import DATA, write

    worse = write(
        tmp_path,
        "worse.yaml",
        "items:\n"
        "  - {id: toy-gpu-slow, action: add, name: Slow, vendor: Toy, category: accelerator, kind: gpu, bf16_tflops: 900, hbm_gb: 100, hbm_tbps: 1, power_kw: 1, price_usd: 10000, host_share_usd: 0, date: 2026-11-01}\n"
        "  - {id: toy-gpu-twin, action: add, name: Twin, vendor: Toy, category: accelerator, kind: gpu, bf16_tflops: 1000, hbm_gb: 100, hbm_tbps: 1, power_kw: 1, price_usd: 10000, host_share_usd: 0, date: 2026-11-01}\n"
        "  - {id: toy-gpu-cheap, action: add, name: Cheap, vendor: Toy, category: accelerator, kind: gpu, bf16_tflops: 900, hbm_gb: 100, hbm_tbps: 1, power_kw: 1, price_usd: 9000, host_share_usd: 0, date: 2026-11-01}\n",
    )
    cat = load_catalog([DATA / "toy-overlay.yaml", worse], max_price_age_days=None)
    s = with_changes(toy_scenario, {"catalog.only": ["toy-gpu", "toy-gpu-slow", "toy-gpu-twin", "toy-gpu-cheap", "toy-cpu", "toy-cxl"]})
    prep = prepare(s, cat)
    caps, drop = prep.caps, prep.dominated
    assert drop["toy-gpu-slow"] in ("toy-gpu", "toy-gpu-twin")  # same price, less compute
    assert drop["toy-gpu-twin"] == "toy-gpu"  # exact tie: the smaller id stays
    assert "toy-gpu-cheap" not in drop  # cheaper, so not dominated
    assert "toy-gpu" not in drop
    assert set(caps.index) == {"toy-gpu", "toy-gpu-cheap", "toy-cpu", "toy-cxl"}
    p = plan(s, cat)
    assert p.dominated_items == drop
    assert dominated(caps) == {}


def test_synthetic_context_tokens_is_replaced(tmp_path):
    from planner import load_scenario
    from planner.errors import ScenarioError

    path = tmp_path / "old.yaml"
    path.write_text("inference: {synthetic_context_tokens: 4096}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == "inference.synthetic_context_tokens"
    assert "synthetic_input_tokens" in str(info.value) and str(path) in str(info.value)


def test_dominance_counts_owned_devices_and_keeps_models_apart():
    """An owned rack that beats a card per unit still fills more of the two-tier fabric, so it does
    not dominate the card; rows of a model with an owned and a rented row are compared within it."""
    import pandas as pd

    from planner.stages import BAD, GOOD, dominated

    def row(item, base, mode, devices, cost):
        return {
            "id": item,
            "category": "accelerator",
            "kind": "gpu",
            "base_id": base,
            "mode": mode,
            "devices_per_unit": devices,
            "max_units": float("inf"),
            **dict.fromkeys(GOOD, 1.0),
            **dict.fromkeys(BAD, 1.0),
            "unit_cost_usd": cost,
        }

    caps = pd.DataFrame([row("card", "card", "own", 1, 10.0), row("rack", "rack", "own", 8, 5.0)]).set_index("id", drop=False)
    assert dominated(caps) == {}
    caps.loc["rack", "devices_per_unit"] = 1
    assert dominated(caps) == {"card": "rack"}
    both = pd.DataFrame(
        [row("card", "card", "own", 1, 10.0), row("card@c:on-demand", "card", "on-demand", 1, 9.0), row("rack", "rack", "own", 1, 5.0)]
    )
    both = both.set_index("id", drop=False)
    assert dominated(both) == {"card": "card@c:on-demand"}  # the rack may not stand in for one line of the card's model


def test_count_bounds_by_budget_and_power(toy_scenario, toy_catalog):
    """A count is bounded by floor(budget / unit cost) and floor(power cap / unit kW): the toy
    GPU costs USD 10,876 a year at 1 kW, so USD 1M allows 91 and a 50.5 kW cap 50."""
    s = with_changes(toy_scenario, {"facility.power_cap_kw": 50.5})
    prep = prepare(s, toy_catalog)
    gpu = next(i for i, r in model_input(s, prep).rows.items() if r["category"] == "accelerator")
    assert model_input(s, prep).rows[gpu]["unit_cost_usd"] == pytest.approx(GPU_COST)
    for cap, expected in ((50.5, 50), (None, 91)):
        m = build_model(model_input(s, prep, power_cap_kw=cap))
        assert m.count[(gpu, "training")].upBound == expected
        assert {m.count_ub[k] for k in m.count_ub if k[0] == gpu} == {expected}
    m = build_model(model_input(s, prep, budget_usd=None))  # least-budget diagnosis: the cap still bounds
    assert m.count[(gpu, "training")].upBound == 50
    assert {m.count_ub[k] for k in m.count_ub if k[0] == gpu} == {50}
    m = build_model(model_input(s, prep, budget_usd=None, power_cap_kw=None))  # nothing bounds the count
    assert m.count[(gpu, "training")].upBound is None
    assert {m.count_ub[k] for k in m.count_ub if k[0] == gpu} == {9194}  # the big-M: floor(100 x 1e6 / 10,876)
