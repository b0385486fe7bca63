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
import datetime as dt
import io
import numbers
from pathlib import Path
from typing import Any

from .results import Plan
from .scenario import scenario_parameters

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
USD_FORMAT = '"USD" #,##0'
USD_CENTS_FORMAT = '"USD" #,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
ROLES = ("training", "inference", "verification", "memory")

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


def safe_text(value: Any) -> Any:
    """A string that a spreadsheet would treat as a formula gets a leading apostrophe (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def line_rows(plan: Plan) -> list[dict[str, Any]]:
    """Line items with procurement fields (unit, currency, dates), in report order."""
    start = plan.scenario.start_date or dt.date.today()
    rows = []
    for rec in plan.line_items.to_dict("records"):
        lead = rec.get("lead_time_weeks")
        lead = None if lead is None or lead != lead else float(lead)
        quote = rec.get("price_date")
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
    writer = csv.writer(buf, lineterminator="\n")
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


def write_xlsx(plan: Plan, path: Path) -> None:
    """The procurement workbook (see module docstring)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Line items"
    bold = Font(bold=True)
    col, last = _line_items_sheet(ws, plan)

    # Summary: formulas over Line items
    sm = wb.create_sheet("Summary")
    sm.append(["role", "capex (USD)", "opex (USD)", "total (USD)"])
    for c in sm[1]:
        c.font = bold
    li = "'Line items'"
    role_rng = f"{li}!${col['role']}$2:${col['role']}${last}"
    cap_rng = f"{li}!${col['extended_price_usd']}$2:${col['extended_price_usd']}${last}"
    opx_rng = f"{li}!${col['extended_opex_usd']}$2:${col['extended_opex_usd']}${last}"
    for i, role in enumerate(ROLES, start=2):
        sm.cell(row=i, column=1, value=role)
        sm.cell(row=i, column=2, value=f'=SUMIFS({cap_rng},{role_rng},"{role}")')
        sm.cell(row=i, column=3, value=f'=SUMIFS({opx_rng},{role_rng},"{role}")')
        sm.cell(row=i, column=4, value=f"=B{i}+C{i}")
    tot = len(ROLES) + 2
    sm.cell(row=tot, column=1, value="total").font = bold
    for c, letter in ((2, "B"), (3, "C"), (4, "D")):
        sm.cell(row=tot, column=c, value=f"=SUM({letter}2:{letter}{tot - 1})").font = bold
    sm.cell(row=tot + 2, column=1, value="budget")
    sm.cell(row=tot + 2, column=4, value=float(plan.scenario.budget_usd))
    sm.cell(row=tot + 3, column=1, value="remaining")
    sm.cell(row=tot + 3, column=4, value=f"=D{tot + 2}-D{tot}")
    for r in range(2, tot + 4):
        for c in (2, 3, 4):
            sm.cell(row=r, column=c).number_format = USD_FORMAT
    extra = [
        ("objective", plan.objective["name"]),
        ("objective value", plan.objective["value"]),
        ("objective unit", plan.objective["unit"]),
        ("alpha floor", plan.alpha_floor),
        ("alpha achieved", plan.alpha),
        ("regime", plan.regime),
        ("agents", plan.agents),
        ("speedup", plan.speedup["counted"]),
        ("status", plan.status.value),
        ("plan total as solved (USD)", plan.cost["total"]),
    ]
    for j, (k, v) in enumerate(extra, start=tot + 5):
        sm.cell(row=j, column=1, value=k)
        cell = sm.cell(row=j, column=4)
        if isinstance(v, str):
            _set_text(cell, v)
        else:
            cell.value = v
    sm.column_dimensions["A"].width = 28
    for letter in ("B", "C", "D"):
        sm.column_dimensions[letter].width = 20

    # Assumptions
    asm = wb.create_sheet("Assumptions")
    asm.append(["parameter", "value", "unit", "description"])
    for c in asm[1]:
        c.font = bold
    for r, p in enumerate(scenario_parameters(plan.scenario), start=2):
        _set_text(asm.cell(row=r, column=1), p["parameter"])
        v = p["value"]
        cell = asm.cell(row=r, column=2)
        if isinstance(v, bool) or v is None or isinstance(v, (list, str)):
            _set_text(cell, "" if v is None else ", ".join(v) if isinstance(v, list) else str(v))
        elif isinstance(v, dt.date):
            cell.value = v
            cell.number_format = DATE_FORMAT
        else:
            cell.value = v
        _set_text(asm.cell(row=r, column=3), p["unit"])
        _set_text(asm.cell(row=r, column=4), p["description"])
    asm.column_dimensions["A"].width = 36
    asm.column_dimensions["B"].width = 24
    asm.column_dimensions["D"].width = 70

    # Sources
    src = wb.create_sheet("Sources")
    headers = ["item id", "attribute", "value", "unit", "basis", "source", "source date", "currency year", "note", "origin"]
    src.append(headers)
    for c in src[1]:
        c.font = bold
    bought = set(plan.line_items["id"])
    r = 2
    for item_id in sorted(bought):
        for attr, s in plan.sources.get(item_id, {}).items():
            _set_text(src.cell(row=r, column=1), item_id)
            _set_text(src.cell(row=r, column=2), attr)
            v = s["value"]
            if isinstance(v, (int, float)):
                src.cell(row=r, column=3, value=float(v))
            else:
                _set_text(src.cell(row=r, column=3), str(v))
            _set_text(src.cell(row=r, column=4), s["unit"] or "")
            _set_text(src.cell(row=r, column=5), s["basis"] or "")
            _set_text(src.cell(row=r, column=6), s["source"] or "")
            d = src.cell(row=r, column=7, value=dt.date.fromisoformat(s["source_date"]))
            d.number_format = DATE_FORMAT
            if s["currency_year"] is not None:
                src.cell(row=r, column=8, value=int(s["currency_year"]))
            _set_text(src.cell(row=r, column=9), s["note"] or "")
            _set_text(src.cell(row=r, column=10), s["origin"] or "")
            r += 1
    src.column_dimensions["A"].width = 28
    src.column_dimensions["F"].width = 70
    src.column_dimensions["I"].width = 60
    wb.save(path)


