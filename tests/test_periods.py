"""Plans over time (planner.periods, planner.periodic, planner.extract_periodic): hand-checkable
toy cases, the scenario block's validation, and the invariants of a periodised plan.

The toy items (tests/data/toy-overlay.yaml): one toy-gpu trains 2.628e12 tokens a year, so a
target of 5e12 tokens in a year-long period needs 2 of them; prices are round and every cost of
ownership except price and energy is zero (tests/data/toy-scenario.yaml).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcatalog import load_catalog
from planner import InfeasiblePlan, ScenarioError, load_scenario, plan, with_changes
from planner.costs import book_value_usd
from planner.extract import BINDING_RTOL
from planner.periodic import solve_periods
from planner.periods import Growth, add_years, grid
from planner.result import ROLES
from planner.serialize import to_dict
from planner.solve import solved_value
from tests.conftest import DATA, ROOT, write

START = "2027-01-01"
AS_OF = "2026-12-01"


def periodised(count: int, **changes):
    """The toy scenario over ``count`` yearly periods from 2027-01-01, planned as of 2026-12-01."""
    s = load_scenario(DATA / "toy-scenario.yaml")
    base = {"periods.start": START, "periods.count": count, "periods.length_years": 1.0, "periods.as_of": AS_OF}
    return with_changes(s, {**base, **changes})


def in_service(p, item_id: str, t: int) -> int:
    """Units of ``item_id`` delivered by period t and not yet retired, from the order calendar."""
    start = dt.date.fromisoformat(p.periods[t].start)
    end = dt.date.fromisoformat(p.periods[t].end)
    return sum(
        o.quantity
        for o in p.orders
        if o.id == item_id and dt.date.fromisoformat(o.delivery) <= start and dt.date.fromisoformat(o.retires) >= end
    )


# ------------------------------------------------------------------------------ hand-checkable cases


def test_lead_time_orders_a_period_ahead(toy_catalog):
    """A GPU with a one-year lead time needed in period 2 only is ordered in period 1 (its order-by
    date 2027-01-02, 52 weeks before 2028-01-01, falls in it) and delivered at period 2's start; period 1 cannot get one at all
    (order-by 2026-01-02 is before the plan is made)."""
    s = periodised(2, **{"periods.lead_time_weeks": {"toy-gpu": 52}, "targets.training_tokens": [0, 5e12]})
    p = plan(s, toy_catalog)
    (order,) = p.orders
    assert (order.id, order.quantity, order.period, order.order_period) == ("toy-gpu", 2, 1, 0)
    assert order.order_by == "2027-01-02" and order.delivery == "2028-01-01"
    assert [li.id for li in p.late_items] == ["toy-gpu"]
    assert p.late_items[0].earliest_delivery == "2028-01-01"


def test_no_order_that_cannot_arrive(toy_catalog):
    """With a one-year lead time the first period cannot be served: a target there is infeasible,
    unless allow_late lets the late order in (with a warning)."""
    s = periodised(2, **{"periods.lead_time_weeks": {"toy-gpu": 52}, "targets.training_tokens": 5e12})
    with pytest.raises(InfeasiblePlan):
        plan(s, toy_catalog)
    p = plan(with_changes(s, {"procurement.allow_late": True}), toy_catalog)
    assert any(o.late and o.period == 0 for o in p.orders)
    assert any("toy-gpu cannot arrive" in w for w in p.warnings)


def test_retired_units_are_replaced(toy_catalog):
    """GPUs living 2 years, needed in each of 3 years: 2 delivered in period 1 serve periods 1-2,
    are retired at period 3's start and replaced by 2 more."""
    s = periodised(3, **{"periods.lifetime_years": {"toy-gpu": 2}})
    p = plan(s, toy_catalog)
    gpus = sorted((o.period, o.quantity, o.retires) for o in p.orders if o.id == "toy-gpu")
    assert gpus == [(0, 2, "2029-01-01"), (2, 2, "2031-01-01")]
    for t in range(3):
        assert in_service(p, "toy-gpu", t) == 2


