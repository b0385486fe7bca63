"""End-to-end CLI tests, in process (click's CliRunner). Every error path has its exit code."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.units import parse_power_kw
from tests.conftest import DATA, EXAMPLES, write

TOY = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml"), "-q"]


@pytest.fixture()
def run():
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return _run


def test_plan_json_on_example(run):
    r = run("--scenario", str(EXAMPLES / "mid-size-lab.yaml"), "--budget", "$750M", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["budget_usd"] == 750e6
    assert data["cost_usd"]["total"] <= 750e6
    assert data["alpha"] >= data["alpha_floor"] - 1e-9


def test_plan_default_table(run):
    r = run("--budget", "5B", "-q")
    assert r.exit_code == 0, r.output
    assert "Line items" in r.stdout and "Spend by role" in r.stdout


@pytest.mark.parametrize("fmt", ["table", "md", "html", "json"])
def test_formats(run, fmt):
    r = run(*TOY, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert "toy-gpu" in r.stdout


def test_flags_override_scenario(run):
    r = run(*TOY, "--alpha-floor", "1.0", "--horizon", "1", "--solver", "highs", "--format", "json")
    data = json.loads(r.stdout)
    assert data["alpha_floor"] == 1.0 and data["alpha_floor_basis"] == "--alpha-floor"
    assert data["assumptions"]["solver"] == "highs"


def test_only_and_exclude(run):
    r = run("--budget", "1e8", "--only", "nvidia-h100-sxm,cpu-2x-epyc-9654", "--only", "cxl-micron-cz120-256gb", "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    assert {i["id"] for i in json.loads(r.stdout)["items"]} <= {"nvidia-h100-sxm", "cpu-2x-epyc-9654", "cxl-micron-cz120-256gb"}
    r = run("--budget", "1e8", "--exclude", "amd-mi355x", "--format", "json", "-q")
    assert "amd-mi355x" not in {i["id"] for i in json.loads(r.stdout)["items"]}


def test_power_cap_units():
    assert parse_power_kw("20MW") == 20000
    assert parse_power_kw("500kW") == 500
    assert parse_power_kw("1.5GW") == 1.5e6
    assert parse_power_kw("750") == 750


def test_output_atomic_and_force(run, tmp_path):
    out = tmp_path / "plan.md"
    r = run(*TOY, "--format", "md", "--output", str(out))
    assert r.exit_code == 0 and out.read_text().startswith("# Hardware plan")
    r = run(*TOY, "--format", "md", "--output", str(out))
    assert r.exit_code == 1 and "file exists; use --force" in r.stderr
    r = run(*TOY, "--format", "json", "--output", str(out), "--force")
    assert r.exit_code == 0 and out.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.md"]  # no temporary files left
    r = run(*TOY, "--output", str(tmp_path / "missing" / "x.md"))
    assert r.exit_code == 1 and "does not exist" in r.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--budget", "lots"], 2, "expected an amount like 5e9"),
        (["--budget", "-5"], 2, "expected"),
        (["--alpha-floor", "1.5"], 2, "expected a number in [0, 1]"),
        (["--power-cap", "hot"], 2, "expected a power like"),
        (["--format", "pdf"], 2, "Invalid value"),
        (["--solver", "gurobi"], 2, "Invalid value"),
        (["--only", "nvidia-h100-smx"], 1, "did you mean 'nvidia-h100-sxm'"),
        (["--scenario", "/nonexistent.yaml"], 1, "/nonexistent.yaml: file not found"),
        (["--catalog", "/nonexistent.csv"], 1, "/nonexistent.csv: file not found"),
        (["--alpha-floor", "auto", "--collapse-tolerance", "0.001"], 1, "no alpha <= 1 keeps the long-run loss"),
    ],
)
def test_error_paths(run, args, code, message):
    r = run(*args, "-q")
    assert r.exit_code == code, r.output
    assert message in r.stderr
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("budget_usd: [1]\n", "field 'budget_usd'"),
        ("alpha_flor: 0.1\n", "field 'alpha_flor': unknown field"),
        ("model: {active_params: 1e12}\n", "active_params must not exceed total_params"),
        ("facility: {pue: 0.5}\n", "field 'facility.pue'"),
        ("objective: min-cost\n", "objective min-cost needs at least one positive target"),
        ("budget_usd: 5B\nagents: {scaling: magic}\n", "field 'agents.scaling'"),
        ("a: [\n", "invalid YAML"),
        ("alpha_floor: 1.0e-7\n", "expected 0 or a floor of at least 0.0001"),
        ("- 1\n", "expected a mapping"),
    ],
)
def test_bad_scenario_files(run, tmp_path, text, message):
    f = write(tmp_path, "bad.yaml", text)
    r = run("--scenario", str(f), "-q")
    assert r.exit_code == 1, r.output
    assert message in r.stderr and str(f) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_infeasible_exit_3(run):
    r = run(*TOY, "--budget", "15000")
    assert r.exit_code == 3
    assert "infeasible" in r.stderr and "least_budget_usd" in r.stderr


def test_solver_failure_exit_4(run, monkeypatch):
    import planner.stages as plan_mod
    from planner.errors import SolverError

    def boom(*a, **k):
        raise SolverError("solver cbc returned failed for min-cost")

    monkeypatch.setattr(plan_mod, "solve", boom)
    r = run(*TOY)
    assert r.exit_code == 4 and "solver failure" in r.stderr


def test_bad_catalog_overlay_exit_1(run, tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date\nnvidia-h100-sxm,abc,2026-01-01\n")
    r = run("--catalog", str(f), "-q")
    assert r.exit_code == 1
    assert f"{f}, row 2, field 'price_usd': expected a number" in r.stderr


def test_stale_price_warning_on_stderr(run):
    # the toy items' prices are dated 2026-11-01: a limit 30 days past their age keeps them fresh,
    # while every bundled price (dated 2025 or earlier) would be stale if it were considered
    fresh = (dt.date.today() - dt.date(2026, 11, 1)).days + 30
    r = run(*TOY[:-1], "--max-price-age-days", str(fresh))
    assert r.exit_code == 0
    assert "warning: price of" not in r.stderr  # stale bundled items were not considered
    r = run("--budget", "1e8", "--only", "nvidia-h100-sxm,cpu-2x-epyc-9654", "--max-price-age-days", "30")
    assert r.exit_code == 0
    assert r.stderr.count("warning: price of nvidia-h100-sxm") == 1
    assert "nvidia-b200" not in r.stderr and "intel-gaudi3" not in r.stderr
    assert "warning:" not in r.stdout  # the terminal report does not repeat stderr's warnings


def test_warnings_only_for_considered_items(run):
    r = run("--budget", "1e9", "--exclude", "nvidia-b200,intel-gaudi3")
    assert r.exit_code == 0
    assert "warning" not in r.stderr, r.stderr


# ---------------------------------------------------------------------------------------- catalog


def test_catalog_list_json(run):
    r = run("catalog", "list", "--format", "json", "-q")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert isinstance(data, list) and len(data) >= 25
    h100 = next(d for d in data if d["id"] == "nvidia-h100-sxm")
    for key in (
        "id",
        "name",
        "vendor",
        "category",
        "kind",
        "price_usd",
        "power_kw",
        "sources",
        "bf16_tflops",
        "fp8_tflops",
        "hbm_gb",
        "hbm_tbps",
    ):
        assert key in h100
    assert h100["bf16_tflops"] == 989 and h100["category"] == "accelerator" and h100["kind"] == "gpu"
    assert h100["sources"]["bf16_tflops"]["basis"] == "datasheet"
    assert h100["sources"]["price_usd"]["source_date"]


def test_catalog_list_filters(run):
    r = run("catalog", "list", "--category", "verification", "--format", "json", "-q")
    assert {d["category"] for d in json.loads(r.stdout)} == {"verification"}
    r = run("catalog", "list", "--vendor", "amd", "--format", "csv", "-q")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("id,") and all(",AMD," in line for line in lines[1:])
    r = run("catalog", "list", "-q")
    assert "nvidia-gb200-nvl72" in r.stdout


def test_catalog_show(run):
    r = run("catalog", "show", "nvidia-h100-sxm", "-q")
    assert r.exit_code == 0 and "bf16_tflops" in r.stdout and "datasheet" in r.stdout
    r = run("catalog", "show", "nvidia-h100-sxm", "--format", "json", "-q")
    assert json.loads(r.stdout)["figures"]["hbm_gb"]["value"] == 80
    r = run("catalog", "show", "h100", "-q")
    assert r.exit_code == 1 and "did you mean" in r.stderr


def test_catalog_show_overlay_origin(run, tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date,source\nnvidia-h100-sxm,21000,2026-10-01,Quote 17\n")
    r = run("catalog", "show", "nvidia-h100-sxm", "--catalog", str(f), "--format", "json", "-q")
    assert json.loads(r.stdout)["figures"]["price_usd"]["origin"] == "overlay:q.csv"


def test_catalog_validate(run, tmp_path):
    good = write(tmp_path, "good.yaml", "items:\n  - {id: nvidia-h100-sxm, price_usd: 21000, date: 2026-10-01}\ndisable: [nvidia-l40s]\n")
    r = run("catalog", "validate", str(good))
    assert r.exit_code == 0 and "ok (2 records)" in r.stdout
    bad = write(tmp_path, "bad.yaml", "items:\n  - {id: nvidia-h100-sxm, price_usd: -1, date: 2026-10-01}\n")
    r = run("catalog", "validate", str(bad))
    assert r.exit_code == 1 and "items[0], field 'price_usd'" in r.stderr


def test_every_subpackage_is_declared_in_pyproject():
    """A subpackage missing from pyproject's list installs without it (the wheel check in CI)."""
    import tomllib

    from tests.conftest import ROOT

    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.relative_to(ROOT).parent.parts)
        for p in ROOT.glob("*/**/__init__.py")
        if p.relative_to(ROOT).parts[0] in ("planner", "hwcatalog")
    }
    assert found <= declared, found - declared


def test_highs_keeps_json_stdout_clean():
    """highspy prints a banner from C++ when a solver is created; the JSON on stdout must stay
    parseable (a separate process: CliRunner cannot see C-level writes to fd 1)."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "planner.cli", *TOY, "--solver", "highs", "--format", "json"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["solver"]["name"] == "highs"
