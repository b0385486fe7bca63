"""Benchmark of sweeps (not a test): what-if throughput on the bundled catalog and the parallel
efficiency of 1 against 2 workers, for local processes and a Dask LocalCluster.

Usage::

    python bench/bench_sweep.py                       # 20 x 10 budget x floor grid, 3 repeats
    python bench/bench_sweep.py --repeats 5 --budgets 20 --floors 10

Each run plans the grid exactly (both MILP stages, no marginal values) and streams rows to a
Parquet file in a temporary folder, as ``plan whatif --results`` does. Reports medians of the
repeats and the machine's state, and the solver's own share: the CBC seconds of each scenario,
planned one by one, and the rate that time alone would allow on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_plan import machine_state  # noqa: E402
from hwcatalog import load_catalog  # noqa: E402
from planner import InfeasiblePlan, load_scenario, plan  # noqa: E402
from planner.compare import grid, parse_vary  # noqa: E402
from planner.executor import make_executor  # noqa: E402
from planner.results_store import ResultStore  # noqa: E402
from planner.sweep import sweep  # noqa: E402


def points(n_budgets: int, n_floors: int) -> list:
    budgets = ",".join(f"{1e7 * 1.4**i:.6g}" for i in range(n_budgets))
    floors = ",".join(f"{0.02 * (i + 1):.2f}" for i in range(n_floors))
    return grid(load_scenario(), [parse_vary(f"budget={budgets}"), parse_vary(f"alpha={floors}")], max_points=10**6)


def rate(pts: list, scheduler: str, jobs: int) -> float:
    """Scenarios per second for one full sweep (executor start-up included)."""
    catalog = load_catalog(max_price_age_days=None)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ex = make_executor(scheduler, jobs)
        try:
            sweep(pts, catalog, ResultStore(Path(tmp) / "r.parquet"), executor=ex)
        finally:
            ex.close()
        return len(pts) / (time.perf_counter() - t0)


def solver_bound(pts: list, cores: int) -> dict[str, float]:
    """Solver seconds per scenario of the grid, planned one by one in this process (every LP and
    MILP of a plan, each a CBC run through PuLP: the model written, solved and read back), and the
    most scenarios a second ``cores`` cores could reach if planning cost nothing but those solves."""
    catalog = load_catalog(max_price_age_days=None)
    seconds = []
    for _, s, _ in pts:
        try:
            seconds.append(plan(s, catalog, marginals=False).timings.solve_seconds_total)
        except InfeasiblePlan:  # its solves are not counted (the sweep records it as infeasible)
            continue
    return {
        "median_s": statistics.median(seconds),
        "mean_s": statistics.mean(seconds),
        "max_rate": cores * len(seconds) / sum(seconds),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budgets", type=int, default=20)
    ap.add_argument("--floors", type=int, default=10)
    args = ap.parse_args()
    pts = points(args.budgets, args.floors)
    print(f"machine: {machine_state()}")
    print(f"grid: {len(pts)} scenarios (default scenario, bundled catalog)")
    for scheduler in ("local", "processes", "dask-local"):
        for jobs in (1, 2) if scheduler != "local" else (1,):
            rates = [rate(pts, scheduler, jobs) for _ in range(args.repeats)]
            runs = ", ".join(f"{r:.2f}" for r in rates)
            print(f"{scheduler:>10} jobs={jobs}: median {statistics.median(rates):6.2f} scenarios/s  (runs: {runs})")
    one = statistics.median(rate(pts, "processes", 1) for _ in range(args.repeats))
    two = statistics.median(rate(pts, "processes", 2) for _ in range(args.repeats))
    print(f"parallel efficiency, processes 1 -> 2 workers: {two / (2 * one):.2f}")
    bound = solver_bound(pts, 2)
    print(
        f"solver time per scenario: median {bound['median_s']:.3f} s, mean {bound['mean_s']:.3f} s; "
        f"on 2 cores the solves alone allow at most {bound['max_rate']:.2f} scenarios/s"
    )


if __name__ == "__main__":
    main()