def salvage_catalog(tmp_path):
    """toy-gpu plus toy-gpu-b: same speed, USD 2,000 but 5 kW. Over a year in cash, b costs
    2,000 + 4,380 = 6,380 against 10,000 + 876 = 10,876; a year of ownership (capital x CRF(8%, 5
    years) + energy) costs b 501 + 4,380 = 4,881 against 2,505 + 876 = 3,381."""
    overlay = write(
        tmp_path,
        "b.yaml",
        "items:\n  - {id: toy-gpu-b, action: add, name: Toy GPU B, vendor: Toy, category: accelerator, kind: gpu, bf16_tflops: 1000,"
        " hbm_gb: 100, hbm_tbps: 1, power_kw: 5, price_usd: 2000, host_share_usd: 0, date: 2026-11-01, source: test fixture}\n",
    )
    return load_catalog([DATA / "toy-overlay.yaml", overlay], max_price_age_days=None)


def test_salvage_makes_the_last_period_choose_like_the_infinite_horizon(tmp_path):
    """Bought in the last period, toy-gpu's book value after a year (USD 8,295 at 8%) is credited:
    net 10,876 - 8,295 / 1.08 = 3,195 against b's 6,380 - 1,659 / 1.08 = 4,844, the same choice as
    the steady state (the amortised one-period plan). Without salvage the last period buys b."""
    cat = salvage_catalog(tmp_path)
    only = {"catalog.only": ["toy-gpu", "toy-gpu-b", "toy-cpu", "toy-cxl"], "targets.training_tokens": [0, 5e12]}
    assert book_value_usd(10000, 1, 0.08, 5) == pytest.approx(8295.6, abs=1)
    steady = plan(
        with_changes(load_scenario(DATA / "toy-scenario.yaml"), {**only, "targets.training_tokens": 5e12, "costs.view": "amortised"}), cat
    )
    assert {li.id for li in steady.items} == {"toy-gpu"}
    with_salvage = plan(periodised(2, **only), cat)
    without = plan(periodised(2, **only, **{"periods.salvage": False}), cat)
    assert {o.id for o in with_salvage.orders} == {"toy-gpu"}
    assert {o.id for o in without.orders} == {"toy-gpu-b"}


def test_cash_and_amortised_reconcile_at_zero_cost_of_capital(toy_catalog):
    """At r = 0 the amortised capital is straight-line (price / lifetime a year): over the plan it
    equals the cash paid less the book value left at the end; opex is the same in both views."""
    s = periodised(3, **{"costs.cost_of_capital": 0.0, "targets.training_tokens": [2e12, 5e12, 8e12]})
    p = plan(s, toy_catalog)
    cash, amortised = p.cost_views["cash"], p.cost_views["amortised"]
    assert cash.opex == pytest.approx(amortised.opex, rel=1e-9)
    assert cash.capex - cash.salvage == pytest.approx(amortised.capex, rel=1e-9)
    held = {o.period: 3 - o.period for o in p.orders}
    expected = sum(o.extended_capital_usd * held[o.period] / 5 for o in p.orders)
    assert amortised.capex == pytest.approx(expected, rel=1e-9)


def test_totals_are_sums_over_periods(toy_catalog):
    s = periodised(3, **{"targets.training_tokens": [2e12, 5e12, 8e12]})
    p = plan(s, toy_catalog)
    assert p.cost_usd.total == pytest.approx(sum(x.cost_usd.total for x in p.periods), rel=1e-9)
    assert p.cost_usd.capex == pytest.approx(sum(o.extended_capital_usd for o in p.orders), rel=1e-9)  # cash, no fabric
    assert p.tokens.total == pytest.approx(sum(x.training_tokens for x in p.periods), rel=1e-9)
    for x in p.periods:
        assert x.cost_usd.total == pytest.approx(x.cost_usd.capex + x.cost_usd.opex, rel=1e-12)
        assert sum(x.spend_by_role_usd.values()) == pytest.approx(x.cost_usd.total, rel=1e-9)
    assert sum(q for li in p.items for q in [li.quantity] if li.id == "toy-gpu") == sum(o.quantity for o in p.orders if o.id == "toy-gpu")


