"""Read a solved periodic model (:mod:`planner.periodic`) into a :class:`Plan`.

Each period's one-period model is read by :func:`planner.extract.extract` (its alpha, tokens,
agents, power, serving and limits); the money is the periodic model's (orders on their price
path, units in service until retirement, cash and amortised views). The top-level keys hold the
whole plan: costs, spend and tokens are sums over the periods, alpha is the share of exogenous
tokens in all tokens and ``alpha_floor`` the floors weighted by each period's tokens (so alpha >=
that floor whenever every period's alpha_t >= floor_t), power is the peak period's, and agents,
speedup, memory, training and serving describe the last period. ``items`` lists every owned item
once with all the units ordered and what they cost over the plan, and every rented line with its
peak count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from typing import Any

from . import __version__
from .costs import capital_recovery_factor, discount_factor
from .extract import REGIME_NOTES, extract, line_item, purchase_counts, regime
from .extract_costs import spend_by_mode
from .model.types import MUSD
from .periodic import PeriodicModel, PeriodicSolve, Vintage, in_service, lead_time_weeks, orders_placed, price_factor
from .result import (
    ROLES,
    CostUSD,
    CostView,
    FleetRow,
    LateItem,
    LineItem,
    Objective,
    OrderRow,
    PeriodCost,
    PeriodSection,
    Plan,
    PlanStatus,
    PowerKW,
    Progress,
    RoleChange,
    SolverInfo,
    Timings,
    Tokens,
)
from .solve import SolveResult, SolveStatus, solved_value
from .tco import CAPITAL_COMPONENTS, OPEX_COMPONENTS, PERIOD_COMPONENTS, PERIOD_OPEX_COMPONENTS, ROLE_CHANGE

Key = tuple[str, int]  # (item, delivery period)


def fleet(pm: PeriodicModel, t: int) -> dict[tuple[str, str], int]:
    """Units per (line, role) serving in period t."""
    return {k: q for k, q in purchase_counts(pm.models[t]).items() if q > 0}


def moved_units(now: dict[tuple[str, str], int], before: dict[tuple[str, str], int], delivered: int, item_id: str) -> int:
    """Units of ``item_id`` moved into a role between two periods' fleets (:func:`fleet`): those
    entering a role (``sum_r max(0, n[t, r] - n[t-1, r])``) less the ``delivered`` ones, at least 0."""
    entering = sum(max(0, q - before.get((i, r), 0)) for (i, r), q in now.items() if i == item_id)
    return max(0, entering - delivered)


def role_changes(pm: PeriodicModel, placed: dict[Key, int], t: int) -> tuple[RoleChange, ...]:
    """Period t's units moved into a role, per owned item with a role-change cost, and what they cost."""
    items = sorted(i for i, u in pm.role_moves if u == t)
    if not items:
        return ()
    now, before = fleet(pm, t), fleet(pm, t - 1)
    out = []
    for item_id in items:
        q = moved_units(now, before, placed.get((item_id, t), 0), item_id)
        if q:
            out.append(RoleChange(item_id, q, q * pm.role_moves[(item_id, t)][1]))
    return tuple(out)


def roles_of(counts: dict[tuple[str, str], int], item_id: str) -> dict[str, int]:
    return {r: q for (i, r), q in counts.items() if i == item_id}


def main_role(pm: PeriodicModel, item_id: str, t: int) -> str:
    """The role most of the item's units serve in period t (its category's usual role when idle)."""
    roles = roles_of(fleet(pm, t), item_id)
    if roles:
        return max(sorted(roles), key=lambda r: roles[r])
    category = str(pm.models[t].inp.rows[item_id]["category"])
    return {"accelerator": "training", "verification": "verification", "audit": "verification"}.get(category, "memory")


# ------------------------------------------------------------------------------ money by component


def capital_components_usd(pm: PeriodicModel, v: Vintage, t: int, view: str) -> dict[str, float]:
    """What one unit of vintage ``v`` charges period t by capital component: its cash in the period
    that pays for it (cash view), or its level charge ``capital_k x CRF(r, L_k) x years`` in every
    period it serves, the data-centre share from delivery to the plan's end (amortised)."""
    if view == "cash":
        return dict(v.capital_usd) if t == v.pay_period else {}
    c, years = pm.scenario.costs, pm.periods[t].years
    out = {}
    for k, x in v.capital_usd.items():
        site = k == "datacenter"
        if x and t in (v.site if site else v.active):
            out[k] = x * capital_recovery_factor(c.cost_of_capital, c.datacenter_lifetime_years if site else v.lifetime_years) * years
    return out


