"""Robust plans: one purchase for S sampled worlds (planner.robust).

The two-world case is hand-checkable on the toy catalog: the toy scenario needs 5e12 training
tokens and one toy-gpu trains 2.628e12 tokens a year at MFU 0.5. With MFU 0.5 in one world and
0.25 in the other, each world alone needs ceil(5e12 / 2.628e12) = 2 and ceil(5e12 / 1.314e12) = 4
GPUs; one purchase for both needs 4. The average world (MFU 0.375) needs ceil(2.54) = 3. A GPU
costs USD 10,000 + 876 of energy, so robustness costs one GPU, USD 10,876.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner import plan
from planner.cli import cli
from planner.errors import ScenarioError
from planner.result import SCHEMA_VERSION
from planner.robust import robust_plan
from planner.scenario import load_scenario, with_changes
from planner.uncertainty import UncertaintySpec, sample
from tests.conftest import DATA, EXAMPLES

GPU_USD = 10_876.0


def two_worlds():
    s = load_scenario(DATA / "toy-scenario.yaml")
    block = {"training.mfu": {"dist": "empirical", "values": [0.25, 0.5], "note": "two worlds"}}
    s = s.model_copy(update={"uncertainty": UncertaintySpec.model_validate(block)})
    assert sorted(sample(s.uncertainty, 2, 0)["training.mfu"]) == [0.25, 0.5]  # seed 0 draws both worlds
    return s


def gpus(p):
    return sum(i.quantity for i in p.items if i.id == "toy-gpu" and i.role == "training")


def test_two_world_robust_plan_buys_for_the_worse_world(toy_catalog):
    p, r = robust_plan(two_worlds(), toy_catalog, 2, seed=0)
    assert gpus(p) == 4
    assert r.expected_objective == pytest.approx(4 * GPU_USD)
    assert r.average_world_objective == pytest.approx(3 * GPU_USD)
    assert r.price_of_robustness == pytest.approx(GPU_USD)
    assert [w["status"] for w in r.per_world] == ["optimal", "optimal"]
    assert p.robust is r and p.to_dict()["robust"]["worlds"] == 2


def test_one_world_at_the_scenario_values_is_the_plain_plan(toy_catalog):
    s = load_scenario(DATA / "toy-scenario.yaml")
    s = s.model_copy(update={"uncertainty": UncertaintySpec.model_validate({"training.mfu": {"dist": "empirical", "values": [0.5]}})})
    p, r = robust_plan(s, toy_catalog, 1)
    assert gpus(p) == gpus(plan(s, toy_catalog, marginals=False)) == 2
    assert r.price_of_robustness == pytest.approx(0.0, abs=1e-6)


def test_every_world_keeps_the_budget_and_the_floor(catalog):
    s = load_scenario(EXAMPLES / "uncertain-mid-size-lab.yaml")
    p, r = robust_plan(s, catalog, 4, seed=1)
    assert all(w["cost_usd"] <= s.budget_usd * (1 + 1e-9) for w in r.per_world)
    assert all(w["alpha"] >= s.alpha_floor * (1 - 1e-6) for w in r.per_world)
    assert p.cost_usd.total <= s.budget_usd * (1 + 1e-9) and p.alpha >= s.alpha_floor
    assert r.expected_objective <= r.relaxed_objective * (1 + s.mip_gap) + 1e-6


def test_expected_alpha_rule_holds_the_floor_on_summed_tokens(toy_catalog):
    s = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"data.external_tokens": 3e12})
    block = {"data.external_tokens": {"dist": "uniform", "low": 2e12, "high": 4e12}}
    s = s.model_copy(update={"uncertainty": UncertaintySpec.model_validate(block)})
    _, every = robust_plan(s, toy_catalog, 3, seed=2, alpha_rule="every")
    _, expected = robust_plan(s, toy_catalog, 3, seed=2, alpha_rule="expected")
    assert expected.expected_objective <= every.expected_objective + 1e-6  # a looser rule never costs more
    assert all(w["alpha"] >= 0.5 * (1 - 1e-6) for w in every.per_world)


def test_robust_needs_an_uncertainty_block(toy_catalog):
    with pytest.raises(ScenarioError, match="uncertainty block"):
        robust_plan(load_scenario(DATA / "toy-scenario.yaml"), toy_catalog, 3)


def test_cli_robust_adds_the_robust_block(tmp_path):
    f = tmp_path / "s.yaml"
    text = (DATA / "toy-scenario.yaml").read_text()
    f.write_text(text + "uncertainty:\n  training.mfu: {dist: empirical, values: [0.25, 0.5]}\n")
    overlay = str(DATA / "toy-overlay.yaml")
    r = CliRunner().invoke(cli, ["--scenario", str(f), "--catalog", overlay, "--robust", "2", "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["schema_version"] == SCHEMA_VERSION
    assert d["robust"]["worlds"] == 2 and d["robust"]["price_of_robustness"] == pytest.approx(GPU_USD)
    table = CliRunner().invoke(cli, ["--scenario", str(f), "--catalog", overlay, "--robust", "2"], catch_exceptions=False)
    assert "Robust plan over 2 sampled worlds" in table.output


def _toy(changes, block):
    s = with_changes(load_scenario(DATA / "toy-scenario.yaml"), changes)
    return s.model_copy(update={"uncertainty": UncertaintySpec.model_validate(block)})


def test_budget_holds_at_each_worlds_prices(toy_catalog):
    """The budget is a constraint on purchase variables only, with other figures in each world."""
    changes = {"objective": "max-progress", "targets.training_tokens": None, "data.external_tokens": 1e14, "alpha_floor": 0.0}
    changes["budget_usd"] = 2e5
    s = _toy(changes, {"catalog.toy-gpu.price_usd": {"dist": "uniform", "low": 1.0, "high": 1.5, "relative": True}})
    p, r = robust_plan(s, toy_catalog, 3, seed=0)
    costs = [w["cost_usd"] for w in r.per_world]
    assert max(costs) <= 2e5 * (1 + 1e-9)
    assert max(costs) > 2e5 - 1.5 * (10_000 + 876)  # the dearest world's budget binds, to within a unit
    assert p.cost_usd.total < min(costs)  # the scenario's own prices are the lowest


def test_whole_replicas_for_an_agent_target(toy_catalog):
    """Min-cost with an agent target: the purchase found with divisible operation may not serve
    the agents in whole replicas; the search then runs in whole replicas throughout."""
    s = _toy({"targets.agents": 25}, {"training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5}})
    p, r = robust_plan(s, toy_catalog, 3, seed=1)
    assert all(w["status"] == "optimal" for w in r.per_world)
    assert p.agents >= 25


def test_average_world_rounds_integer_fields(toy_catalog):
    s = _toy({}, {"inference.agent_batch": {"dist": "empirical", "values": [8, 11]}})
    _, r = robust_plan(s, toy_catalog, 3, seed=2)
    assert r.average_world_objective is not None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"costs.network_usd_per_accelerator_three_tier": {"dist": "uniform", "low": 0, "high": 100}}, "purchase decisions"),
        ({"catalog.toy-gpu.price_usd": {"dist": "normal", "mean": 10000, "sd": 30000}}, "not negative"),
    ],
)
def test_robust_refuses_what_one_purchase_cannot_serve(toy_catalog, block, message):
    with pytest.raises(ScenarioError, match=message):
        robust_plan(_toy({}, block), toy_catalog, 3, seed=3)
