"""Procurement exports of a plan: an XLSX workbook with live formulas, and a CSV of line items.

Workbook sheets:

* **Line items**: one row per (item, role): id, vendor, description, role, quantity, unit, unit price,
  extended price (a formula of quantity and unit price), unit opex, extended opex (formula),
  currency, lead time, order-by and need-by dates, power kW (formula), source, quote date, origin.
* **Summary**: capex, opex and total by role as SUMIFS formulas over Line items, budget, remaining,
  so totals recompute when a buyer edits a quantity.
* **Assumptions**: every scenario parameter with its unit.
* **Sources**: every catalog figure of the items bought, with basis, source, date and origin.

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
from .result import ROLES, Plan
from .scenario import scenario_parameters

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
    ("unit price (USD)", "unit_price_usd", "usd"),
    ("extended price (USD)", "extended_price_usd", "usd"),
    ("unit opex over horizon (USD)", "unit_opex_usd", "usd"),
    ("extended opex (USD)", "extended_opex_usd", "usd"),
    ("currency", "currency", "text"),
    ("lead time (weeks)", "lead_time_weeks", "num"),
    ("order-by date", "order_by", "date"),
    ("need-by date", "need_by", "date"),
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
    start = plan.scenario.start_date or dt.date.today()
    rows = []
    for rec in (dataclasses.asdict(li) for li in plan.items):
        lead = rec["lead_time_weeks"]
        quote = rec["price_date"]
        rows.append(
            {
                **rec,
                "unit": "reviewer-year" if rec["category"] == "audit" else "unit",
                "currency": "USD",
                "lead_time_weeks": lead,
                "need_by": start,
                "order_by": start - dt.timedelta(weeks=lead) if lead is not None else None,
                "unit_power_kw": rec["power_kw"] / rec["quantity"],
                "price_date": dt.date.fromisoformat(quote) if isinstance(quote, str) else None,
            }
        )
    return rows


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


def _line_items_sheet(ws: Any, plan: Plan) -> tuple[dict[str, str], int]:
    """Fill ``ws`` with the plan's line items; return the column letters by key and the last row."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    col = {key: get_column_letter(i + 1) for i, (_, key, _) in enumerate(LINE_COLUMNS)}
    ws.append([h for h, _, _ in LINE_COLUMNS])
    for c in ws[1]:
        c.font = bold
    rows = line_rows(plan)
    for r, row in enumerate(rows, start=2):
        for i, (_, key, kind) in enumerate(LINE_COLUMNS, start=1):
            cell = ws.cell(row=r, column=i)
            if key == "extended_price_usd":
                cell.value = f"={col['quantity']}{r}*{col['unit_price_usd']}{r}"
            elif key == "extended_opex_usd":
                cell.value = f"={col['quantity']}{r}*{col['unit_opex_usd']}{r}"
            elif key == "power_kw":
                cell.value = f"={col['quantity']}{r}*{col['unit_power_kw']}{r}"
            else:
                v = row.get(key)
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if kind == "text":
                    _set_text(cell, str(v))
                elif kind == "int":
                    cell.value = int(v)
                elif kind == "date":
                    cell.value = v
                else:
                    cell.value = float(v)
            if kind == "usd":
                cell.number_format = USD_FORMAT if key.startswith("extended") else USD_CENTS_FORMAT
            elif kind == "date":
                cell.number_format = DATE_FORMAT
            elif kind == "num":
                cell.number_format = "#,##0.000"
    widths = {"id": 28, "vendor": 14, "name": 40, "price_source": 60, "price_origin": 24}
    for _, key, _ in LINE_COLUMNS:
        ws.column_dimensions[col[key]].width = widths.get(key, 16)
    ws.freeze_panes = "A2"
    return col, max(2, len(rows) + 1)


def _bold_header(ws: Any, headers: list[str]) -> None:
    from openpyxl.styles import Font

    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)


