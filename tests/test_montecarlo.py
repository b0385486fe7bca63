"""Uncertainty blocks, the Monte Carlo of a fixed plan, sensitivity and re-planning per world.

Hand-checkable on the toy catalog: toy-gpu costs USD 10,000 and 1 kW at USD 0.1/kWh (USD 876 of
energy a year) and trains 2.628e12 tokens a year at MFU 0.5; the toy scenario needs 5e12 training
tokens, so its min-cost plan holds 2 GPUs, which reach the target when MFU >= 0.5 x 5e12 / 5.256e12.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from planner import plan
from planner.cli import cli
from planner.errors import ScenarioError
from planner.executor import ProcessExecutor
from planner.montecarlo import FixedPlan, montecarlo
from planner.physics import device_of
from planner.replan import replan
from planner.scenario import build_scenario, load_scenario, with_changes
from planner.serving import best_shape, best_shape_memo, workloads
from planner.uncertainty import UncertaintySpec, correlation_matrix, sample
from tests.conftest import DATA, EXAMPLES, write

GPU_TOKENS = 2.628e12  # toy-gpu, one year at MFU 0.5
UNCERTAIN = EXAMPLES / "uncertain-mid-size-lab.yaml"


def with_uncertainty(scenario, block):
    return scenario.model_copy(update={"uncertainty": UncertaintySpec.model_validate(block)})


@pytest.fixture(scope="module")
def toy_plan(toy_catalog):
    p = plan(load_scenario(DATA / "toy-scenario.yaml"), toy_catalog, marginals=False)
    assert [(i.id, i.role, i.quantity) for i in p.items] == [("toy-gpu", "training", 2)]
    return p


# ------------------------------------------------------------------------------------ sampling


def test_distributions_have_their_quantiles():
    spec = UncertaintySpec.model_validate(
        {
            "a": {"dist": "uniform", "low": 2, "high": 4},
            "b": {"dist": "triangular", "low": 0, "mode": 0, "high": 1},
            "c": {"dist": "lognormal", "median": 5, "sigma": 0.3},
            "d": {"dist": "normal", "mean": 0, "sd": 1, "low": 0},
            "e": {"dist": "empirical", "values": [3, 1, 2]},
        }
    )
    u = np.array([0.0, 0.25, 0.5, 0.75])
    assert spec.fields["a"].ppf(u) == pytest.approx([2, 2.5, 3, 3.5])
    assert spec.fields["b"].ppf(u) == pytest.approx(1 - np.sqrt(1 - u))  # F(x) = 1 - (1 - x)^2
    assert spec.fields["c"].ppf(np.array([0.5]))[0] == pytest.approx(5)
    assert spec.fields["d"].ppf(np.array([0.0, 0.5]))[0] == pytest.approx(0, abs=1e-12)  # truncated at 0: half-normal
    assert spec.fields["d"].ppf(np.array([0.5]))[0] == pytest.approx(0.6744897501960817)  # median of a half-normal
    assert list(spec.fields["e"].ppf(np.array([0.0, 0.34, 0.99]))) == [1, 2, 3]


def test_sampling_is_reproducible_and_correlated():
    block = {
        "x": {"dist": "uniform", "low": 0, "high": 1},
        "y": {"dist": "uniform", "low": 0, "high": 1},
        "z": {"dist": "uniform", "low": 0, "high": 1},
        "correlations": [{"fields": ["x", "y"], "rho": 0.8}],
    }
    spec = UncertaintySpec.model_validate(block)
    a, b = sample(spec, 20_000, 7), sample(spec, 20_000, 7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.corrcoef(a["x"], a["y"])[0, 1] == pytest.approx(0.786, abs=0.02)  # (6/pi) asin(0.8 / 2), the copula's rank correlation
    assert abs(np.corrcoef(a["x"], a["z"])[0, 1]) < 0.03


def test_inconsistent_correlations_are_an_error():
    block = {k: {"dist": "uniform", "low": 0, "high": 1} for k in "abc"}
    block["correlations"] = [{"fields": ["a", "b"], "rho": 0.9}, {"fields": ["b", "c"], "rho": 0.9}, {"fields": ["a", "c"], "rho": -0.9}]
    spec = UncertaintySpec.model_validate(block)
    assert correlation_matrix(spec)[0, 2] == -0.9
    with pytest.raises(ScenarioError, match="not positive definite"):
        sample(spec, 10, 0)


def test_uncertainty_block_round_trips_through_scenario_changes():
    s = build_scenario({"uncertainty": {"training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.4, "note": "why"}}})
    again = with_changes(s, {"facility.pue": 1.2})
    assert again.uncertainty == s.uncertainty
    assert "uncertainty" not in " ".join(s.to_flat())


# ------------------------------------------------------------------------------------ fixed plan


def test_world_of_the_scenario_reproduces_the_plan(catalog):
    s = load_scenario(EXAMPLES / "mid-size-lab.yaml")
    p = plan(s, catalog, marginals=False)
    s1 = with_uncertainty(s, {"training.mfu": {"dist": "empirical", "values": [s.training.mfu]}})
    d = montecarlo(s1, catalog, FixedPlan.from_plan(p), samples=5).to_dict()
    assert d["cost_usd"]["mean"] == pytest.approx(p.cost_usd.total, rel=1e-9)
    assert d["progress"]["p5"] == pytest.approx(p.progress.value, rel=1e-6)
    assert d["alpha"]["p50"] == pytest.approx(p.alpha, rel=1e-9)
    assert d["p_alpha_above_floor"] == 1.0 and d["p_within_budget"] == 1.0


def test_targets_met_when_mfu_reaches_the_threshold(toy_catalog, toy_plan):
    s = with_uncertainty(load_scenario(DATA / "toy-scenario.yaml"), {"training.mfu": {"dist": "uniform", "low": 0.4, "high": 0.6}})
    res = montecarlo(s, toy_catalog, FixedPlan.from_plan(toy_plan), samples=2000, seed=3)
    mfu = res.inputs["training.mfu"]
    threshold = 0.5 * 5e12 / (2 * GPU_TOKENS)
    assert res.to_dict()["p_targets_met"] == pytest.approx(np.mean(mfu >= threshold * (1 - 1e-6)))
    capacity = 2 * GPU_TOKENS * mfu / 0.5
    planned = toy_plan.tokens.total
    assert res.outcomes.trained_tokens == pytest.approx(np.minimum(planned, capacity), rel=1e-9)


def test_relative_price_draws_scale_the_capex(toy_catalog, toy_plan):
    s = load_scenario(DATA / "toy-scenario.yaml")
    s = with_uncertainty(s, {"catalog.toy-*.price_usd": {"dist": "lognormal", "median": 1.0, "sigma": 0.2, "relative": True}})
    res = montecarlo(s, toy_catalog, FixedPlan.from_plan(toy_plan), samples=500, seed=1)
    factor = res.inputs["catalog.toy-*.price_usd"]
    assert res.outcomes.cost_usd == pytest.approx(2 * (10_000 * factor + 876.0), rel=1e-12)
    assert res.sensitivity[0].input == "catalog.toy-*.price_usd" and res.sensitivity[0].cost_usd == pytest.approx(1.0)


def test_adapt_keeps_the_floor_that_planned_operation_loses(catalog):
    s = load_scenario(UNCERTAIN)
    fixed = FixedPlan.from_plan(plan(s, catalog, marginals=False))
    planned = montecarlo(s, catalog, fixed, samples=400, seed=2, operation="planned")
    adapt = montecarlo(s, catalog, fixed, samples=400, seed=2, operation="adapt")
    assert planned.to_dict()["p_alpha_above_floor"] < 0.9
    assert adapt.to_dict()["p_alpha_above_floor"] == 1.0
    assert np.all(adapt.outcomes.progress <= planned.outcomes.progress.max() * 1.5)


def test_processes_give_the_same_worlds_as_one_process(catalog):
    s = load_scenario(UNCERTAIN)
    fixed = FixedPlan.from_plan(plan(s, catalog, marginals=False))
    one = montecarlo(s, catalog, fixed, samples=1200, seed=5)
    ex = ProcessExecutor(2)
    try:
        two = montecarlo(s, catalog, fixed, samples=1200, seed=5, executor=ex)
    finally:
        ex.close()
    assert np.array_equal(one.outcomes.cost_usd, two.outcomes.cost_usd)
    assert np.array_equal(one.outcomes.progress, two.outcomes.progress)


def test_remembered_shapes_match_a_fresh_search(catalog):
    s = load_scenario(EXAMPLES / "mid-size-lab.yaml")
    it = catalog.items.loc["nvidia-h100-sxm"]
    dev = device_of(it, s)
    for w in workloads(s).values():
        assert best_shape_memo(s, dev, w) == best_shape(s, dev, w)
    bigger = with_changes(s, {"inference.agent_batch": s.inference.agent_batch * 2})
    w = workloads(bigger)["agents"]
    assert best_shape_memo(bigger, dev, w) == best_shape(bigger, dev, w)


# ------------------------------------------------------------------------------------ re-planning


def test_replan_counts_choices_and_resumes(tmp_path, toy_catalog):
    from planner.results_store import ResultStore

    s = with_uncertainty(load_scenario(DATA / "toy-scenario.yaml"), {"training.mfu": {"dist": "uniform", "low": 0.25, "high": 0.6}})
    store = tmp_path / "worlds.parquet"
    first = replan(s, toy_catalog, 6, 0, store=ResultStore(store))
    assert first["planned"] == 6 and first["chosen"][0]["id"] == "toy-gpu" and first["chosen"][0]["share"] == 1.0
    draws = sample(s.uncertainty, 6, 0)["training.mfu"]
    expected = np.mean([np.ceil(5e12 / (GPU_TOKENS * m / 0.5) - 1e-9) for m in draws])
    assert first["chosen"][0]["mean_quantity"] == pytest.approx(expected)
    again = replan(s, toy_catalog, 6, 0, store=ResultStore(store))
    assert again == first
    assert pq.read_table(store).num_rows == 6


# ------------------------------------------------------------------------------------ CLI


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *a: runner.invoke(cli, list(a), catch_exceptions=False)


def test_cli_json_contract(run, tmp_path):
    r = run("montecarlo", "--scenario", str(UNCERTAIN), "--samples", "300", "--seed", "4", "--jobs", "1", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["samples"] == 300 and 0 <= d["p_alpha_above_floor"] <= 1 and d["p_targets_met"] is None
    for key in ("cost_usd", "progress", "alpha"):
        assert set(d[key]) == {"mean", "p5", "p50", "p95"} and d[key]["p5"] <= d[key]["p50"] <= d[key]["p95"]
    plan_file = tmp_path / "plan.json"
    assert run("--scenario", str(UNCERTAIN), "--format", "json", "--output", str(plan_file)).exit_code == 0
    r2 = run(
        "montecarlo",
        "--scenario",
        str(UNCERTAIN),
        "--plan",
        str(plan_file),
        "--samples",
        "300",
        "--seed",
        "4",
        "--jobs",
        "1",
        "--format",
        "json",
    )
    assert json.loads(r2.output)["cost_usd"] == pytest.approx(d["cost_usd"], rel=1e-6)


def test_cli_html_and_results(run, tmp_path):
    out, res = tmp_path / "mc.html", tmp_path / "mc.parquet"
    r = run("montecarlo", "--scenario", str(UNCERTAIN), "--samples", "200", "--jobs", "1", "--output", str(out), "--results", str(res))
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert html.count("<svg") == 4 and "What drives the spread" in html
    table = pq.read_table(res)
    assert table.num_rows == 200 and "input:training.mfu" in table.column_names and "progress" in table.column_names


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("  training.mfux: {dist: uniform, low: 0.3, high: 0.4}\n", "uncertainty.training.mfux"),
        ("  training.mfu: {dist: uniform, low: 0.5, high: 1.5}\n", "a draw of"),
        ("  catalog.nosuch-*.price_usd: {dist: uniform, low: 1, high: 2}\n", "no catalog item matches"),
        ("  training.mfu: {dist: triangular, low: 0.5, mode: 0.2, high: 0.6}\n", "low <= mode <= high"),
    ],
)
def test_cli_bad_uncertainty_is_one_line(run, tmp_path, block, message):
    f = write(tmp_path, "s.yaml", "budget_usd: 1e9\nuncertainty:\n" + block)
    r = run("montecarlo", "--scenario", str(f), "--samples", "20", "--jobs", "1")
    assert r.exit_code == 1
    assert message in r.output and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_cli_without_uncertainty_says_so(run):
    r = run("montecarlo", "--samples", "5", "--jobs", "1")
    assert r.exit_code == 1 and "no uncertainty block" in r.output


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {
                "catalog.toy-*.price_usd": {"dist": "uniform", "low": 1, "high": 2, "relative": True},
                "catalog.toy-gpu.price_usd": {"dist": "uniform", "low": 1, "high": 2},
            },
            "also set by",
        ),
        ({"catalog.toy-gpu.price_usd": {"dist": "normal", "mean": 1000, "sd": 30000}}, "not negative"),
    ],
)
def test_catalog_entries_are_checked(toy_catalog, toy_plan, block, message):
    s = with_uncertainty(load_scenario(DATA / "toy-scenario.yaml"), block)
    with pytest.raises(ScenarioError, match=message):
        montecarlo(s, toy_catalog, FixedPlan.from_plan(toy_plan), samples=200)


def test_a_plan_without_items_costs_nothing(toy_catalog):
    s = with_uncertainty(load_scenario(DATA / "toy-scenario.yaml"), {"training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5}})
    empty = FixedPlan("empty", (), 0.0, 0.0, 0.0, 0.0, 0.0, None, None)
    d = montecarlo(s, toy_catalog, empty, samples=10).to_dict()
    assert d["cost_usd"]["mean"] == 0.0 and d["p_targets_met"] == 0.0


def test_integer_fields_take_whole_draws(toy_catalog, toy_plan):
    s = with_uncertainty(load_scenario(DATA / "toy-scenario.yaml"), {"inference.agent_batch": {"dist": "uniform", "low": 8, "high": 12}})
    res = montecarlo(s, toy_catalog, FixedPlan.from_plan(toy_plan), samples=50)
    assert res.to_dict()["samples"] == 50


def test_sampled_targets_are_each_worlds(toy_catalog, toy_plan):
    s = with_uncertainty(
        load_scenario(DATA / "toy-scenario.yaml"), {"targets.training_tokens": {"dist": "uniform", "low": 4e12, "high": 6e12}}
    )
    res = montecarlo(s, toy_catalog, FixedPlan.from_plan(toy_plan), samples=500, seed=9)
    target = res.inputs["targets.training_tokens"]
    trained = min(toy_plan.tokens.total, 2 * GPU_TOKENS)
    assert res.to_dict()["p_targets_met"] == pytest.approx(np.mean(trained >= target * (1 - 1e-6)))
