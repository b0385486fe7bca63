"""Reports of a periodised plan: the Periods, Order calendar, Fleet by period and Cost views sections
in every text format, three period charts in HTML, and none of it for a one-period plan."""

from __future__ import annotations

import dataclasses
import re

import pytest

from planner import charts, load_scenario, plan, with_changes
from planner.present import late_text, num, period_rows, serves_from, usd
from planner.report import plan_charts, render_plan
from tests.conftest import DATA, EXAMPLES

FORMATS = ("md", "table", "html")
SECTIONS = ("Periods", "Order calendar", "Fleet by period", "Cost views")


@pytest.fixture(scope="module")
def periodised(catalog):
    """The multi-year example with role changes priced out of reach, so that some units stand idle
    (a row of every role in Fleet by period), solved once."""
    s = with_changes(load_scenario(EXAMPLES / "multi-year-lab.yaml"), {"periods.role_change_usd": {"accelerator": 1e6}})
    return plan(s, catalog, marginals=False)


@pytest.fixture(scope="module")
def reports(periodised):
    return {fmt: render_plan(periodised, fmt) for fmt in FORMATS}


@pytest.fixture(scope="module")
def one_period(toy_catalog):
    s = with_changes(load_scenario(DATA / "toy-scenario.yaml"), {"targets.agents": 20, "data.external_tokens": 1e12, "alpha_floor": 0.3})
    return plan(s, toy_catalog)


