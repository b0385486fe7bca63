"""Presentation: number formats and the rows every report format shows, shaped once in Python.

Templates (text, Markdown, HTML) only lay these rows out; the workbook writes the same headline
figures as numbers. Nothing here computes a decision: it formats a :class:`~planner.result.Plan`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .result import ROLES, PeriodSection, Plan

# -------------------------------------------------------------------------------------------- formats


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def usd(x: Any) -> str:
    """``USD 1,234,567`` (whole dollars); ``n/a`` for missing."""
    return f"USD {x:,.0f}" if _finite(x) else "n/a"


_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _scaled(x: float, spec: str) -> str:
    """``x`` divided by its largest scale (T, B, M, k) and formatted with ``spec`` and the suffix."""
    for div, suf in _SCALES:
        if abs(x) >= div:
            return f"{x / div:{spec}} {suf}"
    return f"{x:,.0f}"


def usd_short(x: Any) -> str:
    """``USD 1.23 B`` / ``USD 750.00 M`` / ``USD 12.50 k``."""
    return f"USD {_scaled(x, ',.2f')}" if _finite(x) else "n/a"


ZERO = 1e-9  # solver round-off: magnitudes below this print as 0


def count(x: Any) -> str:
    """A count as a whole number with thousands separators (``12,345``); ``n/a`` if missing."""
    if not _finite(x):
        return "n/a"
    return f"{round(x):,}"


def num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators; magnitudes below
    :data:`ZERO` (solver round-off) print as ``0``; ``n/a`` if missing."""
    if isinstance(x, bool):
        return str(x)
    if not _finite(x):
        return "n/a"
    if abs(x) < ZERO:
        return "0"
    if abs(x) < 1e-3:
        return f"{x:.{digits}g}"
    if abs(x) >= 10**digits or float(x).is_integer():
        return f"{x:,.0f}" if abs(x) < 1e15 else f"{x:.{digits}g}"
    return f"{x:,.{max(0, digits - 1 - math.floor(math.log10(abs(x))))}f}"


def pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if _finite(x) else "n/a"


def tokens(x: Any) -> str:
    """``1.23 T`` style token counts (SI-style suffix k, M, B, T; thousands of T as ``1,660 T``)."""
    if not _finite(x):
        return "n/a"
    for div, suf in _SCALES:
        if abs(x) >= div:
            v = x / div
            return f"{v:,.0f} {suf}" if abs(v) >= 100 else f"{v:.3g} {suf}"
    return f"{x:,.0f}"


FILTERS: dict[str, Callable[[Any], str]] = {"usd": usd, "usd_short": usd_short, "num": num, "pct": pct, "tokens": tokens, "count": count}


# -------------------------------------------------------------------------------------------- headline


@dataclass(frozen=True)
class Figure:
    """One headline figure: a label, the raw value (for workbooks) and its text (for reports)."""

    key: str
    label: str
    value: Any
    text: str


def headline(p: Plan) -> list[Figure]:
    """The figures every format leads with, in order."""
    figs = [
        Figure("status", "status", p.status.value, f"{p.status.value} ({p.solver.name})"),
        Figure("objective", f"objective {p.objective.name} ({p.objective.unit})", p.objective.value, num(p.objective.value, 5)),
        Figure("regime", "regime", p.regime, p.regime),
        Figure("alpha", "alpha achieved", p.alpha, num(p.alpha, 4)),
        Figure("alpha_floor", f"alpha floor ({p.alpha_floor_basis})", p.alpha_floor, num(p.alpha_floor, 4)),
        Figure("agents", "agents", p.agents, num(p.agents, 5)),
        Figure("speedup", "speedup (x)", p.speedup, num(p.speedup, 4) + "x"),
        Figure("budget", "budget (USD)", p.budget_usd, usd(p.budget_usd)),
        Figure("total", "total cost, capex + opex (USD)", p.cost_usd.total, usd(p.cost_usd.total)),
        Figure("capex", f"capex, {p.cost_usd.view} view (USD)", p.cost_usd.capex, usd(p.cost_usd.capex)),
        Figure("purchase", "cash for owned hardware (USD)", p.cost_usd.purchase, usd(p.cost_usd.purchase)),
        Figure("opex", "opex over the horizon (USD)", p.cost_usd.opex, usd(p.cost_usd.opex)),
        Figure("remaining", "budget remaining (USD)", p.cost_usd.remaining_budget, usd(p.cost_usd.remaining_budget)),
        Figure("facility_kw", "facility power (kW)", p.power_kw.facility_kw, num(p.power_kw.facility_kw, 5)),
    ]
    if p.progress.value is not None:
        figs.append(Figure("bottleneck", "progress bottleneck", p.progress.bottleneck, str(p.progress.bottleneck)))
    return figs


