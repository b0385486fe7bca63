"""Invariants of the planner (hypothesis), on the toy catalog with an exact MIP gap."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import InfeasiblePlan, load_scenario, plan, with_changes
from planner.report import render_plan
from tests.conftest import DATA

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
RTOL = 1e-5

budgets = st.floats(min_value=3e4, max_value=3e6)
floors = st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=0.9))


def _base(objective: str):
    s = load_scenario(DATA / "toy-scenario.yaml")
    changes = {"data.external_tokens": 2e11, "inference.synthetic_batch": 1000, "objective": objective}
    if objective == "max-progress":
        changes["targets.training_tokens"] = None
    return with_changes(s, changes)


def _progress(s, cat):
    return plan(s, cat, marginals=False).progress.value


def _cost(s, cat):
    try:
        return plan(s, cat, marginals=False).cost_usd.total
    except InfeasiblePlan:
        return float("inf")


@SETTINGS
@given(b1=budgets, b2=budgets, a=floors)
def test_more_budget_never_lowers_progress(toy_catalog, b1, b2, a):
    lo, hi = sorted((b1, b2))
    s = with_changes(_base("max-progress"), {"alpha_floor": a})
    p_lo = _progress(with_changes(s, {"budget_usd": lo}), toy_catalog)
    p_hi = _progress(with_changes(s, {"budget_usd": hi}), toy_catalog)
    assert p_hi >= p_lo * (1 - RTOL) - 1e-9


@SETTINGS
@given(a1=floors, a2=floors, tokens=st.floats(min_value=1e11, max_value=1e13))
def test_higher_floor_never_lowers_cost(toy_catalog, a1, a2, tokens):
    lo, hi = sorted((a1, a2))
    s = with_changes(_base("min-cost"), {"budget_usd": 1e8, "targets.training_tokens": tokens})
    assert _cost(with_changes(s, {"alpha_floor": hi}), toy_catalog) >= _cost(with_changes(s, {"alpha_floor": lo}), toy_catalog) * (1 - RTOL)


@SETTINGS
@given(a1=floors, a2=floors, b=budgets)
def test_higher_floor_never_raises_progress(toy_catalog, a1, a2, b):
    lo, hi = sorted((a1, a2))
    s = with_changes(_base("max-progress"), {"budget_usd": b})
    assert (
        _progress(with_changes(s, {"alpha_floor": hi}), toy_catalog)
        <= _progress(with_changes(s, {"alpha_floor": lo}), toy_catalog) * (1 + RTOL) + 1e-9
    )


@SETTINGS
@given(b=budgets, a=floors, objective=st.sampled_from(["max-progress", "min-cost"]), agents=st.sampled_from([None, 5, 50]))
def test_plan_invariants(toy_catalog, b, a, objective, agents):
    s = with_changes(
        _base(objective),
        {"budget_usd": b, "alpha_floor": a, "targets.agents": agents, "targets.training_tokens": 1e11 if objective == "min-cost" else None},
    )
    try:
        p = plan(s, toy_catalog, marginals=False)
    except InfeasiblePlan:
        return
    assert p.cost_usd.total <= b * (1 + 1e-9)  # the budget is never exceeded
    if p.alpha is not None:
        assert p.alpha >= a - 1e-6  # alpha >= floor
    items = p.line_items
    assert items["extended_price_usd"].sum() == pytest.approx(p.cost_usd.capex, rel=1e-12, abs=1e-6)  # line items sum to capex
    assert (items["quantity"] >= 1).all() and (items["quantity"] == items["quantity"].round()).all()
    assert p.spend_by_role["total_usd"].sum() == pytest.approx(p.cost_usd.total, rel=1e-12, abs=1e-6)
    assert p.memory_gb.available_gb >= p.memory_gb.needed_gb * (1 - 1e-6) - 1e-6
    assert p.speedup <= p.speedup_detail.law + 1e-6  # never more speedup than the law
    # JSON export round-trips
    data = json.loads(render_plan(p, "json"))
    assert data == json.loads(json.dumps(p.to_dict()))
    assert data["cost_usd"]["total"] == pytest.approx(p.cost_usd.total)


def _rent_catalog(toy_catalog, od: float, res: float, cap: int | None):
    """The toy catalog with an on-demand and a one-year reserved offer of toy-gpu (capped or not)."""
    import dataclasses

    from tests.test_tco import offers

    frame = offers(("toy-gpu", "on-demand", od), ("toy-gpu", "reserved-1y", res))
    frame["max_devices"] = cap
    return dataclasses.replace(toy_catalog, offers=frame)


rates = st.floats(min_value=0.05, max_value=5.0)
acquisition = st.fixed_dictionaries(
    {
        "busy": st.floats(min_value=0.02, max_value=1.0),
        "view": st.sampled_from(["cash", "amortised"]),
        "cap": st.sampled_from([None, 1, 3]),
    }
)


@SETTINGS
@given(b=budgets, a=floors, od=rates, res=rates, acq=acquisition)
def test_plan_invariants_with_rentals(toy_catalog, b, a, od, res, acq):
    """With offers, any busy share and either cost view: the budget holds, alpha >= floor, rented
    lines draw no facility power and stay within their offer's cap, and the costs reconcile."""
    cat = _rent_catalog(toy_catalog, od, res, acq["cap"])
    s = with_changes(
        _base("max-progress"),
        {"budget_usd": b, "alpha_floor": a, "acquisition.busy_fraction": acq["busy"], "costs.view": acq["view"]},
    )
    try:
        p = plan(s, cat, marginals=False)
    except InfeasiblePlan:
        return
    assert p.cost_usd.total <= b * (1 + 1e-9)
    if p.alpha is not None:
        assert p.alpha >= a - 1e-6
    rented = [li for li in p.items if li.mode != "own"]
    assert all(li.power_kw == 0 and li.unit_price_usd == 0 for li in rented)
    if acq["cap"] is not None:
        for key in {li.offer_id for li in rented}:
            assert sum(li.quantity for li in rented if li.offer_id == key) <= acq["cap"]
    assert sum(li.extended_cost_usd for li in p.items) == pytest.approx(p.cost_usd.total, rel=1e-9, abs=1e-6)
    assert sum(p.spend_by_mode_usd.values()) == pytest.approx(p.cost_usd.total, rel=1e-9, abs=1e-6)


