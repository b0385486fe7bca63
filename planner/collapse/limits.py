"""Argument checks and the memory estimate of the collapse simulator (docs/collapse.md, "Limits").

Every check raises ``ValueError`` with a one-line message naming the argument, the value and what
is expected, before anything large is allocated. Only numpy and the standard library are imported.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

SAMPLES_MAX = 2**53  # n and every m_t = round(alpha_t n) are exact in float64 up to here
RECOMMEND_SAMPLES_MAX = 10**300  # recommend_floor: n, 2n and 1/n stay finite, non-zero floats
SCHEDULE_GENERATIONS_MAX = 10_000_000  # parse_schedule: a list of alpha_t of at most 80 MB
DEFAULT_MAX_MEMORY_BYTES = 2 * 1024**3  # 2 GiB

BYTES_PER_FLOAT = 8
GAUSSIAN_VECTORS_PER_RUN = 16  # float64 vectors of length runs alive at once: state, draws, merge temporaries, partition copy
CATEGORICAL_BYTES_PER_CELL = 48  # per run x symbol: counts, accumulated counts, frequencies, multinomial/bincount outputs, metrics
CATEGORICAL_BYTES_PER_DRAW = 32  # per run x exogenous draw: alias index, uniform, probability, alias, result, offset index
CATEGORICAL_BYTES_PER_SYMBOL = 64  # per symbol, once: truth p, alias table (built with Python lists), prob, alias
TABLE_BYTES_PER_ENTRY = 16  # the c log c table, c = 0..max total count
SERIES_BYTES_PER_GENERATION = 16 * 64  # up to 16 series and band values per generation, as Python floats in lists
FIXED_BYTES = 1024**2  # interpreter-side bookkeeping of one run (thread pool, dictionaries)

CATEGORICAL_METRIC_COUNT = 5
GAUSSIAN_HISTORY_ARRAYS = 2  # mu and var


def as_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in [lo, hi]; integral floats (1e16) are accepted, nan, inf and fractions are not."""
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or not float(value).is_integer():
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        value = int(value)
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number < lo or (hi is not None and number > hi):
        bound = f"at least {lo}" if hi is None else f"in [{lo}, {hi:.4g}]" if hi > 10**6 else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be {bound}, got {number}")
    return number


def as_fraction(name: str, value: Any, *, lo: float = 0.0, hi: float = 1.0) -> float:
    """``value`` as a finite float in [lo, hi] (rejects nan and inf)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}") from None
    if not (math.isfinite(x) and lo <= x <= hi):
        raise ValueError(f"{name} must be a finite number in [{lo:g}, {hi:g}], got {value!r}")
    return x


def check_alphas(alphas: Sequence[float]) -> list[float]:
    """alpha_1..alpha_T as floats, each finite in [0, 1]; T >= 1."""
    a = [float(x) for x in alphas]
    if not a:
        raise ValueError("alphas must list at least one generation")
    bad = next((i for i, x in enumerate(a) if not (math.isfinite(x) and 0.0 <= x <= 1.0)), None)
    if bad is not None:
        raise ValueError(f"every alpha_t must be a finite number in [0, 1]; alpha_{bad + 1} = {a[bad]!r}")
    return a


def check_seed(seed: Any) -> int | None:
    """None (fresh entropy) or a non-negative integer (numpy's SeedSequence rejects negative seeds)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed}")
    return int(seed)


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(choices)}")
    return value


def estimate_peak_bytes(
    family: str,
    *,
    generations: int,
    samples: int,
    runs: int,
    max_exogenous: int = 0,
    zipf_k: int = 0,
    mode: str = "replace",
    history: bool = False,
    tracked: int = 0,
) -> int:
    """Upper estimate of the simulator's peak memory in bytes, from the sizes alone (nothing is allocated).

    gaussian:     runs x 16 float64 vectors                          (+ 2 x (T+1) x runs x 8 with history)
    categorical:  runs x K x 48 + K x 64 + runs x max m_t x 32 + (N_max + 1) x 16,  N_max = n (replace) or n T (accumulate)
                                                                      (+ (5 + tracked) x (T+1) x runs x 8 with history)
    plus (T+1) x 1 KiB of series and 1 MiB fixed. Calibrated with tracemalloc (bench/bench_collapse.py).
    """
    T = generations
    total = FIXED_BYTES + (T + 1) * SERIES_BYTES_PER_GENERATION
    if family == "gaussian":
        total += runs * GAUSSIAN_VECTORS_PER_RUN * BYTES_PER_FLOAT
        arrays = GAUSSIAN_HISTORY_ARRAYS
    else:
        max_total = samples * T if mode == "accumulate" else samples
        total += runs * zipf_k * CATEGORICAL_BYTES_PER_CELL + zipf_k * CATEGORICAL_BYTES_PER_SYMBOL
        total += runs * max_exogenous * CATEGORICAL_BYTES_PER_DRAW
        total += (max_total + 1) * TABLE_BYTES_PER_ENTRY
        arrays = CATEGORICAL_METRIC_COUNT + tracked
    if history:
        total += arrays * (T + 1) * runs * BYTES_PER_FLOAT
    return total


def check_memory(estimate_bytes: int, max_memory_bytes: int | None, sizes: str) -> None:
    """Refuse a simulation whose estimated peak exceeds ``max_memory_bytes`` (None: no limit)."""
    if max_memory_bytes is None or estimate_bytes <= max_memory_bytes:
        return
    raise ValueError(
        f"collapse simulation would need about {_gib(estimate_bytes)} ({sizes}), above the limit of {_gib(max_memory_bytes)}; "
        "use fewer runs, generations, samples or symbols, or raise max_memory_bytes"
    )


def _gib(nbytes: int) -> str:
    return f"{nbytes / 1024**3:.3g} GiB"