# -------------------------------------------------------------------------------------------- tables


def line_rows(p: Plan) -> list[dict[str, str]]:
    """One row per line item; ``cost`` is capex + opex over the horizon (reviewers are all opex)."""
    return [
        {
            "id": li.id,
            "vendor": li.vendor,
            "category": li.category,
            "role": li.role,
            "quantity": f"{li.quantity:,}",
            "unit_price": usd(li.unit_price_usd),
            "host_share": usd(li.unit_host_share_usd) + (f" ({li.host_share_basis})" if li.host_share_basis else ""),
            "mode": li.mode if li.provider is None else f"{li.mode} ({li.provider})",
            "extended_price": usd(li.extended_price_usd),
            "extended_opex": usd(li.extended_opex_usd),
            "cost": usd(li.extended_cost_usd),
            "power_kw": num(li.power_kw, 4),
            "basis": li.price_basis or "",
            "date": li.price_date or "",
            "origin": li.price_origin or "",
        }
        for li in p.items
    ]


def component_rows(p: Plan) -> list[dict[str, str]]:
    """Each cost component over the plan (planner.tco), with its share of the total; zeros left out."""
    total = p.cost_usd.total
    return [{"component": k, "usd": usd(v), "share": pct(v / total if total > 0 else 0.0)} for k, v in p.cost_usd.components.items() if v]


def acquisition_rows(p: Plan) -> list[dict[str, str]]:
    """Accelerator lines: mode, provider, all-in USD per busy device-hour and why this mode."""
    return [
        {
            "id": li.id,
            "role": li.role,
            "mode": li.mode,
            "provider": li.provider or "",
            "per_hour": "" if li.usd_per_device_hour is None else f"USD {li.usd_per_device_hour:,.2f}",
            "reason": li.acquisition_reason or "",
            "by_component": _by_component(p, li.key),
        }
        for li in p.items
        if li.category == "accelerator"
    ]


def _by_component(p: Plan, key: str) -> str:
    """``device 0.79, host 0.36, ...``: USD per useful device-hour by component, largest first."""
    comp = {} if p.unit_costs is None else p.unit_costs.components_usd_per_device_hour.get(key, {})
    return ", ".join(f"{k} {v:,.2f}" for k, v in sorted(comp.items(), key=lambda kv: -kv[1]) if v >= 0.005)


def late_text(p: Plan) -> str:
    """Items that cannot arrive by the start date (a periodised plan: its first period's start, and
    the period each item can serve from): left out, or let in with --allow-late."""
    if not p.late_items:
        return ""
    what = "let in anyway (--allow-late)" if p.late_items[0].planned else "left out (--allow-late lets them in)"
    if p.periods:
        listed = "; ".join(
            f"{x.id} ({x.lead_time_weeks:g} weeks: order-by {x.order_by}, {serves_from(p, x.earliest_delivery)})" for x in p.late_items
        )
        return f"Cannot arrive by {p.periods[0].start} (the first period's start), {what}: {listed}."
    listed = "; ".join(
        f"{x.id} ({x.lead_time_weeks:g} weeks: order-by {x.order_by}, earliest delivery {x.earliest_delivery})" for x in p.late_items
    )
    return f"Cannot arrive by {p.scenario.start_date}, {what}: {listed}."


def serves_from(p: Plan, delivery: str) -> str:
    """``can serve from period 2 (2028-04-01)``: the first period starting on or after ``delivery``
    (ISO date), or that it arrives after the plan."""
    for s in p.periods:
        if s.start >= delivery:
            return f"can serve from period {s.index + 1} ({s.start})"
    return f"earliest delivery {delivery}, after the plan"