def test_json_contract(toy_catalog):
    p = plan(periodised(2, **{"targets.training_tokens": [2e12, 5e12]}), toy_catalog)
    d = to_dict(p)
    period_keys = {"index", "start", "end", "alpha", "alpha_floor", "cost_usd", "spend_by_role_usd", "fleet"}
    assert period_keys <= set(d["periods"][0])
    assert set(d["periods"][0]["cost_usd"]) == {"capex", "opex", "total"}
    assert {"id", "role", "quantity"} == set(d["periods"][0]["fleet"][0])
    assert {"id", "role", "quantity", "order_by", "delivery", "period"} <= set(d["orders"][0])
    assert set(d["cost_views"]) == {"cash", "amortised"}
    jsonschema.validate(d, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))
    one = to_dict(plan(load_scenario(DATA / "toy-scenario.yaml"), toy_catalog))
    assert not {"periods", "orders", "cost_views"} & set(one)


@pytest.mark.parametrize(
    ("usd_per_unit", "bought", "moved", "cost_usd"),
    [
        # free: the 2 GPUs that train in year 1 serve inference in year 2 beside 2 new ones:
        # 4 x 10,000 + energy 2 x 876 (year 1) + 4 x 876 (year 2) = 45,256
        (None, [(0, 2), (1, 2)], 0, 45_256.0),
        # USD 100 a unit: the same plan, 2 units moved into inference, 200 more
        (100.0, [(0, 2), (1, 2)], 2, 45_456.0),
        # dearer than a new unit: 4 new GPUs serve year 2, the 2 old ones idle (their energy paid):
        # 6 x 10,000 + 2 x 876 + 6 x 876 = 67,008
        (1.0e6, [(0, 2), (1, 4)], 0, 67_008.0),
    ],
)
def test_role_change_cost(toy_catalog, usd_per_unit, bought, moved, cost_usd):
    """Training needs 2 GPUs in year 1 (5e12 tokens), 300 agents need 4 in year 2 (inference)."""
    changes = {"targets.training_tokens": [5e12, 0], "targets.agents": [0, 300]}
    if usd_per_unit is not None:
        changes["periods.role_change_usd"] = {"toy-gpu": usd_per_unit}
    p = plan(periodised(2, **changes), toy_catalog)
    assert sorted((o.period, o.quantity) for o in p.orders) == bought
    assert p.cost_usd.total == pytest.approx(cost_usd, abs=0.01)
    changes_p2 = p.periods[1].role_changes
    assert sum(c.quantity for c in changes_p2) == moved
    assert p.cost_usd.components["role_change"] == pytest.approx(moved * (usd_per_unit or 0.0))
    assert sum(s.cost_usd.total for s in p.periods) == pytest.approx(p.cost_usd.total)
    d = to_dict(p)
    jsonschema.validate(d, json.loads((ROOT / "schemas" / "plan.schema.json").read_text()))
    assert d["periods"][1]["role_changes"] == [{"id": c.id, "quantity": c.quantity, "cost_usd": c.cost_usd} for c in changes_p2]


def test_budget_per_period_and_carry_forward(toy_catalog):
    """Period 2's target needs 4 GPUs (USD 40k + 3.5k of energy), which cannot arrive in period 1
    (a one-year lead time) nor fit period 2's USD 25k; carrying period 1's unspent USD 25k forward
    pays for them."""
    lead = {"periods.lead_time_weeks": {"toy-gpu": 52}}
    s = periodised(2, **lead, **{"budget_usd": 2.5e4, "periods.budget_scope": "per-period", "targets.training_tokens": [0, 1.0e13]})
    from planner import InfeasiblePlan

    with pytest.raises(InfeasiblePlan):
        plan(s, toy_catalog)
    p = plan(with_changes(s, {"periods.carry_forward": True}), toy_catalog)
    spent = 0.0
    for x in p.periods:
        spent += x.cost_usd.total
        assert spent <= 2.5e4 * (x.index + 1) + 1e-6


# ------------------------------------------------------------------------------ the scenario block


