"""Benchmark of the planner (not a test): end-to-end and solve time, and growth with catalog size.

Usage::

    python bench/bench_plan.py                 # default: 7 repeats, sizes 10..500
    python bench/bench_plan.py --repeats 5 --sizes 10,50,100 --json bench/results/latest.json

Reports medians of several runs and the machine's state (cores, load, Python, CPU model).
Targets (issue "The planner"): solve under 1 s and end to end under 2 s on the bundled catalog.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hwcatalog import Catalog, load_catalog  # noqa: E402
from planner import load_scenario, plan  # noqa: E402

PERF_COLUMNS = ("bf16_tflops", "fp8_tflops", "hbm_tbps", "checks_per_hour", "capacity_gb")


def machine_state() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
    }


def write_json(path: Path | None, results: dict[str, object]) -> None:
    """Write a benchmark's results as JSON to ``path`` (nothing when None)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {path}")


def synthetic_catalog(base: Catalog, size: int, seed: int = 0) -> Catalog:
    """A catalog of ``size`` purchasable items: perturbed copies of the bundled ones.

    Each copy gets its price and performance figures scaled by independent factors in
    [0.8, 1.2], so no two items dominate each other trivially.
    """
    rng = np.random.default_rng(seed)
    pool = base.items[base.items["availability"] == "purchase"]
    rows = []
    for k in range(size):
        row = pool.iloc[k % len(pool)].copy()
        row["id"] = f"{row['id']}-syn{k:04d}"
        row["price_usd"] = row["price_usd"] * rng.uniform(0.8, 1.2)
        for col in PERF_COLUMNS:
            if pd.notna(row.get(col)):
                row[col] = row[col] * rng.uniform(0.8, 1.2)
        rows.append(row)
    items = pd.DataFrame(rows).set_index("id", drop=False)
    items.index.name = None
    return Catalog(items=items, figures=base.figures.iloc[0:0], schema=base.schema)


def time_plan(scenario, catalog, repeats: int) -> dict[str, float]:
    e2e, solve, stage = [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        p = plan(scenario, catalog)
        e2e.append(time.perf_counter() - t)
        solve.append(p.timings.solve_seconds_total)
        stage.append(p.timings.solve_seconds)
    return {"plan_s": statistics.median(e2e), "solve_total_s": statistics.median(solve), "main_solve_s": statistics.median(stage)}


def time_cli(repeats: int) -> float:
    exe = Path(sys.executable).with_name("plan")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "planner.cli"]
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        args = ["--scenario", str(ROOT / "examples" / "mid-size-lab.yaml"), "--format", "json", "-q"]
        subprocess.run([*cmd, *args], check=True, capture_output=True)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sizes", default="10,25,50,100,200,500")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    catalog = load_catalog(max_price_age_days=None)
    results: dict[str, object] = {"machine": machine_state(), "repeats": args.repeats}
    print(f"machine: {results['machine']}")

    bundled = {}
    for name in ("mid-size-lab", "frontier-lab", "small-research-group"):
        s = load_scenario(ROOT / "examples" / f"{name}.yaml")
        bundled[name] = time_plan(s, catalog, args.repeats)
        print(f"bundled catalog, {name:22s} " + "  ".join(f"{k} {v:.3f}" for k, v in bundled[name].items()))
    results["bundled"] = bundled
    cli_s = time_cli(args.repeats)
    results["cli_end_to_end_s"] = cli_s
    print(f"CLI end to end (process start, imports, catalog, plan, marginals, JSON): median {cli_s:.3f} s")

    scaling = []
    s = load_scenario(ROOT / "examples" / "mid-size-lab.yaml")
    for size in (int(x) for x in args.sizes.split(",")):
        cat = synthetic_catalog(catalog, size)
        r = time_plan(s, cat, max(3, args.repeats // 2))
        r["items"] = size
        scaling.append(r)
        print(f"synthetic catalog {size:4d} items: " + "  ".join(f"{k} {v:.3f}" for k, v in r.items() if k != "items"))
    results["scaling"] = scaling
    write_json(args.json, results)


if __name__ == "__main__":
    main()
