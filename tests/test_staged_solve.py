"""The staged solve of periodised plans (planner.periodic.relax_and_fix): which integers each stage
decides, the fallback from coarse to fine stages, and the trim of orders that would stand idle."""

from __future__ import annotations

from types import SimpleNamespace

import pulp
import pytest

from planner import build_scenario, load_scenario, plan, with_changes
from planner import periodic as P
from tests.conftest import ROOT


def quarterly(count: int = 8, **changes):
    """The 70B defaults over ``count`` quarters from 2027-01-01 (planned 2026-12-01), USD 50M a
    quarter, floor 0.1 growing 30% a year, 10 MW then 20 MW: big enough for the staged solve."""
    s = build_scenario(
        {
            "name": "quarters",
            "budget_usd": {"first": 5.0e7, "growth_per_year": 0.1},
            "alpha_floor": {"first": 0.1, "growth_per_year": 0.3},
            "facility": {"power_cap_kw": [10000 if k < 4 else 20000 for k in range(count)]},
            "periods": {"start": "2027-01-01", "as_of": "2026-12-01", "count": count, "length_years": 0.25, "budget_scope": "per-period"},
        }
    )
    return with_changes(s, changes) if changes else s


def built(s, catalog) -> P.PeriodicModel:
    return P.build_periodic(s, catalog, fabric_tiers=3, inputs=P.prepare_periods(s, catalog))


def integer_names(pm: P.PeriodicModel) -> set[str]:
    return {v.name for v in pm.problem.variables() if v.cat == pulp.LpInteger}


@pytest.mark.parametrize("coarse", [True, False])
def test_every_integer_is_decided_in_exactly_one_stage(catalog, coarse):
    """Coarse: two stages for eight quarters (a year each) of orders and training families, the
    rest (purchase flags, replicas, role counts, agents) in the final MILP. Fine: one stage per
    period, role counts and agents in the final MILP. Either way each integer of the model is
    integer in exactly one MILP, and an order in lots is whole through its integer lots."""
    pm = built(quarterly(), catalog)
    stages, final = P.stage_plan(pm, coarse=coarse)
    names = [v.name for group in [*stages, final] for v in group]
    assert len(names) == len(set(names)) and set(names) == integer_names(pm)
    assert len(stages) == (2 if coarse else 8)
    ops = {v.name for t in range(8) for v in P.operations(pm, t)}
    if coarse:
        orders = {pm.lots.get(k, o).name for k, o in pm.orders.items()}
        families = {v.name for m in pm.models for v in m.family.values()}
        assert {v.name for g in stages for v in g} == orders | families
        assert ops < {v.name for v in final}
    else:
        assert {v.name for v in final} == ops
    assert pm.lots and all(pm.orders[k].cat == pulp.LpContinuous for k in pm.lots)


def test_trim_idle_orders_by_whole_lots_latest_first():
    """Lots of 8; order at period 0 (16 units, serving periods 0-2) and at period 1 (16 units,
    serving 1-2); 8, 20 and 12 units in roles. Slack is 8, 12, 20. The later order loses one lot
    (12 idle in period 1 leaves room for 8, not 16); then the slack is 8, 4, 12 and the first
    order keeps its 16 (only 4 idle in period 1). A lot-less item's order with 3 of its 5 units
    always idle loses exactly 3."""

    def var(name: str, value: float) -> pulp.LpVariable:
        v = pulp.LpVariable(name, lowBound=0)
        v.varValue = value
        return v

    orders = {("gpu", 0): var("o0", 16), ("gpu", 1): var("o1", 16), ("cpu", 0): var("c0", 5)}
    lots = {("gpu", 0): var("k0", 2), ("gpu", 1): var("k1", 2)}
    active = {("gpu", 0): (0, 1, 2), ("gpu", 1): (1, 2), ("cpu", 0): (0, 1, 2)}
    rows = {"gpu": {"order_multiple": 8}, "cpu": {"order_multiple": 1}}
    counts = [{"gpu": 8, "cpu": 2}, {"gpu": 20, "cpu": 1}, {"gpu": 12, "cpu": 2}]
    models = [
        SimpleNamespace(inp=SimpleNamespace(rows=rows), count={(i, "training"): var(f"n_{i}_{t}", n) for i, n in c.items()})
        for t, c in enumerate(counts)
    ]
    vintages = {k: SimpleNamespace(active=a) for k, a in active.items()}
    pm = SimpleNamespace(orders=orders, lots=lots, vintages=vintages, models=models, role_moves={})
    assert P.trim_idle_orders(pm)  # type: ignore[arg-type]
    assert [orders[k].varValue for k in (("gpu", 0), ("gpu", 1), ("cpu", 0))] == [16, 8, 2]
    assert (lots[("gpu", 1)].varValue, lots[("gpu", 1)].lowBound, lots[("gpu", 1)].upBound) == (1, 1, 1)
    assert lots[("gpu", 0)].varValue == 2 and orders[("gpu", 0)].upBound is None  # untouched
    assert not P.trim_idle_orders(pm)  # type: ignore[arg-type]  # nothing idle in every period left


