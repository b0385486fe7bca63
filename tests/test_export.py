"""Procurement exports: XLSX with live formulas, CSV, formula-injection safety, round trips."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from hwcatalog import load_catalog
from planner import plan, with_changes
from planner.cli import cli
from planner.export import LINE_COLUMNS, to_csv, write_export
from tests.conftest import DATA, write


@pytest.fixture(scope="module")
def evil_plan(tmp_path_factory):
    d = tmp_path_factory.mktemp("evil")
    overlay = write(
        d,
        "evil.csv",
        'id,name,vendor,price_usd,date,source\ntoy-gpu,"=HYPERLINK(""http://x"")",+Vendor,10000,2026-11-01,@source\n',
    )
    cat = load_catalog([DATA / "toy-overlay.yaml", overlay], max_price_age_days=None)
    from planner import load_scenario

    s = load_scenario(DATA / "toy-scenario.yaml")
    s = with_changes(s, {"data.external_tokens": 0, "alpha_floor": 0.5, "targets.agents": 10, "start_date": "2027-01-15"})
    return plan(s, cat, marginals=False)


def test_xlsx_sheets_round_trip(evil_plan, tmp_path):
    path = write_export(evil_plan, tmp_path / "plan.xlsx", force=False)
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Line items", "Summary", "Cost components", "Assumptions", "Sources"]
    comps = sheets["Cost components"]
    assert comps["total (USD)"].iloc[-1] == pytest.approx(evil_plan.cost_usd.total)
    items = sheets["Line items"]
    assert list(items.columns) == [h for h, _, _ in LINE_COLUMNS]
    assert len(items) == len(evil_plan.line_items)
    assert items["quantity"].tolist() == evil_plan.line_items["quantity"].tolist()
    assert {"budget_usd", "alpha_floor", "facility.pue"} <= set(sheets["Assumptions"]["parameter"])
    assert (sheets["Assumptions"]["unit"].fillna("") != "").all()
    assert set(sheets["Sources"]["item id"]) == set(evil_plan.line_items["id"])


def test_xlsx_formulas_and_types(evil_plan, tmp_path):
    path = write_export(evil_plan, tmp_path / "plan.xlsx", force=False)
    wb = load_workbook(path)
    ws = wb["Line items"]
    header = [c.value for c in ws[1]]
    q, ext = header.index("quantity") + 1, header.index("extended price (USD)") + 1
    dev, host = header.index("unit device price (USD)") + 1, header.index("unit host share (USD)") + 1
    up = header.index("unit price (USD)") + 1
    total = 0.0
    for r in range(2, ws.max_row + 1):
        assert ws.cell(r, ext).data_type == "f" and ws.cell(r, ext).value.startswith("=")
        assert ws.cell(r, up).value == f"={get_column_letter(dev)}{r}+{get_column_letter(host)}{r}"
        assert isinstance(ws.cell(r, q).value, int) and isinstance(ws.cell(r, dev).value, (int, float))  # numbers, not text
        total += ws.cell(r, q).value * (ws.cell(r, dev).value + ws.cell(r, host).value)
    assert total == pytest.approx(sum(li.extended_price_usd for li in evil_plan.items))
    assert evil_plan.cost_usd.purchase == pytest.approx(total)  # toy: no fabric, storage or data centre
    need = ws.cell(2, header.index("need-by date") + 1)
    assert need.value.date() == dt.date(2027, 1, 15) if isinstance(need.value, dt.datetime) else need.value == dt.date(2027, 1, 15)
    assert ws.cell(2, dev).number_format.startswith('"USD"')
    summary = wb["Summary"]
    assert all(summary.cell(r, 2).value.startswith("=SUMIFS(") for r in range(2, 6))


def test_formula_injection_is_text(evil_plan, tmp_path):
    path = write_export(evil_plan, tmp_path / "plan.xlsx", force=False)
    ws = load_workbook(path)["Line items"]
    header = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "toy-gpu")
    name = ws.cell(row, header.index("description") + 1)
    vendor = ws.cell(row, header.index("vendor") + 1)
    source = ws.cell(row, header.index("source") + 1)
    assert name.data_type == "s" and name.value == '=HYPERLINK("http://x")'
    assert vendor.data_type == "s" and vendor.value == "+Vendor"
    assert source.data_type == "s" and source.value == "@source"
    text = to_csv(evil_plan)
    assert "'=HYPERLINK" in text and ",'+Vendor," in text and ",'@source," in text


def test_csv_format(evil_plan):
    rows = list(csv.reader(io.StringIO(to_csv(evil_plan))))
    assert rows[0] == [h for h, _, _ in LINE_COLUMNS]
    assert len(rows) == len(evil_plan.line_items) + 1
    col = rows[0].index
    for r in rows[1:]:
        float(r[col("extended price (USD)")])  # a plain number, no separators
        assert "," not in r[col("unit price (USD)")]
        dt.date.fromisoformat(r[col("need-by date")])
    ext = sum(float(r[col("extended price (USD)")]) for r in rows[1:])
    assert ext == pytest.approx(evil_plan.cost_usd.capex)


def test_cli_export_and_force(tmp_path):
    runner = CliRunner()
    x, c = tmp_path / "p.xlsx", tmp_path / "p.csv"
    args = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml"), "-q", "--format", "json"]
    r = runner.invoke(cli, [*args, "--export", str(x), "--export", str(c)])
    assert r.exit_code == 0, r.output
    assert x.exists() and c.exists()
    r = runner.invoke(cli, [*args, "--export", str(x)])
    assert r.exit_code == 1 and "use --force" in r.stderr
    r = runner.invoke(cli, [*args, "--export", str(x), "--force"])
    assert r.exit_code == 0
    r = runner.invoke(cli, [*args, "--export", str(tmp_path / "p.ods")])
    assert r.exit_code == 2 and "expected a .xlsx or .csv" in r.stderr


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed; .ci/run installs Debian's libreoffice-calc-nogui"
)
def test_libreoffice_recomputes_totals(evil_plan, tmp_path):
    path = write_export(evil_plan, tmp_path / "plan.xlsx", force=False)
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    summary = pd.read_excel(out / "plan.xlsx", sheet_name="Summary", header=None)
    total_row = summary[summary[0] == "total"].iloc[0]
    assert float(total_row[3]) == pytest.approx(evil_plan.cost_usd.total, rel=1e-9)
    assert float(total_row[1]) == pytest.approx(evil_plan.cost_usd.capex, rel=1e-9)


def _summary_figures(path) -> dict:
    """Summary sheet as read without recomputation: label -> value of column D (or the role row)."""
    frame = pd.read_excel(path, sheet_name="Summary", header=None)
    return {row[0]: list(row[1:]) for row in frame.itertuples(index=False) if isinstance(row[0], str)}


def test_summary_cached_values_equal_json(catalog, tmp_path):
    """pandas (no recomputation) reads every Summary figure as a number equal to the plan's JSON."""
    from planner import load_scenario
    from tests.conftest import EXAMPLES

    p = plan(load_scenario(EXAMPLES / "mid-size-lab.yaml"), catalog, marginals=False)
    d = p.to_dict()
    figs = _summary_figures(write_export(p, tmp_path / "plan.xlsx", force=False))
    for role in ("training", "inference", "verification", "memory"):
        capex, opex, total = figs[role]
        assert capex == pytest.approx(d["spend_by_role_capex_usd"][role]) and opex == pytest.approx(d["spend_by_role_opex_usd"][role])
        assert total == pytest.approx(d["spend_by_role_usd"][role])
    assert figs["total"] == pytest.approx([d["cost_usd"]["capex"], d["cost_usd"]["opex"], d["cost_usd"]["total"]])
    assert figs["budget"][2] == pytest.approx(d["budget_usd"])
    assert figs["remaining"][2] == pytest.approx(d["cost_usd"]["remaining_budget"], abs=1e-3)
    assert figs["agents"][2] == pytest.approx(d["agents"]) and figs["speedup (x)"][2] == pytest.approx(d["speedup"])
    assert figs["alpha achieved"][2] == pytest.approx(d["alpha"])
    assert figs["plan total as solved (USD)"][2] == pytest.approx(d["cost_usd"]["total"])
    for label, values in figs.items():
        if label not in ("role", "status", "regime", "progress bottleneck"):
            assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v == v), (label, values)


