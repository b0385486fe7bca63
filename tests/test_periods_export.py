"""The workbook of a periodised plan: Periods, Orders and Fleet sheets, live formulas, and totals
that LibreOffice recomputes to the plan's JSON figures."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from planner import load_scenario, plan
from planner.export import FLEET_HEADERS, LINE_COLUMNS, ORDER_COLUMNS, write_export
from tests.conftest import EXAMPLES
from tests.test_clients import _recalculate, needs_lo

CENT = 0.01


@pytest.fixture(scope="module", params=["cash", "amortised", "cash with role changes"])
def periodic(request):
    """The multi-year example in each cost view, and in cash with a cost on moving accelerators
    between roles (the plan still moves some), solved once for the module."""
    view, _, extra = request.param.partition(" with ")
    over: dict = {"costs": {"view": view}}
    if extra:
        over["periods"] = {"role_change_usd": {"accelerator": 500}}
    p = plan(load_scenario(EXAMPLES / "multi-year-lab.yaml", over), marginals=False)
    assert p.periods and p.orders
    assert not extra or p.cost_usd.components["role_change"] > 0
    return p


@pytest.fixture(scope="module")
def workbook(periodic, tmp_path_factory):
    return write_export(periodic, tmp_path_factory.mktemp("periods") / "plan.xlsx", force=False)


@pytest.fixture(scope="module")
def recomputed(workbook, tmp_path_factory):
    """The workbook's sheets after LibreOffice recomputed every formula (header rows kept as data)."""
    return pd.read_excel(_recalculate(workbook, tmp_path_factory.mktemp("lo")), sheet_name=None, header=None)


def _total_row(sheet: pd.DataFrame) -> pd.Series:
    return sheet[sheet[0] == "total"].iloc[0]


def _column(sheet: pd.DataFrame, header: str) -> int:
    return list(sheet.iloc[0]).index(header)


def test_sheets_and_rows(periodic, workbook):
    sheets = pd.read_excel(workbook, sheet_name=None)
    assert list(sheets) == ["Line items", "Summary", "Periods", "Orders", "Fleet", "Cost components", "Assumptions", "Sources"]
    periods, orders, fleet = sheets["Periods"], sheets["Orders"], sheets["Fleet"]
    assert len(periods) == len(periodic.periods) + 1 and periods.iloc[-1, 0] == "total"
    assert periods["period (0-based index)"].iloc[:-1].tolist() == [p.index for p in periodic.periods]
    assert [d.date().isoformat() for d in periods["start"].iloc[:-1]] == [p.start for p in periodic.periods]
    view = periodic.cost_usd.view
    assert {f"{role}, {view} view (USD)" for role in ("training", "inference", "verification", "memory")} <= set(periods.columns)
    assert list(orders.columns) == [h for h, _, _ in ORDER_COLUMNS]
    assert len(orders) == len(periodic.orders) + 1 and orders.iloc[-1, 0] == "total"
    assert orders["quantity"].iloc[:-1].tolist() == [o.quantity for o in periodic.orders]
    assert [d.date().isoformat() for d in orders["order-by date"].iloc[:-1]] == [o.order_by for o in periodic.orders]
    assert list(fleet.columns) == FLEET_HEADERS
    assert len(fleet) == sum(len(p.fleet) + len(p.role_changes) for p in periodic.periods)
    serving = fleet[fleet.iloc[:, 3] != "moved"]
    assert serving["quantity"].sum() == sum(r.quantity for p in periodic.periods for r in p.fleet)
    moved_usd = fleet["role-change cost (USD)"].fillna(0).sum()
    assert moved_usd == pytest.approx(periodic.cost_usd.components.get("role_change", 0.0), abs=CENT)


def test_cached_values_match_the_plan(periodic, workbook):
    """Readers that do not recompute (pandas) see the plan's figures."""
    sheets = pd.read_excel(workbook, sheet_name=None, header=None)
    periods = sheets["Periods"]
    total = _column(periods, "total, capex + opex (USD)")
    assert periods.iloc[1:-1, total].astype(float).tolist() == pytest.approx([p.cost_usd.total for p in periodic.periods], abs=CENT)
    assert float(_total_row(sheets["Summary"])[3]) == pytest.approx(periodic.cost_usd.total, abs=CENT)