@SETTINGS
@given(b1=budgets, b2=budgets, od=rates, busy=st.floats(min_value=0.02, max_value=1.0))
def test_more_budget_never_lowers_progress_with_rentals(toy_catalog, b1, b2, od, busy):
    lo, hi = sorted((b1, b2))
    cat = _rent_catalog(toy_catalog, od, od * 0.7, None)
    s = with_changes(_base("max-progress"), {"acquisition.busy_fraction": busy, "alpha_floor": 0.2})
    assert _progress(with_changes(s, {"budget_usd": hi}), cat) >= _progress(with_changes(s, {"budget_usd": lo}), cat) * (1 - RTOL) - 1e-9


# ------------------------------------------------------------------------------------ uncertainty

ROBUST_SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _uncertain(block):
    from planner.uncertainty import UncertaintySpec

    s = with_changes(_base("max-progress"), {"budget_usd": 5e5, "alpha_floor": 0.3})
    return s.model_copy(update={"uncertainty": UncertaintySpec.model_validate(block)})


@ROBUST_SETTINGS
@given(
    lo=st.floats(min_value=0.2, max_value=0.5),
    spread=st.floats(min_value=0.0, max_value=0.4),
    price_hi=st.floats(min_value=1.0, max_value=1.6),
    worlds=st.integers(min_value=1, max_value=4),
)
def test_robust_plan_keeps_budget_and_floor_in_every_world(toy_catalog, lo, spread, price_hi, worlds):
    from planner.robust import robust_plan

    s = _uncertain(
        {
            "training.mfu": {"dist": "uniform", "low": lo, "high": lo + spread + 1e-3},
            "catalog.toy-gpu.price_usd": {"dist": "uniform", "low": 1.0, "high": price_hi + 1e-3, "relative": True},
        }
    )
    p, r = robust_plan(s, toy_catalog, worlds, seed=worlds)
    assert p.cost_usd.total <= s.budget_usd * (1 + 1e-9) and p.alpha >= s.alpha_floor
    for w in r.per_world:
        assert w["cost_usd"] <= s.budget_usd * (1 + 1e-9)
        assert w["alpha"] >= s.alpha_floor * (1 - 1e-6)
    assert all(i.quantity >= 0 and float(i.quantity).is_integer() for i in p.items)


@ROBUST_SETTINGS
@given(budget=st.floats(min_value=5e4, max_value=2e6), floor=st.floats(min_value=0.05, max_value=0.9))
def test_montecarlo_in_the_scenarios_world_is_the_plan(toy_catalog, budget, floor):
    from planner.montecarlo import FixedPlan, montecarlo

    s = with_changes(_base("max-progress"), {"budget_usd": budget, "alpha_floor": floor})
    p = plan(s, toy_catalog, marginals=False)
    s = _uncertain({"training.mfu": {"dist": "empirical", "values": [s.training.mfu]}}).model_copy(
        update={"budget_usd": budget, "alpha_floor": floor}
    )
    d = montecarlo(s, toy_catalog, FixedPlan.from_plan(p), samples=3).to_dict()
    assert d["cost_usd"]["mean"] == pytest.approx(p.cost_usd.total, rel=1e-9)
    assert d["progress"]["mean"] == pytest.approx(p.progress.value, rel=1e-6, abs=1e-9)
    assert d["p_alpha_above_floor"] == 1.0
