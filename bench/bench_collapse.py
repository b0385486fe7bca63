"""Benchmark of the collapse simulator (not a test).

Targets: gaussian 20,000 runs x 200 generations in under 1 s at n = 100 and at n = 10^6, and at
most 1.2x the time and 2x the peak memory of the plain vectorised reference below (issue 12);
categorical K = 100, n = 500, 4,000 runs x 200 generations in under 5 s.

Usage: ``python bench/bench_collapse.py [--repeats 5]``. Prints medians of the repeats, the ratios
simulator / reference of the median time (and the median of the per-repeat ratios: simulator and
reference run back to back, so a change of load hits both) and of the median peak memory
(tracemalloc, measured in separate runs from the timings), and the machine's state before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_plan import machine_state
from planner.collapse import simulate

GENERATIONS = 200
TIME_RATIO_TARGET = 1.2
MEMORY_RATIO_TARGET = 2.0
GAUSSIAN_CASES = [("gaussian n=100, 20000 runs x 200 gens", 100, 20000), ("gaussian n=10^6, 20000 runs x 200 gens", 10**6, 20000)]
CATEGORICAL_CASE = ("categorical K=100 n=500, 4000 runs x 200 gens", dict(samples=500, runs=4000, zipf_k=100), 5.0)


# ---------------------------------------------------------------------------- REFERENCE (not the simulator)
def reference_gaussian(alphas: list[float], samples: int, runs: int, seed: int) -> dict[str, list[float]]:
    """REFERENCE: a plain single-threaded numpy loop (replace mode, MLE refit, 2 <= m_t <= n - 2)
    computing the statistics ``simulate("gaussian", ...)`` reports, for the bench's ratios only."""
    rng = np.random.default_rng(seed)
    n = samples
    mu, var = np.zeros(runs), np.ones(runs)
    names = ("var_mean", "var_p05", "var_median", "var_p95", "log_var_mean", "drift", "mu_p05", "mu_p95")
    out: dict[str, list[float]] = {k: [] for k in names}

    def record() -> None:
        lo, med, hi = np.quantile(var, [0.05, 0.5, 0.95])
        mu_lo, mu_hi = np.quantile(mu, [0.05, 0.95])
        for key, v in zip(out, (var.mean(), lo, med, hi, np.log(var).mean(), (mu**2).mean(), mu_lo, mu_hi), strict=True):
            out[key].append(float(v))

    record()
    for a in alphas:
        m = int(np.floor(a * n + 0.5))
        k = n - m
        mean_a, ss_a = rng.normal(0.0, 1.0 / np.sqrt(m), runs), rng.chisquare(m - 1, runs)
        sd = np.sqrt(var)
        mean_b, ss_b = rng.normal(mu, sd / np.sqrt(k)), var * rng.chisquare(k - 1, runs)
        mu = (m * mean_a + k * mean_b) / n
        var = (ss_a + ss_b + (m * k / n) * (mean_a - mean_b) ** 2) / n
        record()
    return out


# ---------------------------------------------------------------------------- measurement
def _seconds(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _peak_bytes(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _gaussian_case(label: str, samples: int, runs: int, alpha: float, repeats: int) -> None:
    alphas = [alpha] * GENERATIONS

    def sim(seed: int) -> Callable[[], Any]:
        return lambda: simulate("gaussian", alphas, samples=samples, runs=runs, seed=seed)

    def ref(seed: int) -> Callable[[], Any]:
        return lambda: reference_gaussian(alphas, samples, runs, seed)

    sim(0)(), ref(0)()  # warm up
    t_sim, t_ref, b_sim, b_ref = [], [], [], []
    for seed in range(repeats):  # interleaved, alternating which goes first, so load changes hit both alike
        if seed % 2:
            t_ref.append(_seconds(ref(seed)))
        t_sim.append(_seconds(sim(seed)))
        if not seed % 2:
            t_ref.append(_seconds(ref(seed)))
    for seed in range(repeats):
        b_sim.append(_peak_bytes(sim(seed)))
        b_ref.append(_peak_bytes(ref(seed)))
    ts, tr = statistics.median(t_sim), statistics.median(t_ref)
    ms, mr = statistics.median(b_sim), statistics.median(b_ref)
    print(f"{label}: simulator median {ts:.3f} s (min {min(t_sim):.3f}, max {max(t_sim):.3f}; target < 1 s) {_ok(ts < 1.0)}")
    print(f"{'':40s}reference median {tr:.3f} s (min {min(t_ref):.3f}, max {max(t_ref):.3f})")
    paired = statistics.median(a / b for a, b in zip(t_sim, t_ref, strict=True))
    verdict = _ok(ts / tr <= TIME_RATIO_TARGET)
    print(f"{'':40s}time ratio {ts / tr:.2f} (target <= {TIME_RATIO_TARGET}) {verdict}; median of paired ratios {paired:.2f}")
    print(f"{'':40s}peak memory simulator {ms / 2**20:.2f} MiB, reference {mr / 2**20:.2f} MiB (medians, tracemalloc)")
    print(f"{'':40s}memory ratio {ms / mr:.2f} (target <= {MEMORY_RATIO_TARGET}) {_ok(ms / mr <= MEMORY_RATIO_TARGET)}")


def _ok(flag: bool) -> str:
    return "OK" if flag else "OVER"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--skip-categorical", action="store_true")
    args = ap.parse_args()
    print(f"machine before: {machine_state()}")
    for label, samples, runs in GAUSSIAN_CASES:
        _gaussian_case(label, samples, runs, args.alpha, args.repeats)
    if not args.skip_categorical:
        label, kw, target = CATEGORICAL_CASE
        alphas = [args.alpha] * GENERATIONS
        times = [_seconds(lambda seed=seed: simulate("categorical", alphas, seed=seed, **kw)) for seed in range(args.repeats)]
        med = statistics.median(times)
        print(f"{label}: median {med:.3f} s (min {min(times):.3f}, max {max(times):.3f}; target < {target:g} s) {_ok(med < target)}")
    print(f"machine after: {machine_state()}")


if __name__ == "__main__":
    main()
