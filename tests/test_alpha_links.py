"""The alpha ledger wired into planning and the collapse simulator (plan --alpha-from,
plan collapse --alpha-from) and the lazily registered ``plan alpha`` group."""

from __future__ import annotations

import json

from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import EXAMPLES

MIXED = str(EXAMPLES / "manifests" / "mixed-quarters.croissant.json")
HUMAN = str(EXAMPLES / "manifests" / "human-only.csv")


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_alpha_group_registered():
    r = _run("alpha", "measure", HUMAN, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["alpha_strict"] == 1.0


def test_plan_checks_floor_against_manifest():
    r = _run("--alpha-from", MIXED, "--alpha-unknown", "estimate", "--alpha-floor", "0.7", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)["measured_alpha"]
    assert m["level"] == 0.95 and m["bound"] < m["measured"]
    assert m["gap"] == m["bound"] - 0.7 and m["meets"] is (m["gap"] >= 0)
    assert m["uncertainty_cost"]["unit"] == "progress" and m["uncertainty_cost"]["value"] is not None


def test_plan_without_manifest_has_no_measured_alpha():
    assert json.loads(_run("--format", "json", "-q").stdout)["measured_alpha"] is None


def test_external_tokens_from_manifest():
    base = json.loads(_run("--alpha-from", HUMAN, "--format", "json", "-q").stdout)
    human = json.loads(_run("alpha", "measure", HUMAN, "--format", "json").stdout)["tokens"]["human"]
    stood_in = json.loads(_run("--alpha-from", HUMAN, "--external-from-manifest", "--format", "json", "-q").stdout)
    assert stood_in["assumptions"]["data.external_tokens"] == human
    assert stood_in["tokens"]["external_available"] == human != base["tokens"]["external_available"]


def test_external_from_manifest_needs_manifest():
    assert _run("--external-from-manifest", "-q").exit_code == 2


def test_collapse_from_measured_history():
    r = _run("collapse", "--alpha-from", MIXED, "--runs", "50", "--generations", "20", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["history"]["regime"] in ("anchored", "collapse-prone")
    assert d["simulations"][0]["effective_alpha"][0] > d["simulations"][0]["effective_alpha"][3]


def test_cli_unknown_choices_match_the_library():
    from planner.alpha import UNKNOWN_POLICIES
    from planner.cli.common import alpha_unknown_option

    @alpha_unknown_option
    def f(alpha_unknown):  # pragma: no cover - only the option is inspected
        return alpha_unknown

    assert set(f.__click_params__[0].type.choices) == set(UNKNOWN_POLICIES)
