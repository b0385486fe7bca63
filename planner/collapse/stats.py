"""Per-generation summaries of the runs vector: means, medians and bands from one partition each.

The simulator calls these once per generation on the current values of all runs, so no
(generations x runs) history is kept. Quantiles follow numpy's default rule exactly (bitwise equal
to ``np.quantile`` and ``np.median``; tests/test_collapse.py checks it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

BAND_QUANTILES = (0.05, 0.95)
BAND_NAMES = ("p05", "p95")


def order_statistics(values: np.ndarray, quantiles: Sequence[float], *, median: bool = False) -> list[float]:
    """Quantiles of ``values`` (and the median last, if asked) from a single ``np.partition``.

    numpy's 'linear' rule (Hyndman and Fan type 7): for N values and q in [0, 1] the virtual index is
    h = (N - 1) q; with j = floor(h) and g = h - j the quantile is x_(j) + g (x_(j+1) - x_(j)),
    evaluated as x_(j+1) - (1 - g)(x_(j+1) - x_(j)) when g >= 1/2, and x_(N-1) when h >= N - 1.
    The median is the mean of the middle one (N odd) or two (N even) order statistics. A nan
    anywhere makes every answer nan, as in numpy.
    """
    lo, hi, gamma, mid, kth = _positions(values.size, tuple(quantiles), median)
    if np.isnan(values).any():
        return [math.nan] * (len(lo) + (1 if median else 0))
    part = np.partition(values, kth)
    a, b = part[lo], part[hi]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    result = out.tolist()
    if median:
        result.append(float(part[mid[0] : mid[-1] + 1].mean()))
    return result


@lru_cache(maxsize=64)
def _positions(n: int, quantiles: tuple[float, ...], median: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], np.ndarray]:
    """Order-statistic indices (previous, next), weights gamma, median indices and the partition's kth for N = n."""
    h = (n - 1) * np.asarray(quantiles, dtype=float)
    prev = np.floor(h)
    nxt = prev + 1
    top = h >= n - 1
    prev[top] = -1
    nxt[top] = -1
    gamma = h - prev
    lo, hi = prev.astype(np.intp), nxt.astype(np.intp)
    mid = [n // 2 - 1, n // 2] if n % 2 == 0 else [(n - 1) // 2]
    kth = np.unique(np.concatenate((lo, hi, mid if median else [])).astype(np.intp))
    return lo, hi, gamma, mid, kth


class Summary:
    """Per-generation series (means, medians) and bands (p05/p95), appended one generation at a time."""

    def __init__(self, series: Sequence[str], bands: Sequence[str]) -> None:
        self.series: dict[str, list[float]] = {name: [] for name in series}
        self.bands: dict[str, dict[str, list[float]]] = {name: {b: [] for b in BAND_NAMES} for name in bands}

    def add_band(self, name: str, values: Sequence[float]) -> None:
        for key, v in zip(BAND_NAMES, values, strict=True):
            self.bands[name][key].append(v)


def gaussian_step(summary: Summary, mu: np.ndarray, var: np.ndarray, mu0: float) -> None:
    """Append generation t's statistics over runs: mean, median and mean log of sigma_t^2, mean (mu_t - mu0)^2,
    and the p05/p95 bands of sigma_t^2 and mu_t (one partition of each vector)."""
    p05, p95, median = order_statistics(var, BAND_QUANTILES, median=True)
    with np.errstate(divide="ignore"):
        log_var = np.log(var)
    s = summary.series
    s["variance_mean"].append(float(var.mean()))
    s["variance_median"].append(median)
    s["log_variance_mean"].append(float(log_var.mean()))
    s["mean_sq_drift"].append(float(((mu - mu0) ** 2).mean()))
    summary.add_band("variance", (p05, p95))
    summary.add_band("mean", order_statistics(mu, BAND_QUANTILES))


def categorical_step(summary: Summary, metrics: dict[str, np.ndarray]) -> None:
    """Append generation t's metric means over runs and the p05/p95 bands of support and entropy."""
    for name, values in metrics.items():
        summary.series[f"{name}_mean"].append(float(values.mean()))
    for name in summary.bands:
        summary.add_band(name, order_statistics(metrics[name], BAND_QUANTILES))
