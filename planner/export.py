"""Procurement exports of a plan: an XLSX workbook (XlsxWriter) with live formulas and their cached
values, autofilters and frozen header rows, and a CSV of line items.

Workbook sheets:

* **Line items**: one row per (item, role, mode): id, vendor, description, role, quantity, unit,
  mode (own or the offer's) and provider, device price and host share, unit price (their sum,
  a formula), extended price (quantity x unit price), one column per cost component over the
  horizon (planner.tco), unit capital and unit opex (sums of the component columns), extended
  capital and opex (formulas), USD per busy device-hour, currency, lead time, order-by and need-by
  dates, power kW (formula), source, quote date, origin.
* **Summary**: capital (in the cost view), opex and total by role as SUMIFS formulas over Line
  items, budget, remaining,
  so totals recompute when a buyer edits a quantity.
* **Cost components**: each component on its own line with what sets it, its total a SUMPRODUCT
  of quantities and unit components.
* **Assumptions**: every scenario parameter with its unit.
* **Sources**: every catalog figure of the items bought, with basis, source, date and origin.

A periodised plan (``plan.periods`` not empty) adds, after Summary:

* **Periods**: one row per period: dates, alpha against its floor, budget, capex, opex, total
  (capex + opex, a formula), cash and amortised cost, discount factor, progress, power and spend by
  role, with a totals row of live SUMs.
* **Orders**: the order calendar, one row per order (extended capital = quantity x unit capital, a
  formula) and a total.
* **Fleet**: the units of each line serving each role in each period.

Its Summary totals are formulas over the Periods totals row; its Line items hold the plan's
aggregate figures over all periods (unit = extended / quantity), so their unit and extended money
is written as values (not products, which would drift by rounding), the per-unit component columns
are left empty (a unit's cost differs by period; see Periods and Orders) and Cost components holds
the plan's totals by component as values.

Text that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is written as text: in XLSX as a string cell with the quote-prefix style, in CSV
with a leading apostrophe (the OWASP CSV-injection rule). Numbers are numbers, dates are dates.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import numbers
from pathlib import Path
from typing import Any

from .escape import CSV_LINE_END, FORMULA_PREFIXES, spreadsheet_text, xlsx_text
from .present import headline
from .result import ROLES, OrderRow, PeriodSection, Plan
from .scenario import scenario_parameters
from .tco import CAPITAL_COMPONENTS, COMPONENT_BASIS, COMPONENTS, PERIOD_COMPONENTS, PERIOD_OPEX_COMPONENTS

USD_FORMAT = '"USD" #,##0'
USD_CENTS_FORMAT = '"USD" #,##0.00'
DATE_FORMAT = "yyyy-mm-dd"

# Line items columns: (header, key in the row dict, kind)
LINE_COLUMNS: list[tuple[str, str, str]] = [
    ("item id", "id", "text"),
    ("vendor", "vendor", "text"),
    ("description", "name", "text"),
    ("category", "category", "text"),
    ("role", "role", "text"),
    ("quantity", "quantity", "int"),
    ("unit", "unit", "text"),
    ("mode", "mode", "text"),
    ("provider", "provider", "text"),
    ("region", "region", "text"),
    ("offer rate (USD/device-hour)", "offer_usd_per_device_hour", "usd"),
    ("unit device price (USD)", "unit_device_price_usd", "usd"),
    ("unit host share (USD)", "unit_host_share_usd", "usd"),
    ("unit price (USD)", "unit_price_usd", "usd"),
    ("extended price (USD)", "extended_price_usd", "usd"),
    *[(f"unit {k} over horizon (USD)", f"c_{k}", "usd") for k in PERIOD_COMPONENTS],  # role_change: periodised plans only, else 0
    ("unit capital over horizon (USD)", "unit_capital_usd", "usd"),
    ("unit opex over horizon (USD)", "unit_opex_usd", "usd"),
    ("extended capital (USD)", "extended_capital_usd", "usd"),
    ("extended opex (USD)", "extended_opex_usd", "usd"),
    ("USD per useful device-hour", "usd_per_device_hour", "usd"),
    ("currency", "currency", "text"),
    ("lead time (weeks)", "lead_time_weeks", "num"),
    ("order-by date", "order_by", "date"),
    ("need-by date", "need_by", "date"),
    ("delivery date", "delivery", "date"),
    ("late", "late", "text"),
    ("unit power (kW)", "unit_power_kw", "num"),
    ("power (kW)", "power_kw", "num"),
    ("price basis", "price_basis", "text"),
    ("source", "price_source", "text"),
    ("quote date", "price_date", "date"),
    ("origin", "price_origin", "text"),
]


safe_text = spreadsheet_text  # the CSV cell policy, planner.escape


def line_rows(plan: Plan) -> list[dict[str, Any]]:
    """Line items with procurement fields (unit, currency, dates), in report order."""
    rows = []
    for rec in (dataclasses.asdict(li) for li in plan.items):
        quote = rec["price_date"]
        delivery = _date(rec["delivery"])
        rows.append(
            {
                **rec,
                "unit": "reviewer-year" if rec["category"] == "audit" else "unit",
                "currency": "USD",
                "need_by": plan.scenario.start_date or delivery,
                "order_by": _date(rec["order_by"]),
                "delivery": delivery,
                "late": "late" if rec["late"] else "",
                "unit_power_kw": rec["power_kw"] / rec["quantity"],
                "price_date": dt.date.fromisoformat(quote) if isinstance(quote, str) else None,
                **{f"c_{k}": rec["unit_cost_components_usd"].get(k, 0.0) for k in PERIOD_COMPONENTS},
            }
        )
    return rows


def _date(iso: str | None) -> dt.date | None:
    return None if iso is None else dt.date.fromisoformat(iso)


def _number(v: float) -> str:
    """Plain decimal text, no thousands separators (``37500``, ``0.6``)."""
    return format(float(v), ".15g")


def csv_cell(v: Any) -> str:
    """One CSV cell: empty for missing, ISO dates, plain numbers, ``true``/``false``, safe text."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return _number(float(v))
    return str(safe_text(str(v)))


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CSV_LINE_END)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def to_csv(plan: Plan) -> str:
    """Line items as CSV: UTF-8, one header row, no thousands separators, ISO dates."""
    rows = [[int(r[key]) if kind == "int" else r.get(key) for _, key, kind in LINE_COLUMNS] for r in line_rows(plan)]
    return _csv([h for h, _, _ in LINE_COLUMNS], rows)