def test_no_ordered_unit_idles_in_every_period_it_serves(catalog):
    """After the staged solve, every order of the multi-year example has at least one period in
    which fewer units than its last lot would leave stand idle (else the lot would be cut)."""
    p = plan(load_scenario(ROOT / "examples" / "multi-year-lab.yaml"), catalog)
    multiple = {i: int(catalog.items.at[i, "order_multiple"]) for i in {o.id for o in p.orders}}
    idle = [{row.id: row.quantity for row in x.fleet if row.role == "idle"} for x in p.periods]
    for o in p.orders:
        serving = [t for t, x in enumerate(p.periods) if o.delivery <= x.start and (o.retires is None or x.start < o.retires)]
        assert min(idle[t].get(o.id, 0) for t in serving) < multiple[o.id], o


def test_coarse_stages_without_a_plan_fall_back_to_fine_stages_from_the_model_as_built(catalog, monkeypatch):
    """When the coarse stages find no whole-unit plan, the fine stages start from the bounds and
    integrality the model was built with: the plan equals the fine stages' plan on a fresh model."""
    s = quarterly(4)
    direct = built(s, catalog)
    bound, _ = P.lp_bound(direct)
    want = P._staged(direct, bound, *P.stage_plan(direct, coarse=False))
    staged = P._staged
    calls: list[int] = []

    def coarse_fails(pm, bound, stages, final):
        calls.append(len(stages))
        r = staged(pm, bound, stages, final)  # fixes the coarse stages' integers ...
        if len(calls) == 1:
            return P.PeriodicSolve(P.SolveStatus.INFEASIBLE, r.solver, r.seconds, None, bound, None, None, r.steps)
        return r

    monkeypatch.setattr(P, "_staged", coarse_fails)
    pm = built(s, catalog)
    got = P.relax_and_fix(pm, bound)
    assert calls == [1, 4]  # one coarse stage (a year), then four fine ones
    assert got.objective == pytest.approx(want.objective, rel=1e-9)
    assert got.steps == 2 + 5


@pytest.mark.parametrize("changes", [{"targets.agents": [0, 0, 0, 200]}, {"periods.role_change_usd": {"accelerator": 1e5}}])
def test_a_target_or_a_role_change_cost_goes_straight_to_fine_stages(catalog, monkeypatch, changes):
    """With a target in any period, or a cost on role changes, the staged solve uses the fine
    stages only (orders sized to a target with replicas relaxed can miss it once replicas are
    whole; a role-change cost links each period's roles to the one before)."""
    seen: list[int] = []
    staged = P._staged

    def record(pm, bound, stages, final):
        seen.append(len(stages))
        return staged(pm, bound, stages, final)

    monkeypatch.setattr(P, "_staged", record)
    p = plan(quarterly(4, **changes), catalog)
    assert seen and all(n == 4 for n in seen)
    assert p.periods[-1].agents >= (200 - 1e-9 if "targets.agents" in changes else 0)


def test_trim_keeps_every_row_with_role_change_costs(catalog):
    """With role changes priced at USD 1M a unit, a later delivery that would stand idle in the
    aggregate may still be what fills a role: cutting it would turn those entrants into paid moves
    the model does not count. After the coarse stages and the trim (forced here: a plan with
    role-change costs is solved in fine stages), every row of the model holds, the role-change
    rows included."""
    changes = {"budget_usd": {"first": 2e9, "growth_per_year": 0.1}, "periods.role_change_usd": {"accelerator": 1e6}}
    pm = built(with_changes(load_scenario(ROOT / "examples" / "multi-year-lab.yaml"), changes), catalog)
    bound, _ = P.lp_bound(pm)
    r = P._staged(pm, bound, *P.stage_plan(pm, coarse=True))
    assert r.objective is not None and pm.role_moves
    for name, row in pm.problem.constraints.items():
        scale = 1.0 + sum(abs(c * (v.varValue or 0.0)) for v, c in row.items()) + abs(row.constant)
        assert row.valid(1e-7 * scale), name


def test_a_fabric_case_without_a_relaxed_plan_is_tried_last(catalog):
    """A training cluster too big for a two-tier fabric leaves the two-tier case without a relaxed
    plan; the three-tier case must still be solved. One period, min-cost, 2e14 training tokens at
    floor 0.15 with USD 1B and 100 MW: the plan costs what the one-period plan of the same year
    costs, within 1%, where the two-tier case sorted first used to end the search ("infeasible")."""
    assert sorted([None, -130.0, -125.6], key=P.best_bound_first) == [-125.6, -130.0, None]
    base = {
        "name": "big-cluster",
        "objective": "min-cost",
        "budget_usd": 1.0e9,
        "alpha_floor": 0.15,
        "facility": {"power_cap_kw": 100000},
        "targets": {"training_tokens": 2.0e14},
    }
    one = plan(build_scenario({**base, "horizon_years": 1}), catalog)
    periods = {"as_of": "2026-12-01", "start": "2027-04-01", "count": 1, "length_years": 1}
    p = plan(build_scenario({**base, "periods": periods}), catalog)
    assert p.objective.weights["fabric_tiers"] == 3
    assert p.tokens.total >= 2.0e14 * (1 - 1e-9)
    assert p.cost_usd.total == pytest.approx(one.cost_usd.total, rel=0.01)