def _set_text(cell: Any, text: str) -> None:
    """Write ``text`` as a string cell, never a formula (quote prefix when it looks like one)."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def sheet_title(index: int, name: str) -> str:
    """An Excel-safe, unique sheet title: ``NN name`` without []:*?/\\, at most 31 characters."""
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\").strip() or "scenario"
    return f"{index:02d} {clean}"[:31]


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
        r = i + 1
        _set_text(sm.cell(r, 1), run.name)
        sm.cell(r, 2, value=run.name == comp.baseline)
        if run.plan is None:
            _set_text(sm.cell(r, 3), "infeasible")
            _set_text(sm.cell(r, 10), run.error or "")
            continue
        title = sheet_title(i, run.name)
        ws = wb.create_sheet(title)
        col, last = _line_items_sheet(ws, run.plan)
        ref = "'" + title.replace("'", "''") + "'"
        _set_text(sm.cell(r, 3), run.plan.status.value)
        _set_text(sm.cell(r, 4), title)
        sm.cell(r, 5, value=f"=SUM({ref}!{col['extended_price_usd']}2:{col['extended_price_usd']}{last})")
        sm.cell(r, 6, value=f"=SUM({ref}!{col['extended_opex_usd']}2:{col['extended_opex_usd']}{last})")
        sm.cell(r, 7, value=f"=E{r}+F{r}")
        sm.cell(r, 8, value=float(run.plan.scenario.budget_usd))
        sm.cell(r, 9, value=f"=H{r}-G{r}")
        for c in range(5, 10):
            sm.cell(r, c).number_format = USD_FORMAT
        _set_text(sm.cell(r, 10), run.plan.objective["name"])
        sm.cell(r, 11, value=float(run.plan.objective["value"]))
        sm.cell(r, 12, value=float(run.plan.alpha_floor))
        if run.plan.alpha is not None:
            sm.cell(r, 13, value=float(run.plan.alpha))
        sm.cell(r, 14, value=float(run.plan.agents))
        sm.cell(r, 15, value=float(run.plan.speedup["counted"]))
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