def robust_text(p: Plan) -> str:
    """The robust plan in one paragraph (plan --robust S), empty for a plan of one world."""
    r = p.robust
    if r is None:
        return ""
    fmt = (lambda v: num(v, 5)) if r.unit == "progress" else usd
    alpha = "in every world" if r.alpha_rule == "every" else "on the tokens summed over the worlds"
    rows = [w for w in r.per_world if w.get("status") in ("optimal", "feasible")]
    key = "progress" if r.unit == "progress" else "cost_usd"
    what = "progress" if r.unit == "progress" else "cost"
    bound = ", a bound up to the MIP gap" if p.scenario.procurement.min_progress_per_musd == 0 else ""
    worst = (min if r.unit == "progress" else max)((w[key] for w in rows), default=None)
    text = (
        f"Robust plan over {r.worlds} sampled worlds (seed {r.seed}; budget, power cap and targets in every world, "
        f"alpha floor {alpha}): expected {what} {fmt(r.expected_objective)} in whole replicas "
        f"({fmt(r.relaxed_objective)} with divisible operation{bound})"
    )
    if worst is not None:
        text += f", worst world {fmt(worst)}"
    if r.price_of_robustness is not None and r.average_world_objective is not None:
        gives = "gives up" if r.unit == "progress" else "costs"
        avg, price = fmt(r.average_world_objective), fmt(r.price_of_robustness) + (" progress" if r.unit == "progress" else "")
        text += f"; the plan for the average world reaches {avg} there, so robustness {gives} {price}"
    if r.average_plan_feasible_worlds is not None:
        text += f"; that plan's purchase keeps every limit in {r.average_plan_feasible_worlds} of the {r.worlds} sampled worlds"
        if r.average_plan_expected_objective is not None:
            text += f" (expected {what} {fmt(r.average_plan_expected_objective)})"
    if r.left_out:
        text += f"; left out because a sampled lead time makes them late: {', '.join(r.left_out)}"
    if len(rows) < len(r.per_world):
        text += f"; {len(r.per_world) - len(rows)} world(s) have no operation in whole replicas"
    return text + ". The figures in this report are this purchase operated in the scenario's own world."


def unit_cost_text(p: Plan) -> str:
    """``USD x per million output tokens; USD y per 1e24 training FLOP`` (what is known)."""
    u = p.unit_costs
    if u is None:
        return ""
    parts = []
    if u.usd_per_million_output_tokens is not None:
        parts.append(f"USD {u.usd_per_million_output_tokens:,.3f} per million output tokens served")
    if u.usd_per_1e24_training_flop is not None:
        parts.append(f"USD {u.usd_per_1e24_training_flop:,.0f} per 1e24 FLOP trained")
    return "; ".join(parts) + f" ({p.cost_usd.view} view)" if parts else ""


def spend_rows(p: Plan) -> list[dict[str, str]]:
    """Capex, opex, total and share per role."""
    return [
        {
            "role": r,
            "capex": usd(p.spend_by_role_capex_usd[r]),
            "opex": usd(p.spend_by_role_opex_usd[r]),
            "total": usd(p.spend_by_role_usd[r]),
            "share": pct(p.spend_by_role_share[r]),
        }
        for r in ROLES
    ]


def binding_rows(p: Plan) -> list[dict[str, str]]:
    return [
        {"name": c.name, "meaning": c.description, "lhs": num(c.lhs, 6), "rhs": num(c.rhs, 6), "unit": c.unit}
        for c in p.constraints
        if c.binding
    ]


def marginal_rows(p: Plan) -> list[dict[str, str]]:
    return [{"key": k, "meaning": mv.meaning, "value": num(mv.value, 4), "unit": mv.unit} for k, mv in p.marginal_values.items()]


def capability_rows(p: Plan) -> list[dict[str, str]]:
    """What one unit of each considered item delivers over the horizon."""
    return [
        {
            "id": str(c["id"]),
            "unit_cost": usd(c["unit_cost_usd"]),
            "train": tokens(c["train_tokens"]),
            "synthetic": tokens(c["synthetic_tokens"]),
            "agent": tokens(c["agent_tokens"]),
            "kv_free": num(c["kv_free_gb"], 4),
            "verified": tokens(c["verified_tokens"]),
            "capacity": num(c["capacity_gb"], 4),
        }
        for c in p.capabilities.to_dict("records")
    ]


def symbol_rows(p: Plan) -> list[dict[str, str]]:
    return [{"symbol": s["symbol"], "meaning": s["meaning"], "value": num(s["value"], 5), "unit": s["unit"]} for s in p.symbols]


def value_text(v: Any) -> str:
    """An assumption's value as text: lists comma-separated, None as 'none', numbers formatted."""
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) if v else "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return num(v, 6)
    return str(v)


FILTERS["value"] = value_text


def assumption_rows(p: Plan) -> list[dict[str, str]]:
    from .scenario import scenario_parameters

    return [
        {"parameter": a["parameter"], "value": value_text(a["value"]), "unit": a["unit"], "description": a["description"]}
        for a in scenario_parameters(p.scenario)
    ]