def _summary_sheet(ws: Any, plan: Plan, col: dict[str, str], last: int) -> None:
    """Capex, opex and total by role as SUMIFS over Line items, budget and remaining as formulas,
    then the plan's headline figures as solved."""
    from openpyxl.styles import Font

    _bold_header(ws, ["role", "capex (USD)", "opex (USD)", "total (USD)"])
    li = "'Line items'"
    role_rng = f"{li}!${col['role']}$2:${col['role']}${last}"
    cap_rng = f"{li}!${col['extended_price_usd']}$2:${col['extended_price_usd']}${last}"
    opx_rng = f"{li}!${col['extended_opex_usd']}$2:${col['extended_opex_usd']}${last}"
    for i, role in enumerate(ROLES, start=2):
        ws.cell(row=i, column=1, value=role)
        ws.cell(row=i, column=2, value=f'=SUMIFS({cap_rng},{role_rng},"{role}")')
        ws.cell(row=i, column=3, value=f'=SUMIFS({opx_rng},{role_rng},"{role}")')
        ws.cell(row=i, column=4, value=f"=B{i}+C{i}")
    tot = len(ROLES) + 2
    ws.cell(row=tot, column=1, value="total").font = Font(bold=True)
    for c, letter in ((2, "B"), (3, "C"), (4, "D")):
        ws.cell(row=tot, column=c, value=f"=SUM({letter}2:{letter}{tot - 1})").font = Font(bold=True)
    ws.cell(row=tot + 2, column=1, value="budget")
    ws.cell(row=tot + 2, column=4, value=float(plan.budget_usd))
    ws.cell(row=tot + 3, column=1, value="remaining")
    ws.cell(row=tot + 3, column=4, value=f"=D{tot + 2}-D{tot}")
    for r in range(2, tot + 4):
        for c in (2, 3, 4):
            ws.cell(row=r, column=c).number_format = USD_FORMAT
    figs = headline(plan)
    figures = [f for f in figs if f.key not in ("budget", "remaining", "capex", "opex", "total")]
    figures += [dataclasses.replace(f, label="plan total as solved (USD)") for f in figs if f.key == "total"]
    for j, fig in enumerate(figures, start=tot + 5):
        _set_text(ws.cell(row=j, column=1), fig.label)
        _set_value(ws.cell(row=j, column=4), fig.value)
    ws.column_dimensions["A"].width = 36
    for letter in ("B", "C", "D"):
        ws.column_dimensions[letter].width = 20


def _set_value(cell: Any, v: Any) -> None:
    """A number as a number, anything else as safe text, missing as an empty cell."""
    if v is None or (isinstance(v, float) and v != v):
        return
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        cell.value = v
    else:
        _set_text(cell, str(v))


def _assumptions_sheet(ws: Any, plan: Plan) -> None:
    """Every scenario parameter with its value, unit and meaning."""
    _bold_header(ws, ["parameter", "value", "unit", "description"])
    for r, p in enumerate(scenario_parameters(plan.scenario), start=2):
        _set_text(ws.cell(row=r, column=1), p["parameter"])
        v = p["value"]
        cell = ws.cell(row=r, column=2)
        if isinstance(v, bool) or v is None or isinstance(v, (list, str)):
            _set_text(cell, "" if v is None else ", ".join(v) if isinstance(v, list) else str(v))
        elif isinstance(v, dt.date):
            cell.value = v
            cell.number_format = DATE_FORMAT
        else:
            cell.value = v
        _set_text(ws.cell(row=r, column=3), p["unit"])
        _set_text(ws.cell(row=r, column=4), p["description"])
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["D"].width = 70


SOURCE_HEADERS = ["item id", "attribute", "value", "unit", "basis", "source", "source date", "currency year", "note", "origin"]


def _source_row(ws: Any, r: int, item_id: str, attr: str, s: dict[str, Any]) -> None:
    for c, text in ((1, item_id), (2, attr), (4, s["unit"]), (5, s["basis"]), (6, s["source"]), (9, s["note"]), (10, s["origin"])):
        _set_text(ws.cell(row=r, column=c), text or "")
    v = s["value"]
    if isinstance(v, (int, float)):
        ws.cell(row=r, column=3, value=float(v))
    else:
        _set_text(ws.cell(row=r, column=3), str(v))
    ws.cell(row=r, column=7, value=dt.date.fromisoformat(s["source_date"])).number_format = DATE_FORMAT
    if s["currency_year"] is not None:
        ws.cell(row=r, column=8, value=int(s["currency_year"]))