def write_csv(plan: Plan, path: Path) -> None:
    path.write_text(to_csv(plan), encoding="utf-8")


class Sheet:
    """One XlsxWriter worksheet with the workbook's formats; rows and columns are 0-based here.

    Every formula is written with its computed value (XlsxWriter stores both), so readers that do
    not recompute (pandas, previewers) see numbers while a spreadsheet recomputes live formulas.
    """

    def __init__(self, wb: Any, title: str) -> None:
        self.ws = wb.add_worksheet(title)
        self.f = _formats(wb)

    def header(self, headers: list[str], widths: dict[int, float] | None = None) -> None:
        """Bold header row, frozen; column widths (default 16)."""
        for c, h in enumerate(headers):
            self.ws.write_string(0, c, xlsx_text(h), self.f["bold"])
            self.ws.set_column(c, c, (widths or {}).get(c, 16))
        self.ws.freeze_panes(1, 0)

    def filter(self, last_row: int, columns: int) -> None:
        """Autofilter over the header and the data rows (0-based last row)."""
        self.ws.autofilter(0, 0, max(last_row, 1), columns - 1)

    def text(self, r: int, c: int, text: Any, fmt: str | None = None) -> None:
        """A string cell, never a formula (quote prefix when it looks like one)."""
        t = xlsx_text("" if text is None else str(text))
        quoted = t.startswith(FORMULA_PREFIXES)
        self.ws.write_string(r, c, t, self.f["quoted"] if quoted else self.f.get(fmt or ""))

    def value(self, r: int, c: int, v: Any, fmt: str | None = None) -> None:
        """A number as a number, a date as a date, missing as an empty cell, anything else as text."""
        if v is None or (isinstance(v, float) and v != v):
            return
        if isinstance(v, dt.date):
            self.ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), self.f["date"])
        elif isinstance(v, numbers.Real) and not isinstance(v, bool):
            self.ws.write_number(r, c, float(v), self.f.get(fmt or ""))
        else:
            self.text(r, c, v)

    def formula(self, r: int, c: int, formula: str, value: float, fmt: str) -> None:
        """A live formula with its computed value cached beside it."""
        self.ws.write_formula(r, c, formula, self.f[fmt], float(value))


NUMBER_FORMATS = {
    "usd": USD_FORMAT,
    "usd_cents": USD_CENTS_FORMAT,
    "int": "#,##0",
    "kw": "#,##0.0",
    "unit_kw": "#,##0.000",
    "share": "0.0000",
    "x": "#,##0.00",
    "num": "#,##0.####",
}


def _formats(wb: Any) -> dict[str, Any]:
    """The workbook's cell formats, created once per workbook (kept on the workbook object)."""
    out: dict[str, Any] | None = getattr(wb, "planner_formats", None)
    if out is None:
        out = {name: wb.add_format({"num_format": spec}) for name, spec in NUMBER_FORMATS.items()}
        out["date"] = wb.add_format({"num_format": DATE_FORMAT})
        out["bold"] = wb.add_format({"bold": True})
        out["bold_usd"] = wb.add_format({"bold": True, "num_format": USD_FORMAT})
        out["quoted"] = wb.add_format({"quote_prefix": True})
        wb.planner_formats = out
    return out


