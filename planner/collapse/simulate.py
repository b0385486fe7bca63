"""Monte-Carlo simulator of recursive self-training with an exogenous share alpha_t.

Conventions (docs/collapse.md):

* Generation 0 is the truth. Each generation t = 1..T refits the model on a data set of n samples:
  ``m_t = round_half_up(alpha_t * n)`` drawn from the truth (exogenous) and ``n - m_t`` from the
  current model (synthetic). The effective share ``m_t / n`` is reported per generation.
* The refit is maximum likelihood, which is the KL projection of the empirical distribution onto
  the model family (the update rule of Zenil 2026, arXiv:2601.05280). The ``unbiased`` Gaussian
  estimator divides by n - 1 instead (the setting of Shumailov et al. 2024).
* ``replace`` mode fits each generation on its own n samples; ``accumulate`` mode (Gerstgrasser et
  al. 2024) keeps every earlier sample and adds n new ones (m exogenous, n - m synthetic) per
  generation, fitting on all of them.

Everything is vectorised over runs. The Gaussian simulator never draws the n points: it draws the
sufficient statistics of each group exactly (a group of size g from N(mu, s^2) has mean
~ N(mu, s^2 / g) and within-group sum of squares ~ s^2 chi^2_{g-1}, independent), so its cost does
not depend on n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Family = Literal["gaussian", "categorical"]
Estimator = Literal["mle", "unbiased"]
Mode = Literal["replace", "accumulate"]
BAND_QUANTILES = (0.05, 0.95)

GAUSSIAN_SERIES = ("variance_mean", "variance_median", "log_variance_mean", "mean_sq_drift")
CATEGORICAL_SERIES = ("support_mean", "entropy_mean", "gini_mean", "missing_mass_mean", "l2_sq_mean")


def exogenous_counts(alphas: Sequence[float], n: int) -> np.ndarray:
    """``m_t = floor(alpha_t * n + 0.5)`` (round half up), clipped to [0, n]."""
    a = np.asarray(alphas, dtype=float)
    return np.clip(np.floor(a * n + 0.5), 0, n).astype(np.int64)


@dataclass
class SimulationResult:
    """Per-generation series (length generations + 1, index 0 = the truth) and bands."""

    family: str
    alpha: float | list[float]
    samples: int
    generations: int
    runs: int
    estimator: str
    mode: str
    seed: int | None
    effective_alpha: list[float]
    series: dict[str, list[float]]
    bands: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    schedule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON contract: family, alpha, samples, generations, runs, series (+ extras)."""
        return {
            "family": self.family,
            "alpha": self.alpha,
            "samples": self.samples,
            "generations": self.generations,
            "runs": self.runs,
            "series": self.series,
            "estimator": self.estimator,
            "mode": self.mode,
            "seed": self.seed,
            "schedule": self.schedule,
            "effective_alpha": self.effective_alpha,
            "bands": self.bands,
            "params": self.params,
        }


def _bands(values: np.ndarray) -> dict[str, list[float]]:
    lo, hi = np.quantile(values, BAND_QUANTILES, axis=1)
    return {"p05": lo.tolist(), "p95": hi.tolist()}


# -------------------------------------------------------------------------------------------- gaussian


