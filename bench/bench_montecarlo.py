"""Benchmark of uncertainty runs (not a test): a Monte Carlo of a fixed plan and a robust plan,
on examples/uncertain-mid-size-lab.yaml and the bundled catalog.

Usage::

    python bench/bench_montecarlo.py                         # 10,000 samples, 20 worlds, 3 repeats
    python bench/bench_montecarlo.py --samples 10000 --worlds 20 --repeats 5

Targets (issue "Sweeps and uncertainty at scale"): 10,000 samples of a fixed plan under 10 s; a
robust plan over 20 sampled worlds under 60 s. The Monte Carlo is timed in one process and with
local processes on every core (start-up included); the plan it holds is made once, outside the
timing. Reports medians of the repeats and the machine's state.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_plan import machine_state  # noqa: E402
from hwcatalog import load_catalog  # noqa: E402
from planner import load_scenario, plan  # noqa: E402
from planner.executor import make_executor  # noqa: E402
from planner.montecarlo import FixedPlan, montecarlo  # noqa: E402
from planner.robust import robust_plan  # noqa: E402

SCENARIO = ROOT / "examples" / "uncertain-mid-size-lab.yaml"


def time_montecarlo(scheduler: str, samples: int, repeats: int) -> list[float]:
    catalog, scenario = load_catalog(max_price_age_days=None), load_scenario(SCENARIO)
    fixed = FixedPlan.from_plan(plan(scenario, catalog, marginals=False))
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        ex = make_executor(scheduler, None)
        try:
            montecarlo(scenario, catalog, fixed, samples=samples, executor=ex)
        finally:
            ex.close()
        runs.append(time.perf_counter() - t)
    return runs


def time_robust(worlds: int, repeats: int) -> list[tuple[float, float]]:
    catalog, scenario = load_catalog(max_price_age_days=None), load_scenario(SCENARIO)
    runs = []
    for seed in range(repeats):
        t = time.perf_counter()
        _, summary = robust_plan(scenario, catalog, worlds, seed=seed)
        runs.append((time.perf_counter() - t, summary.solve_seconds))
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--worlds", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine_state()}")
    for scheduler in ("local", "processes"):
        runs = time_montecarlo(scheduler, args.samples, args.repeats)
        shown = ", ".join(f"{r:.2f}" for r in runs)
        print(f"Monte Carlo {args.samples} samples, {scheduler:>9}: median {statistics.median(runs):.2f} s (runs: {shown}; target < 10 s)")
    robust = time_robust(args.worlds, args.repeats)
    total, solve = [r[0] for r in robust], [r[1] for r in robust]
    shown = ", ".join(f"{r:.1f}" for r in total)
    print(
        f"robust plan, {args.worlds} worlds: median {statistics.median(total):.1f} s end to end, "
        f"{statistics.median(solve):.1f} s in the extensive-form solves (seeds 0..{args.repeats - 1}: {shown}; target < 60 s)"
    )


if __name__ == "__main__":
    main()