LINE_FORMATS = {"quantity": "int", "lead_time_weeks": "int", "unit_power_kw": "unit_kw", "power_kw": "kw"}
LINE_FORMULAS = {
    "extended_price_usd": "unit_price_usd",
    "extended_capital_usd": "unit_capital_usd",
    "extended_opex_usd": "unit_opex_usd",
    "power_kw": "unit_power_kw",
}
# Unit columns that are the sum of component columns (planner.tco), live in the workbook.
SUM_FORMULAS = {
    "unit_price_usd": ("unit_device_price_usd", "unit_host_share_usd"),
    "unit_capital_usd": tuple(f"c_{k}" for k in CAPITAL_COMPONENTS),
    "unit_opex_usd": tuple(f"c_{k}" for k in PERIOD_OPEX_COMPONENTS),
}


def _column_letters() -> dict[str, str]:
    from xlsxwriter.utility import xl_col_to_name

    return {key: xl_col_to_name(i) for i, (_, key, _) in enumerate(LINE_COLUMNS)}


def _line_cell(sh: Sheet, r: int, c: int, row: dict[str, Any], key: str, kind: str, col: dict[str, str]) -> None:
    """One Line items cell: quantity x unit formulas with their values, else the typed value."""
    if key in SUM_FORMULAS and not (key == "unit_price_usd" and row["mode"] == "own" and _unsplit(row)):
        parts = SUM_FORMULAS[key]
        cells = "+".join(f"{col[k]}{r + 1}" for k in parts)
        sh.formula(r, c, f"={cells}", sum(float(row[k] or 0.0) for k in parts), "usd_cents")
    elif key in LINE_FORMULAS:
        unit_key = LINE_FORMULAS[key]
        value = row["quantity"] * (row[unit_key] or 0.0)
        fmt = LINE_FORMATS.get(key, "usd")
        sh.formula(r, c, f"={col['quantity']}{r + 1}*{col[unit_key]}{r + 1}", value, fmt)
    elif kind == "text":
        if row.get(key) is not None:
            sh.text(r, c, row[key])
    elif kind == "int":
        sh.value(r, c, int(row[key]), "int")
    elif kind == "usd":
        sh.value(r, c, row.get(key), "usd_cents")
    else:
        sh.value(r, c, row.get(key), LINE_FORMATS.get(key, "num"))


# Line items money of a periodised plan written as values: aggregates over the periods (see module doc).
PERIODIC_VALUES = {"extended_price_usd", "extended_capital_usd", "extended_opex_usd", *SUM_FORMULAS}
PERIODIC_NOTE = "periodised plan: the figure over all periods as solved, a value; unit figures are extended / quantity"


def _periodic_line_cell(sh: Sheet, r: int, c: int, row: dict[str, Any], key: str, kind: str, col: dict[str, str]) -> None:
    """One Line items cell of a periodised plan: money as values, no per-unit components, else as one period."""
    if key.startswith("c_"):
        return
    if key in PERIODIC_VALUES:
        sh.value(r, c, row.get(key), "usd_cents" if key.startswith("unit_") else "usd")
    else:
        _line_cell(sh, r, c, row, key, kind, col)


def _unsplit(row: dict[str, Any]) -> bool:
    """A unit price that is not device + host share (audit reviewers, whose price is 0)."""
    return abs(row["unit_price_usd"] - row["unit_device_price_usd"] - row["unit_host_share_usd"]) > 1e-6 * max(1.0, row["unit_price_usd"])


def _line_items_sheet(wb: Any, title: str, plan: Plan) -> tuple[dict[str, str], int]:
    """The plan's line items on sheet ``title``; return the column letters by key and the last row (1-based)."""
    sh = Sheet(wb, title)
    col = _column_letters()
    widths = {"id": 28, "vendor": 14, "name": 40, "price_source": 60, "price_origin": 24}
    sh.header([h for h, _, _ in LINE_COLUMNS], {i: widths.get(key, 16) for i, (_, key, _) in enumerate(LINE_COLUMNS)})
    rows = line_rows(plan)
    cell = _periodic_line_cell if plan.periods else _line_cell
    for r, row in enumerate(rows, start=1):
        for c, (_, key, kind) in enumerate(LINE_COLUMNS):
            cell(sh, r, c, row, key, kind, col)
    if plan.periods:
        for c, (_, key, _) in enumerate(LINE_COLUMNS):
            if key in PERIODIC_VALUES or key.startswith("c_"):
                note = (
                    "periodised plan: empty (a unit's cost differs by period; see Periods and Orders)"
                    if key.startswith("c_")
                    else PERIODIC_NOTE
                )
                sh.ws.write_comment(0, c, note)
    sh.filter(len(rows), len(LINE_COLUMNS))
    return col, max(2, len(rows) + 1)