def test_grid_calendar_months():
    s = periodised(4, **{"periods.length_years": 0.25})
    assert [(p.start.isoformat(), p.end.isoformat()) for p in grid(s.periods)][-1] == ("2027-10-01", "2028-01-01")
    assert add_years(dt.date(2027, 1, 31), 1 / 12) == dt.date(2027, 2, 28)


def test_per_period_values_and_growth():
    s = periodised(3, **{"alpha_floor": [0.1, 0.2, 0.3], "budget_usd": {"first": 1e6, "growth_per_year": 0.5}})
    assert s.periods.values["alpha_floor"] == (0.1, 0.2, 0.3)
    assert s.periods.values["budget_usd"] == Growth(first=1e6, growth_per_year=0.5)
    assert s.alpha_floor == 0.1 and s.budget_usd == 1e6


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"alpha_floor": [0.1, 0.2]}, "periods", "expected 3 (periods.count)"),
        ({"periods.count": 0}, "periods.count", "greater than or equal to 1"),
        ({"periods.lifetime_years": {"gpu": 0}}, "periods.lifetime_years", "between 0.25 and 20"),
        ({"periods.quotes": {"toy-gpu": {"2027-01-01": -5}}}, "periods.quotes", "positive quoted price"),
        ({"alpha_floor": [0.1, 0.2, 1.5]}, "alpha_floor[2]", ""),
        ({"facility.pue": [1.1, 1.2, 1.3]}, "facility.pue", ""),
        ({"budget_usd": {"first": 1e8, "growth_per_year": float("inf")}}, "'budget_usd.growth_per_year'", "finite"),
        (
            {"alpha_floor": {"first": 0.5, "growth_per_year": 0.5}},
            "'alpha_floor.growth_per_year'",
            "in period 3 (from 2029-01-01) the growth gives 1.125",
        ),
        (
            {"budget_usd": {"first": 9e12, "growth_per_year": 5}},
            "'budget_usd.growth_per_year'",
            "expected a value from 1 to 1e+13; in period 2",
        ),
        (
            {"targets.training_tokens": {"first": 1e12, "growth_per_year": 10}, "periods.length_years": 10},
            "'targets.training_tokens.growth_per_year'",
            "in period 2",
        ),
        ({"periods.quotes": {"toy-gpu": {"2027-01-01": float("inf")}}}, "'periods.quotes.toy-gpu.2027-01-01'", "finite"),
        ({"alpha_floor": [0.1, "x", 0.2]}, "'alpha_floor[1]'", "valid number"),
        ({"periods.length_years": float("nan")}, "'periods.length_years'", "finite"),
    ],
)
def test_bad_period_input_names_the_field(changes, field, expected):
    with pytest.raises(ScenarioError) as err:
        periodised(3, **changes)
    assert field in str(err.value) and expected in str(err.value)


def test_per_period_value_without_a_grid_is_refused():
    with pytest.raises(ScenarioError, match="needs a periods block"):
        with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"alpha_floor": [0.1, 0.2]})


def test_vary_replaces_a_schedule(toy_catalog):
    """A what-if change to a field that varies by period replaces its schedule (never ignored)."""
    s = periodised(2, **{"alpha_floor": [0.1, 0.2]})
    t = with_changes(s, {"alpha_floor": 0.4})
    assert "alpha_floor" not in t.periods.values and t.alpha_floor == 0.4


def test_montecarlo_and_robust_refuse_periods(toy_catalog):
    from planner.robust import robust_plan

    with pytest.raises(ScenarioError, match="one period"):
        robust_plan(periodised(2), toy_catalog, 2)


# ------------------------------------------------------------------------------ invariants

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
floors = st.lists(st.one_of(st.just(0.0), st.floats(min_value=1e-4, max_value=0.9)), min_size=3, max_size=3)
tokens = st.lists(st.floats(min_value=0.0, max_value=1.2e13), min_size=3, max_size=3).filter(lambda x: max(x) > 1e11)
budgets = st.lists(st.floats(min_value=2e4, max_value=2e5), min_size=3, max_size=3)


def _max_progress(**changes):
    return periodised(3, **{"objective": "max-progress", "targets.training_tokens": None, "data.external_tokens": 2e11, **changes})