def opex_components_usd(pm: PeriodicModel, row: dict[str, Any], t: int) -> dict[str, float]:
    """One unit's operating cost in period t by component (see :func:`planner.periodic.opex_per_unit_usd`)."""
    if row["mode"] != "own":
        return {"rental": float(row["unit_cost_usd"])}
    out = {k: float(row[f"{k}_usd"]) for k in OPEX_COMPONENTS}
    if out.get("labour"):
        out["labour"] *= price_factor(pm.scenario, pm.catalog, row, pm.periods[t].start, "usd_per_hour")
    return out


def fabric_usd(pm: PeriodicModel, t: int, view: str) -> float:
    """The three-tier uplift charged in period t: the growth of its peak (cash) or the level charge
    of the uplift in service (amortised), as in :func:`planner.periodic._fabric`."""
    if view == "cash":
        return solved_value(pm.fabric_paid_musd[t]) * MUSD
    x = pm.models[t].fabric.get("network_extra")
    c = pm.scenario.costs
    return (
        solved_value(x) * MUSD * capital_recovery_factor(c.cost_of_capital, c.lifetime_years) * pm.periods[t].years
        if x is not None
        else 0.0
    )


@dataclasses.dataclass
class Ledger:
    """Money per period, item and role in one view (USD, undiscounted)."""

    by_period: list[dict[str, float]]  # component -> USD
    by_role: list[dict[str, float]]  # role -> USD (capital and opex)
    capex_by_role: list[dict[str, float]]
    opex_by_role: list[dict[str, float]]
    by_line: dict[str, dict[str, float]]  # line (owned: catalog id; rented: offer id) -> component -> USD


def ledger(pm: PeriodicModel, placed: dict[Key, int], view: str) -> Ledger:
    """Every charge of the plan in ``view``, by period, component, role and line. An owned item's
    charges in a period go to its roles in proportion to its units in each (its main role when
    idle); the fabric uplift to the accelerator roles alike; a rented line's to its own role."""
    n = len(pm.periods)
    led = Ledger(
        [defaultdict(float) for _ in range(n)],
        [defaultdict(float) for _ in range(n)],
        [defaultdict(float) for _ in range(n)],
        [defaultdict(float) for _ in range(n)],
        defaultdict(lambda: defaultdict(float)),
    )
    for t in range(n):
        counts = fleet(pm, t)
        moved_usd = {c.id: c.cost_usd for c in role_changes(pm, placed, t)}
        owned = sorted({i for (i, _) in placed})
        for item_id in owned:
            charges: dict[str, dict[str, float]] = {"capital": defaultdict(float), "opex": defaultdict(float)}
            for (i, u), q in placed.items():
                if i != item_id:
                    continue
                v = pm.vintages[(i, u)]
                for k, x in capital_components_usd(pm, v, t, view).items():
                    charges["capital"][k] += q * x
            serving = in_service(pm, placed, item_id, t)
            if serving:
                for k, x in opex_components_usd(pm, pm.models[t].inp.rows[item_id], t).items():
                    charges["opex"][k] += serving * x
            if item_id in moved_usd:
                charges["opex"][ROLE_CHANGE] += moved_usd[item_id]
            _book(led, t, _shares(pm, counts, item_id, t), charges, item_id)
        for (line, role), q in counts.items():
            row = pm.models[t].inp.rows[line]
            if row["mode"] == "own":
                continue
            rent = {k: q * x for k, x in opex_components_usd(pm, row, t).items()}
            _book(led, t, {role: 1.0}, {"capital": {}, "opex": rent}, line)
        _book_fabric(pm, led, t, counts, fabric_usd(pm, t, view))
    return led