def serving_rows(p: Plan) -> list[dict[str, str]]:
    """Replicas per (item, workload) with their shape and what binds their number."""
    shapes = {(c.id, w): getattr(c, w) for c in p.item_capabilities for w in ("agents", "synthetic")}
    rows = []
    for sv in p.serving:
        shape = shapes.get((sv.id, sv.workload))
        rows.append(
            {
                "id": sv.id,
                "workload": sv.workload,
                "replicas": f"{sv.replicas:,}",
                "devices": f"{sv.devices:,}",
                "per_replica": "" if shape is None else f"{shape.devices_per_replica:,}",
                "batch": "" if shape is None else f"{shape.batch:,}",
                "tps_device": "" if shape is None else num(shape.tokens_per_s_per_device, 4),
                "bound": "" if shape is None else shape.bound,
                "binds": sv.binds,
            }
        )
    return rows


def training_line(p: Plan) -> str:
    """One sentence on the training fleet: devices, FLOP, device-hours and days to train."""
    t = p.training
    if not t.devices:
        return "Training fleet: none bought."
    return (
        f"Training fleet: {t.devices:,} devices train {tokens(t.tokens)} tokens ({t.flop:.3g} FLOP) in "
        f"{num(t.device_hours, 4)} device-hours, {num(t.days_to_train, 3)} days of wall clock."
    )


# -------------------------------------------------------------------------------------------- periods


def period_label(s: PeriodSection) -> str:
    """``1 (2027-04-01 to 2028-04-01)``: the period's number (from 1) and its dates."""
    return f"{s.index + 1} ({s.start} to {s.end})"


def kw_against_cap(facility_kw: float, cap_kw: float | None) -> str:
    """``9,069 / 10,000``: facility kW against the cap; ``9,069 / no cap`` without one."""
    return f"{num(facility_kw, 4)} / {'no cap' if cap_kw is None else num(cap_kw, 4)}"


def period_rows(p: Plan) -> list[dict[str, str]]:
    """One row per period: alpha against its floor, budget, cost in the scenario's view, cash and
    amortised cost, progress and facility power against the cap; empty for a one-period plan."""
    return [
        {
            "period": period_label(s),
            "number": str(s.index + 1),
            "start": s.start,
            "end": s.end,
            "alpha": num(s.alpha, 4),
            "floor": num(s.alpha_floor, 4),
            "budget": "total budget" if s.budget_usd is None else usd(s.budget_usd),
            "capex": usd(s.cost_usd.capex),
            "opex": usd(s.cost_usd.opex),
            "total": usd(s.cost_usd.total),
            "cash": usd(s.cash_usd),
            "amortised": usd(s.amortised_usd),
            "progress": num(s.progress, 5),
            "facility_kw": kw_against_cap(s.facility_kw, s.power_cap_kw),
            **short_money(s),
        }
        for s in p.periods
    ]


def short_money(s: PeriodSection) -> dict[str, str]:
    """A period's money as ``USD 200.00 M`` (keys ``<name>_short``), for the narrow HTML table."""
    c = s.cost_usd
    money = {"capex": c.capex, "opex": c.opex, "total": c.total, "cash": s.cash_usd, "amortised": s.amortised_usd}
    out = {f"{k}_short": usd_short(v) for k, v in money.items()}
    out["budget_short"] = "total budget" if s.budget_usd is None else usd_short(s.budget_usd)
    return out


def period_columns(p: Plan) -> list[tuple[str, str]]:
    """The Periods table's (key, label) columns; cost labels name the scenario's cost view."""
    view = p.cost_usd.view
    return [
        ("period", "period"),
        ("alpha", "alpha_t"),
        ("floor", "floor_t"),
        ("budget", "budget"),
        ("capex", f"capex ({view})"),
        ("opex", "opex"),
        ("total", f"total ({view})"),
        ("cash", "cash"),
        ("amortised", "amortised"),
        ("progress", "progress"),
        ("facility_kw", "facility kW / cap"),
    ]


def order_rows(p: Plan) -> list[dict[str, str]]:
    """The order calendar: one row per order of owned units, late orders flagged."""
    starts = {s.index: s.start for s in p.periods}
    return [
        {
            "id": o.id,
            "quantity": f"{o.quantity:,}",
            "role": o.role,
            "order_by": o.order_by,
            "delivery": o.delivery,
            "period": f"{o.period + 1} ({starts.get(o.period, o.delivery)})",
            "retires": o.retires,
            "unit_price": usd(o.unit_price_usd),
            "extended_capital": usd(o.extended_capital_usd),
            "late": "LATE: order-by date past" if o.late else "",
        }
        for o in p.orders
    ]