@SETTINGS
@given(a=floors, t=tokens)
def test_invariants_of_a_periodised_plan(toy_catalog, a, t):
    """alpha_t >= floor_t; orders are non-negative whole units in whole lots; no unit serves
    before its delivery or after its retirement; every period within its budget."""
    s = periodised(3, **{"alpha_floor": a, "targets.training_tokens": t, "periods.lifetime_years": {"gpu": 2}, "budget_usd": 1e6})
    try:
        p = plan(s, toy_catalog)
    except Exception as exc:  # an infeasible draw is fine; anything else is not
        assert type(exc).__name__ == "InfeasiblePlan"
        return
    for x in p.periods:
        if x.alpha is not None:
            assert x.alpha >= x.alpha_floor - 1e-6
        serving: dict[str, int] = {}
        for row in x.fleet:
            serving[row.id] = serving.get(row.id, 0) + row.quantity
        for item_id, q in serving.items():
            assert q == in_service(p, item_id, x.index)  # roles + idle = delivered and not retired
    for o in p.orders:
        assert isinstance(o.quantity, int) and o.quantity > 0
        assert dt.date.fromisoformat(o.order_by) >= dt.date.fromisoformat(AS_OF)
    assert p.cost_usd.total <= 1e6 + 1e-6


@SETTINGS
@given(b=budgets, k=st.integers(min_value=0, max_value=2), extra=st.floats(min_value=1e3, max_value=1e5))
def test_more_budget_in_a_period_never_lowers_progress(toy_catalog, b, k, extra):
    base = {"budget_usd": b, "periods.budget_scope": "per-period", "alpha_floor": 0.3}
    more = list(b)
    more[k] += extra
    lo = plan(_max_progress(**base), toy_catalog).objective.value
    hi = plan(_max_progress(**{**base, "budget_usd": more}), toy_catalog).objective.value
    assert hi >= lo * (1 - 0.01) - 1e-9  # within periods.mip_gap
    assert math.isfinite(hi)


def test_multi_year_example_orders_ahead_and_keeps_every_floor(catalog):
    """The issue's case (examples/multi-year-lab.yaml): floors 0.1, 0.15, 0.2, 0.3 and a power ramp.
    Every order is placed on or after the day the plan is made and exactly its lead time before
    its delivery at a period's start; alpha_t >= floor_t and facility power <= cap_t every period."""
    s = load_scenario(ROOT / "examples" / "multi-year-lab.yaml")
    p = plan(s, catalog)
    assert [x.alpha_floor for x in p.periods] == [0.1, 0.15, 0.2, 0.3]
    starts = {x.start for x in p.periods}
    for o in p.orders:
        lead = catalog.items.at[o.id, "lead_time_weeks"]
        assert dt.date.fromisoformat(o.order_by) >= s.periods.as_of
        assert dt.date.fromisoformat(o.delivery) - dt.date.fromisoformat(o.order_by) == dt.timedelta(weeks=float(lead))
        assert o.delivery in starts
    for x in p.periods:
        assert x.alpha >= x.alpha_floor - 1e-6
        assert x.facility_kw <= x.power_cap_kw * (1 + 1e-9)
    assert p.status.value in ("optimal", "feasible") and p.objective.weights["proven_gap"] < 0.05


def test_idle_units_count_against_the_power_cap(catalog):
    """Units in service that serve no role are powered (their energy is charged), so the power row
    counts them: with a role change priced out of reach some units stand idle, and each period's
    facility kW is every unit in service, idle ones included, at its power x PUE, within the cap."""
    changes = {"periods.role_change_usd": {"accelerator": 1e6}, "facility.power_cap_kw": 10000}
    s = with_changes(load_scenario(ROOT / "examples" / "multi-year-lab.yaml"), changes)
    p = plan(s, catalog)
    assert any(row.role == "idle" for x in p.periods for row in x.fleet)
    for x in p.periods:
        assert all(row.role == "idle" or row.role in ROLES for row in x.fleet)  # owned lines only: power from the catalog
        kw = sum(row.quantity * float(catalog.items.at[row.id, "power_kw"]) * s.facility.pue for row in x.fleet)
        assert x.facility_kw == pytest.approx(kw, rel=1e-9)
        assert x.facility_kw <= x.power_cap_kw * (1 + 1e-9)
        # the period's binding list reads the same row (extract.BINDING_RTOL)
        assert ("power" in x.binding_constraints) == (x.power_cap_kw - x.facility_kw <= BINDING_RTOL * x.power_cap_kw)
    assert any("power" in x.binding_constraints for x in p.periods)
    assert p.power_kw.facility_kw == pytest.approx(max(x.facility_kw for x in p.periods), rel=1e-12)
    symbols = {row["symbol"]: row["value"] for row in p.symbols}
    assert symbols["power"] == p.power_kw.facility_kw and symbols["capex"] == p.cost_usd.capex