def _book_fabric(pm: PeriodicModel, led: Ledger, t: int, counts: dict[tuple[str, str], int], uplift_usd: float) -> None:
    """The period's three-tier uplift, shared by the owned accelerator units serving in it (it is
    paid per owned device), to their lines and roles."""
    if not uplift_usd:
        return
    rows = pm.models[t].inp.rows
    devices = {
        k: q * float(rows[k[0]]["devices_per_unit"])
        for k, q in counts.items()
        if rows[k[0]]["category"] == "accelerator" and rows[k[0]]["mode"] == "own"
    }
    total = sum(devices.values())
    if not total:  # paid for a peak reached earlier (cash view): on the lines' main roles, by owned fleet
        _book(led, t, {"training": 1.0}, {"capital": {"network": uplift_usd}, "opex": {}}, None)
        return
    for (line, role), d in devices.items():
        _book(led, t, {role: 1.0}, {"capital": {"network": uplift_usd * d / total}, "opex": {}}, line)


def _shares(pm: PeriodicModel, counts: dict[tuple[str, str], int], item_id: str, t: int) -> dict[str, float]:
    roles = roles_of(counts, item_id)
    total = sum(roles.values())
    return {r: q / total for r, q in roles.items()} if total else {main_role(pm, item_id, t): 1.0}


def _book(led: Ledger, t: int, shares: dict[str, float], charges: dict[str, Any], line: str | None) -> None:
    for part, comps in charges.items():
        for k, x in comps.items():
            led.by_period[t][k] += x
            for role, share in shares.items():
                led.by_role[t][role] += share * x
                (led.capex_by_role if part == "capital" else led.opex_by_role)[t][role] += share * x
                if line is not None:
                    led.by_line[line][k] += share * x


def totals(comps: dict[str, float]) -> tuple[float, float]:
    """(capital, opex) of a component table."""
    return sum(comps.get(k, 0.0) for k in CAPITAL_COMPONENTS), sum(comps.get(k, 0.0) for k in PERIOD_OPEX_COMPONENTS)


# ------------------------------------------------------------------------------ sections


def salvage_usd(pm: PeriodicModel, placed: dict[Key, int]) -> float:
    """Book value at the plan's end of the units still in service (cash view)."""
    return sum(q * pm.vintages[k].salvage_usd for k, q in placed.items())


def cost_views(pm: PeriodicModel, placed: dict[Key, int], ledgers: dict[str, Ledger]) -> dict[str, CostView]:
    """Cash and amortised totals; ``present_value`` discounts each period's cost to the plan's start
    at the cost of capital and deducts the discounted salvage (cash view)."""
    r = pm.scenario.costs.cost_of_capital
    end = pm.periods[-1].offset_years + pm.periods[-1].years
    out = {}
    for view, led in ledgers.items():
        per = [totals(c) for c in led.by_period]
        salvage = salvage_usd(pm, placed) if view == "cash" else 0.0
        pv = sum(discount_factor(r, p.offset_years) * (a + b) for p, (a, b) in zip(pm.periods, per, strict=True))
        pv -= discount_factor(r, end) * salvage if pm.scenario.periods.salvage else 0.0
        capex, opex = sum(a for a, _ in per), sum(b for _, b in per)
        out[view] = CostView(capex=capex, opex=opex, total=capex + opex, salvage=salvage, present_value=pv)
    return out


def fleet_rows(pm: PeriodicModel, placed: dict[Key, int], t: int) -> tuple[FleetRow, ...]:
    """Period t's fleet by line and role; owned units in service that serve no role are listed with
    role ``idle`` (they are paid for: bought ahead of need or kept after it)."""
    counts = fleet(pm, t)
    rows = [FleetRow(i, role, q) for (i, role), q in sorted(counts.items())]
    for item_id in sorted({i for i, _ in placed}):
        idle = in_service(pm, placed, item_id, t) - sum(roles_of(counts, item_id).values())
        if idle > 0:
            rows.append(FleetRow(item_id, "idle", idle))
    return tuple(rows)


def period_power(pm: PeriodicModel, plan_t: Plan, fleet: tuple[FleetRow, ...], placed: dict[Key, int], t: int) -> PowerKW:
    """Power drawn in period t, as the periodic power row counts it: the units in roles (``plan_t``)
    plus the idle owned units in service (``fleet``, :func:`fleet_rows`), each at its facility kW
    (IT kW = facility / PUE)."""
    kw = {i: float(pm.models[u].inp.rows[i]["facility_kw"]) for i, u in placed}
    idle_kw = sum(r.quantity * kw[r.id] for r in fleet if r.role == "idle")
    facility_kw = plan_t.power_kw.facility_kw + idle_kw
    return PowerKW(facility_kw / pm.scenarios[t].facility.pue, facility_kw, plan_t.power_kw.cap_kw)