def simulate_gaussian(
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    estimator: Estimator = "mle",
    mode: Mode = "replace",
    seed: int | None = 0,
    mu0: float = 0.0,
    sigma0: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``len(alphas)`` generations; return (mu, var, m) with mu, var of shape (T+1, runs).

    Group statistics are drawn exactly: for g draws from N(c, s^2), the mean is N(c, s^2 / g) and
    the sum of squares about the group mean is s^2 * chi^2_{g-1}. Merging groups a and b of sizes
    g_a, g_b gives SS = SS_a + SS_b + g_a g_b / (g_a + g_b) * (mean_a - mean_b)^2.
    """
    n = int(samples)
    if n < 2:
        raise ValueError("samples must be at least 2")
    m_t = exogenous_counts(alphas, n)
    T = len(m_t)

    def chunk(rng: np.random.Generator, r: int) -> tuple[np.ndarray, np.ndarray]:
        mu = np.empty((T + 1, r))
        var = np.empty((T + 1, r))
        mu[0], var[0] = mu0, sigma0**2
        # accumulated data set (accumulate mode): size, mean, sum of squares about the mean
        acc_n = 0
        acc_mean = np.zeros(r)
        acc_ss = np.zeros(r)
        for t in range(T):
            m = int(m_t[t])
            k = n - m
            mean_a, ss_a = _group(rng, m, mu0, sigma0, r)
            mean_b, ss_b = _group(rng, k, mu[t], np.sqrt(var[t]), r)
            g_mean, g_ss = _merge(m, mean_a, ss_a, k, mean_b, ss_b)
            if mode == "accumulate":
                acc_mean, acc_ss = _merge(acc_n, acc_mean, acc_ss, n, g_mean, g_ss)
                acc_n += n
                total_n, mean, ss = acc_n, acc_mean, acc_ss
            else:
                total_n, mean, ss = n, g_mean, g_ss
            mu[t + 1] = mean
            var[t + 1] = ss / (total_n - 1 if estimator == "unbiased" else total_n)
        return mu, var

    parts = _chunked(runs, seed, chunk)
    return np.concatenate([pt[0] for pt in parts], axis=1), np.concatenate([pt[1] for pt in parts], axis=1), m_t


def _group(rng: np.random.Generator, g: int, centre: Any, sd: Any, runs: int) -> tuple[np.ndarray, np.ndarray]:
    if g <= 0:
        return np.zeros(runs), np.zeros(runs)
    mean = rng.normal(centre, np.asarray(sd) / math.sqrt(g), size=runs)
    ss = (np.asarray(sd) ** 2) * rng.chisquare(g - 1, size=runs) if g > 1 else np.zeros(runs)
    return mean, ss


def _merge(na: int, mean_a: np.ndarray, ss_a: np.ndarray, nb: int, mean_b: np.ndarray, ss_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if na == 0:
        return mean_b, ss_b
    if nb == 0:
        return mean_a, ss_a
    n = na + nb
    mean = (na * mean_a + nb * mean_b) / n
    ss = ss_a + ss_b + (na * nb / n) * (mean_a - mean_b) ** 2
    return mean, ss


def gaussian_series(mu: np.ndarray, var: np.ndarray, mu0: float = 0.0) -> tuple[dict[str, list[float]], dict[str, dict[str, list[float]]]]:
    with np.errstate(divide="ignore"):
        logv = np.log(var)
    drift = (mu - mu0) ** 2
    series = {
        "variance_mean": var.mean(axis=1).tolist(),
        "variance_median": np.median(var, axis=1).tolist(),
        "log_variance_mean": logv.mean(axis=1).tolist(),
        "mean_sq_drift": drift.mean(axis=1).tolist(),
    }
    bands = {"variance": _bands(var), "mean": _bands(mu)}
    return series, bands


# -------------------------------------------------------------------------------------------- categorical


def zipf(k: int, s: float) -> np.ndarray:
    """Zipf(s) over K symbols: ``p_i proportional to 1 / i^s``, i = 1..K."""
    w = 1.0 / np.arange(1, k + 1, dtype=float) ** s
    return w / w.sum()


CATEGORICAL_METRICS = ("support", "entropy", "gini", "missing_mass", "l2_sq")
CHUNKS = 2  # runs are split into this many independently seeded chunks, simulated in threads


def categorical_metrics(
    counts: np.ndarray, total: int, p: np.ndarray, clogc: np.ndarray, q: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per-run metrics of the fitted frequencies ``q = counts / total`` against the truth ``p``.

    support = #{k: q_k > 0}; entropy = -sum q log q = log N - (1/N) sum c log c (nats, with the
    table ``clogc[c] = c log c``); Gini-Simpson = 1 - sum q^2; missing mass = sum of p_k over
    symbols with q_k = 0; squared L2 = sum (q - p)^2 = sum q^2 - 2 q.p + sum p^2.
    """
    alive = counts > 0
    q = counts / total if q is None else q
    q_sq = np.einsum("ij,ij->i", q, q)
    return {
        "support": np.count_nonzero(alive, axis=1).astype(float),
        "entropy": math.log(total) - clogc[counts].sum(axis=1) / total,
        "gini": 1.0 - q_sq,
        "missing_mass": p.sum() - alive @ p,
        "l2_sq": np.maximum(q_sq - 2.0 * (q @ p) + float(p @ p), 0.0),
    }


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table: draw j uniform in 0..K-1, keep j with probability prob[j], else
    take alias[j]. Exact for any p; O(1) per draw."""
    K = len(p)
    scaled = np.asarray(p, dtype=float) * K
    prob = np.ones(K)
    alias = np.arange(K)
    small = [i for i in range(K) if scaled[i] < 1.0]
    large = [i for i in range(K) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


def alias_draw(rng: np.random.Generator, prob: np.ndarray, alias: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    j = rng.integers(0, len(prob), size=shape)
    return np.where(rng.random(shape) < prob[j], j, alias[j])


def _chunked(runs: int, seed: int | None, fn: Any) -> list[Any]:
    """Run ``fn(rng, runs_in_chunk)`` on independently seeded chunks of the runs, in threads.

    The split (``CHUNKS`` chunks, seeds spawned from ``seed``) does not depend on the machine, so a
    seed gives the same numbers everywhere; numpy releases the GIL in its samplers, so chunks run
    on separate cores.
    """
    sizes = [runs // CHUNKS + (1 if i < runs % CHUNKS else 0) for i in range(CHUNKS)]
    sizes = [s for s in sizes if s > 0]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    if len(sizes) == 1:
        return [fn(np.random.default_rng(seeds[0]), sizes[0])]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(sizes)) as pool:
        return list(pool.map(lambda a: fn(np.random.default_rng(a[0]), a[1]), zip(seeds, sizes, strict=True)))


def simulate_categorical(
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    p: np.ndarray,
    mode: Mode = "replace",
    seed: int | None = 0,
    track: Sequence[int] = (),
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Simulate; return (metrics of shape (T+1, runs) each, m_t, frequencies of ``track`` symbols).

    The refit is the empirical frequency (the MLE). A symbol with count 0 is never drawn from the
    model again (zeros stay exact); only exogenous draws can bring it back. Only the metrics are
    kept per generation, so memory does not grow with K x generations. ``track`` lists symbol
    indices whose model frequency is returned per generation, shape (T+1, runs, len(track)).
    """
    n = int(samples)
    m_t = exogenous_counts(alphas, n)
    T, K = len(m_t), len(p)
    prob, alias = alias_table(p)
    max_total = n * T if mode == "accumulate" else n
    c = np.arange(max_total + 1, dtype=float)
    clogc = np.zeros_like(c)
    clogc[1:] = c[1:] * np.log(c[1:])
    cols = list(track)

    def chunk(rng: np.random.Generator, r: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        out = {name: np.empty((T + 1, r)) for name in CATEGORICAL_METRICS}
        tracked = np.empty((T + 1, r, len(cols)))
        alive0 = np.broadcast_to(p, (r, K))
        out["support"][0] = float(K - np.count_nonzero(p == 0))
        out["entropy"][0] = -float((p[p > 0] * np.log(p[p > 0])).sum())
        out["gini"][0] = 1.0 - float((p * p).sum())
        out["missing_mass"][0] = 0.0
        out["l2_sq"][0] = 0.0
        tracked[0] = alive0[:, cols]
        offsets = (np.arange(r) * K)[:, None]
        q = np.broadcast_to(p, (r, K))
        acc = np.zeros((r, K), dtype=np.int64)
        acc_n = 0
        for t in range(T):
            m = int(m_t[t])
            counts = np.zeros((r, K), dtype=np.int64)
            if m > 0:  # exogenous: alias-method draws from the truth, counted per run
                draws = alias_draw(rng, prob, alias, (r, m))
                counts += np.bincount((draws + offsets).ravel(), minlength=r * K).reshape(r, K)
            if n - m > 0:
                counts += rng.multinomial(n - m, q)
            if mode == "accumulate":
                acc += counts
                acc_n += n
                counts, total = acc, acc_n
            else:
                total = n
            q = counts / total
            for name, v in categorical_metrics(counts, total, p, clogc, q).items():
                out[name][t + 1] = v
            if cols:
                tracked[t + 1] = q[:, cols]
        return out, tracked

    parts = _chunked(runs, seed, chunk)
    metrics = {name: np.concatenate([pt[0][name] for pt in parts], axis=1) for name in CATEGORICAL_METRICS}
    return metrics, m_t, np.concatenate([pt[1] for pt in parts], axis=1)


def categorical_series(metrics: dict[str, np.ndarray]) -> tuple[dict[str, list[float]], dict[str, dict[str, list[float]]]]:
    series = {f"{name}_mean": metrics[name].mean(axis=1).tolist() for name in CATEGORICAL_METRICS}
    bands = {"support": _bands(metrics["support"]), "entropy": _bands(metrics["entropy"])}
    return series, bands


# -------------------------------------------------------------------------------------------- entry


def simulate(
    family: Family,
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    estimator: Estimator = "mle",
    mode: Mode = "replace",
    seed: int | None = 0,
    zipf_k: int = 100,
    zipf_s: float = 1.1,
    alpha_label: float | list[float] | None = None,
    schedule: str | None = None,
) -> SimulationResult:
    """Run the simulator and summarise it into series with bands."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if samples < 2:
        raise ValueError("samples must be at least 2")
    a = [float(x) for x in alphas]
    if any(not 0.0 <= x <= 1.0 for x in a):
        raise ValueError("every alpha_t must be in [0, 1]")
    params: dict[str, Any] = {}
    if family == "gaussian":
        mu, var, m_t = simulate_gaussian(a, samples=samples, runs=runs, estimator=estimator, mode=mode, seed=seed)
        series, bands = gaussian_series(mu, var)
        params = {"mu0": 0.0, "sigma0_sq": 1.0}
    elif family == "categorical":
        p = zipf(zipf_k, zipf_s)
        metrics, m_t, _ = simulate_categorical(a, samples=samples, runs=runs, p=p, mode=mode, seed=seed)
        series, bands = categorical_series(metrics)
        params = {"zipf_k": zipf_k, "zipf_s": zipf_s}
        estimator = "mle"
    else:
        raise ValueError(f"unknown family {family!r}")
    label: float | list[float] = alpha_label if alpha_label is not None else (a[0] if len(set(a)) == 1 else a)
    return SimulationResult(
        family=family,
        alpha=label,
        samples=samples,
        generations=len(a),
        runs=runs,
        estimator=estimator,
        mode=mode,
        seed=seed,
        effective_alpha=(m_t / samples).tolist(),
        series=series,
        bands=bands,
        params=params,
        schedule=schedule,
    )