@pytest.mark.parametrize("budget_usd", [1.5e8, 6e8, 2e9])
def test_multi_year_budget_sweep_invariants(catalog, budget_usd):
    """The one-period sweep's invariants (tests/test_optimality.py) on the periodised example: the
    budget holds in every period, alpha >= the token-weighted floor, whole units, and the line
    items add up to the plan's purchase, capital and total."""
    s = with_changes(load_scenario(ROOT / "examples" / "multi-year-lab.yaml"), {"budget_usd": budget_usd})
    p = plan(s, catalog)
    for x in p.periods:  # exactly: the model keeps periodic.BUDGET_MARGIN_USD below the cap, above the solver's tolerance
        assert x.cost_usd.total <= (x.budget_usd if x.budget_usd is not None else budget_usd)
    assert p.alpha >= p.alpha_floor - 1e-9
    assert all(isinstance(li.quantity, int) and li.quantity >= 1 for li in p.items)
    assert sum(li.quantity * li.unit_cash_capital_usd for li in p.items) == pytest.approx(p.cost_usd.purchase, rel=1e-9)
    assert sum(li.extended_capital_usd for li in p.items) == pytest.approx(p.cost_usd.capex, rel=1e-9)
    assert sum(li.extended_cost_usd for li in p.items) == pytest.approx(p.cost_usd.total, rel=1e-9)


def test_lifetime_inside_a_period_is_cut_to_whole_periods_and_reconciles(toy_catalog):
    """A 1.5-year life on 1-year periods: units serve one whole period, are depreciated over it
    (warned), and cash less salvage still equals the amortised capital at r = 0."""
    s = periodised(3, **{"costs.cost_of_capital": 0.0, "periods.lifetime_years": {"gpu": 1.5}})
    p = plan(s, toy_catalog)
    gpus = [o for o in p.orders if o.id == "toy-gpu"]
    assert [o.period for o in gpus] == [0, 1, 2] and all(o.lifetime_years == 1.0 for o in gpus[:2])
    assert gpus[0].retires == "2028-01-01"
    assert any("toy-gpu lives 1.5 years" in w for w in p.warnings)
    cash, amortised = p.cost_views["cash"], p.cost_views["amortised"]
    assert cash.capex - cash.salvage == pytest.approx(amortised.capex, rel=1e-9)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"periods.lifetime_years": {"gpu": 0.5}}, "periods.lifetime_years", "must serve a whole period"),
        ({"periods.quotes": {"toy-gpu-typo": {"2027-01-01": 9000}}}, "periods.quotes", "'toy-gpu-typo' is not an id"),
        ({"periods.lifetime_years": {"gpuu": 3}}, "periods.lifetime_years", "is not an id, kind or category"),
        ({"periods.role_change_usd": {"gpuu": 3}}, "periods.role_change_usd", "is not an id, kind or category"),
        ({"periods.role_change_usd": {"gpu": -1}}, "periods.role_change_usd", "expected a role-change cost (USD per unit) between 0"),
        ({"periods.role_change_usd": {"gpu": True}}, "periods.role_change_usd", "for 'gpu' as a number, got True"),
        ({"periods.role_change_usd": {"GPU": 5}}, "periods.role_change_usd", "did you mean 'gpu'?"),
        ({"periods.role_change_usd": {"gpu": math.inf}}, "periods.role_change_usd", "as a finite number, got inf"),
        ({"periods.role_change_usd": {"gpu": 1e9}}, "periods.role_change_usd", "between 0 and 1e+07"),
    ],
)
def test_bad_hardware_in_time_names_the_field(toy_catalog, changes, field, expected):
    with pytest.raises(ScenarioError) as err:
        plan(periodised(2, **changes), toy_catalog)
    assert field in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("value", [[], {"growth_per_year": 0.1}])
