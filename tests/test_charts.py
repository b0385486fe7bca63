"""Charts (issue 10): value axes from zero or log when values span more than 100x, every axis
labelled with units, readable legends, small multiples in compare when totals differ 100x."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from planner import charts, load_scenario, plan, with_changes
from planner.compare import compare, grid, parse_vary
from planner.report import plan_charts, render_comparison
from tests.conftest import DATA, EXAMPLES


@pytest.fixture()
def figures(monkeypatch):
    """Capture the matplotlib figures the chart functions draw."""
    got: list = []

    def keep(fig):
        got.append(fig)
        return ""

    monkeypatch.setattr(charts, "_svg", keep)
    return got


def _axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_grounding_axis_from_zero_with_units(toy_catalog, figures):
    base = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"data.external_tokens": 1e12})
    comp = compare(grid(base, [parse_vary("alpha_floor=0.1,0.5")]), toy_catalog, kind="whatif")
    charts.chart_grounding(comp.grounding)
    ax, ax2 = figures[0].axes
    assert ax.get_ylim()[0] == 0 and ax2.get_ylim() == (0, 100)
    assert "USD" in ax.get_ylabel() and "(%)" in ax2.get_ylabel() and "(fraction)" in ax.get_xlabel()
    assert ax.get_legend() is not None and ax.get_legend().get_texts()[0].get_fontsize() >= 9


def test_plan_charts_label_every_axis(catalog, figures):
    p = plan(load_scenario(EXAMPLES / "mid-size-lab.yaml"), catalog, marginals=False)
    plan_charts(p)
    spend, speedup, _alpha = figures
    for fig in figures:
        for ax in _axes(fig):
            assert ax.get_xlabel(), fig
    assert speedup.axes[0].get_ylim()[0] == 0 and "(x)" in speedup.axes[0].get_ylabel()
    assert spend.axes[0].get_xlim()[0] == 0


def test_collapse_charts_have_y_labels(figures):
    from planner.collapse import simulate

    res = [simulate("gaussian", [a] * 20, samples=20, runs=20, alpha_label=a) for a in (0.0, 0.1)]
    charts.chart_series(res, "variance_mean")
    ax = figures[0].axes[0]
    assert ax.get_ylabel()
    assert ax.get_yscale() == "log" or ax.get_ylim()[0] == 0


def test_value_axis_log_when_span_exceeds_100x(figures):
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    charts.value_axis(ax, [[1.8, 3600.0]])
    assert ax.get_yscale() == "log"
    _fig, ax = plt.subplots()
    charts.value_axis(ax, [[190.0, 200.0]])
    assert ax.get_ylim()[0] == 0


@pytest.fixture(scope="module")
def far_apart(catalog):
    """The small group (USD 1.8M) beside the frontier lab (USD 3,600M)."""
    files = [EXAMPLES / "small-research-group.yaml", EXAMPLES / "frontier-lab.yaml"]
    return compare([(f.stem, load_scenario(f), {}) for f in files], catalog, kind="compare")


def test_compare_small_multiples_when_totals_differ_100x(far_apart, figures):
    charts.chart_spend_across(far_apart)
    panels = _axes(figures[0])
    assert len(panels) == 2  # one axis per scenario: the small group's bar is not a sliver
    for ax in panels:
        assert ax.get_xlim()[0] == 0
        bars = [p.get_width() for p in ax.patches]
        assert max(bars) > 0.05 * ax.get_xlim()[1]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")
def test_chromium_screenshot_of_far_apart_comparison(far_apart, tmp_path):
    shots = Path(os.environ.get("PLANNER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page, png = tmp_path / "compare.html", shots / "compare-far-apart.png"
    page.write_text(render_comparison(far_apart, "html"), encoding="utf-8")
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1600",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )
    assert png.exists() and png.stat().st_size > 20_000


def test_spend_label_has_no_negative_zero():
    svg = str(charts.chart_spend_by_role({"training": 3.2e8, "memory": -0.0, "verification": -1e-9}))
    assert " -0.0" not in svg and " 320.0" in svg
