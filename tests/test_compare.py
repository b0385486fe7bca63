"""What-if grids, comparisons, their reports and exports."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner import ScenarioError, load_scenario, with_changes
from planner.cli import cli
from planner.compare import compare, grid, parse_vary
from planner.export import sheet_title, write_comparison_export
from planner.report import render_comparison
from tests.conftest import DATA, write

TOY = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml"), "-q"]


@pytest.fixture(scope="module")
def toy_grid(toy_catalog):
    base = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"data.external_tokens": 1e12})
    points = grid(base, [parse_vary("alpha_floor=0.1,0.5"), parse_vary("budget=1e6,2M")])
    return compare(points, toy_catalog, kind="whatif")


def test_parse_vary():
    assert parse_vary("alpha_floor=0,0.1") == ("alpha_floor", [0, 0.1])
    assert parse_vary("budget=5B,$750M") == ("budget_usd", [5e9, 750e6])
    assert parse_vary("power_cap=100,null") == ("facility.power_cap_kw", [100, None])
    assert parse_vary("objective=min-cost") == ("objective", ["min-cost"])
    for bad in ("alpha_floor", "=1", "budget=lots"):
        with pytest.raises(ScenarioError):
            parse_vary(bad)


def test_grid_names_and_baseline(toy_grid):
    assert [r.name for r in toy_grid.runs] == [
        "alpha_floor=0.1, budget_usd=1e+06",
        "alpha_floor=0.1, budget_usd=2e+06",
        "alpha_floor=0.5, budget_usd=1e+06",
        "alpha_floor=0.5, budget_usd=2e+06",
    ]
    assert toy_grid.baseline == toy_grid.runs[0].name
    assert toy_grid.runs[2].varied == {"alpha_floor": 0.5, "budget_usd": 1e6}


def test_deltas_and_drivers(toy_grid):
    table = toy_grid.table().set_index("name")
    base = toy_grid.runs[0].plan
    other = toy_grid.runs[2].plan
    assert table.loc[toy_grid.baseline, "delta_total_usd"] == 0
    assert table.iloc[2]["delta_total_usd"] == pytest.approx(other.cost_usd.total - base.cost_usd.total)
    assert table.iloc[2]["delta_verification_usd"] > 0
    floor_driver = next(d for d in toy_grid.drivers if d.startswith("alpha_floor=0.5, budget_usd=1e+06"))
    assert "raising alpha_floor from 0.1 to 0.5" in floor_driver and "verification (+USD" in floor_driver


def test_price_of_grounding_min_cost_monotone(toy_grid):
    g = toy_grid.grounding
    ok = g[g["status"] != "infeasible"]
    assert {0.0, 0.1, 0.5} <= set(g["alpha_floor"])
    assert (ok["cost_usd"].diff().dropna() >= -1e-6).all()  # a higher floor never lowers cost
    assert (ok["verification_share"].diff().dropna() >= -1e-9).all()


def test_json_contract(toy_grid):
    data = json.loads(render_comparison(toy_grid, "json"))
    assert data["baseline"] == toy_grid.baseline
    assert len(data["scenarios"]) == 4
    for s in data["scenarios"]:
        assert {"name", "varied", "status", "cost_usd", "items", "spend_by_role_usd", "alpha"} <= set(s)
    assert data["price_of_grounding"] and data["drivers"]


def test_infeasible_scenario_kept(toy_catalog):
    base = load_scenario(DATA / "toy-scenario.yaml")
    comp = compare(grid(base, [parse_vary("budget=1e6,1000")]), toy_catalog, kind="whatif")
    assert comp.runs[1].plan is None and "infeasible" in comp.runs[1].error
    data = comp.to_dict()
    assert data["scenarios"][1]["status"] == "infeasible"
    for fmt in ("table", "md", "html"):
        assert "infeasible" in render_comparison(comp, fmt)


def test_unknown_baseline(toy_catalog):
    base = load_scenario(DATA / "toy-scenario.yaml")
    with pytest.raises(ScenarioError, match="unknown baseline"):
        compare(grid(base, [parse_vary("budget=1e6,2e6")]), toy_catalog, baseline="nope")


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_reports(toy_grid, fmt):
    text = render_comparison(toy_grid, fmt)
    assert "Price of grounding" in text or "price of grounding" in text.lower()
    assert toy_grid.runs[3].name in text
    if fmt == "html":
        assert text.count("<svg") == 2 and "<script" not in text


def test_comparison_exports(toy_grid, tmp_path):
    [x] = write_comparison_export(toy_grid, tmp_path / "c.xlsx", force=False)
    sheets = pd.read_excel(x, sheet_name=None)
    assert next(iter(sheets)) == "Summary" and list(sheets)[-1] == "Price of grounding"
    assert len(sheets) == 2 + len(toy_grid.runs)
    files = write_comparison_export(toy_grid, tmp_path / "c.csv", force=False)
    assert [f.name for f in files] == ["c.csv", "c-01.csv", "c-02.csv", "c-03.csv", "c-04.csv"]
    summary = pd.read_csv(files[0])
    assert summary["name"].tolist() == [r.name for r in toy_grid.runs]
    assert sheet_title(3, "a/b:c*d?[e]") == "03 abcde"
    assert len(sheet_title(1, "x" * 80)) == 31


def test_cli_whatif_and_compare(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["whatif", *TOY, "--vary", "alpha_floor=0.2,0.4", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["baseline"] == "alpha_floor=0.2" and [s["varied"] for s in data["scenarios"]] == [
        {"alpha_floor": 0.2},
        {"alpha_floor": 0.4},
    ]
    a = write(tmp_path, "a.yaml", "name: a\nbudget_usd: 5e8\n")
    b = write(tmp_path, "b.yaml", "name: b\nbudget_usd: 6e8\nalpha_floor: 0.2\n")
    r = runner.invoke(cli, ["compare", str(a), str(b), "--baseline", "b", "--format", "json", "-q", "--export", str(tmp_path / "x.xlsx")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["baseline"] == "b" and (tmp_path / "x.xlsx").exists()
    r = runner.invoke(cli, ["compare", str(a), str(a), "-q"])
    assert r.exit_code == 1 and "unique" in r.stderr
    r = runner.invoke(cli, ["whatif", *TOY, "--vary", "alpha_flor=0.1"])
    assert r.exit_code == 1 and "alpha_flor" in r.stderr
    r = runner.invoke(cli, ["whatif", *TOY])
    assert r.exit_code == 2


def test_compare_columns_per_unit_and_progress_unit_warning(toy_catalog):
    from planner import load_scenario
    from planner.compare import compare
    from planner.report import render_comparison

    base = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"objective": "max-progress", "budget_usd": 1e6})
    other = with_changes(base, {"progress.tokens_per_unit": 1e13})
    comp = compare([("a", base, {}), ("b", other, {})], toy_catalog)
    for fmt in ("table", "md", "html"):
        text = render_comparison(comp, fmt)
        assert "progress units differ" in text, fmt
        assert "progress (x)" in text and "total cost (USD)" in text, fmt