def period_sections(pm: PeriodicModel, plans: list[Plan], ledgers: dict[str, Ledger], placed: dict[Key, int]) -> tuple[PeriodSection, ...]:
    view = pm.scenario.costs.view
    r = pm.scenario.costs.cost_of_capital
    out = []
    for t, (p, plan_t) in enumerate(zip(pm.periods, plans, strict=True)):
        capex, opex = totals(ledgers[view].by_period[t])
        cash, amortised = (sum(totals(ledgers[v].by_period[t])) for v in ("cash", "amortised"))
        fleet = fleet_rows(pm, placed, t)
        out.append(
            PeriodSection(
                index=t,
                start=p.start.isoformat(),
                end=p.end.isoformat(),
                years=p.years,
                alpha=plan_t.alpha,
                alpha_floor=pm.scenarios[t].alpha_floor,
                cost_usd=PeriodCost(capex=capex, opex=opex, total=capex + opex),
                spend_by_role_usd={role: ledgers[view].by_role[t].get(role, 0.0) for role in ROLES},
                fleet=fleet,
                role_changes=role_changes(pm, placed, t),
                budget_usd=pm.budgets_usd[t],
                cash_usd=cash,
                amortised_usd=amortised,
                progress=plan_t.progress.value,
                training_tokens=plan_t.tokens.total,
                exogenous_tokens=plan_t.tokens.exogenous,
                synthetic_tokens=plan_t.tokens.synthetic,
                agents=plan_t.agents,
                speedup=plan_t.speedup,
                facility_kw=period_power(pm, plan_t, fleet, placed, t).facility_kw,
                power_cap_kw=pm.scenarios[t].facility.power_cap_kw,
                discount_factor=discount_factor(r, p.offset_years),
                binding_constraints=plan_t.binding_constraints,
            )
        )
    return tuple(out)


def order_rows(pm: PeriodicModel, placed: dict[Key, int]) -> tuple[OrderRow, ...]:
    """The order calendar, by order-by date then item."""
    rows = []
    for (item_id, u), q in placed.items():
        v = pm.vintages[(item_id, u)]
        before = [p.index for p in pm.periods if p.start <= v.order_by]
        rows.append(
            OrderRow(
                id=item_id,
                role=main_role(pm, item_id, u),
                quantity=q,
                order_by=v.order_by.isoformat(),
                delivery=v.delivery.isoformat(),
                period=u,
                order_period=max(before) if before else None,
                retires=v.retires.isoformat(),
                lifetime_years=v.lifetime_years,
                unit_price_usd=v.unit_price_usd,
                unit_capital_usd=sum(v.capital_usd.values()),
                extended_capital_usd=q * sum(v.capital_usd.values()),
                late=v.late,
            )
        )
    return tuple(sorted(rows, key=lambda o: (o.order_by, o.id)))


# ------------------------------------------------------------------------------ the plan's totals


def line_items(pm: PeriodicModel, plans: list[Plan], placed: dict[Key, int], leds: tuple[Ledger, Ledger]) -> tuple[LineItem, ...]:
    """One line per owned item with every unit ordered, and one per rented line with its peak
    count, each in the role it serves most (unit-periods); money over the whole plan in the
    scenario's view, by component, so that the lines add up to the plan's totals."""
    usage: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    peak: dict[str, int] = defaultdict(int)
    for t in range(len(plans)):
        per_line: dict[str, int] = defaultdict(int)
        for (line, role), q in fleet(pm, t).items():
            usage[line][role] += q * pm.periods[t].years
            per_line[line] += q
        for line, q in per_line.items():
            peak[line] = max(peak[line], q)
    ordered: dict[str, int] = defaultdict(int)
    for (item_id, _), q in placed.items():
        ordered[item_id] += q
    out = []
    for line in sorted(set(ordered) | set(peak)):
        role = max(sorted(usage[line]), key=lambda r: usage[line][r]) if usage[line] else main_role(pm, line, 0)
        q = ordered.get(line) or peak[line]
        out.append(_priced_line(pm, plans, placed, leds, line, role, q))
    order = {r: k for k, r in enumerate(ROLES)}
    return tuple(sorted(out, key=lambda li: (order[li.role], -li.extended_cost_usd)))