ORDER_COLUMNS = [
    ("id", "item"),
    ("quantity", "qty"),
    ("role", "role"),
    ("order_by", "order by"),
    ("delivery", "delivery"),
    ("period", "first period served"),
    ("retires", "retires"),
    ("unit_price", "unit price"),
    ("extended_capital", "extended capital"),
    ("late", "late"),
]


def fleet_rows(p: Plan) -> list[dict[str, str]]:
    """Units per (item, role) in each period (``p1``, ``p2``, ...), idle units included, and units
    moved into a role with their cost (``moved``); blank where the item serves no such role in a period."""
    keys: dict[tuple[str, str], dict[str, str]] = {}
    for s in p.periods:
        for f in s.fleet:
            row = keys.setdefault((f.id, f.role), {"id": f.id, "role": f.role})
            row[f"p{s.index + 1}"] = f"{f.quantity:,}"
        for c in s.role_changes:
            row = keys.setdefault((c.id, "moved"), {"id": c.id, "role": "moved"})
            row[f"p{s.index + 1}"] = f"{c.quantity:,} (USD {c.cost_usd:,.0f})"
    order = {r: i for i, r in enumerate((*ROLES, "idle", "moved"))}
    rows = sorted(keys.values(), key=lambda r: (r["id"], order.get(r["role"], len(order)), r["role"]))
    return [{**{f"p{s.index + 1}": "" for s in p.periods}, **r} for r in rows]


def fleet_columns(p: Plan) -> list[tuple[str, str]]:
    """The Fleet-by-period table's (key, label) columns: item, role, then one per period."""
    return [("id", "item"), ("role", "role")] + [(f"p{s.index + 1}", f"period {s.index + 1} ({s.start})") for s in p.periods]


def cost_view_rows(p: Plan) -> list[dict[str, str]]:
    """Cash and amortised totals over the plan; the scenario's view (the budget's) marked."""
    view = p.scenario.costs.view
    return [
        {
            "view": name + (" (budget)" if name == view else ""),
            "capex": usd(v.capex),
            "opex": usd(v.opex),
            "total": usd(v.total),
            "salvage": usd(v.salvage),
            "present_value": usd(v.present_value),
        }
        for name, v in p.cost_views.items()
    ]


COST_VIEW_COLUMNS = [
    ("view", "view"),
    ("capex", "capex"),
    ("opex", "opex"),
    ("total", "total"),
    ("salvage", "salvage"),
    ("present_value", "present value"),
]


def cost_view_note(p: Plan) -> str:
    """One line: which view the budget applies to, and what the columns mean."""
    if not p.cost_views:
        return ""
    c = p.scenario.costs
    return (
        f"The budget applies to the {c.view} view (costs.view). Cash charges hardware when it is paid for (periods.pay_at: "
        f"{p.scenario.periods.pay_at}); amortised charges level capital payments while the units serve. Totals are undiscounted; "
        f"salvage is the book value of units still in service "
        f"at the end; present value is discounted at {pct(c.cost_of_capital)} a year to the plan's start, salvage deducted."
    )


def period_tables(p: Plan) -> dict[str, Any]:
    """The sections of a periodised plan (empty rows and texts for a one-period plan)."""
    return {
        "period_rows": period_rows(p),
        "period_columns": period_columns(p),
        "order_rows": order_rows(p),
        "order_columns": ORDER_COLUMNS,
        "fleet_rows": fleet_rows(p),
        "fleet_columns": fleet_columns(p),
        "cost_view_rows": cost_view_rows(p),
        "cost_view_columns": COST_VIEW_COLUMNS,
        "cost_view_note": cost_view_note(p),
    }


def plan_tables(p: Plan) -> dict[str, Any]:
    """Every table a plan report shows, as rows of text cells."""
    return {
        "headline": headline(p),
        "lines": line_rows(p),
        "serving": serving_rows(p),
        "training_line": training_line(p),
        "spend": spend_rows(p),
        "components": component_rows(p),
        "acquisition": acquisition_rows(p),
        "unit_costs": unit_cost_text(p),
        "late": late_text(p),
        "robust": robust_text(p),
        "binding": binding_rows(p),
        "marginals": marginal_rows(p),
        "capabilities": capability_rows(p),
        "symbols": symbol_rows(p),
        "assumptions": assumption_rows(p),
        **period_tables(p),
    }