def _sources_sheet(ws: Any, plan: Plan) -> None:
    """Every catalog figure of the items bought, with basis, source, date and origin."""
    _bold_header(ws, SOURCE_HEADERS)
    r = 2
    for item_id in sorted({li.id for li in plan.items}):
        for attr, s in plan.sources.get(item_id, {}).items():
            _source_row(ws, r, item_id, attr, s)
            r += 1
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["F"].width = 70
    ws.column_dimensions["I"].width = 60


def write_xlsx(plan: Plan, path: Path) -> None:
    """The procurement workbook (see module docstring): one function per sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Line items"
    col, last = _line_items_sheet(ws, plan)
    _summary_sheet(wb.create_sheet("Summary"), plan, col, last)
    _assumptions_sheet(wb.create_sheet("Assumptions"), plan)
    _sources_sheet(wb.create_sheet("Sources"), plan)
    wb.save(path)


def _set_text(cell: Any, text: str) -> None:
    """Write ``text`` as a string cell, never a formula (quote prefix when it looks like one)."""
    text = xlsx_text(text)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def sheet_title(index: int, name: str) -> str:
    """An Excel-safe, unique sheet title: ``NN name`` without []:*?/\\, at most 31 characters."""
    clean = "".join(ch for ch in xlsx_text(name) if ch not in "[]:*?/\\").strip().strip("'").strip() or "scenario"
    return f"{index:02d} {clean}"[:31].rstrip("' ")


def _comparison_row(wb: Any, sm: Any, i: int, run: Any, baseline: str) -> None:
    """Row ``i + 1`` of the comparison Summary, and the scenario's own line-items sheet."""
    r = i + 1
    _set_text(sm.cell(r, 1), run.name)
    sm.cell(r, 2, value=run.name == baseline)
    if run.plan is None:
        _set_text(sm.cell(r, 3), "infeasible")
        _set_text(sm.cell(r, 10), run.error or "")
        return
    title = sheet_title(i, run.name)
    ws = wb.create_sheet(title)
    col, last = _line_items_sheet(ws, run.plan)
    ref = "'" + title.replace("'", "''") + "'"
    _set_text(sm.cell(r, 3), run.plan.status.value)
    _set_text(sm.cell(r, 4), title)
    sm.cell(r, 5, value=f"=SUM({ref}!{col['extended_price_usd']}2:{col['extended_price_usd']}{last})")
    sm.cell(r, 6, value=f"=SUM({ref}!{col['extended_opex_usd']}2:{col['extended_opex_usd']}{last})")
    sm.cell(r, 7, value=f"=E{r}+F{r}")
    sm.cell(r, 8, value=float(run.plan.budget_usd))
    sm.cell(r, 9, value=f"=H{r}-G{r}")
    for c in range(5, 10):
        sm.cell(r, c).number_format = USD_FORMAT
    _set_text(sm.cell(r, 10), run.plan.objective.name)
    sm.cell(r, 11, value=float(run.plan.objective.value))
    sm.cell(r, 12, value=float(run.plan.alpha_floor))
    if run.plan.alpha is not None:
        sm.cell(r, 13, value=float(run.plan.alpha))
    sm.cell(r, 14, value=float(run.plan.agents))
    sm.cell(r, 15, value=float(run.plan.speedup))


def write_comparison_xlsx(comp: Any, path: Path) -> None:
    """Summary sheet (one row per scenario, totals as formulas over each scenario's sheet), one
    line-items sheet per scenario, and the price-of-grounding table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    sm = wb.active
    sm.title = "Summary"
    headers = [
        "scenario",
        "baseline",
        "status",
        "sheet",
        "capex (USD)",
        "opex (USD)",
        "total (USD)",
        "budget (USD)",
        "remaining (USD)",
        "objective",
        "objective value",
        "alpha floor",
        "alpha",
        "agents",
        "speedup",
    ]
    sm.append(headers)
    for c in sm[1]:
        c.font = bold
    for i, run in enumerate(comp.runs, start=1):
        _comparison_row(wb, sm, i, run, comp.baseline)
    sm.column_dimensions["A"].width = 40
    g = wb.create_sheet("Price of grounding")
    frame = comp.grounding
    g.append(list(frame.columns))
    for c in g[1]:
        c.font = bold
    for rec in frame.to_dict("records"):
        g.append([None if isinstance(v, float) and v != v else v for v in rec.values()])
    wb.save(path)


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