def _priced_line(
    pm: PeriodicModel, plans: list[Plan], placed: dict[Key, int], leds: tuple[Ledger, Ledger], line: str, role: str, q: int
) -> LineItem:
    """The line's descriptive fields from a period that buys it, with the plan's quantity and money
    (``leds``: the scenario's view and the cash view)."""
    led, cash_led = leds
    li = _template(pm, plans, line, role, q)
    comps = {k: led.by_line.get(line, {}).get(k, 0.0) for k in PERIOD_COMPONENTS}
    capital, opex = totals(comps)
    vintages = [pm.vintages[k] for k in placed if k[0] == line]
    cash = totals(cash_led.by_line.get(line, {}))[0]
    per = 1.0 / q if q else 0.0
    return dataclasses.replace(
        li,
        role=role,
        quantity=q,
        unit_price_usd=capital * per,
        extended_price_usd=capital,
        unit_opex_usd=opex * per,
        extended_opex_usd=opex,
        unit_cost_components_usd={k: x * per for k, x in comps.items()},
        unit_capital_usd=capital * per,
        unit_cash_capital_usd=cash * per,
        extended_capital_usd=capital,
        unit_cost_usd=(capital + opex) * per,
        extended_cost_usd=capital + opex,
        power_kw=li.power_kw / max(li.quantity, 1) * q,
        facility_kw=li.facility_kw / max(li.quantity, 1) * q,
        order_by=min(v.order_by for v in vintages).isoformat() if vintages else li.order_by,
        delivery=min(v.delivery for v in vintages).isoformat() if vintages else li.delivery,
        late=any(v.late for v in vintages),
        usd_per_device_hour=None,  # a one-period figure (the whole price over one horizon); the cost views replace it
    )


def _template(pm: PeriodicModel, plans: list[Plan], line: str, role: str, q: int) -> LineItem:
    """The line as some period's one-period plan lists it (in ``role`` when it can), for its
    descriptive fields (names, sources, replicas); an owned item that never serves a role (bought
    and left idle) is described from the model of its first delivery."""
    found = [li for p in plans for li in p.items if (li.offer_id or li.id) == line]
    if found:
        return next((li for li in found if li.role == role), found[0])
    first = min(u for (i, u) in pm.vintages if i == line)
    return line_item(pm.models[first], pm.catalog, line, role, q)


def token_totals(plans: list[Plan]) -> Tokens:
    fields = [f.name for f in dataclasses.fields(Tokens)]
    return Tokens(**{f: sum(getattr(p.tokens, f) for p in plans) for f in fields})


def cost_usd(pm: PeriodicModel, led: Ledger, budget_usd: float, view: str, purchase_usd: float) -> CostUSD:
    comps = {k: sum(c.get(k, 0.0) for c in led.by_period) for k in PERIOD_COMPONENTS}
    capex, opex = totals(comps)
    return CostUSD(
        capex,
        opex,
        capex + opex,
        comps["energy"],
        comps["maintenance"],
        comps["labour"],
        budget_usd - (capex + opex),
        view=view,
        purchase=purchase_usd,
        components=comps,
    )


def late_items(pm: PeriodicModel) -> tuple[LateItem, ...]:
    """Items whose order-by date for the first period is past: left out of the periods they cannot
    reach (``earliest_delivery`` is the first period they can serve, or after the plan when none),
    or let in late with ``procurement.allow_late`` (``planned``)."""
    out = []
    late_first = {i for (i, u), v in pm.vintages.items() if u == 0 and v.late}
    for item_id in sorted(set(pm.unavailable) | late_first):
        row = next(m.inp.rows[item_id] for m in pm.models if item_id in m.inp.rows)
        weeks = lead_time_weeks(pm.scenario, item_id, pm.catalog.items.at[str(row["base_id"]), "lead_time_weeks"])
        order_by = pm.periods[0].start - dt.timedelta(weeks=weeks)
        first = pm.unavailable.get(item_id, 0)
        planned = item_id in late_first  # let in by allow_late: it really arrives today + lead
        earliest = pm.periods[first].start if first is not None and not planned else pm.today + dt.timedelta(weeks=weeks)
        out.append(LateItem(item_id, weeks, order_by.isoformat(), earliest.isoformat(), planned))
    return tuple(out)


