"""Lead times against the start date: order-by and delivery dates, late items kept out of the plan
unless --allow-late (planner.timeline)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from planner import plan
from planner.cli import cli
from planner.scenario import build_scenario
from planner.timeline import dates

TODAY = dt.date(2026, 12, 2)


def test_without_a_start_date_items_come_as_soon_as_they_can():
    d = dates(16, None, TODAY)
    assert (d.order_by, d.delivery, d.late) == (TODAY, TODAY + dt.timedelta(weeks=16), False)


def test_an_order_by_date_before_today_is_late():
    start = dt.date(2027, 2, 1)  # 8.9 weeks away
    ok, late = dates(8, start, TODAY), dates(16, start, TODAY)
    assert (ok.order_by, ok.delivery, ok.late) == (start - dt.timedelta(weeks=8), start, False)
    assert late.late and late.order_by == start - dt.timedelta(weeks=16) and late.delivery == TODAY + dt.timedelta(weeks=16)


def test_no_lead_time_is_available_at_once():
    assert dates(None, None, TODAY).delivery == TODAY
    assert dates(float("nan"), dt.date(2027, 1, 1), TODAY).late is False


def _soon(weeks: float) -> dt.date:
    return dt.date.today() + dt.timedelta(weeks=weeks)


def test_late_items_are_left_out_and_listed(catalog):
    """Needed in 10 weeks: the 16- and 20-week items cannot come; the plan buys none of them and
    lists them with their earliest delivery."""
    s = build_scenario({"start_date": _soon(10).isoformat()})
    p = plan(s, catalog, marginals=False)
    late = {li.id: li for li in p.late_items}
    assert {"nvidia-b200", "amd-mi355x", "nvidia-gb200"} <= set(late)
    assert "nvidia-h100-sxm" not in late  # 8 weeks fits
    assert not {li.id for li in p.items} & set(late)
    b200 = late["nvidia-b200"]
    assert b200.earliest_delivery == (dt.date.today() + dt.timedelta(weeks=16)).isoformat()
    assert all(li.order_by >= dt.date.today().isoformat() for li in p.items if li.order_by)
    assert all(li.delivery == s.start_date.isoformat() for li in p.items if li.mode == "own")


def test_allow_late_lets_them_in_with_a_warning(catalog):
    s = build_scenario({"start_date": _soon(10).isoformat(), "procurement": {"allow_late": True}})
    p = plan(s, catalog, marginals=False)
    late_bought = [li for li in p.items if li.late]
    assert late_bought, "the default plan buys a late item when it may"
    assert any("cannot arrive by" in w for w in p.warnings)
    assert all(li.delivery > s.start_date.isoformat() for li in late_bought)


def test_cli_allow_late_flag(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"start_date: {_soon(10).isoformat()}\n", encoding="utf-8")
    runner = CliRunner()
    strict = json.loads(runner.invoke(cli, ["--scenario", str(f), "--format", "json", "-q"], catch_exceptions=False).stdout)
    loose = json.loads(runner.invoke(cli, ["--scenario", str(f), "--allow-late", "--format", "json", "-q"], catch_exceptions=False).stdout)
    assert strict["late_items"] and not any(i["late"] for i in strict["items"])
    assert loose["objective"]["value"] >= strict["objective"]["value"] * (1 - 1e-4)


@pytest.mark.parametrize("weeks", [12, 30])
def test_no_plan_counts_on_what_cannot_arrive(catalog, weeks):
    """Property: without --allow-late, no owned line is ordered before today."""
    s = build_scenario({"start_date": _soon(weeks).isoformat()})
    p = plan(s, catalog, marginals=False)
    assert all(not li.late and (li.order_by is None or li.order_by >= dt.date.today().isoformat()) for li in p.items)
