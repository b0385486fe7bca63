"""Reports: every format renders, HTML is self-contained, JSON meets its schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import jsonschema
import pytest

from planner import plan, with_changes
from planner.report import environment, render_plan, render_template
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


@pytest.fixture(scope="module")
def toy_plan(toy_catalog):
    from planner import load_scenario

    s = load_scenario(Path(__file__).parent / "data" / "toy-scenario.yaml")
    s = with_changes(s, {"targets.agents": 20, "data.external_tokens": 1e12, "alpha_floor": 0.3})
    return plan(s, toy_catalog)


def test_json_matches_schema_and_contract(toy_plan):
    data = json.loads(render_plan(toy_plan, "json"))
    jsonschema.validate(data, SCHEMA)
    for key in (
        "status",
        "budget_usd",
        "alpha_floor",
        "alpha",
        "cost_usd",
        "spend_by_role_usd",
        "items",
        "agents",
        "speedup",
        "marginal_values",
        "objective",
    ):
        assert key in data
    assert set(data["cost_usd"]) >= {"capex", "opex", "total"}
    assert set(data["spend_by_role_usd"]) == {"training", "inference", "verification", "memory"}
    assert set(data["objective"]) >= {"name", "value"}
    assert sum(i["extended_price_usd"] for i in data["items"]) == pytest.approx(data["cost_usd"]["capex"])
    assert sum(data["spend_by_role_usd"].values()) == pytest.approx(data["cost_usd"]["total"])


def test_markdown_has_every_section(toy_plan):
    md = render_plan(toy_plan, "md")
    for heading in (
        "## Line items",
        "## Spend by role",
        "## Tokens and grounding",
        "## Memory and power",
        "## Constraints that bind",
        "## Marginal values",
        "## Objective",
        "## Symbols",
        "## Assumptions",
    ):
        assert heading in md
    assert "toy-gpu" in md
    for symbol in ("alpha_floor", "| E |", "| G |", "| A |", "| Z |", "PUE", "MFU"):
        assert symbol in md


def test_table_format(toy_plan):
    txt = render_plan(toy_plan, "table")
    assert "Line items" in txt and "Spend by role" in txt and "Marginal values" in txt
    assert "toy-gpu" in txt


def test_html_self_contained(toy_plan):
    html = render_plan(toy_plan, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external resources"
    assert "<script" not in html


def test_html_autoescapes(toy_catalog, tmp_path):
    from planner import load_scenario

    evil = tmp_path / "evil.csv"
    evil.write_text('id,name,price_usd,date\ntoy-gpu,"<script>alert(1)</script>",10000,2026-11-01\n')
    from hwcatalog import load_catalog

    cat = load_catalog([Path(__file__).parent / "data" / "toy-overlay.yaml", evil], max_price_age_days=None)
    s = load_scenario(Path(__file__).parent / "data" / "toy-scenario.yaml")
    s = with_changes(s, {"name": "<b>x</b>"})
    html = render_plan(plan(s, cat), "html")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_strict_undefined():
    env = environment(False)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nope }}").render()
    with pytest.raises(jinja2.UndefinedError):
        render_template("plan.md.j2")


def test_unknown_format(toy_plan):
    with pytest.raises(ValueError, match="unknown format"):
        render_plan(toy_plan, "pdf")


def test_numbers_human_readable():
    from planner.present import count, num, tokens, value_text

    assert num(-0.0000000000000000190333) == "0"
    assert tokens(1.66e15) == "1,660 T" and "e+" not in tokens(1.955e15)
    assert count(99996.9999) == "99,997"
    assert value_text(5000000000.0) == "5,000,000,000" and value_text(None) == "none" and value_text([]) == "none"


def test_speedup_and_agents_consistent_across_formats(catalog):
    from planner import load_scenario, plan
    from planner.present import num
    from planner.report import render_plan
    from tests.conftest import EXAMPLES

    p = plan(load_scenario(EXAMPLES / "small-research-group.yaml"), catalog)
    assert p.speedup > 1  # 50 agents deliver a speedup even when min-cost leaves Z free
    text = num(p.speedup, 4) + "x"
    for fmt in ("table", "md", "html"):
        out = render_plan(p, fmt)
        assert text in out, fmt
        assert "speedup 0x" not in out
    html = render_plan(p, "html")
    for leak in (">None<", ">[]<", "5000000000.0", "e+0"):
        assert leak not in html, leak


def test_explanations_in_every_format(catalog):
    from planner import load_scenario, plan, with_changes
    from planner.report import render_plan

    p = plan(with_changes(load_scenario(), {"budget_usd": 1e9, "catalog.only": ["nvidia-h100-sxm"]}), catalog)
    assert any("Without a verification item the alpha floor" in e for e in p.explanations)
    assert any("unspent" in e for e in p.explanations)
    for fmt in ("table", "md", "html", "json"):
        assert "Without a verification item" in render_plan(p, fmt), fmt


def test_default_budget_explains_curve_end(catalog):
    from planner import load_scenario, plan, with_changes

    p = plan(with_changes(load_scenario(), {"budget_usd": 5e9}), catalog)
    assert any("speedup curve ends" in e for e in p.explanations)
    assert any("unspent" in e and "would buy about" in e for e in p.explanations)


def test_catalog_list_fits_wide_terminal(monkeypatch):
    from click.testing import CliRunner

    from planner.cli import cli

    r = CliRunner(env={"COLUMNS": "220"}).invoke(cli, ["catalog", "list", "-q"])
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 220
    assert "accelerator" in r.stdout and "availability" in r.stdout  # no word broken across lines
    assert "e+0" not in r.stdout


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_reports_show_replicas_and_training_fleet(fmt):
    """Every format shows the serving table (devices per replica, what sets the count) and the training fleet."""
    from planner import load_scenario, plan
    from planner.report import render_plan
    from tests.conftest import DATA

    text = render_plan(plan(load_scenario(DATA / "moe-8t-one-agent.yaml"), marginals=False), fmt)
    assert "devices/replica" in text and "replica size" in text and "Training fleet" in text