def late_warnings(pm: PeriodicModel, late: tuple[LateItem, ...], orders: tuple[OrderRow, ...]) -> tuple[str, ...]:
    """One warning per late item: the first period it can serve, or the late orders planned anyway."""
    start, out = pm.periods[0].start, []
    for li in late:
        head = f"{li.id} cannot arrive by {start} (lead {li.lead_time_weeks:g} weeks, order-by {li.order_by} is past)"
        if li.planned:
            placed = [o for o in orders if o.id == li.id and o.late]
            if placed:
                when = ", ".join(f"{o.quantity} for period {o.period + 1} (order-by {o.order_by})" for o in placed)
                out.append(f"{head}; planned anyway (allow_late) as if delivered on time, earliest delivery {li.earliest_delivery}: {when}")
            continue
        first = pm.unavailable.get(li.id)
        when = f"it can serve from period {first + 1} ({li.earliest_delivery})" if first is not None else "it cannot arrive within the plan"
        out.append(f"{head}; {when}")
    return tuple(out)


def money_fields(pm: PeriodicModel, plans: list[Plan], placed: dict[Key, int], ledgers: dict[str, Ledger]) -> dict[str, Any]:
    """The plan's money over all periods in the scenario's view: budget, cost, spend by role, items."""
    s = pm.scenario
    led = ledgers[s.costs.view]
    budget = sum(b for b in pm.budgets_usd if b is not None) if all(b is not None for b in pm.budgets_usd) else s.budget_usd
    items = line_items(pm, plans, placed, (led, ledgers["cash"]))
    fabric_cash = sum(fabric_usd(pm, t, "cash") for t in range(len(pm.periods)))
    purchase = sum(q * sum(pm.vintages[k].capital_usd.values()) for k, q in placed.items()) + fabric_cash
    cost = cost_usd(pm, led, budget, s.costs.view, purchase)
    n = range(len(plans))
    spend = {role: sum(led.by_role[t].get(role, 0.0) for t in n) for role in ROLES}
    return {
        "budget_usd": budget,
        "cost_usd": cost,
        "spend_by_role_usd": spend,
        "spend_by_role_share": {k: v / cost.total if cost.total > 0 else 0.0 for k, v in spend.items()},
        "spend_by_role_capex_usd": {role: sum(led.capex_by_role[t].get(role, 0.0) for t in n) for role in ROLES},
        "spend_by_role_opex_usd": {role: sum(led.opex_by_role[t].get(role, 0.0) for t in n) for role in ROLES},
        "items": items,
        "spend_by_mode_usd": spend_by_mode(items),
    }


def grounding_fields(pm: PeriodicModel, plans: list[Plan]) -> dict[str, Any]:
    """Tokens summed over the periods, alpha of all of them against the token-weighted floor."""
    tokens = token_totals(plans)
    alpha = tokens.exogenous / tokens.total if tokens.total > 0 else None
    weighted = sum(pm.scenarios[t].alpha_floor * p.tokens.total for t, p in enumerate(plans))
    floor = weighted / tokens.total if tokens.total > 0 else pm.scenario.alpha_floor
    reg = regime(pm.scenarios[-1].alpha_floor, plans[-1].alpha)  # what the plan hands on: its last period
    note = REGIME_NOTES[reg]
    unfloored = [t + 1 for t in range(len(plans) - 1) if pm.scenarios[t].alpha_floor <= 0]
    if unfloored and reg == "anchored":
        note += f" from the last period on; period{'s' if len(unfloored) > 1 else ''} {', '.join(map(str, unfloored))} had no floor"
    return {"tokens": tokens, "alpha": alpha, "alpha_floor": floor, "regime": reg, "regime_note": note}


