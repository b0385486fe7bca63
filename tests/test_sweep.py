"""Sweeps: executors agree, results stream to Parquet, a rerun resumes (also after a kill),
failures are recorded and retried, and a real Dask scheduler with two workers gives the same rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.compare import compare, grid, parse_vary
from planner.executor import Executor, make_executor
from planner.results_store import ResultStore
from planner.sweep import sweep
from tests.conftest import DATA, ROOT

TOY = ["--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", str(DATA / "toy-overlay.yaml")]


@pytest.fixture()
def toy_points(toy_scenario):
    return grid(toy_scenario, [parse_vary("budget=1e6,2e6,4e6"), parse_vary("alpha=0.2,0.5")])


def _objectives(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["name"], frame["objective_value"], strict=True))


def test_processes_match_in_process(toy_points, toy_catalog):
    a = compare(toy_points, toy_catalog, marginals=False)
    ex = make_executor("processes", 2)
    try:
        b = compare(toy_points, toy_catalog, marginals=False, executor=ex)
    finally:
        ex.close()
    assert [r.name for r in a.runs] == [r.name for r in b.runs]
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert (ra.plan is None) == (rb.plan is None)
        if ra.plan is not None:
            assert ra.plan.to_dict() == rb.plan.to_dict()
    pd.testing.assert_frame_equal(a.grounding, b.grounding)


def test_results_stream_and_resume(tmp_path, toy_points, toy_catalog):
    path = tmp_path / "r.parquet"
    first = sweep(toy_points[:4], toy_catalog, ResultStore(path))
    assert (first.ran, first.skipped, first.rows) == (4, 0, 4)
    second = sweep(toy_points, toy_catalog, ResultStore(path))
    assert (second.ran, second.skipped, second.rows) == (2, 4, 6)
    frame = pd.read_parquet(path)
    assert set(frame["status"]) <= {"optimal", "feasible", "infeasible"}
    ok = frame[frame["status"] == "optimal"].iloc[0]
    assert json.loads(ok["plan_json"])["cost_usd"]["total"] == pytest.approx(ok["total_usd"])
    assert not (tmp_path / "r.parquet.parts").exists()


def test_failures_recorded_then_retried(tmp_path, toy_points, toy_catalog, monkeypatch):
    import planner.planning as planning

    real = planning.plan

    def flaky(scenario, *a, **k):
        if scenario.budget_usd == 2e6:
            raise RuntimeError("worker lost")
        return real(scenario, *a, **k)

    path = tmp_path / "r.parquet"
    monkeypatch.setattr(planning, "plan", flaky)
    s1 = sweep(toy_points, toy_catalog, ResultStore(path), executor=Executor())
    assert s1.statuses.get("error") == 2
    errors = pd.read_parquet(path).query("status == 'error'")
    assert errors["error"].str.contains("worker lost").all()
    monkeypatch.setattr(planning, "plan", real)
    assert sweep(toy_points, toy_catalog, ResultStore(path)).ran == 0
    s3 = sweep(toy_points, toy_catalog, ResultStore(path, retry_failed=True))
    assert s3.ran == 2 and "error" not in s3.statuses
    assert "error" not in set(pd.read_parquet(path)["status"])


def test_resume_after_kill(tmp_path):
    path = tmp_path / "r.parquet"
    budgets = ",".join(str(1e6 + 1e4 * i) for i in range(150))
    cmd = [
        sys.executable,
        "-m",
        "planner.cli",
        "whatif",
        *TOY,
        "--vary",
        f"budget={budgets}",
        "--results",
        str(path),
        "--scheduler",
        "local",
        "-q",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "r.parquet.parts"
    deadline = time.time() + 120
    while time.time() < deadline and not (parts.is_dir() and any(parts.glob("*.parquet"))):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert parts.is_dir() and any(parts.glob("*.parquet")), "no part written before the kill"
    assert not any(p.name.endswith(".tmp") for p in parts.iterdir())
    r = subprocess.run([*cmd[:-1], "--format", "json", "-q"], cwd=ROOT, capture_output=True, text=True, check=True)
    summary = json.loads(r.stdout)
    assert summary["skipped"] >= 64 and summary["skipped"] + summary["ran"] == 150 and summary["rows"] == 150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("dask", path=os.path.dirname(sys.executable)) is None, reason="the dask command is not installed")
def test_real_dask_scheduler_two_workers(tmp_path, toy_points, toy_catalog):
    bin_dir = os.path.dirname(sys.executable)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sched = subprocess.Popen(
        [f"{bin_dir}/dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], env=env, stderr=subprocess.DEVNULL
    )
    worker = subprocess.Popen(
        [f"{bin_dir}/dask", "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        ex = _connect(address)
        try:
            assert ex.workers == 2
            dask_rows = sweep(toy_points, toy_catalog, ResultStore(tmp_path / "d.parquet"), executor=ex)
        finally:
            ex.close()
        local_rows = sweep(toy_points, toy_catalog, ResultStore(tmp_path / "l.parquet"))
        assert dask_rows.statuses == local_rows.statuses
        assert _objectives(pd.read_parquet(tmp_path / "d.parquet")) == _objectives(pd.read_parquet(tmp_path / "l.parquet"))
    finally:
        for p in (worker, sched):
            p.terminate()
            p.wait(timeout=30)


def _connect(address: str):
    deadline = time.time() + 60
    while True:
        try:
            ex = make_executor(address, None)
            if ex.workers >= 2 and len(ex.client.scheduler_info()["workers"]) >= 2:
                return ex
            ex.close()
        except Exception:
            if time.time() > deadline:
                raise
        time.sleep(0.5)


def test_cli_sweep_and_bad_scheduler(tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        cli, ["whatif", *TOY, "--vary", "budget=1e6,2e6", "--results", str(tmp_path / "r.parquet"), "--scheduler", "local", "-q"]
    )
    assert r.exit_code == 0 and "2 planned now" in r.stdout
    r = runner.invoke(cli, ["whatif", *TOY, "--vary", "budget=1e6", "--scheduler", "yarn", "-q"])
    assert r.exit_code == 2 and "tcp://HOST:PORT" in r.stderr