def test_workbook_filters_frozen_headers_integer_formats(evil_plan, tmp_path):
    wb = load_workbook(write_export(evil_plan, tmp_path / "plan.xlsx", force=False))
    for name in ("Line items", "Assumptions", "Sources"):
        assert wb[name].auto_filter.ref, name
    for name in wb.sheetnames:
        assert wb[name].freeze_panes == "A2", name
    ws = wb["Line items"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("quantity") + 1).number_format == "#,##0"
    assert ws.cell(2, header.index("lead time (weeks)") + 1).number_format in ("#,##0", "General")
    assert ws.cell(2, header.index("extended price (USD)") + 1).number_format.startswith('"USD"')


def test_comparison_workbook_formatted_like_plan(toy_catalog, tmp_path):
    from planner import load_scenario
    from planner.compare import compare, grid, parse_vary
    from planner.export import write_comparison_export

    comp = compare(grid(load_scenario(DATA / "toy-scenario.yaml"), [parse_vary("alpha_floor=0.2,0.6")]), toy_catalog, kind="whatif")
    [x] = write_comparison_export(comp, tmp_path / "cmp.xlsx", force=False)
    wb = load_workbook(x)
    g = wb["Price of grounding"]
    headers = [c.value for c in g[1]]
    assert "alpha floor" in headers and "alpha_floor" not in headers and "total cost (USD)" in headers
    assert g.cell(2, headers.index("total cost (USD)") + 1).number_format.startswith('"USD"')
    for name in wb.sheetnames:
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref, name
    summary = pd.read_excel(x, sheet_name="Summary")  # cached values, no recomputation
    for run, total in zip(comp.runs, summary["total (USD)"], strict=True):
        assert float(total) == pytest.approx(run.plan.cost_usd.total, rel=1e-9)