def _role_rows(sh: Sheet, plan: Plan, col: dict[str, str], last: int) -> int:
    """Capex, opex and total per role as SUMIFS over Line items (with values); returns the total row (0-based)."""
    li = "'Line items'"
    role_rng = f"{li}!${col['role']}$2:${col['role']}${last}"
    cap_rng = f"{li}!${col['extended_capital_usd']}$2:${col['extended_capital_usd']}${last}"
    opx_rng = f"{li}!${col['extended_opex_usd']}$2:${col['extended_opex_usd']}${last}"
    for r, role in enumerate(ROLES, start=1):
        capex, opex = plan.spend_by_role_capex_usd[role], plan.spend_by_role_opex_usd[role]
        sh.text(r, 0, role)
        sh.formula(r, 1, f'=SUMIFS({cap_rng},{role_rng},"{role}")', capex, "usd")
        sh.formula(r, 2, f'=SUMIFS({opx_rng},{role_rng},"{role}")', opex, "usd")
        sh.formula(r, 3, f"=B{r + 1}+C{r + 1}", capex + opex, "usd")
    tot = len(ROLES) + 1
    sh.text(tot, 0, "total", "bold")
    sums = (sum(plan.spend_by_role_capex_usd.values()), sum(plan.spend_by_role_opex_usd.values()))
    for c, (letter, value) in enumerate(zip("BCD", (*sums, sum(sums)), strict=True), start=1):
        sh.formula(tot, c, f"=SUM({letter}2:{letter}{tot})", value, "bold_usd")
    return tot


def _summary_sheet(wb: Any, plan: Plan, col: dict[str, str], last: int) -> None:
    """Capex, opex and total by role as SUMIFS over Line items, budget and remaining as formulas
    (each with its value), then the plan's headline figures as solved."""
    sh = Sheet(wb, "Summary")
    sh.header(["role", "capex (USD)", "opex (USD)", "total (USD)"], {0: 36, 1: 20, 2: 20, 3: 20})
    tot = _periodic_role_rows(sh, plan) if plan.periods else _role_rows(sh, plan, col, last)
    spent = sum(plan.spend_by_role_usd.values())
    sh.text(tot + 2, 0, "budget")
    sh.value(tot + 2, 3, float(plan.budget_usd), "usd")
    sh.text(tot + 3, 0, "remaining")
    sh.formula(tot + 3, 3, f"=D{tot + 3}-D{tot + 1}", plan.budget_usd - spent, "usd")
    figs = headline(plan)
    figures = [f for f in figs if f.key not in ("budget", "remaining", "capex", "opex", "total")]
    figures += [dataclasses.replace(f, label="plan total as solved (USD)") for f in figs if f.key == "total"]
    for j, fig in enumerate(figures, start=tot + 5):
        sh.text(j, 0, fig.label)
        sh.value(j, 3, fig.value, SUMMARY_FORMATS.get(fig.key, "num"))
    if plan.periods:
        sh.text(tot + 6 + len(figures), 0, SUMMARY_PERIODIC_NOTE)


SUMMARY_PERIODIC_NOTE = (
    "note: a periodised plan: each role's total and the totals row are formulas over the Periods sheet's totals; "
    "capex and opex by role are the plan's figures as solved (values)"
)


def _periodic_role_rows(sh: Sheet, plan: Plan) -> int:
    """Capex and opex per role as solved (values), each role's total and the totals row as formulas
    over the Periods totals row; returns the total row (0-based)."""
    ref = _period_total_refs(plan)
    for r, role in enumerate(ROLES, start=1):
        sh.text(r, 0, role)
        sh.value(r, 1, plan.spend_by_role_capex_usd[role], "usd")
        sh.value(r, 2, plan.spend_by_role_opex_usd[role], "usd")
        sh.formula(r, 3, f"={ref[f'role_{role}']}", sum(p.spend_by_role_usd.get(role, 0.0) for p in plan.periods), "usd")
    tot = len(ROLES) + 1
    sh.text(tot, 0, "total", "bold")
    totals = _period_totals(plan)
    for c, key in enumerate(("capex", "opex", "total"), start=1):
        sh.formula(tot, c, f"={ref[key]}", totals[key], "bold_usd")
    return tot


SUMMARY_FORMATS = {
    "purchase": "usd",
    "agents": "int",
    "speedup": "x",
    "alpha": "share",
    "alpha_floor": "share",
    "facility_kw": "kw",
    "total": "usd",
}