def test_empty_schedule_is_refused(value):
    with pytest.raises(ScenarioError, match="budget_usd"):
        periodised(2, budget_usd=value)


def test_nothing_arrives_nothing_is_spent(toy_catalog):
    """When no item can arrive in any period (a two-year lead time on a two-year plan) the
    max-progress model buys nothing and spends nothing: the cost tie-break keeps even free
    variables such as the fabric's peak at zero. The plan is then an error, not an empty plan."""
    s = _max_progress(**{"periods.lead_time_weeks": {"toy-gpu": 200, "toy-cpu": 200, "toy-cxl": 200}, "alpha_floor": 0.0})
    pm, r = solve_periods(s, toy_catalog)
    assert r.objective is not None and not pm.orders
    assert solved_value(pm.net_cost_musd) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InfeasiblePlan, match="nothing can serve in the 3 periods"):
        plan(s, toy_catalog)


def test_solver_fallback_when_cbc_finds_no_whole_unit_plan(toy_catalog):
    """A target of 201 tokens next to 2.6e12 tokens a GPU: CBC's root cuts declare the whole-unit
    model infeasible although one GPU meets it; the plan falls back to HiGHS and says so."""
    s = periodised(3, **{"targets.training_tokens": [0.0, 201.0, 1e11 + 1], "periods.lifetime_years": {"gpu": 2}})
    p = plan(s, toy_catalog)
    assert [(o.id, o.quantity, o.period) for o in p.orders] == [("toy-gpu", 1, 1)]
    assert p.periods[1].training_tokens >= 201
    assert any("solver fallback" in w for w in p.warnings) or p.solver.name == "cbc"


def test_nothing_can_arrive_is_an_error_not_an_empty_plan(catalog):
    """A plan made after every order-by date of every period (as of 2031 for periods from 2027) has
    nothing to serve: an error naming the day the plan is made and the way out, exit 3, rather
    than an empty "optimal" plan; with late orders allowed it plans."""
    s = with_changes(load_scenario(ROOT / "examples" / "multi-year-lab.yaml"), {"periods.as_of": "2031-01-01"})
    with pytest.raises(InfeasiblePlan, match=r"nothing can serve in the 4 periods: .* before 2031-01-01.*allow_late") as err:
        plan(s, catalog)
    assert err.value.exit_code == 3
    late = plan(with_changes(s, {"procurement.allow_late": True}), catalog)
    assert late.orders and any("late" in w for w in late.warnings)


@pytest.mark.parametrize(
    ("modes", "as_of", "mode"),
    [(["on-demand", "reserved-1y"], "2026-12-01", "reserved-1y"), (["own", "on-demand"], "2031-01-01", "on-demand")],
)
def test_rentals_serve_a_periodised_plan_without_orders(tmp_path, modes, as_of, mode):
    """Rented rows carry their offer's mode, so a plan without owned orders still plans when offers
    can serve: rent-only, and owned items all late with on-demand H100s from the example offers."""
    from click.testing import CliRunner

    from planner.cli import cli

    text = (
        "budget_usd: 2.0e8\nalpha_floor: 0.1\ncatalog: {only: [nvidia-h100-sxm]}\n"
        f"acquisition: {{modes: {json.dumps(modes)}}}\n"
        f"periods: {{as_of: {as_of}, start: 2027-04-01, count: 2, length_years: 1}}\n"
    )
    scenario = write(tmp_path, "rent.yaml", text)
    args = ["--scenario", str(scenario), "--offers", str(ROOT / "examples" / "offers-quotes.csv"), "--format", "json", "-q"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    p = json.loads(r.output)
    assert not p["orders"] and {(i["id"], i["mode"]) for i in p["items"]} == {("nvidia-h100-sxm", mode)}
