"""Benchmark of the collapse simulator (not a test).

Targets (issue "Collapse simulator"): gaussian 20,000 runs x 200 generations in under 1 s at
n = 100 and at n = 10^6; categorical K = 100, n = 500, 4,000 runs x 200 generations in under 5 s.

Usage: ``python bench/bench_collapse.py [--repeats 5]``. Prints medians and the machine's state.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_plan import machine_state
from planner.collapse import simulate

CASES = [
    ("gaussian n=100, 20000 runs x 200 gens", dict(family="gaussian", samples=100, runs=20000), 1.0),
    ("gaussian n=10^6, 20000 runs x 200 gens", dict(family="gaussian", samples=10**6, runs=20000), 1.0),
    ("categorical K=100 n=500, 4000 runs x 200 gens", dict(family="categorical", samples=500, runs=4000, zipf_k=100), 5.0),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.1)
    args = ap.parse_args()
    print(f"machine: {machine_state()}")
    for label, kw, target in CASES:
        times = []
        for seed in range(args.repeats):
            t = time.perf_counter()
            simulate(kw["family"], [args.alpha] * 200, seed=seed, **{k: v for k, v in kw.items() if k != "family"})
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        verdict = "OK" if med < target else "OVER"
        print(f"{label:48s} median {med:.3f} s (min {min(times):.3f}, max {max(times):.3f}; target < {target:g} s) {verdict}")


if __name__ == "__main__":
    main()