def _assumptions_sheet(wb: Any, plan: Plan) -> None:
    """Every scenario parameter with its value, unit and meaning."""
    sh = Sheet(wb, "Assumptions")
    sh.header(["parameter", "value", "unit", "description"], {0: 36, 1: 24, 3: 70})
    params = scenario_parameters(plan.scenario)
    for r, p in enumerate(params, start=1):
        sh.text(r, 0, p["parameter"])
        v = p["value"]
        if isinstance(v, bool) or v is None or isinstance(v, (list, str)):
            sh.text(r, 1, "" if v is None else ", ".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v)
        else:
            sh.value(r, 1, v, "int" if isinstance(v, int) else "num")
        sh.text(r, 2, p["unit"])
        sh.text(r, 3, p["description"])
    sh.filter(len(params), 4)


SOURCE_HEADERS = ["item id", "attribute", "value", "unit", "basis", "source", "source date", "currency year", "note", "origin"]


def _source_row(sh: Sheet, r: int, item_id: str, attr: str, s: dict[str, Any]) -> None:
    for c, text in ((0, item_id), (1, attr), (3, s["unit"]), (4, s["basis"]), (5, s["source"]), (8, s["note"]), (9, s["origin"])):
        sh.text(r, c, text or "")
    v = s["value"]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        sh.value(r, 2, float(v), "num")
    else:
        sh.text(r, 2, str(v))
    sh.value(r, 6, dt.date.fromisoformat(s["source_date"]))
    if s["currency_year"] is not None:
        sh.ws.write_number(r, 7, int(s["currency_year"]))


def _sources_sheet(wb: Any, plan: Plan) -> None:
    """Every catalog figure of the items bought, with basis, source, date and origin."""
    sh = Sheet(wb, "Sources")
    sh.header(SOURCE_HEADERS, {0: 28, 5: 70, 8: 60})
    r = 1
    for item_id in sorted({li.id for li in plan.items}):
        for attr, s in plan.sources.get(item_id, {}).items():
            _source_row(sh, r, item_id, attr, s)
            r += 1
    sh.filter(r - 1, len(SOURCE_HEADERS))


def _components_sheet(wb: Any, plan: Plan, col: dict[str, str], last: int) -> None:
    """Each cost component on its own line: what sets it, and its total over the plan as a live
    SUMPRODUCT of quantities and unit components on Line items."""
    sh = Sheet(wb, "Cost components")
    sh.header(["component", "kind", "total (USD)", "basis (scenario fields and catalog figures)"], {0: 16, 1: 10, 2: 20, 3: 90})
    qty = f"'Line items'!${col['quantity']}$2:${col['quantity']}${last}"
    components = PERIOD_COMPONENTS if plan.periods else COMPONENTS
    for r, k in enumerate(components, start=1):
        sh.text(r, 0, k)
        sh.text(r, 1, "capital" if k in CAPITAL_COMPONENTS else "opex")
        if plan.periods:
            sh.value(r, 2, plan.cost_usd.components.get(k, 0.0), "usd")
            sh.text(r, 3, COMPONENT_BASIS[k] + f" ({plan.cost_usd.view} view; sum over the periods as solved, a value)")
        else:
            unit = f"'Line items'!${col[f'c_{k}']}$2:${col[f'c_{k}']}${last}"
            sh.formula(r, 2, f"=SUMPRODUCT({qty},{unit})", plan.cost_usd.components.get(k, 0.0), "usd")
            sh.text(r, 3, COMPONENT_BASIS[k] + f" ({plan.cost_usd.view} view)")
    tot = len(components) + 1
    sh.text(tot, 0, "total", "bold")
    sh.formula(tot, 2, f"=SUM(C2:C{tot})", plan.cost_usd.total, "bold_usd")


# ------------------------------------------------------------------------------ periodised plans

PERIOD_MONEY = ("budget", "capex", "opex", "total", "cash", "amortised")


def _period_columns(plan: Plan) -> list[tuple[str, str, str]]:
    """Periods columns: (header, key, format); money in the scenario's cost view unless named."""
    view = plan.cost_usd.view
    return [
        ("period (0-based index)", "index", "int"),
        ("start", "start", "date"),
        ("end", "end", "date"),
        ("years", "years", "num"),
        ("alpha", "alpha", "share"),
        ("alpha floor", "alpha_floor", "share"),
        ("budget (USD)", "budget", "usd"),
        (f"capex, {view} view (USD)", "capex", "usd"),
        ("opex (USD)", "opex", "usd"),
        ("total, capex + opex (USD)", "total", "usd"),
        ("cash view (USD)", "cash", "usd"),
        ("amortised view (USD)", "amortised", "usd"),
        ("discount factor", "discount_factor", "share"),
        ("progress", "progress", "x"),
        ("facility power (kW)", "facility_kw", "kw"),
        ("power cap (kW)", "power_cap_kw", "kw"),
        *[(f"{role}, {view} view (USD)", f"role_{role}", "usd") for role in ROLES],
    ]


