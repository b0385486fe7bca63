"""Real clients: LibreOffice recomputes exported workbooks; headless Chromium renders the HTML reports.

Skipped with a reason when the client is missing; ``.ci/run`` installs Debian's
``libreoffice-calc-nogui`` and ``chromium``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from planner import load_scenario, plan, with_changes
from planner.collapse import simulate
from planner.compare import compare, grid, parse_vary
from planner.export import write_comparison_export, write_export
from planner.report import render_collapse, render_comparison, render_plan
from tests.conftest import DATA, EXAMPLES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_lo = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (Debian package libreoffice-calc-nogui)")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")


def _recalculate(path: Path, tmp: Path) -> Path:
    out = tmp / "recalc"
    subprocess.run(
        [SOFFICE, "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp)},
    )
    return out / path.name


@needs_lo
@pytest.mark.parametrize("view", ["cash", "amortised"])
def test_libreoffice_plan_totals(catalog, tmp_path, view):
    p = plan(load_scenario(EXAMPLES / "mid-size-lab.yaml", {"costs": {"view": view}}), catalog, marginals=False)
    recalc = _recalculate(write_export(p, tmp_path / "plan.xlsx", force=False), tmp_path)
    sheets = pd.read_excel(recalc, sheet_name=None, header=None)
    components = {r[0]: float(r[2]) for r in sheets["Cost components"].iloc[1:].itertuples(index=False)}
    assert components.pop("total") == pytest.approx(p.cost_usd.total, rel=1e-9)
    assert components == pytest.approx(p.cost_usd.components, rel=1e-9, abs=1e-6)
    summary = sheets["Summary"]
    total = summary[summary[0] == "total"].iloc[0]
    assert float(total[1]) == pytest.approx(p.cost_usd.capex, rel=1e-12)
    assert float(total[3]) == pytest.approx(p.cost_usd.total, rel=1e-9)
    by_role = {r[0]: float(r[3]) for r in summary.itertuples(index=False) if r[0] in ("training", "inference", "verification", "memory")}
    spend = p.spend_by_role.set_index("role")["total_usd"]
    for role, v in by_role.items():
        assert v == pytest.approx(float(spend[role]), rel=1e-9, abs=1e-6)
    remaining = summary[summary[0] == "remaining"].iloc[0]
    assert float(remaining[3]) == pytest.approx(p.cost_usd.remaining_budget, abs=1e-3)


@needs_lo
def test_libreoffice_comparison_totals(toy_catalog, tmp_path):
    base = load_scenario(DATA / "toy-scenario.yaml")
    comp = compare(grid(base, [parse_vary("alpha_floor=0.2,0.6")]), toy_catalog, kind="whatif")
    [x] = write_comparison_export(comp, tmp_path / "cmp.xlsx", force=False)
    summary = pd.read_excel(_recalculate(x, tmp_path), sheet_name="Summary")
    for run, total in zip(comp.runs, summary["total (USD)"], strict=True):
        assert float(total) == pytest.approx(run.plan.cost_usd.total, rel=1e-9)


def _chromium(html: Path, png: Path, tmp: Path) -> str:
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2200",
            "--virtual-time-budget=3000",
            f"--screenshot={png}",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists() and png.stat().st_size > 20_000, proc.stderr[-2000:]
    return proc.stderr


def _no_console_errors(stderr: str) -> None:
    console = [line for line in stderr.splitlines() if re.search(r"CONSOLE\(\d+\)", line)]
    assert console == [], console


@needs_chromium
def test_chromium_renders_reports(catalog, toy_catalog, tmp_path):
    shots = Path(os.environ.get("PLANNER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    p = plan(load_scenario(EXAMPLES / "mid-size-lab.yaml"), catalog)
    base = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"data.external_tokens": 1e12})
    comp = compare(grid(base, [parse_vary("alpha_floor=0.1,0.5")]), toy_catalog, kind="whatif")
    col = [simulate("gaussian", [a] * 50, samples=50, runs=200, alpha_label=a) for a in (0.0, 0.1)]
    pages = {"plan": render_plan(p, "html"), "whatif": render_comparison(comp, "html"), "collapse": render_collapse(col, "html")}
    for name, html in pages.items():
        page = tmp_path / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        _no_console_errors(_chromium(page, shots / f"{name}.png", tmp_path))