def test_example_is_periodised(periodised):
    assert len(periodised.periods) >= 2 and periodised.orders and set(periodised.cost_views) == {"cash", "amortised"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_has_the_period_sections(reports, fmt):
    text = reports[fmt]
    for section in SECTIONS:
        assert section in text, (fmt, section)


@pytest.mark.parametrize("fmt", FORMATS)
def test_periods_table_shows_alpha_floor_budget_and_power(periodised, reports, fmt):
    text = reports[fmt]
    for s in periodised.periods:
        assert s.start in text and s.end in text
        assert num(s.alpha, 4) in text and num(s.alpha_floor, 4) in text, s.index
        assert num(s.facility_kw, 4) in text
        if s.power_cap_kw is not None:
            assert num(s.power_cap_kw, 4) in text
    if fmt != "html":  # HTML shows the period's money in USD millions
        for s in periodised.periods:
            assert usd(s.cost_usd.total) in text and usd(s.cash_usd) in text and usd(s.amortised_usd) in text
            assert usd(s.budget_usd) in text if s.budget_usd is not None else "total budget" in text


def test_html_periods_money_in_millions(periodised, reports):
    first = periodised.periods[0]
    assert f"USD {first.cost_usd.total / 1e6:,.2f} M" in reports["html"]
    assert f"USD {first.amortised_usd / 1e6:,.2f} M" in reports["html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_order_calendar_lists_every_order(periodised, reports, fmt):
    text = reports[fmt]
    first = periodised.orders[0]
    assert re.search(rf"{re.escape(first.id)}\W.*{first.order_by}", text), "first order's id and order-by date on one row"
    for o in periodised.orders:
        assert o.order_by in text and o.delivery in text and o.retires in text
        assert usd(o.extended_capital_usd) in text and usd(o.unit_price_usd) in text
    late = [o for o in periodised.orders if o.late]
    assert ("LATE" in text) == bool(late)


@pytest.mark.parametrize("fmt", FORMATS)
def test_fleet_by_period_has_every_item_and_role_with_idle(periodised, reports, fmt):
    text = reports[fmt]
    section = text[text.index("Fleet by period") :]
    roles = {f.role for s in periodised.periods for f in s.fleet}
    assert "idle" in roles, "the example keeps some owned units idle"
    for s in periodised.periods:
        for f in s.fleet:
            assert f.id in section and f.role in section and f"{f.quantity:,}" in section


@pytest.mark.parametrize("fmt", FORMATS)
def test_cost_views_cash_and_amortised(periodised, reports, fmt):
    text = reports[fmt]
    for v in periodised.cost_views.values():
        for figure in (v.capex, v.opex, v.total, v.salvage, v.present_value):
            assert usd(figure) in text
    view = periodised.scenario.costs.view
    assert f"The budget applies to the {view} view" in text
    assert f"{view} (budget)" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_late_items_name_the_first_period_start(periodised, reports, fmt):
    assert periodised.late_items, "the example has items that cannot arrive for the first period"
    text = reports[fmt]
    assert "Cannot arrive by None" not in text
    assert f"Cannot arrive by {periodised.periods[0].start}" in text
    for li in periodised.late_items:
        first = next(s for s in periodised.periods if s.start >= li.earliest_delivery)
        assert (
            f"{li.id} ({li.lead_time_weeks:g} weeks: order-by {li.order_by}, can serve from period {first.index + 1} ({first.start}))"
            in text
        )


def test_html_has_the_three_period_charts(reports):
    html = reports["html"]
    assert html.count("<svg") == 6
    for title in ("Fleet by period (units of every item, by role)", "Spend per period by role", "Grounding per period"):
        assert title in html


def test_period_charts_label_axes_from_zero(periodised, monkeypatch):
    got: list = []
    monkeypatch.setattr(charts, "_svg", lambda fig: got.append(fig) or "")
    keys = plan_charts(periodised)
    assert {"fleet_periods", "spend_periods", "alpha_periods"} <= set(keys)
    fleet, spend, alpha = got[3:]
    for fig in (fleet, spend, alpha):
        ax = fig.axes[0]
        assert ax.get_ylim()[0] == 0 and ax.get_xlabel() and "(" in ax.get_ylabel(), ax.get_title()
        assert ax.get_legend() is not None
    assert "(count)" in fleet.axes[0].get_ylabel() and "USD million" in spend.axes[0].get_ylabel()
    assert "(fraction)" in alpha.axes[0].get_ylabel()
    assert "idle" in [t.get_text() for t in fleet.axes[0].get_legend().get_texts()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_period_plan_has_no_period_sections(one_period, fmt):
    assert not one_period.periods
    text = render_plan(one_period, fmt)
    for section in ("Order calendar", "Fleet by period", "Cost views", "Grounding per period", "alpha_t / floor_t"):
        assert section not in text
    assert not re.search(r"^#+ Periods|<h2>Periods</h2>|^Periods \(", text, re.MULTILINE)


def test_one_period_plan_keeps_three_charts(one_period):
    assert set(plan_charts(one_period)) == {"spend", "speedup", "alpha"}


def test_total_budget_and_arrival_after_the_plan(periodised):
    periods = tuple(dataclasses.replace(s, budget_usd=None) for s in periodised.periods)
    p = dataclasses.replace(periodised, periods=periods)
    assert {r["budget"] for r in period_rows(p)} == {"total budget"}
    assert serves_from(p, "2099-01-01") == "earliest delivery 2099-01-01, after the plan"
    assert serves_from(p, periodised.periods[0].start) == f"can serve from period 1 ({periodised.periods[0].start})"


def test_one_period_late_sentence_unchanged(one_period):
    from planner.result import LateItem

    li = LateItem("x", 20.0, "2026-01-01", "2026-06-01", planned=False)
    p = dataclasses.replace(one_period, late_items=(li,))
    assert late_text(p).startswith(f"Cannot arrive by {p.scenario.start_date}, left out")
    assert "earliest delivery 2026-06-01" in late_text(p)


def test_late_orders_are_flagged(periodised):
    from planner.present import order_rows

    late = dataclasses.replace(periodised.orders[0], late=True)
    p = dataclasses.replace(periodised, orders=(late, *periodised.orders[1:]))
    rows = order_rows(p)
    assert rows[0]["late"].startswith("LATE") and not any(r["late"] for r in rows[1:])
    assert "LATE: order-by date past" in render_plan(p, "md")
