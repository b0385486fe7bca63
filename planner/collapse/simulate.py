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

Everything is vectorised over runs, and the simulation streams: one vector of length runs per
state variable advances a generation at a time and the summaries of each generation are taken
from it (``stats.py``), so memory is O(runs), not O(generations x runs). Whole histories are kept
only when asked (``simulate(..., history=True)``, ``simulate_gaussian``, ``simulate_categorical``).
The Gaussian simulator never draws the n points: it draws the sufficient statistics of each group
exactly (a group of size g from N(mu, s^2) has mean ~ N(mu, s^2 / g) and within-group sum of
squares ~ s^2 chi^2_{g-1}, independent), so its cost does not depend on n.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Literal

import numpy as np

from .limits import (
    DEFAULT_MAX_MEMORY_BYTES,
    SAMPLES_MAX,
    as_fraction,
    as_int,
    check_alphas,
    check_choice,
    check_memory,
    check_seed,
    estimate_peak_bytes,
)
from .stats import BAND_QUANTILES, Summary, categorical_step, gaussian_step

Family = Literal["gaussian", "categorical"]
Estimator = Literal["mle", "unbiased"]
Mode = Literal["replace", "accumulate"]
FAMILIES = ("gaussian", "categorical")
ESTIMATORS = ("mle", "unbiased")
MODES = ("replace", "accumulate")

GAUSSIAN_SERIES = ("variance_mean", "variance_median", "log_variance_mean", "mean_sq_drift")
GAUSSIAN_BANDS = ("variance", "mean")
CATEGORICAL_SERIES = ("support_mean", "entropy_mean", "gini_mean", "missing_mass_mean", "l2_sq_mean")
CATEGORICAL_METRICS = ("support", "entropy", "gini", "missing_mass", "l2_sq")
CATEGORICAL_BANDS = ("support", "entropy")
CHUNKS = 2  # runs are split into this many independently seeded chunks, advanced together in threads

__all__ = [
    "BAND_QUANTILES",
    "CATEGORICAL_SERIES",
    "GAUSSIAN_SERIES",
    "SimulationResult",
    "exogenous_counts",
    "simulate",
    "simulate_categorical",
    "simulate_gaussian",
    "zipf",
]


def exogenous_counts(alphas: Sequence[float], n: int) -> np.ndarray:
    """``m_t = floor(alpha_t * n + 0.5)`` (round half up), clipped to [0, n]."""
    a = np.asarray(alphas, dtype=float)
    return np.clip(np.floor(a * n + 0.5), 0, n).astype(np.int64)


@dataclass
class SimulationResult:
    """Per-generation series (length generations + 1, index 0 = the truth) and bands.

    ``history`` holds the whole (generations + 1) x runs arrays only when ``simulate(...,
    history=True)`` asked for them; it is not part of ``to_dict()``.
    """

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
    history: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

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


class _Lockstep:
    """The runs split into ``CHUNKS`` independently seeded slices that advance one generation at a time.

    The split (chunk sizes, seeds spawned from ``seed``) does not depend on the machine, so a seed
    gives the same numbers everywhere. Chunk 0 runs on the calling thread and the others in a pool
    (numpy releases the GIL in its samplers); every chunk finishes a generation before the
    statistics of that generation are taken over all runs.
    """

    def __init__(self, runs: int, seed: int | None) -> None:
        sizes = [runs // CHUNKS + (1 if i < runs % CHUNKS else 0) for i in range(CHUNKS)]
        sizes = [s for s in sizes if s > 0]
        self.rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sizes))]
        edges = np.cumsum([0, *sizes]).tolist()
        self.slices = [slice(a, b) for a, b in itertools.pairwise(edges)]
        self._pool = ThreadPoolExecutor(max_workers=len(sizes) - 1) if len(sizes) > 1 else None

    def run(self, step: Callable[[int, np.random.Generator, slice], None]) -> None:
        """``step(chunk index, its generator, its slice of the runs)`` for every chunk; returns when all are done."""
        pool = self._pool
        futures = [pool.submit(step, i, self.rngs[i], self.slices[i]) for i in range(1, len(self.rngs))] if pool else []
        try:
            step(0, self.rngs[0], self.slices[0])
        finally:
            for f in futures:
                f.result()

    def __enter__(self) -> _Lockstep:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