def _period_value(p: PeriodSection, key: str) -> Any:
    """One Periods cell's value: dates as dates, missing as None."""
    if key in ("start", "end"):
        return _date(getattr(p, key))
    if key in ("capex", "opex", "total"):
        return getattr(p.cost_usd, key)
    if key.startswith("role_"):
        return p.spend_by_role_usd.get(key.removeprefix("role_"), 0.0)
    return getattr(p, {"budget": "budget_usd", "cash": "cash_usd", "amortised": "amortised_usd"}.get(key, key))


def _period_letters(plan: Plan) -> dict[str, str]:
    """Periods column letters by key."""
    from xlsxwriter.utility import xl_col_to_name

    return {key: xl_col_to_name(i) for i, (_, key, _) in enumerate(_period_columns(plan))}


def _period_money_keys(plan: Plan) -> list[str]:
    """Periods columns with a total: money, the budget only when every period has one."""
    keys = [*PERIOD_MONEY, *(f"role_{role}" for role in ROLES)]
    return [k for k in keys if k != "budget" or all(p.budget_usd is not None for p in plan.periods)]


def _period_totals(plan: Plan) -> dict[str, float]:
    """The Periods totals row's values by key."""
    return {k: sum(float(_period_value(p, k) or 0.0) for p in plan.periods) for k in _period_money_keys(plan)}


def _period_total_refs(plan: Plan) -> dict[str, str]:
    """Absolute references to the Periods totals row's cells by key (for the Summary)."""
    letters, row = _period_letters(plan), len(plan.periods) + 2
    return {k: f"'Periods'!${letters[k]}${row}" for k in _period_money_keys(plan)}


def _periods_sheet(wb: Any, plan: Plan) -> None:
    """One row per period, total = capex + opex as a formula, and a totals row of live SUMs."""
    sh = Sheet(wb, "Periods")
    columns, letters = _period_columns(plan), _period_letters(plan)
    sh.header([h for h, _, _ in columns], {i: 20 for i in range(len(columns))})
    for r, p in enumerate(plan.periods, start=1):
        for c, (_, key, fmt) in enumerate(columns):
            if key == "total":
                sh.formula(r, c, f"={letters['capex']}{r + 1}+{letters['opex']}{r + 1}", p.cost_usd.capex + p.cost_usd.opex, fmt)
            else:
                sh.value(r, c, _period_value(p, key), fmt)
    tot, totals = len(plan.periods) + 1, _period_totals(plan)
    sh.text(tot, 0, "total", "bold")
    for c, (_, key, _) in enumerate(columns):
        if key in totals:
            sh.formula(tot, c, f"=SUM({letters[key]}2:{letters[key]}{tot})", totals[key], "bold_usd")
    sh.filter(len(plan.periods), len(columns))


ORDER_COLUMNS: list[tuple[str, str, str]] = [
    ("item id", "id", "text"),
    ("role", "role", "text"),
    ("quantity", "quantity", "int"),
    ("order-by date", "order_by", "date"),
    ("delivery date", "delivery", "date"),
    ("period (0-based index; the first it serves)", "period", "int"),
    ("period start", "period_start", "date"),
    ("order period (0-based index; empty: before the plan)", "order_period", "int"),
    ("retires (first day out of service)", "retires", "date"),
    ("lifetime (years)", "lifetime_years", "num"),
    ("unit price (USD)", "unit_price_usd", "usd_cents"),
    ("unit capital (USD)", "unit_capital_usd", "usd_cents"),
    ("extended capital (USD)", "extended_capital_usd", "usd"),
    ("late", "late", "text"),
]


def _order_record(plan: Plan, o: OrderRow) -> dict[str, Any]:
    """An order's cells by key: dates as dates, the late flag as text."""
    rec = dataclasses.asdict(o)
    return {
        **rec,
        **{k: _date(rec[k]) for k in ("order_by", "delivery", "retires")},
        "period_start": _date(plan.periods[o.period].start),
        "late": "late" if o.late else "",
    }


