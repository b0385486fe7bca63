"""Benchmark of the alpha ledger (not a test).

Target (issue 13): measuring a manifest of one million shards takes under 10 s and under 1 GB of
memory. The script writes a synthetic manifest (CSV and JSON Lines, every column, all four origins,
eight quarters), then measures each in a fresh process (after freeing the generated data) (``--unknown estimate``, so every code path
runs) and reports the median wall time and the child's peak resident memory (ru_maxrss).

Usage: ``python bench/bench_alpha.py [--shards 1000000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_plan import machine_state  # noqa: E402

CHILD = """
import sys, time
t = time.perf_counter()
from planner.alpha import measure
m = measure([sys.argv[1]], unknown="estimate", error_rate=0.02)
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")]
print(time.perf_counter() - t, m.alpha_grounded, int(hwm[0]) if hwm else -1)
"""


def synthetic_manifest(n: int, seed: int = 0) -> pd.DataFrame:
    """n shards: 40% human, 35% synthetic, 15% mixed, 10% unknown; quarters 2025Q1..2026Q4."""
    rng = np.random.default_rng(seed)
    origin = rng.choice(np.array(["human", "synthetic", "mixed", "unknown"]), n, p=[0.4, 0.35, 0.15, 0.1])
    verification = np.where(
        np.isin(origin, ["synthetic", "mixed"]), rng.choice(np.array(["none", "cpu-check", "fpga-check", "human-audit"]), n), "none"
    )
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    return pd.DataFrame(
        {
            "shard": [f"shard-{i:07d}" for i in range(n)],
            "source": rng.choice(np.array([f"source-{k}" for k in range(50)]), n),
            "tokens": rng.integers(1_000_000, 50_000_000, n),
            "epochs": rng.choice(np.array([1, 1, 2, 4]), n),
            "origin": origin,
            "human_fraction": np.where(origin == "mixed", rng.random(n).round(3), np.nan),
            "generator": np.where(np.isin(origin, ["synthetic", "mixed"]), rng.choice(np.array(["model-a", "model-b", "model-c"]), n), ""),
            "verification": verification,
            "verified_fraction": np.where(verification != "none", rng.random(n).round(3), np.nan),
            "p_synthetic": np.where(origin == "unknown", rng.random(n).round(3), np.nan),
            "license": rng.choice(np.array(["CC-BY-4.0", "MIT", "proprietary"]), n),
            "period": days.strftime("%Y-%m-%d"),
        }
    )


def write_jsonl(df: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for rec in df.to_dict("records"):
            f.write(json.dumps({k: v for k, v in rec.items() if not (isinstance(v, float) and np.isnan(v)) and v != ""}) + "\n")


def run_child(path: Path) -> tuple[float, float, float]:
    """(wall seconds inside the child, peak RSS in MB, alpha) of one fresh measuring process.

    Peak RSS is the child's own VmHWM (/proc/self/status), which starts afresh at exec, so the
    benchmark's own memory (the generated data frame) is not counted.
    """
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
    return float(out[0]), int(out[2]) / 1024, float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine_state()}")
    with tempfile.TemporaryDirectory() as tmp:
        df = synthetic_manifest(args.shards)
        paths = [Path(tmp) / "shards.csv", Path(tmp) / "shards.jsonl"]
        df.to_csv(paths[0], index=False)
        write_jsonl(df, paths[1])
        del df
        gc.collect()
        for path in paths:
            runs = [run_child(path) for _ in range(args.repeats)]
            med = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            verdict = "OK" if med < 10 and peak < 1024 else "OVER"
            size = path.stat().st_size / 1e6
            print(
                f"{path.suffix[1:]:5s} {args.shards:,} shards ({size:,.0f} MB): median {med:.2f} s "
                f"(min {min(r[0] for r in runs):.2f}, max {max(r[0] for r in runs):.2f}), peak RSS {peak:,.0f} MB; "
                f"target < 10 s and < 1024 MB {verdict}; alpha_grounded {runs[0][2]:.4f}"
            )
            time.sleep(0.1)


if __name__ == "__main__":
    main()