def objective_fields(pm: PeriodicModel, r: PeriodicSolve, last: Plan) -> dict[str, Any]:
    """Status, objective (discounted progress or net present cost) with the staged solve's bound and gap, solver."""
    s = pm.scenario
    progress_value = solved_value(pm.progress) if s.objective == "max-progress" else None
    weights = {
        "progress": "sum over periods of (1 + cost_of_capital)^-y_t x P_t" if progress_value is not None else None,
        "tokens_per_unit": s.progress.tokens_per_unit,
        "order": "maximise discounted progress less tie_break_per_musd x net present cost"
        if progress_value is not None
        else "minimise net present cost (salvage deducted)",
        "tie_break_per_musd": pm.tie_break_per_musd,
        "cost_of_capital": s.costs.cost_of_capital,
        "lp_bound": r.bound,
        "proven_gap": r.gap,
        "fabric_tiers": r.fabric_tiers,
        "stages": r.steps,
    }
    return {
        "status": PlanStatus.OPTIMAL if r.status == SolveStatus.OPTIMAL else PlanStatus.FEASIBLE,
        "progress": Progress(progress_value, last.progress.bottleneck),
        "objective": Objective(
            name=s.objective,
            value=progress_value if progress_value is not None else solved_value(pm.net_cost_musd) * MUSD,
            unit="discounted progress" if progress_value is not None else "USD (net present cost)",
            weights=weights,
            solver_objective=r.objective,
        ),
        "solver": SolverInfo(r.solver, r.status.value, len(pm.problem.variables()), len(pm.problem.constraints)),
    }


def lifetime_warnings(pm: PeriodicModel, placed: dict[Key, int]) -> tuple[str, ...]:
    """Ordered items whose lifetime ends inside a period: they leave service at the end of the last
    whole period and are depreciated over the years they serve."""
    out = {}
    for k in placed:
        v = pm.vintages[k]
        if v.lifetime_years < v.nominal_lifetime_years - 1e-9 and v.item not in out:
            out[v.item] = (
                f"{v.item} lives {v.nominal_lifetime_years:g} years, which ends inside a period: its units serve "
                f"{v.lifetime_years:g} years of whole periods and are depreciated over them"
            )
    return tuple(out.values())


def periodic_symbols(last: Plan, cost: CostUSD, power: PowerKW) -> tuple[dict[str, Any], ...]:
    """The last period's symbol table with the figures of the whole plan where the plan states
    them: capital and operating cost over all periods, and the peak period's power and cap."""
    cap_kw = math.nan if power.cap_kw is None else power.cap_kw
    whole = {"capex": cost.capex, "opex": cost.opex, "power": power.facility_kw, "power_cap": cap_kw}
    return tuple({**row, "value": whole[row["symbol"]]} if row["symbol"] in whole else row for row in last.symbols)


def extract_periodic(pm: PeriodicModel, r: PeriodicSolve, timings: Timings) -> Plan:
    """The plan over the periods (see module doc)."""
    s = pm.scenario
    one = SolveResult(r.status, r.solver, r.seconds, None)
    plans = [extract(m, one, pm.catalog, {}, timings) for m in pm.models]
    placed = orders_placed(pm)
    ledgers = {v: ledger(pm, placed, v) for v in ("cash", "amortised")}
    last = plans[-1]
    late = late_items(pm)
    orders = order_rows(pm, placed)
    money = money_fields(pm, plans, placed, ledgers)
    sections = period_sections(pm, plans, ledgers, placed)
    peak = max(sections, key=lambda x: x.facility_kw)
    power = period_power(pm, plans[peak.index], peak.fleet, placed, peak.index)
    return dataclasses.replace(
        last,
        tool_version=__version__,
        **money,
        **grounding_fields(pm, plans),
        **objective_fields(pm, r, last),
        power_kw=power,
        symbols=periodic_symbols(last, money["cost_usd"], power),
        binding_constraints=(),
        explanations=(),
        constraints=(),
        marginal_values={},
        warnings=tuple(dict.fromkeys(w for p in plans for w in p.warnings))
        + late_warnings(pm, late, orders)
        + lifetime_warnings(pm, placed),
        unit_costs=None,  # a one-period figure (the whole price charged to one horizon); the cost views replace it
        break_even=(),
        dominated_items=dict(pm.dominated),
        assumptions=s.to_flat(),
        scenario=s,
        late_items=late,
        periods=sections,
        orders=orders,
        cost_views=cost_views(pm, placed, ledgers),
    )