def _orders_sheet(wb: Any, plan: Plan) -> None:
    """The order calendar: extended capital = quantity x unit capital (a formula), a total of live SUM."""
    from xlsxwriter.utility import xl_col_to_name

    sh = Sheet(wb, "Orders")
    letters = {key: xl_col_to_name(i) for i, (_, key, _) in enumerate(ORDER_COLUMNS)}
    sh.header([h for h, _, _ in ORDER_COLUMNS], {0: 28, 5: 20, 7: 24, 8: 20})
    for r, o in enumerate(plan.orders, start=1):
        rec = _order_record(plan, o)
        for c, (_, key, kind) in enumerate(ORDER_COLUMNS):
            if key == "extended_capital_usd":
                sh.formula(
                    r, c, f"={letters['quantity']}{r + 1}*{letters['unit_capital_usd']}{r + 1}", o.quantity * o.unit_capital_usd, kind
                )
            elif kind == "text":
                sh.text(r, c, rec[key])
            else:
                sh.value(r, c, rec[key], kind)
    tot = len(plan.orders) + 1
    ext = ORDER_COLUMNS.index(("extended capital (USD)", "extended_capital_usd", "usd"))
    sh.text(tot, 0, "total", "bold")
    value = sum(o.quantity * o.unit_capital_usd for o in plan.orders)
    sh.formula(tot, ext, f"=SUM({letters['extended_capital_usd']}2:{letters['extended_capital_usd']}{tot})", value, "bold_usd")
    sh.filter(len(plan.orders), len(ORDER_COLUMNS))


FLEET_HEADERS = [
    "period (0-based index)",
    "period start",
    "line id",
    "role (idle: in service, serving no role; moved: moved into a role at the period's start)",
    "quantity",
    "role-change cost (USD)",
]


def _fleet_sheet(wb: Any, plan: Plan) -> None:
    """Units of each line serving each role in each period (one row per period, line and role),
    and the units moved into a role with what the move cost (``periods.role_change_usd``)."""
    sh = Sheet(wb, "Fleet")
    sh.header(FLEET_HEADERS, {2: 36, 3: 36, 5: 20})
    r = 1
    for p in plan.periods:
        rows: list[tuple[str, str, int, float | None]] = [(row.id, row.role, row.quantity, None) for row in p.fleet]
        rows += [(c.id, "moved", c.quantity, c.cost_usd) for c in p.role_changes]
        for item_id, role, quantity, cost in rows:
            sh.value(r, 0, p.index, "int")
            sh.value(r, 1, _date(p.start))
            sh.text(r, 2, item_id)
            sh.text(r, 3, role)
            sh.value(r, 4, quantity, "int")
            sh.value(r, 5, cost, "usd")
            r += 1
    sh.filter(r - 1, len(FLEET_HEADERS))


def write_xlsx(plan: Plan, path: Path) -> None:
    """The procurement workbook (see module docstring): one function per sheet."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    col, last = _line_items_sheet(wb, "Line items", plan)
    _summary_sheet(wb, plan, col, last)
    if plan.periods:
        _periods_sheet(wb, plan)
        _orders_sheet(wb, plan)
        _fleet_sheet(wb, plan)
    _components_sheet(wb, plan, col, last)
    _assumptions_sheet(wb, plan)
    _sources_sheet(wb, plan)
    wb.close()


def sheet_title(index: int, name: str) -> str:
    """An Excel-safe, unique sheet title: ``NN name`` without []:*?/\\, at most 31 characters."""
    clean = "".join(ch for ch in xlsx_text(name) if ch not in "[]:*?/\\").strip().strip("'").strip() or "scenario"
    return f"{index:02d} {clean}"[:31].rstrip("' ")


COMPARISON_COLUMNS = [
    ("scenario", 40),
    ("baseline", 10),
    ("status", 12),
    ("sheet", 24),
    ("capex (USD)", 20),
    ("opex (USD)", 20),
    ("total (USD)", 20),
    ("budget (USD)", 20),
    ("remaining (USD)", 20),
    ("objective", 14),
    ("objective value", 16),
    ("alpha floor", 12),
    ("alpha", 12),
    ("agents", 12),
    ("speedup (x)", 12),
]


def _comparison_figures(sh: Sheet, r: int, p: Plan) -> None:
    """Objective, floor, alpha, agents and speedup of one scenario, formatted like the plan's Summary."""
    sh.text(r, 9, p.objective.name)
    sh.value(r, 10, float(p.objective.value), "usd" if p.objective.unit == "USD" else "x")
    sh.value(r, 11, float(p.alpha_floor), "share")
    sh.value(r, 12, None if p.alpha is None else float(p.alpha), "share")
    sh.value(r, 13, float(p.agents), "int")
    sh.value(r, 14, float(p.speedup), "x")