# -------------------------------------------------------------------------------------------- gaussian


@dataclass
class _Pooled:
    """Accumulated data set of one chunk (accumulate mode): size, mean, sum of squares about the mean."""

    n: int = 0
    mean: Any = 0.0
    ss: Any = 0.0


def gaussian_generations(
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    estimator: Estimator = "mle",
    mode: Mode = "replace",
    seed: int | None = 0,
    mu0: float = 0.0,
    sigma0: float = 1.0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (mu_t, sigma_t^2) over all runs for t = 0..T (the same two buffers, updated in place).

    Group statistics are drawn exactly: for g draws from N(c, s^2), the mean is N(c, s^2 / g) and
    the sum of squares about the group mean is s^2 * chi^2_{g-1}. Merging groups a and b of sizes
    g_a, g_b gives SS = SS_a + SS_b + g_a g_b / (g_a + g_b) * (mean_a - mean_b)^2. The fit is
    SS / N (mle) or SS / (N - 1) (unbiased), N = n (replace) or n t (accumulate). Arguments are
    not checked here (``simulate`` and ``simulate_gaussian`` do).
    """
    n = int(samples)
    m_t = exogenous_counts(alphas, n)
    mu = np.full(runs, float(mu0))
    var = np.full(runs, float(sigma0) ** 2)
    with _Lockstep(runs, seed) as lock:
        pooled = [_Pooled() for _ in lock.rngs]

        def step(m: int, i: int, rng: np.random.Generator, sl: slice) -> None:
            r = sl.stop - sl.start
            mean_a, ss_a = _group(rng, m, mu0, sigma0, r)
            mean_b, ss_b = _group(rng, n - m, mu[sl], np.sqrt(var[sl]), r)
            mean, ss = _merge(m, mean_a, ss_a, n - m, mean_b, ss_b)
            total_n = n
            if mode == "accumulate":
                acc = pooled[i]
                acc.mean, acc.ss = _merge(acc.n, acc.mean, acc.ss, n, mean, ss)
                acc.n += n
                total_n, mean, ss = acc.n, acc.mean, acc.ss
            mu[sl] = mean
            var[sl] = ss / (total_n - 1 if estimator == "unbiased" else total_n)

        yield mu, var
        for m in m_t.tolist():
            lock.run(partial(step, m))
            yield mu, var


def _group(rng: np.random.Generator, g: int, centre: Any, sd: Any, runs: int) -> tuple[np.ndarray, np.ndarray]:
    if g <= 0:
        return np.zeros(runs), np.zeros(runs)
    mean = rng.normal(centre, np.asarray(sd) / math.sqrt(g), size=runs)
    ss = (np.asarray(sd) ** 2) * rng.chisquare(g - 1, size=runs) if g > 1 else np.zeros(runs)
    return mean, ss


def _merge(na: int, mean_a: Any, ss_a: Any, nb: int, mean_b: Any, ss_b: Any) -> tuple[Any, Any]:
    if na == 0:
        return mean_b, ss_b
    if nb == 0:
        return mean_a, ss_a
    n = na + nb
    mean = (na * mean_a + nb * mean_b) / n
    ss = ss_a + ss_b + (na * nb / n) * (mean_a - mean_b) ** 2
    return mean, ss


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
    max_memory_bytes: int | None = DEFAULT_MAX_MEMORY_BYTES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole histories: (mu, var, m_t) with mu, var of shape (T+1, runs); the same draws as ``simulate``.

    Memory is 2 x (T+1) x runs x 8 bytes, counted against ``max_memory_bytes``.
    """
    a, n, runs, seed = _check_common(alphas, samples, runs, seed, estimator, mode)
    _check_gaussian_memory(len(a), n, runs, True, max_memory_bytes)
    mu_h = np.empty((len(a) + 1, runs))
    var_h = np.empty((len(a) + 1, runs))
    gens = gaussian_generations(a, samples=n, runs=runs, estimator=estimator, mode=mode, seed=seed, mu0=mu0, sigma0=sigma0)
    for t, (mu, var) in enumerate(gens):
        mu_h[t], var_h[t] = mu, var
    return mu_h, var_h, exogenous_counts(a, n)


def _check_gaussian_memory(generations: int, samples: int, runs: int, history: bool, limit: int | None) -> None:
    need = estimate_peak_bytes("gaussian", generations=generations, samples=samples, runs=runs, history=history)
    check_memory(need, limit, f"gaussian: {runs} runs x {generations} generations" + (", with history" if history else ""))


def gaussian_series(mu: np.ndarray, var: np.ndarray, mu0: float = 0.0) -> tuple[dict[str, list[float]], dict[str, dict[str, list[float]]]]:
    """Series and bands of whole histories (rows = generations); the same numbers the streaming path gives."""
    summary = Summary(GAUSSIAN_SERIES, GAUSSIAN_BANDS)
    for mu_t, var_t in zip(mu, var, strict=True):
        gaussian_step(summary, mu_t, var_t, mu0)
    return summary.series, summary.bands


# -------------------------------------------------------------------------------------------- categorical


def zipf(k: int, s: float) -> np.ndarray:
    """Zipf(s) over K symbols: ``p_i proportional to 1 / i^s``, i = 1..K."""
    w = 1.0 / np.arange(1, k + 1, dtype=float) ** s
    return w / w.sum()


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


def clogc_table(max_total: int) -> np.ndarray:
    """``c log c`` for c = 0..max_total (0 log 0 = 0), built in place (16 bytes per entry at the peak)."""
    table = np.zeros(max_total + 1)
    c = np.arange(1, max_total + 1, dtype=float)
    np.log(c, out=table[1:])
    table[1:] *= c
    return table


@dataclass
class _Frequencies:
    """State of one chunk: fitted frequencies q (runs x K) and, in accumulate mode, the pooled counts."""

    q: np.ndarray
    offsets: np.ndarray
    acc: np.ndarray | None = None
    acc_n: int = 0


def categorical_generations(
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    p: np.ndarray,
    mode: Mode = "replace",
    seed: int | None = 0,
    track: Sequence[int] = (),
) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
    """Yield (metrics over all runs, frequencies of the ``track`` symbols, shape (runs, len(track))) for t = 0..T.

    The refit is the empirical frequency (the MLE). A symbol with count 0 is never drawn from the
    model again (zeros stay exact); only exogenous draws can bring it back. The buffers are
    updated in place. Arguments are not checked here (``simulate`` and ``simulate_categorical`` do).
    """
    n = int(samples)
    m_t = exogenous_counts(alphas, n)
    K, cols = len(p), list(track)
    prob, alias = alias_table(p)
    clogc = clogc_table(n * len(m_t) if mode == "accumulate" else n)
    metrics = _truth_metrics(p, runs)
    tracked = np.empty((runs, len(cols)))
    tracked[:] = p[cols]
    with _Lockstep(runs, seed) as lock:
        sizes = [sl.stop - sl.start for sl in lock.slices]
        state = [_Frequencies(np.broadcast_to(p, (r, K)), (np.arange(r) * K)[:, None]) for r in sizes]

        def step(m: int, i: int, rng: np.random.Generator, sl: slice) -> None:
            st = state[i]
            r = sl.stop - sl.start
            counts = np.zeros((r, K), dtype=np.int64)
            if m > 0:  # exogenous: alias-method draws from the truth, counted per run
                draws = alias_draw(rng, prob, alias, (r, m))
                counts += np.bincount((draws + st.offsets).ravel(), minlength=r * K).reshape(r, K)
            if n - m > 0:
                counts += rng.multinomial(n - m, st.q)
            total = n
            if mode == "accumulate":
                if st.acc is None:
                    st.acc = counts
                else:
                    st.acc += counts
                st.acc_n += n
                counts, total = st.acc, st.acc_n
            st.q = counts / total
            for name, v in categorical_metrics(counts, total, p, clogc, st.q).items():
                metrics[name][sl] = v
            tracked[sl] = st.q[:, cols]

        yield metrics, tracked
        for m in m_t.tolist():
            lock.run(partial(step, m))
            yield metrics, tracked


def _truth_metrics(p: np.ndarray, runs: int) -> dict[str, np.ndarray]:
    """Generation 0 (the truth) for every run: support, entropy, Gini-Simpson of p; nothing missing."""
    nz = p[p > 0]
    values = {
        "support": float(len(p) - np.count_nonzero(p == 0)),
        "entropy": -float((nz * np.log(nz)).sum()),
        "gini": 1.0 - float((p * p).sum()),
        "missing_mass": 0.0,
        "l2_sq": 0.0,
    }
    return {name: np.full(runs, values[name]) for name in CATEGORICAL_METRICS}


def simulate_categorical(
    alphas: Sequence[float],
    *,
    samples: int,
    runs: int,
    p: np.ndarray,
    mode: Mode = "replace",
    seed: int | None = 0,
    track: Sequence[int] = (),
    max_memory_bytes: int | None = DEFAULT_MAX_MEMORY_BYTES,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Whole histories: (metrics of shape (T+1, runs) each, m_t, frequencies of ``track`` symbols of
    shape (T+1, runs, len(track))); the same draws as ``simulate``. Counted against ``max_memory_bytes``."""
    a, n, runs, seed = _check_common(alphas, samples, runs, seed, "mle", mode)
    m_t = exogenous_counts(a, n)
    _check_categorical_memory(len(a), n, runs, len(p), int(m_t.max()), mode, True, len(track), max_memory_bytes)
    T = len(a)
    hist = {name: np.empty((T + 1, runs)) for name in CATEGORICAL_METRICS}
    tracked_h = np.empty((T + 1, runs, len(track)))
    gens = categorical_generations(a, samples=n, runs=runs, p=np.asarray(p, dtype=float), mode=mode, seed=seed, track=track)
    for t, (metrics, tracked) in enumerate(gens):
        for name, values in metrics.items():
            hist[name][t] = values
        tracked_h[t] = tracked
    return hist, m_t, tracked_h


def _check_categorical_memory(
    generations: int, samples: int, runs: int, k: int, max_m: int, mode: str, history: bool, tracked: int, limit: int | None
) -> None:
    need = estimate_peak_bytes(
        "categorical",
        generations=generations,
        samples=samples,
        runs=runs,
        max_exogenous=max_m,
        zipf_k=k,
        mode=mode,
        history=history,
        tracked=tracked,
    )
    table = samples * generations if mode == "accumulate" else samples
    sizes = f"categorical: {runs} runs x K = {k} symbols, up to {max_m} exogenous draws per run, c log c table of {table + 1} entries"
    check_memory(need, limit, sizes + (", with history" if history else ""))


def categorical_series(metrics: dict[str, np.ndarray]) -> tuple[dict[str, list[float]], dict[str, dict[str, list[float]]]]:
    """Series and bands of whole histories (rows = generations); the same numbers the streaming path gives."""
    summary = Summary(CATEGORICAL_SERIES, CATEGORICAL_BANDS)
    for t in range(len(metrics[CATEGORICAL_METRICS[0]])):
        categorical_step(summary, {name: metrics[name][t] for name in CATEGORICAL_METRICS})
    return summary.series, summary.bands


# -------------------------------------------------------------------------------------------- entry


def _check_common(
    alphas: Sequence[float], samples: Any, runs: Any, seed: Any, estimator: str, mode: str
) -> tuple[list[float], int, int, int | None]:
    """Validated (alphas, samples, runs, seed); estimator and mode must be known names."""
    a = check_alphas(alphas)
    n = as_int("samples", samples, 2, SAMPLES_MAX)
    r = as_int("runs", runs, 1)
    check_choice("estimator", estimator, ESTIMATORS)
    check_choice("mode", mode, MODES)
    return a, n, r, check_seed(seed)


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
    max_memory_bytes: int | None = DEFAULT_MAX_MEMORY_BYTES,
    history: bool = False,
) -> SimulationResult:
    """Run the simulator and summarise each generation into series with bands as it goes.

    Checks every argument and the estimated peak memory (``limits.estimate_peak_bytes``) against
    ``max_memory_bytes`` (None: no limit) before allocating; raises ``ValueError`` otherwise.
    ``history=True`` also keeps the (T+1) x runs arrays in ``SimulationResult.history``.
    """
    check_choice("family", family, FAMILIES)
    a, n, runs, seed = _check_common(alphas, samples, runs, seed, estimator, mode)
    if family == "gaussian":
        _check_gaussian_memory(len(a), n, runs, history, max_memory_bytes)
        summary, hist = _stream_gaussian(a, n, runs, estimator, mode, seed, history)
        params: dict[str, Any] = {"mu0": 0.0, "sigma0_sq": 1.0}
    else:
        k = as_int("zipf_k", zipf_k, 1)
        s = as_fraction("zipf_s", zipf_s, lo=0.0, hi=math.inf)
        _check_categorical_memory(len(a), n, runs, k, int(exogenous_counts(a, n).max()), mode, history, 0, max_memory_bytes)
        summary, hist = _stream_categorical(a, n, runs, zipf(k, s), mode, seed, history)
        params, estimator = {"zipf_k": zipf_k, "zipf_s": zipf_s}, "mle"
    label: float | list[float] = alpha_label if alpha_label is not None else (a[0] if len(set(a)) == 1 else a)
    return SimulationResult(
        family=family,
        alpha=label,
        samples=n,
        generations=len(a),
        runs=runs,
        estimator=estimator,
        mode=mode,
        seed=seed,
        effective_alpha=(exogenous_counts(a, n) / n).tolist(),
        series=summary.series,
        bands=summary.bands,
        params=params,
        schedule=schedule,
        history=hist,
    )


def _stream_gaussian(
    a: list[float], n: int, runs: int, estimator: Estimator, mode: Mode, seed: int | None, history: bool
) -> tuple[Summary, dict[str, np.ndarray] | None]:
    summary = Summary(GAUSSIAN_SERIES, GAUSSIAN_BANDS)
    hist = {"mu": np.empty((len(a) + 1, runs)), "var": np.empty((len(a) + 1, runs))} if history else None
    for t, (mu, var) in enumerate(gaussian_generations(a, samples=n, runs=runs, estimator=estimator, mode=mode, seed=seed)):
        gaussian_step(summary, mu, var, 0.0)
        if hist is not None:
            hist["mu"][t], hist["var"][t] = mu, var
    return summary, hist


def _stream_categorical(
    a: list[float], n: int, runs: int, p: np.ndarray, mode: Mode, seed: int | None, history: bool
) -> tuple[Summary, dict[str, np.ndarray] | None]:
    summary = Summary(CATEGORICAL_SERIES, CATEGORICAL_BANDS)
    hist = {name: np.empty((len(a) + 1, runs)) for name in CATEGORICAL_METRICS} if history else None
    for t, (metrics, _) in enumerate(categorical_generations(a, samples=n, runs=runs, p=p, mode=mode, seed=seed)):
        categorical_step(summary, metrics)
        if hist is not None:
            for name, values in metrics.items():
                hist[name][t] = values
    return summary, hist
