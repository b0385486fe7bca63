"""The plan over periods: orders with lead times, fleets with lifetimes, budgets and salvage.

The model holds one copy of the one-period model per period ``t`` (built from the period's
scenario: its length, floor, power cap, targets, external tokens and electricity price, with
every variable renamed ``t<t>_``), where ``n[t, s, r]`` is the number of units of line ``s``
serving role ``r`` during period t, and links the copies through orders (PyPSA's investment
periods, with a build period and a lifetime per asset):

* ``o[s, u]`` whole units (whole lots where the item's order multiple exceeds 1) of owned item s
  delivered at the start of period u, ordered
  ``lead_s`` before it; none where that order-by date is before today (unless
  ``procurement.allow_late``);
* fleet: ``sum_r n[t, s, r] <= sum_{u active in t} o[s, u]`` for owned items, where u is active
  in t when ``start_u <= start_t`` and ``end_t - start_u <= lifetime_s``: units in service serve a
  role or stand idle (a unit may change role between periods, at periods.role_change_usd a unit, free by default) and are retired at the
  end of the last whole period within their lifetime; rented lines need no order (``n`` free per
  period);
* power: where a period has a cap, every owned unit in service draws its facility kW, in a role or
  idle (an idle unit is powered: its energy is charged), and rented lines per unit in a role;
* cost per period (MUSD) in the scenario's view: **cash**, the capital of the units delivered
  (``pay_at: delivery``) or ordered (``pay_at: order``; orders before the start count in the
  first period) in t, plus opex; **amortised**, the level charge ``capital x CRF(r, L)`` per
  year of every unit in service, plus opex. Opex is every operating component of
  :mod:`planner.tco` over the period's length for the units in service. The three-tier fabric
  uplift is paid on the peak owned fleet in the cash view (``X_t >= X_{t-1}``, ``X_t >= x_t``,
  paid ``X_t - X_{t-1}``) and charged per period on the fleet in service when amortised;
* budget: ``sum_t cost_t <= B`` (total), ``cost_t <= B_t`` (per period) or, carrying unspent
  budget forward, ``sum_{u <= t} cost_u <= sum_{u <= t} B_u``;
* salvage (cash view): the book value at the end (:func:`planner.costs.book_value_usd`) of units
  still in service, credited in the cost objective, never in the budget;
* objectives, discounted at the cost of capital to each period's start (``d_t = (1 + r)^-y_t``):
  max-progress maximises ``sum_t d_t P_t`` then minimises the net present cost at that progress
  (within the lexicographic tolerance); min-cost minimises ``sum_t d_t cost_t - d_T salvage``.

Every other constraint of the one-period model (compute, inference, verification, memory, alpha
floor, targets, order lots, model limits) holds in every period at the period's values.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pulp

from hwcatalog import Catalog
from hwcatalog.validate import did_you_mean

from .costs import book_value_usd, capital_recovery_factor, discount_factor
from .errors import ScenarioError
from .model import BuiltModel, ModelInput, build_model
from .model.types import MUSD, ConstraintInfo
from .periods import Period, add_years, by_key, grid, value_in
from .physics import speedup_curve
from .scenario import Scenario
from .solve import SolveStatus, cached_mps, solve, solved_value
from .stages import dominated, owned_and_rented, worst_status
from .tco import CAPITAL_COMPONENTS, OPEX_COMPONENTS
from .timeline import lead_weeks

PRICED = ("device", "host")  # components on the price path (the unit's purchase price)


@dataclass(frozen=True)
class Vintage:
    """Units of owned item ``item`` delivered at the start of period ``period``."""

    item: str
    period: int
    order_by: dt.date
    delivery: dt.date
    retires: dt.date
    late: bool
    lifetime_years: float
    unit_price_usd: float  # device + host at the order date (price path or quote)
    capital_usd: dict[str, float]  # cash per unit by capital component
    annual_charge_usd: float  # level yearly charge per unit of the hardware, capital x CRF(r, service years), while it serves
    annual_site_charge_usd: float  # the data-centre share's level charge, in every period from delivery to the end
    salvage_usd: float  # book value per unit at the plan's end (0 when retired by then)
    pay_period: int  # the period whose cash pays for it (cash view)
    active: tuple[int, ...]  # periods it serves in
    site: tuple[int, ...]  # periods its data-centre share is charged in (amortised): delivery to the plan's end
    nominal_lifetime_years: float  # the item's lifetime; lifetime_years is the part spent serving whole periods


@dataclass
class PeriodicModel:
    scenario: Scenario
    catalog: Catalog
    periods: tuple[Period, ...]
    scenarios: list[Scenario]
    models: list[BuiltModel]
    problem: pulp.LpProblem
    orders: dict[tuple[str, int], pulp.LpVariable]
    lots: dict[tuple[str, int], pulp.LpVariable]  # whole lots of an order, where the order multiple exceeds 1
    vintages: dict[tuple[str, int], Vintage]
    cost_musd: list[pulp.LpAffineExpression]  # per period, the scenario's view
    cash_musd: list[pulp.LpAffineExpression]
    amortised_musd: list[pulp.LpAffineExpression]
    opex_musd: list[pulp.LpAffineExpression]
    fabric_paid_musd: list[pulp.LpAffineExpression]  # cash view fabric payments per period
    salvage_musd: pulp.LpAffineExpression
    progress: pulp.LpAffineExpression  # sum_t d_t P_t
    net_cost_musd: pulp.LpAffineExpression  # sum_t d_t cost_t - d_T salvage
    budgets_usd: list[float | None]  # per-period caps (None when the budget is a total)
    unavailable: dict[str, int | None] = field(default_factory=dict)  # item -> first period it can serve (None: none)
    dominated: dict[str, str] = field(default_factory=dict)  # items left out: {dropped: dominating}
    tie_break_per_musd: float = 0.0  # progress given up per MUSD of net present cost to break ties (set by the solve)
    today: dt.date = field(default_factory=dt.date.today)
    role_moves: dict[tuple[str, int], tuple[pulp.LpVariable, float]] = field(default_factory=dict)  # (item, t) -> (units moved, USD/unit)


def period_scenario(s: Scenario, p: Period, total_budget_usd: float) -> Scenario:
    """The one-period scenario of period ``p``: its length, its values of the periodised fields,
    the cash view (capital is charged by the periodic model), no start date (lead times are the
    periodic model's) and the whole plan's budget as the bound on any count."""
    changes: dict[str, Any] = {"horizon_years": p.years, "start_date": None, "budget_usd": total_budget_usd}
    for name, value in s.periods.values.items():
        if name != "budget_usd":
            changes[name] = value_in(value, p)
    changes["costs.view"] = "cash"
    return _replace(s, changes)


def _replace(s: Scenario, changes: dict[str, Any]) -> Scenario:
    """``s`` with dotted fields replaced, without re-validation (every value was checked when the
    scenario was loaded)."""
    nested: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for name, value in changes.items():
        head, _, leaf = name.partition(".")
        if leaf:
            nested.setdefault(head, {})[leaf] = value
        else:
            top[name] = value
    for head, sub in nested.items():
        top[head] = getattr(s, head).model_copy(update=sub)
    return s.model_copy(update=top)


def budgets(s: Scenario, periods: tuple[Period, ...]) -> tuple[float, list[float | None]]:
    """(total budget, per-period caps): a per-period list or growth caps each period; a single
    value caps the whole plan (``budget_scope: total``) or each period (``per-period``)."""
    value = s.periods.values.get("budget_usd")
    if value is not None:
        per = [float(value_in(value, p) or 0.0) for p in periods]
        return sum(per), list(per)
    if s.periods.budget_scope == "per-period":
        return s.budget_usd * len(periods), [s.budget_usd] * len(periods)
    return s.budget_usd, [None] * len(periods)


# ------------------------------------------------------------------------------ hardware in time


def lead_time_weeks(s: Scenario, item_id: str, catalog_value: Any) -> float:
    """The scenario's lead time for the item, else the catalog's (0 when it has none)."""
    return float(s.periods.lead_time_weeks.get(item_id, lead_weeks(catalog_value)))


def lifetime_years(s: Scenario, row: dict[str, Any]) -> float:
    """Service life of an owned line: by id, kind or category (``periods.lifetime_years``), else ``costs.lifetime_years``."""
    return by_key(s.periods.lifetime_years, s.costs.lifetime_years, str(row["id"]), str(row["kind"]), str(row["category"]))


def decline_per_year(s: Scenario, row: dict[str, Any]) -> float:
    """Yearly fall of the line's price (``periods.price_decline_per_year``; negative: a rise), 0 when unset."""
    return by_key(s.periods.price_decline_per_year, 0.0, str(row["base_id"]), str(row["kind"]), str(row["category"]))


def role_change_usd(s: Scenario, row: dict[str, Any]) -> float:
    """Cost of moving one unit of an owned line into a role (``periods.role_change_usd`` by id, kind or category), 0 when unset."""
    return by_key(s.periods.role_change_usd, 0.0, str(row["base_id"]), str(row["kind"]), str(row["category"]))


def price_factor(s: Scenario, catalog: Catalog, row: dict[str, Any], day: dt.date, attribute: str = "price_usd") -> float:
    """``(1 - decline)^years`` from the date of the catalog's figure to ``day`` (1 without a decline or a date)."""
    decline = decline_per_year(s, row)
    dated = figure_date(catalog, str(row["base_id"]), attribute)
    if decline == 0 or dated is None:
        return 1.0
    return (1.0 - decline) ** ((day - dated).days / 365.25)


def unit_price_usd(s: Scenario, catalog: Catalog, row: dict[str, Any], base_usd: float, day: dt.date) -> float:
    """The unit's purchase price on ``day``: the latest quote dated on or before it, else the
    catalog's price moved along the price path (:func:`price_factor`)."""
    quotes = {d: q for d, q in s.periods.quotes.get(str(row["id"]), {}).items() if d <= day}
    if quotes:
        return float(quotes[max(quotes)])
    return base_usd * price_factor(s, catalog, row, day)


def figure_date(catalog: Catalog, item_id: str, attribute: str) -> dt.date | None:
    """The date of the catalog's figure ``attribute`` for the item, when it has one."""
    src = catalog.sources(item_id).get(attribute) or {}
    try:
        return dt.date.fromisoformat(str(src.get("source_date"))[:10])
    except ValueError:
        return None


def active_periods(periods: tuple[Period, ...], u: int, lifetime: float) -> tuple[int, ...]:
    """Periods a unit delivered at the start of period u serves in: whole periods within its lifetime."""
    start = periods[u].offset_years
    return tuple(p.index for p in periods[u:] if p.offset_years + p.years - start <= lifetime + 1e-9)


def pay_period(periods: tuple[Period, ...], u: int, order_by: dt.date, pay_at: str) -> int:
    """The period whose cash pays for units delivered in u: u itself, or the one the order date falls in (0 before the start)."""
    if pay_at == "delivery":
        return u
    return max((p.index for p in periods if p.start <= order_by), default=0)


def service_years(periods: tuple[Period, ...], u: int, lifetime: float, active: tuple[int, ...]) -> float:
    """Years a unit delivered in period u is depreciated over: its lifetime, cut to the whole periods
    it serves when it retires inside the plan (it leaves service at a period's end)."""
    if not active:
        return 0.0
    if active[-1] == periods[-1].index:
        return lifetime  # still in service at the end: its book value is the salvage
    return sum(periods[t].years for t in active)


def vintage(s: Scenario, catalog: Catalog, caps: dict[str, Any], periods: tuple[Period, ...], u: int, today: dt.date) -> Vintage:
    """Dates, prices, charges and salvage of one unit of owned line ``caps`` delivered in period u.

    The hardware (device, host, fabric, storage) is depreciated over the years it serves
    (:func:`service_years`); the data-centre share over the hall's own lifetime, from delivery to
    the plan's end (the hall outlives the unit). Salvage is the book value at the plan's end: zero
    for hardware retired before it."""
    item_id = str(caps["id"])
    lead = lead_time_weeks(s, item_id, catalog.items.at[item_id, "lead_time_weeks"] if "lead_time_weeks" in catalog.items.columns else None)
    delivery = periods[u].start
    order_by = delivery - dt.timedelta(weeks=lead)
    life = lifetime_years(s, caps)
    active = active_periods(periods, u, life)
    if not active:
        raise ScenarioError(
            f"{item_id} lives {life:g} years, less than period {u + 1} ({periods[u].years:g} years): a unit must serve a whole period; "
            "raise its lifetime or use shorter periods",
            field="periods.lifetime_years",
        )
    served = service_years(periods, u, life, active)
    capital = {k: float(caps[f"{k}_usd"]) for k in CAPITAL_COMPONENTS}
    base = capital["device"] + capital["host"]
    price = unit_price_usd(s, catalog, caps, base, max(order_by, today)) if base > 0 else 0.0
    if base > 0:
        for k in PRICED:
            capital[k] *= price / base
    r, c = s.costs.cost_of_capital, s.costs
    lives = {k: (c.datacenter_lifetime_years if k == "datacenter" else served) for k in CAPITAL_COMPONENTS}
    charges = {k: v * capital_recovery_factor(r, lives[k]) for k, v in capital.items() if v}
    held = periods[-1].offset_years + periods[-1].years - periods[u].offset_years
    return Vintage(
        item=item_id,
        period=u,
        order_by=order_by,
        delivery=delivery,
        retires=add_years(delivery, served),
        late=order_by < today,
        lifetime_years=served,
        unit_price_usd=price,
        capital_usd=capital,
        annual_charge_usd=sum(v for k, v in charges.items() if k != "datacenter"),
        annual_site_charge_usd=charges.get("datacenter", 0.0),
        salvage_usd=sum(book_value_usd(v, held, r, lives[k]) for k, v in capital.items() if v),
        pay_period=pay_period(periods, u, order_by, s.periods.pay_at),
        active=active,
        site=tuple(range(u, len(periods))),
        nominal_lifetime_years=life,
    )


# ------------------------------------------------------------------------------ building


@dataclass(frozen=True)
class PeriodInputs:
    """What every build of the periodic model shares, whatever its fabric: the grid, budgets, each
    period's scenario and its candidate lines (least unit costs, dominated items dropped)."""

    periods: tuple[Period, ...]
    total_budget_usd: float
    budgets_usd: list[float | None]
    scenarios: list[Scenario]
    caps: list[Any]
    dominated: dict[str, str]
    today: dt.date


def prepare_periods(s: Scenario, catalog: Catalog, today: dt.date | None = None) -> PeriodInputs:
    """Validate the per-item tables against the catalog and compute the :class:`PeriodInputs`."""
    check_keys(s, catalog)
    periods = grid(s.periods)
    if not periods:
        raise ScenarioError("the scenario has no periods (set periods.start, periods.count and periods.length_years)", field="periods")
    total_budget, caps_t = budgets(s, periods)
    scenarios = [period_scenario(s, p, total_budget) for p in periods]
    caps = [least_unit_costs(owned_and_rented(st, catalog), st) for st in scenarios]
    drop = periodic_dominated(s, catalog, caps)
    kept = [c.drop(index=list(drop)) for c in caps]
    return PeriodInputs(periods, total_budget, caps_t, scenarios, kept, drop, today or s.periods.as_of or dt.date.today())


def build_periodic(
    s: Scenario, catalog: Catalog, *, today: dt.date | None = None, fabric_tiers: int | None = None, inputs: PeriodInputs | None = None
) -> PeriodicModel:
    """The model over the periods of ``s`` (see module doc), without solving; ``inputs`` from
    :func:`prepare_periods` when several builds share them."""
    inp = inputs or prepare_periods(s, catalog, today)
    periods, scenarios, total_budget, caps_t, drop, today = (
        inp.periods,
        inp.scenarios,
        inp.total_budget_usd,
        inp.budgets_usd,
        inp.dominated,
        inp.today,
    )
    sense = pulp.LpMaximize if s.objective == "max-progress" else pulp.LpMinimize
    problem = pulp.LpProblem("periodic_plan", sense)
    models = [
        _period_model(problem, st, c, t, total_budget, fabric_tiers) for t, (st, c) in enumerate(zip(scenarios, inp.caps, strict=True))
    ]
    vintages, orders, lots, lot_links, unavailable = _orders(s, catalog, models, periods, today)
    for con in lot_links:
        problem += con
    _fleet_links(problem, models, vintages, orders)
    _power(problem, models, vintages, orders)
    moves = _role_changes(problem, s, models, orders)
    pm = PeriodicModel(
        scenario=s,
        catalog=catalog,
        periods=periods,
        scenarios=scenarios,
        models=models,
        problem=problem,
        orders=orders,
        lots=lots,
        vintages=vintages,
        cost_musd=[],
        cash_musd=[],
        amortised_musd=[],
        opex_musd=[],
        fabric_paid_musd=[],
        salvage_musd=pulp.LpAffineExpression(),
        progress=pulp.LpAffineExpression(),
        net_cost_musd=pulp.LpAffineExpression(),
        budgets_usd=caps_t,
        unavailable=unavailable,
        dominated=drop,
        today=today,
        role_moves=moves,
    )
    _costs(pm)
    _budget(pm, total_budget)
    _objective_terms(pm)
    return pm


def check_keys(s: Scenario, catalog: Catalog) -> None:
    """Every key of the per-item tables names something the catalog holds (a typo would silently
    drop a quote or a lifetime): catalog ids for ``lead_time_weeks`` and ``quotes``; ids, kinds or
    categories (or a default's key) for ``lifetime_years``, ``price_decline_per_year`` and ``role_change_usd``."""
    from .scenario import default_dict

    items = catalog.items
    ids = set(items.index.astype(str))
    groups = ids | set(items["kind"].astype(str)) | set(items["category"].astype(str))
    defaults = default_dict().get("periods", {})
    tables: dict[str, tuple[Any, set[str], str]] = {
        "lead_time_weeks": (s.periods.lead_time_weeks, ids, "an id"),
        "quotes": (s.periods.quotes, ids, "an id"),
        "lifetime_years": (s.periods.lifetime_years, groups | set(defaults.get("lifetime_years") or {}), "an id, kind or category"),
        "price_decline_per_year": (
            s.periods.price_decline_per_year,
            groups | set(defaults.get("price_decline_per_year") or {}),
            "an id, kind or category",
        ),
        "role_change_usd": (s.periods.role_change_usd, groups, "an id, kind or category"),
    }
    for name, (table, known, what) in tables.items():
        unknown = sorted(set(table) - known)
        if unknown:
            hint = did_you_mean(unknown[0], sorted(known)) or " (plan catalog list shows them)"
            raise ScenarioError(f"{unknown[0]!r} is not {what} of the catalog{hint}", field=f"periods.{name}")


def _period_model(
    problem: pulp.LpProblem, st: Scenario, caps: Any, t: int, total_budget_usd: float, fabric_tiers: int | None = None
) -> BuiltModel:
    """Period t's one-period model, its variables renamed ``t<t>_`` and its constraints added to
    ``problem``; its budget is left out (the periodic model sets it) but bounds every count:
    ``unit_cost_usd`` there is the least a unit in service costs in the period in either view,
    its opex plus the smaller of its capital and its level charge for the period's length."""
    try:
        curve = speedup_curve(st)
    except ValueError as exc:
        raise ScenarioError(str(exc), field="agents") from None
    inp = ModelInput(
        scenario=st,
        caps=caps,
        curve=curve,
        budget_usd=total_budget_usd,
        power_cap_kw=st.facility.power_cap_kw,
        alpha_floor=st.alpha_floor,
        objective=st.objective,
        stage="cost",
        fabric_tiers=fabric_tiers,
    )
    m = build_model(inp)
    for v in m.lots.values():  # in a periodic plan the order multiple applies to orders, not to a period's roles
        v.cat = pulp.LpContinuous
    for v in m.problem.variables():
        v.name = f"t{t}_{v.name}"
    for name, info in m.constraints.items():
        if info.family in ("budget", "power"):  # the periodic model sets both (_budget, _power)
            continue
        con = info.constraint
        expr = pulp.LpAffineExpression([(v, c) for v, c in con.items()])
        expr.constant = con.constant
        problem += pulp.LpConstraint(expr, con.sense, f"t{t}_{name}")
    return m


def periodic_dominated(s: Scenario, catalog: Catalog, caps: list[Any]) -> dict[str, str]:
    """Items another item beats in every period, on capital and on opex apart (so in either view
    and for every vintage), that arrives no later, lives no shorter, gets no dearer on its price
    path and has no quote: ``{dropped: dominating}`` (:func:`planner.stages.dominated` per period)."""
    found: dict[str, str] | None = None
    by_family = s.procurement.one_training_family
    for c in caps:
        for part in (CAPITAL_COMPONENTS, OPEX_COMPONENTS):
            view = c.assign(unit_cost_usd=c[[f"{k}_usd" for k in part]].sum(axis=1))
            pairs = dominated(view, by_family=by_family)
            found = pairs if found is None else {a: b for a, b in found.items() if pairs.get(a) == b}
    rows = caps[0].to_dict("index")
    lead = catalog.items["lead_time_weeks"] if "lead_time_weeks" in catalog.items.columns else None

    def weeks(i: str) -> float:
        return lead_time_weeks(s, i, None if lead is None else lead.get(rows[i]["base_id"]))

    return {
        a: b
        for a, b in (found or {}).items()
        if a in rows
        and b in rows
        and weeks(a) >= weeks(b)
        and lifetime_years(s, rows[a]) <= lifetime_years(s, rows[b])
        and decline_per_year(s, rows[a]) <= decline_per_year(s, rows[b])
        and a not in s.periods.quotes
        and b not in s.periods.quotes
    }


def least_unit_costs(caps: Any, st: Scenario) -> Any:
    """``caps`` with ``unit_cost_usd`` of owned lines a lower bound on what one unit in service
    costs in the period in either view: opex + capital x min(1, CRF(r, L_max) x years), with
    L_max the longest lifetime any capital component may have; opex alone for a line whose price
    may fall below the catalog's (a price decline or a quote)."""
    c, p = st.costs, st.periods
    longest = max([c.lifetime_years, c.datacenter_lifetime_years, *p.lifetime_years.values()])
    share = min(1.0, capital_recovery_factor(c.cost_of_capital, longest) * st.horizon_years)
    out = caps.copy()
    for item_id, row in caps.iterrows():
        if row["mode"] != "own":
            continue
        opex = sum(float(row[f"{k}_usd"]) for k in OPEX_COMPONENTS)
        capital = sum(float(row[f"{k}_usd"]) for k in CAPITAL_COMPONENTS)
        falls = decline_per_year(st, row.to_dict()) > 0 or str(item_id) in p.quotes
        out.at[item_id, "unit_cost_usd"] = opex if falls else opex + capital * share
    return out


def _orders(
    s: Scenario, catalog: Catalog, models: list[BuiltModel], periods: tuple[Period, ...], today: dt.date
) -> tuple[
    dict[tuple[str, int], Vintage],
    dict[tuple[str, int], pulp.LpVariable],
    dict[tuple[str, int], pulp.LpVariable],
    list[pulp.LpConstraint],
    dict[str, int | None],
]:
    """One vintage and one order variable per owned item and delivery period it can make: integer
    units, or whole lots of the item's ``order_multiple`` (``o = multiple x lots``, integer lots,
    ``o`` continuous)."""
    vintages: dict[tuple[str, int], Vintage] = {}
    orders: dict[tuple[str, int], pulp.LpVariable] = {}
    lots: dict[tuple[str, int], pulp.LpVariable] = {}
    lot_links: list[pulp.LpConstraint] = []
    unavailable: dict[str, int | None] = {}
    owned = sorted({i for m in models for i, row in m.inp.rows.items() if row["mode"] == "own"})
    for item_id in owned:
        first: int | None = None
        for u, m in enumerate(models):
            row = m.inp.rows.get(item_id)
            if row is None:
                continue
            v = vintage(s, catalog, row, periods, u, today)
            if v.late and not s.procurement.allow_late:
                continue
            first = u if first is None else first
            vintages[(item_id, u)] = v
            multiple = int(row["order_multiple"])
            # in lots, o = multiple x lots is whole through its integer lots and stays continuous, so that
            # each stage of the staged solve relaxes it with the lots (relax_and_fix)
            cat = pulp.LpContinuous if multiple > 1 else pulp.LpInteger
            orders[(item_id, u)] = pulp.LpVariable(f"o_{_key(item_id)}_{u}", lowBound=0, cat=cat)
            if multiple > 1:
                lot = pulp.LpVariable(f"ok_{_key(item_id)}_{u}", lowBound=0, cat=pulp.LpInteger)
                lots[(item_id, u)] = lot
                lot_links.append(
                    pulp.LpConstraint(orders[(item_id, u)] - multiple * lot, pulp.LpConstraintEQ, f"order_lots_{_key(item_id)}_{u}", 0)
                )
        if first != 0:
            unavailable[item_id] = first
    return vintages, orders, lots, lot_links, unavailable


def _fleet_links(
    problem: pulp.LpProblem, models: list[BuiltModel], vintages: dict[tuple[str, int], Vintage], orders: dict[tuple[str, int], Any]
) -> None:
    """Units in roles = units in service, per owned item and period."""
    for t, m in enumerate(models):
        lines: dict[str, list[pulp.LpVariable]] = {}
        for (i, _), v in m.count.items():
            if m.inp.rows[i]["mode"] == "own":
                lines.setdefault(i, []).append(v)
        for item_id, counts in sorted(lines.items()):
            serving = [orders[k] for k, vt in vintages.items() if k[0] == item_id and t in vt.active]
            problem += pulp.LpConstraint(pulp.lpSum(counts) - pulp.lpSum(serving), pulp.LpConstraintLE, f"fleet_{_key(item_id)}_t{t}", 0)


def _power(
    problem: pulp.LpProblem, models: list[BuiltModel], vintages: dict[tuple[str, int], Vintage], orders: dict[tuple[str, int], Any]
) -> None:
    """Facility power per period (kW), where a cap is set: every owned unit in service draws its
    ``facility_kw``, in a role or idle (an idle unit is powered, as its energy is charged), and
    rented lines draw theirs per unit in a role:
    ``sum_s w_s sum_{u active in t} o[s, u] + sum_{rented} w n[t] <= W_t``."""
    for t, m in enumerate(models):
        cap_kw = m.inp.power_cap_kw
        if cap_kw is None:
            continue
        rows = m.inp.rows
        terms = [(v, float(rows[i]["facility_kw"])) for (i, _), v in m.count.items() if rows[i]["mode"] != "own"]
        terms += [(o, float(models[k[1]].inp.rows[k[0]]["facility_kw"])) for k, o in orders.items() if t in vintages[k].active]
        _report_row(problem, m, "power", _terms(terms), cap_kw, f"t{t}_power", "facility power of the units in service <= cap", "kW")


def _report_row(
    problem: pulp.LpProblem, m: BuiltModel, name: str, lhs: pulp.LpAffineExpression, rhs: float, row: str, description: str, unit: str
) -> None:
    """Add ``lhs <= rhs`` to the periodic ``problem`` as ``row`` and make it the row period model
    ``m`` reports as ``name`` (its constraint table and binding constraints), in place of the
    one-period row the periodic model left out."""
    con = pulp.LpConstraint(lhs, pulp.LpConstraintLE, row, rhs)
    problem += con
    rhs_e = pulp.LpAffineExpression(rhs)
    m.constraints[name] = ConstraintInfo(name, name, con, lhs, "<=", rhs_e, description, unit)


def _role_changes(
    problem: pulp.LpProblem, s: Scenario, models: list[BuiltModel], orders: dict[tuple[str, int], Any]
) -> dict[tuple[str, int], tuple[pulp.LpVariable, float]]:
    """Units moved into a role, per owned item with a role-change cost and period t >= 1:
    ``e[t, r] >= n[t, r] - n[t-1, r]`` (units entering role r, ``e >= 0``) and
    ``M[t] >= sum_r e[t, r] - o[t]``, ``M >= 0``: the entrants that are not new deliveries came
    from another role or from idle. A positive cost drives ``M`` to that least number. Returns
    ``{(item, t): (M, USD per unit)}``."""
    out: dict[tuple[str, int], tuple[pulp.LpVariable, float]] = {}
    for t in range(1, len(models)):
        now, before = models[t], models[t - 1]
        items = sorted({i for (i, _) in now.count if now.inp.rows[i]["mode"] == "own"})
        for item_id in items:
            rate = role_change_usd(s, now.inp.rows[item_id])
            if rate <= 0:
                continue
            key = _key(item_id)
            entering = []
            for (i, role), n in sorted(now.count.items()):
                if i != item_id:
                    continue
                e = pulp.LpVariable(f"x_enter_{key}_{role}_{t}", lowBound=0)
                problem += pulp.LpConstraint(e - n + before.count.get((i, role), 0), pulp.LpConstraintGE, f"enter_{key}_{role}_t{t}", 0)
                entering.append(e)
            moved = pulp.LpVariable(f"x_moved_{key}_{t}", lowBound=0)
            delivered = orders.get((item_id, t), 0)
            problem += pulp.LpConstraint(moved - pulp.lpSum(entering) + delivered, pulp.LpConstraintGE, f"moved_{key}_t{t}", 0)
            out[(item_id, t)] = (moved, rate)
    return out


def opex_per_unit_usd(pm: PeriodicModel, row: dict[str, Any], p: Period) -> float:
    """Operating cost of one unit over period ``p`` (every opex component at the period's length
    and electricity price); a reviewer's labour moves along the audit price path from the date of
    its hourly rate to the period's start. A rented line pays its rental."""
    if row["mode"] != "own":
        return float(row["unit_cost_usd"])
    labour = float(row["labour_usd"])
    if labour:
        labour *= price_factor(pm.scenario, pm.catalog, row, p.start, "usd_per_hour")
    return sum(float(row[f"{k}_usd"]) for k in OPEX_COMPONENTS if k != "labour") + labour


def _costs(pm: PeriodicModel) -> None:
    """Per-period cash, amortised and opex expressions (MUSD), the fabric and the salvage."""
    s, periods = pm.scenario, pm.periods
    cash: list[list[Any]] = [[] for _ in periods]
    amortised: list[list[Any]] = [[] for _ in periods]
    opex: list[list[Any]] = [[] for _ in periods]
    for t, m in enumerate(pm.models):
        for (i, _), v in m.count.items():
            if m.inp.rows[i]["mode"] != "own":
                opex[t].append((v, opex_per_unit_usd(pm, m.inp.rows[i], periods[t]) / MUSD))
    for key, vt in pm.vintages.items():
        for t in vt.active:
            opex[t].append((pm.orders[key], opex_per_unit_usd(pm, pm.models[t].inp.rows[key[0]], periods[t]) / MUSD))
    for (_, t), (moved, rate) in pm.role_moves.items():
        opex[t].append((moved, rate / MUSD))
    salvage = []
    for key, vt in pm.vintages.items():
        o = pm.orders[key]
        cash[vt.pay_period].append((o, sum(vt.capital_usd.values()) / MUSD))
        for t in vt.active:
            amortised[t].append((o, vt.annual_charge_usd * periods[t].years / MUSD))
        for t in vt.site:
            amortised[t].append((o, vt.annual_site_charge_usd * periods[t].years / MUSD))
        if vt.salvage_usd > 0:
            salvage.append((o, vt.salvage_usd / MUSD))
    fabric_cash, fabric_amortised = _fabric(pm)
    pm.opex_musd = [_terms(x) for x in opex]
    pm.cash_musd = [_terms(cash[t] + opex[t]) + fabric_cash[t] for t in range(len(periods))]
    pm.amortised_musd = [_terms(amortised[t] + opex[t]) + fabric_amortised[t] for t in range(len(periods))]
    pm.fabric_paid_musd = fabric_cash
    pm.cost_musd = pm.cash_musd if s.costs.view == "cash" else pm.amortised_musd
    pm.salvage_musd = _terms(salvage) if s.costs.view == "cash" and s.periods.salvage else pulp.LpAffineExpression()


def _terms(terms: list[tuple[Any, float]]) -> pulp.LpAffineExpression:
    """Sum of ``coefficient x variable`` terms, a variable's coefficients added (a plain
    LpAffineExpression of a list keeps only the last coefficient of a repeated variable)."""
    out: dict[Any, float] = {}
    for v, c in terms:
        out[v] = out.get(v, 0.0) + c
    return pulp.LpAffineExpression(list(out.items()))


def _fabric(pm: PeriodicModel) -> tuple[list[pulp.LpAffineExpression], list[pulp.LpAffineExpression]]:
    """The three-tier uplift: cash on the peak of the per-period uplifts x_t, amortised on each x_t."""
    c = pm.scenario.costs
    crf = capital_recovery_factor(c.cost_of_capital, c.lifetime_years)
    cash, amortised, peak_prev = [], [], None
    for t, m in enumerate(pm.models):
        x = m.fabric.get("network_extra")
        if x is None:
            cash.append(pulp.LpAffineExpression())
            amortised.append(pulp.LpAffineExpression())
            continue
        peak = pulp.LpVariable(f"x_fabric_peak_{t}", lowBound=0)
        pm.problem += pulp.LpConstraint(peak - x, pulp.LpConstraintGE, f"fabric_peak_t{t}", 0)
        if peak_prev is not None:
            pm.problem += pulp.LpConstraint(peak - peak_prev, pulp.LpConstraintGE, f"fabric_peak_grows_t{t}", 0)
        cash.append(pulp.LpAffineExpression(peak) - (peak_prev if peak_prev is not None else 0))
        amortised.append(pulp.LpAffineExpression([(x, crf * pm.periods[t].years)]))
        peak_prev = peak
    return cash, amortised


BUDGET_MARGIN_USD = 1.0  # each budget row is held this far below the cap, above the solvers' feasibility tolerance


def _budget(pm: PeriodicModel, total_budget_usd: float) -> None:
    """Total, per-period or carried-forward budget on the view's cost (MUSD); salvage is not money
    to spend. Each row's right-hand side is the cap less :data:`BUDGET_MARGIN_USD`: the solvers
    accept rows violated by their feasibility tolerance (about 1e-7 MUSD, USD 0.10), and a plan
    solved against the cap itself came out cents above it (USD 266,200,000.15 against 266,200,000)."""
    s, cost = pm.scenario, pm.cost_musd

    def cap_musd(usd: float) -> float:
        return max(usd - BUDGET_MARGIN_USD, 0.0) / MUSD

    if all(b is None for b in pm.budgets_usd):
        pm.problem += pulp.LpConstraint(pulp.lpSum(cost), pulp.LpConstraintLE, "budget", cap_musd(total_budget_usd))
        for m in pm.models:  # no period has a budget of its own
            m.constraints.pop("budget", None)
        return
    spent, allowed = pulp.LpAffineExpression(), 0.0
    for t, (b, m) in enumerate(zip(pm.budgets_usd, pm.models, strict=True)):
        if s.periods.carry_forward:
            spent, allowed = spent + cost[t], allowed + float(b or 0.0)
            _report_row(pm.problem, m, "budget", spent, cap_musd(allowed), f"budget_t{t}", "spend to date <= budget to date", "MUSD")
        else:
            cap = cap_musd(float(b or 0.0))
            _report_row(pm.problem, m, "budget", cost[t], cap, f"budget_t{t}", "spend in the period <= its budget", "MUSD")


def _objective_terms(pm: PeriodicModel) -> None:
    r = pm.scenario.costs.cost_of_capital
    d = [discount_factor(r, p.offset_years) for p in pm.periods]
    end = pm.periods[-1].offset_years + pm.periods[-1].years
    pm.net_cost_musd = pulp.lpSum(dt_ * c for dt_, c in zip(d, pm.cost_musd, strict=True)) - discount_factor(r, end) * pm.salvage_musd
    if pm.scenario.objective == "max-progress":
        pm.progress = pulp.lpSum(dt_ * m.flow.P for dt_, m in zip(d, pm.models, strict=True))


# ------------------------------------------------------------------------------ solving


@dataclass(frozen=True)
class PeriodicSolve:
    """How the periodic plan was solved: status, seconds, the plan's objective (the score
    maximised: discounted progress less the cost weight x net present cost, or minus the net
    present cost), the LP relaxation's bound on it, the gap between them and the fabric chosen."""

    status: SolveStatus
    solver: str
    seconds: float
    objective: float | None
    bound: float | None
    gap: float | None  # (bound - objective) / |bound|: the plan is proven within this of the best
    fabric_tiers: int | None
    steps: int  # MILPs solved


COST_TIE_BREAK = 1e-3  # max-progress: the whole budget is worth at most this share of the plan's progress


def score(pm: PeriodicModel) -> pulp.LpAffineExpression:
    """The scenario's objective, maximised: ``sum_t d_t P_t - w x NPC`` (max-progress, ``w`` =
    ``procurement.min_progress_per_musd``) or ``-NPC`` (min-cost)."""
    if pm.scenario.objective == "max-progress":
        return pm.progress - pm.scenario.procurement.min_progress_per_musd * pm.net_cost_musd
    return -1.0 * pm.net_cost_musd


def set_objective(pm: PeriodicModel, bound: float | None) -> None:
    """Maximise :func:`score` less a cost tie-break: ``e x NPC`` with ``e = COST_TIE_BREAK x
    max(bound, 1) / budget (MUSD)`` for max-progress, so that spending the whole budget is worth
    at most 0.1% of the plan's progress (the one-period plan's lexicographic cost stage as one
    weighted objective): money buys progress first, and spending that buys none is avoided up to
    each stage's MIP gap."""
    if bound is not None and pm.scenario.objective == "max-progress":
        budget_musd = sum(b or 0.0 for b in pm.budgets_usd) or pm.scenario.budget_usd
        pm.tie_break_per_musd = COST_TIE_BREAK * max(abs(bound), 1.0) / max(budget_musd / MUSD, 1e-9)
    pm.problem.sense = pulp.LpMaximize
    pm.problem.setObjective(score(pm) - pm.tie_break_per_musd * pm.net_cost_musd)


STAGE_YEARS = 1.0  # coarse stages: the periods starting within one year of the plan's start, then the next year's, ...


def operations(pm: PeriodicModel, t: int) -> list[pulp.LpVariable]:
    """Period t's operating integers: units per role ``n`` and whole agents ``A``."""
    m = pm.models[t]
    return [*m.count.values(), m.flow.A]


def _orders_at(pm: PeriodicModel, t: int) -> list[pulp.LpVariable]:
    """The integers of the orders delivered at period t's start: whole lots where the item comes in lots."""
    return [pm.lots.get(k, o) for k, o in pm.orders.items() if k[1] == t]


def decisions(pm: PeriodicModel, t: int) -> list[pulp.LpVariable]:
    """Period t's integers fixed step by step: orders delivered at its start (in lots) and the
    period's replicas, purchase flags and training-family flags."""
    m = pm.models[t]
    ops = {v.name for v in operations(pm, t)} | {v.name for v in m.lots.values()}
    own = [v for v in m.problem.variables() if v.cat == pulp.LpInteger and v.name not in ops]
    return own + _orders_at(pm, t)


def coarse_stages(pm: PeriodicModel) -> list[list[pulp.LpVariable]]:
    """One stage per :data:`STAGE_YEARS` of periods (by their start): the orders delivered in those
    periods (in lots) and their training-family flags, the choices that carry into later periods
    or decide what is ordered."""
    stages: dict[int, list[pulp.LpVariable]] = {}
    for t, p in enumerate(pm.periods):
        window = math.floor(p.offset_years / STAGE_YEARS + 1e-3)  # twelve months of 0.0833 years make a year
        stages.setdefault(window, []).extend([*_orders_at(pm, t), *pm.models[t].family.values()])
    return list(stages.values())


def stage_plan(pm: PeriodicModel, *, coarse: bool) -> tuple[list[list[pulp.LpVariable]], list[pulp.LpVariable]]:
    """The staged solve's integers, in order: the stages (coarse: :func:`coarse_stages`; fine:
    period t's :func:`decisions` for each t) and the final MILP's, every integer of the model in
    no stage (role counts and agents; coarse, also replicas and purchase flags)."""
    stages = coarse_stages(pm) if coarse else [decisions(pm, t) for t in range(len(pm.models))]
    staged = {v.name for stage in stages for v in stage}
    final = [v for v in pm.problem.variables() if v.cat == pulp.LpInteger and v.name not in staged]
    return stages, final


def proven_gap(bound: float, found: float) -> float:
    """``(bound - found) / |bound|``, at least 0: how far the plan may be from the best one."""
    return max(0.0, (bound - found) / max(abs(bound), 1e-9))


def has_targets(pm: PeriodicModel) -> bool:
    """Whether any period has a positive target (training tokens, agents or speedup)."""
    return any(v for st in pm.scenarios for v in (st.targets.training_tokens, st.targets.agents, st.targets.speedup))


def relax_and_fix(pm: PeriodicModel, bound: float) -> PeriodicSolve:
    """Solve ``pm`` in stages (relax-and-fix, the rolling-horizon heuristic of lot-sizing), given
    the LP relaxation's ``bound`` on :func:`score` (:func:`lp_bound`).

    Without targets or role-change costs, first in coarse stages (:func:`stage_plan`: a year of
    orders and training families per stage, every other integer in the final MILP); when those
    find no whole-unit plan, again from the model as built in fine stages, every integer decision
    of one period per stage. With a target, or a cost on role changes, in fine stages at once:
    orders sized to a target in the coarse stages cover fractional replicas and lines under their
    minimum order, and the final MILP then misses the target; a role-change cost links each
    period's roles to the period before, which the coarse stages leave to one final MILP over
    every period (23 s in CBC on the multi-year example at USD 600M a year and USD 1M a move,
    against 2.4 s in fine stages). The result is a plan, not a proof of optimality: its ``gap``
    against the LP bound is the proven one."""
    if has_targets(pm) or pm.role_moves:
        return _staged(pm, bound, *stage_plan(pm, coarse=False))
    built = [(v, v.cat, v.lowBound, v.upBound) for v in pm.problem.variables()]
    coarse = _staged(pm, bound, *stage_plan(pm, coarse=True))
    if coarse.objective is not None:
        return coarse
    for v, cat, low, up in built:
        v.cat, v.lowBound, v.upBound = cat, low, up
    fine = _staged(pm, bound, *stage_plan(pm, coarse=False))
    return dataclasses.replace(fine, seconds=coarse.seconds + fine.seconds, steps=coarse.steps + fine.steps)


def _staged(pm: PeriodicModel, bound: float, stages: list[list[pulp.LpVariable]], final: list[pulp.LpVariable]) -> PeriodicSolve:
    """Relax-and-fix over ``stages`` then ``final``:

    1. every staged and final integer relaxed; for each stage in turn, its integers integer, later
       stages' relaxed, earlier ones fixed: a MILP at ``periods.mip_gap``, then its integers fixed
       at their values;
    2. the ``final`` integers integer, every stage fixed: the final MILP."""
    s = pm.scenario
    for v in final + [v for stage in stages for v in stage]:
        v.cat = pulp.LpContinuous
    set_objective(pm, bound)
    status, seconds, steps = SolveStatus.OPTIMAL, 0.0, 0
    with cached_mps(pm.problem) if s.solver == "cbc" else contextlib.nullcontext():  # stages change bounds and integrality only
        for group in [*stages, final]:
            for v in group:
                v.cat = pulp.LpInteger
            r = solve(pm.problem, s.solver, gap_rel=s.periods.mip_gap)
            seconds, steps = seconds + r.seconds, steps + 1
            if r.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
                return PeriodicSolve(r.status, r.solver, seconds, None, bound, None, None, steps)
            status = worst_status(status, r.status)
            if group is not final:
                for v in group:
                    v.lowBound = v.upBound = round(v.varValue or 0.0)
    trim_idle_orders(pm)
    found = solved_value(score(pm))
    gap = proven_gap(bound, found)
    return PeriodicSolve(status if gap <= s.periods.mip_gap else SolveStatus.FEASIBLE, s.solver, seconds, found, bound, gap, None, steps)


def trim_idle_orders(pm: PeriodicModel) -> bool:
    """Cut from the solved plan's orders the whole lots that would stand idle in every period they
    serve, latest delivery first (values and bounds); True when any order was cut.

    With ``slack_t = sum_{u active in t} o_u - sum_roles n_t`` (units of the item in service and
    in no role), the order delivered in ``u`` loses ``k x multiple`` units, the most whole lots
    with ``k x multiple <= min(o_u, min_{t active} slack_t)``, and each ``slack_t`` of its active
    periods falls by as much; an item with a role-change cost also keeps its role-change row
    (:func:`_moved_slack`), so units entering a role are not recounted as moved. Orders enter
    the model only in those rows, the fleet rows (every role count still fits), the lot rows
    (kept whole) and, with positive coefficients, in cost, power and budget rows, so the plan
    stays feasible; its net present cost falls (a unit's discounted salvage is less than its
    discounted price) at the same progress."""
    cut_any, placed = False, orders_placed(pm)
    for item_id in sorted({i for i, _ in placed}):
        slack = {t: in_service(pm, placed, item_id, t) - _in_roles(pm, item_id, t) for t in range(len(pm.models))}
        for u in sorted((u for i, u in pm.orders if i == item_id), reverse=True):
            order, active = pm.orders[(item_id, u)], pm.vintages[(item_id, u)].active
            quantity = round(order.varValue or 0.0)
            lot = pm.lots.get((item_id, u))
            multiple = int(pm.models[u].inp.rows[item_id]["order_multiple"]) if lot is not None else 1
            free = min([quantity, _moved_slack(pm, item_id, u), *(slack[t] for t in active)])
            cut = int(free // multiple) * multiple if free > 0 else 0
            if cut <= 0:
                continue
            cut_any = True
            for v, value in ((order, quantity - cut), (lot, (quantity - cut) // multiple)):
                if v is not None:
                    v.lowBound = v.upBound = v.varValue = value
            for t in active:
                slack[t] -= cut
    return cut_any


def _moved_slack(pm: PeriodicModel, item_id: str, u: int) -> float:
    """How far the order delivered in ``u`` can fall before its units' role-change row
    (``M_u - sum_r e_{u,r} + o_u >= 0``, :func:`_role_changes`) needs more units moved: the row's
    solved value; unbounded when the item has no role-change cost."""
    if (item_id, u) not in pm.role_moves:
        return math.inf
    return solved_value(pm.problem.constraints[f"moved_{_key(item_id)}_t{u}"])


def orders_placed(pm: PeriodicModel) -> dict[tuple[str, int], int]:
    """Units ordered per (item, delivery period), whole units, zero orders left out."""
    out = {k: round(solved_value(o)) for k, o in pm.orders.items()}
    return {k: q for k, q in out.items() if q > 0}


def in_service(pm: PeriodicModel, placed: dict[tuple[str, int], int], item_id: str, t: int) -> int:
    """Owned units of ``item_id`` in service in period t: delivered and not yet retired."""
    return sum(q for (i, u), q in placed.items() if i == item_id and t in pm.vintages[(i, u)].active)


def _in_roles(pm: PeriodicModel, item_id: str, t: int) -> int:
    """Units of an item serving a role in period t, from the solved role counts."""
    return sum(round(v.varValue or 0.0) for (i, _), v in pm.models[t].count.items() if i == item_id)


EXACT_MAX_INTEGERS = 150  # a model with at most this many integers is solved as one MILP (tiny cases: exact, hand-checkable)


def solve_exact(pm: PeriodicModel, bound: float) -> PeriodicSolve:
    """The whole MILP at once, proven within ``periods.mip_gap`` (small models only), then
    :func:`trim_idle_orders`."""
    s = pm.scenario
    set_objective(pm, bound)
    r = solve(pm.problem, s.solver, gap_rel=s.periods.mip_gap)
    if r.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return PeriodicSolve(r.status, r.solver, r.seconds, None, bound, None, None, 1)
    trim_idle_orders(pm)
    found = solved_value(score(pm))
    return PeriodicSolve(r.status, r.solver, r.seconds, found, bound, proven_gap(bound, found), None, 1)


def solve_one(pm: PeriodicModel, bound: float | None) -> PeriodicSolve:
    """No plan when the relaxation has none (``bound`` None); else :func:`solve_exact` for a model
    with at most :data:`EXACT_MAX_INTEGERS` integers, :func:`relax_and_fix` for a larger one."""
    if bound is None:
        return PeriodicSolve(SolveStatus.INFEASIBLE, pm.scenario.solver, 0.0, None, None, None, None, 1)
    integers = sum(1 for v in pm.problem.variables() if v.cat == pulp.LpInteger)
    return solve_exact(pm, bound) if integers <= EXACT_MAX_INTEGERS else relax_and_fix(pm, bound)


def lp_bound(pm: PeriodicModel) -> tuple[float | None, float]:
    """The LP relaxation's :func:`score` (None when it has no solution) and the seconds it took;
    the model is left as built."""
    ints = [v for v in pm.problem.variables() if v.cat == pulp.LpInteger]
    for v in ints:
        v.cat = pulp.LpContinuous
    tie, pm.tie_break_per_musd = pm.tie_break_per_musd, 0.0
    set_objective(pm, None)
    r = solve(pm.problem, pm.scenario.solver)
    pm.tie_break_per_musd = tie
    for v in ints:
        v.cat = pulp.LpInteger
    return (r.objective if r.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else None), r.seconds


def best_bound_first(bound: float | None) -> float:
    """Sort key of a fabric case by its LP bound on the score (maximised): the highest bound
    first, a case without a relaxed plan (None) last."""
    return math.inf if bound is None else -bound


def solve_periods(s: Scenario, catalog: Catalog, *, today: dt.date | None = None) -> tuple[PeriodicModel, PeriodicSolve]:
    """Build and solve the periodic plan. When the owned fleet may outgrow a two-tier fabric, the
    fabric is one choice for the whole plan, and the two cases are built apart (a binary per
    period with big-Ms leaves the LP bound weak): the case with the better LP bound is solved
    first, the other only when its bound beats that plan by more than the MIP gap."""
    inputs = prepare_periods(s, catalog, today)
    three = build_periodic(s, catalog, fabric_tiers=3, inputs=inputs)
    if not any(m.fabric for m in three.models):
        bound, lp_s = lp_bound(three)
        r = solve_one(three, bound)
        return three, dataclasses.replace(r, seconds=r.seconds + lp_s)
    two = build_periodic(s, catalog, fabric_tiers=2, inputs=inputs)
    bounds = [(*lp_bound(pm), tiers, pm) for tiers, pm in ((3, three), (2, two))]
    cases = sorted(((b, tiers, pm) for b, _, tiers, pm in bounds), key=lambda c: best_bound_first(c[0]))
    best: tuple[PeriodicModel, PeriodicSolve] | None = None
    first: tuple[PeriodicModel, PeriodicSolve] | None = None
    seconds, steps = sum(lp_s for _, lp_s, _, _ in bounds), 0
    for bound, tiers, pm in cases:
        if bound is None or (best is not None and bound <= (best[1].objective or 0.0) + s.periods.mip_gap * abs(bound)):
            break
        r = solve_one(pm, bound)
        seconds, steps = seconds + r.seconds, steps + r.steps
        first = first or (pm, r)
        if r.objective is not None and (best is None or r.objective > (best[1].objective or 0.0)):
            best = (pm, dataclasses.replace(r, fabric_tiers=tiers))
    if best is None:  # no relaxation, or no whole-unit plan of one
        return first or (three, solve_one(three, None))
    bound = max(b for b, _, _ in cases if b is not None)
    gap = proven_gap(bound, best[1].objective or 0.0)
    status = best[1].status if gap <= s.periods.mip_gap else SolveStatus.FEASIBLE
    return best[0], dataclasses.replace(best[1], status=status, seconds=seconds, steps=steps, bound=bound, gap=gap)


def _key(item_id: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in item_id)