def _comparison_row(wb: Any, sh: Sheet, i: int, run: Any, baseline: str) -> None:
    """Row ``i`` (0-based, after the header) of the comparison Summary, and the scenario's own line-items sheet."""
    sh.text(i, 0, run.name)
    sh.ws.write_boolean(i, 1, run.name == baseline)
    if run.plan is None:
        sh.text(i, 2, "infeasible")
        sh.text(i, 9, run.error or "")
        return
    p, title = run.plan, sheet_title(i, run.name)
    col, last = _line_items_sheet(wb, title, p)
    ref, r = "'" + title.replace("'", "''") + "'", i + 1
    sh.text(i, 2, p.status.value)
    sh.text(i, 3, title)
    capex, opex = p.cost_usd.capex, p.cost_usd.opex
    if p.periods:  # its line items do not sum to its totals (see the module doc): the totals as solved
        sh.value(i, 4, capex, "usd")
        sh.value(i, 5, opex, "usd")
    else:
        sh.formula(i, 4, f"=SUM({ref}!{col['extended_capital_usd']}2:{col['extended_capital_usd']}{last})", capex, "usd")
        sh.formula(i, 5, f"=SUM({ref}!{col['extended_opex_usd']}2:{col['extended_opex_usd']}{last})", opex, "usd")
    sh.formula(i, 6, f"=E{r}+F{r}", capex + opex, "usd")
    sh.value(i, 7, float(p.budget_usd), "usd")
    sh.formula(i, 8, f"=H{r}-G{r}", p.budget_usd - capex - opex, "usd")
    _comparison_figures(sh, i, p)


GROUNDING_HEADERS = {
    "alpha_floor": ("alpha floor", "share"),
    "status": ("status", None),
    "objective": ("objective", None),
    "objective_value": ("objective value", "x"),
    "alpha": ("alpha achieved", "share"),
    "cost_usd": ("total cost (USD)", "usd"),
    "progress": ("progress (x)", "x"),
    "verification_share": ("verification share of spend", "share"),
    **{f"{role}_usd": (f"{role} (USD)", "usd") for role in ROLES},
}


def _grounding_sheet(wb: Any, frame: Any) -> None:
    """The price of grounding with readable headers (units) and formatted numbers."""
    sh = Sheet(wb, "Price of grounding")
    columns = list(frame.columns)
    sh.header([GROUNDING_HEADERS.get(c, (c, None))[0] for c in columns], {i: 20 for i in range(len(columns))})
    for r, rec in enumerate(frame.to_dict("records"), start=1):
        for c, key in enumerate(columns):
            fmt = GROUNDING_HEADERS.get(key, (key, "num"))[1]
            if key == "objective_value" and rec.get("objective") == "min-cost":
                fmt = "usd"
            sh.value(r, c, rec[key], fmt)
    sh.filter(len(frame), len(columns))


def write_comparison_xlsx(comp: Any, path: Path) -> None:
    """Summary sheet (one row per scenario, totals as formulas over each scenario's sheet, with
    values), one line-items sheet per scenario, and the price-of-grounding table."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    sh = Sheet(wb, "Summary")
    sh.header([h for h, _ in COMPARISON_COLUMNS], {i: w for i, (_, w) in enumerate(COMPARISON_COLUMNS)})
    for i, run in enumerate(comp.runs, start=1):
        _comparison_row(wb, sh, i, run, comp.baseline)
    sh.filter(len(comp.runs), len(COMPARISON_COLUMNS))
    _grounding_sheet(wb, comp.grounding)
    wb.close()


def comparison_summary_csv(comp: Any) -> str:
    frame = comp.table()
    return _csv(list(frame.columns), [list(rec.values()) for rec in frame.to_dict("records")])


def write_comparison_export(comp: Any, path: str | Path, *, force: bool) -> list[Path]:
    """XLSX: one workbook. CSV: ``path`` is the summary, ``<stem>-NN.csv`` one per scenario."""
    from .errors import ScenarioError
    from .output import check_writable, write_atomic

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return [write_atomic(p, lambda tmp: write_comparison_xlsx(comp, tmp), force=force)]
    if suffix != ".csv":
        raise ScenarioError(f"{p}: unsupported export type {p.suffix!r}; expected .xlsx or .csv", field="--export")
    targets = [(p.with_name(f"{p.stem}-{i:02d}.csv"), run) for i, run in enumerate(comp.runs, start=1) if run.plan is not None]
    for target, _ in targets:
        check_writable(target, force=force)
    written = [write_atomic(p, comparison_summary_csv(comp), force=force)]
    written += [write_atomic(target, to_csv(run.plan), force=force) for target, run in targets]
    return written


def write_export(plan: Plan, path: str | Path, *, force: bool) -> Path:
    """Write ``plan`` to ``path`` (.xlsx or .csv) atomically."""
    from .errors import ScenarioError
    from .output import write_atomic

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return write_atomic(p, lambda tmp: write_xlsx(plan, tmp), force=force)
    if suffix == ".csv":
        return write_atomic(p, to_csv(plan), force=force)
    raise ScenarioError(f"{p}: unsupported export type {p.suffix!r}; expected .xlsx or .csv", field="--export")
