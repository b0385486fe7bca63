"""The CLI's shape: a root group without planning options, ``run`` as the default command, one
unit parser for flags, YAML and --vary, and the planning flags on every planning command.

Each test here failed on the first version (options silently dropped, units parsed in one layer).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import DATA, write

TOY_FILES = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml")]


@pytest.fixture()
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_default_command_is_run(run):
    a = run("--budget", "5B", "--format", "json", "-q")
    b = run("run", "--budget", "5B", "--format", "json", "-q")
    assert a.exit_code == b.exit_code == 0
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_options_before_another_subcommand_are_a_usage_error(run):
    r = run("--budget", "5B", "--format", "html", "catalog", "show", "nvidia-h100-sxm")
    assert r.exit_code == 2
    assert "--budget" in r.stderr and "--format" in r.stderr and "catalog" in r.stderr


def test_scenario_before_whatif_is_a_usage_error(run):
    r = run("--scenario", str(DATA / "toy-scenario.yaml"), "whatif", "--vary", "alpha_floor=0.1,0.2")
    assert r.exit_code == 2 and "--scenario" in r.stderr


def test_unknown_option_names_it(run):
    r = run("--budgett", "5B")
    assert r.exit_code == 2 and "--budgett" in r.stderr


@pytest.mark.parametrize("text", ["20MW", "20000", "20,000kW", "0.02GW"])
def test_power_cap_units_in_yaml(tmp_path, run, text):
    f = write(tmp_path, "s.yaml", f"facility:\n  power_cap_kw: {text}\n")
    r = run("--scenario", str(f), "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["power_kw"]["cap_kw"] == pytest.approx(20000.0)


def test_power_cap_units_in_vary(run):
    r = run("whatif", *TOY_FILES, "--vary", "power_cap=20MW,1GW", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    caps = [s["power_kw"]["cap_kw"] for s in json.loads(r.stdout)["scenarios"]]
    assert caps == [20000.0, 1e6]


def test_budget_words_everywhere(tmp_path, run):
    f = write(tmp_path, "s.yaml", "budget_usd: 1 billion\n")
    r = run("--scenario", str(f), "--format", "json", "-q")
    assert json.loads(r.stdout)["budget_usd"] == 1e9
    r = run("--budget", "1 billion", "--format", "json", "-q")
    assert r.exit_code == 0 and json.loads(r.stdout)["budget_usd"] == 1e9


@pytest.mark.parametrize("field", ["budget_usd: true", "horizon_years: yes", "facility: {pue: on}"])
def test_yaml_booleans_are_not_numbers(tmp_path, run, field):
    f = write(tmp_path, "s.yaml", field + "\n")
    r = run("--scenario", str(f), "-q")
    assert r.exit_code == 1 and "boolean" in r.stderr and str(f) in r.stderr


def test_misspelled_field_suggests(tmp_path, run):
    f = write(tmp_path, "s.yaml", "facility:\n  power_cap_kwh: 5\n")
    r = run("--scenario", str(f), "-q")
    assert r.exit_code == 1 and "did you mean 'power_cap_kw'" in r.stderr


@pytest.mark.parametrize("command", ["whatif", "compare"])
def test_planning_flags_apply_to_whatif_and_compare(run, command):
    target = ["--vary", "budget=2e6,3e6"] if command == "whatif" else [str(DATA / "toy-scenario.yaml")]
    scenario = TOY_FILES if command == "whatif" else TOY_FILES[2:]
    flags = ["--only", "toy-gpu,toy-cpu", "--exclude", "toy-cxl", "--solver", "highs", "--alpha-floor", "0.6", "--power-cap", "5MW"]
    r = run(command, *scenario, *target, *flags, "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    for s in json.loads(r.stdout)["scenarios"]:
        assert s["solver"]["name"] == "highs"
        assert s["alpha_floor"] == 0.6 and s["alpha"] >= 0.6 - 1e-6
        assert s["power_kw"]["cap_kw"] == 5000.0
        assert {i["id"] for i in s["items"]} <= {"toy-gpu", "toy-cpu"}
        assert s["assumptions"]["catalog.exclude"] == ["toy-cxl"]


def test_start_date_serialises(tmp_path, run):
    f = write(tmp_path, "s.yaml", "start_date: 2027-03-01\n")
    r = run("--scenario", str(f), "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["assumptions"]["start_date"] == "2027-03-01"


def test_json_is_reproducible_and_timings_on_request(run):
    a = run(*TOY_FILES, "--format", "json", "-q").stdout
    b = run(*TOY_FILES, "--format", "json", "-q").stdout
    assert a == b and "timings" not in json.loads(a)
    t = json.loads(run(*TOY_FILES, "--format", "json", "--timings", "-q").stdout)["timings"]
    assert t["end_to_end_seconds"] >= t["solve_seconds_total"] >= t["solve_seconds"] > 0


def test_html_is_reproducible(run):
    a = run(*TOY_FILES, "--format", "html", "-q").stdout
    b = run(*TOY_FILES, "--format", "html", "-q").stdout
    assert a == b and a.count("<svg") == 3


def test_format_from_output_extension(tmp_path, run):
    out = tmp_path / "r.html"
    r = run(*TOY_FILES, "--output", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert out.read_text().lstrip().lower().startswith("<!doctype html")


def test_same_target_for_output_and_export_refused(tmp_path, run):
    out = tmp_path / "x.csv"
    r = run(*TOY_FILES, "--output", str(out), "--export", str(out), "-q")
    assert r.exit_code == 2 and not out.exists()


def test_unexpected_error_is_one_line_with_debug_hint(run, monkeypatch):
    import planner.planning as planning

    def boom(*a, **k):
        raise RuntimeError("kaboom\nsecond line")

    monkeypatch.setattr(planning, "prepare", boom)
    r = run(*TOY_FILES, "-q")
    assert r.exit_code == 1
    assert r.stderr.strip().count("\n") == 0 and "--debug" in r.stderr and "kaboom" in r.stderr
    with pytest.raises(RuntimeError):
        run("--debug", *TOY_FILES, "-q")