def test_formulas_are_formulas(periodic, workbook):
    wb = load_workbook(workbook)
    orders, periods, summary = wb["Orders"], wb["Periods"], wb["Summary"]
    head = [c.value for c in orders[1]]
    q, unit, ext = (head.index(h) for h in ("quantity", "unit capital (USD)", "extended capital (USD)"))
    for r in range(2, len(periodic.orders) + 2):
        row = orders[r]
        assert row[ext].value == f"={row[q].column_letter}{r}*{row[unit].column_letter}{r}"
    last = len(periodic.orders) + 2
    assert orders.cell(last, ext + 1).value.startswith("=SUM(")
    head = [c.value for c in periods[1]]
    total = head.index("total, capex + opex (USD)")
    for r in range(2, len(periodic.periods) + 2):
        assert periods[r][total].value.startswith("=")
    assert periods.cell(len(periodic.periods) + 2, total + 1).value.startswith("=SUM(")
    totals = [c.value for c in summary[6]]
    assert totals[0] == "total" and all(str(v).startswith("='Periods'!") for v in totals[1:4])
    items = wb["Line items"]
    head = [c.value for c in items[1]]
    cap = head.index("extended capital (USD)")
    assert all(isinstance(items[r][cap].value, (int, float)) for r in range(2, len(periodic.items) + 2))


def test_text_cells_are_text(workbook):
    wb = load_workbook(workbook)
    ws = wb["Orders"]
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row)]
    assert all(isinstance(v, str) and not v.startswith("=") for v in ids)


@needs_lo
def test_libreoffice_periods_totals(periodic, recomputed):
    periods = recomputed["Periods"]
    total = _column(periods, "total, capex + opex (USD)")
    assert periods.iloc[1:-1, total].astype(float).tolist() == pytest.approx([p.cost_usd.total for p in periodic.periods], abs=CENT)
    row = _total_row(periods)
    assert float(row[total]) == pytest.approx(periodic.cost_usd.total, abs=CENT)
    assert float(row[_column(periods, f"capex, {periodic.cost_usd.view} view (USD)")]) == pytest.approx(periodic.cost_usd.capex, abs=CENT)
    assert float(row[_column(periods, "opex (USD)")]) == pytest.approx(periodic.cost_usd.opex, abs=CENT)
    views = periodic.cost_views
    assert float(row[_column(periods, "cash view (USD)")]) == pytest.approx(views["cash"].total, abs=CENT)
    assert float(row[_column(periods, "amortised view (USD)")]) == pytest.approx(views["amortised"].total, abs=CENT)


@needs_lo
def test_libreoffice_orders_total(periodic, recomputed):
    orders = recomputed["Orders"]
    ext = _column(orders, "extended capital (USD)")
    assert orders.iloc[1:-1, ext].astype(float).tolist() == pytest.approx([o.extended_capital_usd for o in periodic.orders], abs=CENT)
    assert float(_total_row(orders)[ext]) == pytest.approx(sum(o.extended_capital_usd for o in periodic.orders), abs=CENT)


@needs_lo
def test_libreoffice_summary_ties_to_periods(periodic, recomputed):
    summary = recomputed["Summary"]
    total = _total_row(summary)
    assert float(total[1]) == pytest.approx(periodic.cost_usd.capex, abs=CENT)
    assert float(total[2]) == pytest.approx(periodic.cost_usd.opex, abs=CENT)
    assert float(total[3]) == pytest.approx(periodic.cost_usd.total, abs=CENT)
    by_role = {r[0]: float(r[3]) for r in summary.itertuples(index=False) if r[0] in periodic.spend_by_role_usd}
    assert by_role == pytest.approx(periodic.spend_by_role_usd, abs=CENT)
    remaining = summary[summary[0] == "remaining"].iloc[0]
    assert float(remaining[3]) == pytest.approx(periodic.cost_usd.remaining_budget, abs=CENT)
    components = recomputed["Cost components"]
    assert float(_total_row(components)[2]) == pytest.approx(periodic.cost_usd.total, abs=CENT)


@needs_lo
def test_libreoffice_line_items_are_the_plans(periodic, recomputed):
    items = recomputed["Line items"]
    header = [h for h, _, _ in LINE_COLUMNS]
    for name, attr in (("extended capital (USD)", "extended_capital_usd"), ("extended opex (USD)", "extended_opex_usd")):
        got = items.iloc[1:, header.index(name)].astype(float).tolist()
        assert got == pytest.approx([getattr(li, attr) for li in periodic.items], abs=CENT)
