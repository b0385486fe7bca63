"""alpha_t from shard manifests: token-weighted exogenous shares, overall and per group.

For shard i with tokens t_i, epochs k_i and sampling weight w_i, effective tokens e_i = t_i k_i w_i.
With human share h_i (1 human, 0 synthetic, the cell for mixed) and verified share v_i of the
synthetic part (0 without verification):

    H  = sum e_i h_i                        human tokens
    SV = sum e_i (1 - h_i) v_i              externally verified synthetic tokens
    SU = sum e_i (1 - h_i) (1 - v_i)        unverified synthetic tokens
    alpha_strict   = H / T,   alpha_grounded = (H + SV) / T,   T = H + SV + SU (+ counted unknown)

Unknown-origin shards (policy ``unknown``): ``synthetic`` counts them as synthetic shards (their
verification still applies), ``exclude`` drops them from numerator and denominator, ``estimate``
takes q_i = p_synthetic as the probability that shard i is synthetic and gives an interval (see
:func:`_moments` and docs/alpha.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from .croissant import CroissantWrapper, expand
from .errors import ManifestError
from .manifest import UNKNOWN, Labels, Shards, load_shards

UNKNOWN_POLICIES = ("exclude", "synthetic", "estimate")
DEFAULT_LEVEL = 0.95
TOP_SHARDS = 10
UNSPECIFIED = "unspecified"
# Columns of the per-shard quantity matrix (all in tokens), summed per group.
Q = ("human", "synthetic_verified", "synthetic_unverified", "unknown", "unknown_human", "unknown_verified", "unknown_unverified", "total")
M = ("s_mean_hi", "s_var_hi", "s_mean_lo", "s_var_lo", "g_mean_hi", "g_var_hi", "g_mean_lo", "g_var_lo")


def z_value(level: float) -> float:
    """Two-sided normal quantile: z with P(|Z| <= z) = level."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclass(frozen=True)
class Moments:
    """An estimated numerator N = c - sum_i w_i S_i, S_i ~ Bernoulli(q_i) independent (tokens).

    ``mean_*``/``sd_*`` are E[N] and sd[N] at q_i = p_i + eps (``low`` side: more synthetic) and
    q_i = p_i - eps (``high`` side), clipped to [0, 1]; ``step`` = max_i w_i / 2 is a continuity
    correction for the discreteness of the largest shard.
    """

    mean_low: float
    sd_low: float
    mean_high: float
    sd_high: float
    step: float

    def interval(self, level: float, total: float) -> tuple[float, float]:
        """[mean_low - z sd_low - step, mean_high + z sd_high + step] in tokens, clipped to [0, total]."""
        z = z_value(level)
        low = self.mean_low - z * self.sd_low - self.step
        high = self.mean_high + z * self.sd_high + self.step
        return max(0.0, low), min(total, high)


@dataclass(frozen=True)
class Scope:
    """Token buckets and alphas of one group of shards (all shards, a period, a source, a generator)."""

    label: str
    shards: int
    human: float
    synthetic_verified: float
    synthetic_unverified: float
    unknown: float  # effective tokens of unknown-origin shards (before the policy)
    unknown_as: dict[str, float]  # how the policy counted them: human, synthetic_verified, synthetic_unverified
    total: float  # the denominator T (unknown tokens included unless excluded)
    strict: Moments | None = None
    grounded: Moments | None = None

    @property
    def alpha_strict(self) -> float | None:
        return (self.human + self.unknown_as["human"]) / self.total if self.total > 0 else None

    @property
    def alpha_grounded(self) -> float | None:
        num = self.human + self.synthetic_verified + self.unknown_as["human"] + self.unknown_as["synthetic_verified"]
        return num / self.total if self.total > 0 else None

    def grounded_interval(self, level: float) -> tuple[float, float] | None:
        """Confidence interval on alpha_grounded (estimate policy only)."""
        if self.grounded is None or self.total <= 0:
            return None
        lo, hi = self.grounded.interval(level, self.total)
        return lo / self.total, hi / self.total

    def human_tokens_interval(self, level: float) -> tuple[float, float] | None:
        """Interval on human tokens H + (unknown shards that are human) (estimate policy only)."""
        return None if self.strict is None else self.strict.interval(level, self.total)

    def tokens(self) -> dict[str, float]:
        return {
            "human": self.human,
            "synthetic_verified": self.synthetic_verified,
            "synthetic_unverified": self.synthetic_unverified,
            "unknown": self.unknown,
        }

    def to_dict(self, key: str, level: float | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            key: self.label,
            "alpha_strict": self.alpha_strict,
            "alpha_grounded": self.alpha_grounded,
            "tokens": self.tokens(),
            "unknown_counted_as": dict(self.unknown_as),
            "total_tokens": self.total,
            "shards": self.shards,
        }
        if level is not None and (iv := self.grounded_interval(level)) is not None:
            out["alpha_grounded_interval"] = list(iv)
        return out


# -------------------------------------------------------------------------------------------- per-shard quantities


def _unknown_q(s: Shards, unknown: str) -> np.ndarray:
    """Probability that each unknown shard is synthetic under the policy (NaN for known shards)."""
    is_unknown = s.origin == UNKNOWN
    if unknown == "synthetic":
        return np.where(is_unknown, 1.0, np.nan)
    if unknown == "exclude":
        return np.where(is_unknown, 0.0, np.nan)  # unused: excluded shards count nowhere
    missing = is_unknown & np.isnan(s.p_synthetic)
    if missing.any():
        file, row = s.where(int(np.argmax(missing)))
        raise ManifestError("unknown origin with --unknown estimate needs p_synthetic", file=file, row=row, field="p_synthetic")
    return np.where(is_unknown, s.p_synthetic, np.nan)


def quantities(s: Shards, unknown: str) -> np.ndarray:
    """Per-shard token quantities, one column per name in :data:`Q` (shape n x len(Q))."""
    e = s.effective_tokens
    known = s.origin != UNKNOWN
    h = np.where(known, s.human_fraction, 0.0)
    v = s.verified_fraction
    q = np.where(known, 0.0, _unknown_q(s, unknown))
    counted = known | (unknown != "exclude")
    ue = np.where(known | ~counted, 0.0, e)
    out = np.empty((len(e), len(Q)))
    syn = np.where(known, e * (1.0 - h), 0.0)
    out[:, 0] = np.where(known, e * h, 0.0)
    out[:, 1] = syn * v
    out[:, 2] = syn * (1.0 - v)
    out[:, 3] = np.where(known, 0.0, e)
    out[:, 4] = ue * (1.0 - q)
    out[:, 5] = ue * q * v
    out[:, 6] = ue * q * (1.0 - v)
    out[:, 7] = np.where(counted, e, 0.0)
    return out


def moment_terms(s: Shards, error_rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns :data:`M` per shard, and the strict and grounded weights w_i of unknown shards.

    Strict numerator: w_i = e_i. Grounded: w_i = e_i (1 - v_i) (a synthetic unknown shard still
    counts its verified share). Known shards have w_i = 0.
    """
    unknown = s.origin == UNKNOWN
    e = np.where(unknown, s.effective_tokens, 0.0)
    p = np.where(unknown, s.p_synthetic, 0.0)
    q_hi, q_lo = np.clip(p + error_rate, 0.0, 1.0), np.clip(p - error_rate, 0.0, 1.0)
    w_s, w_g = e, e * (1.0 - s.verified_fraction)
    out = np.empty((len(e), len(M)))
    for j, w in enumerate((w_s, w_g)):
        out[:, 4 * j + 0] = w * q_hi
        out[:, 4 * j + 1] = w * w * q_hi * (1.0 - q_hi)
        out[:, 4 * j + 2] = w * q_lo
        out[:, 4 * j + 3] = w * w * q_lo * (1.0 - q_lo)
    return out, w_s, w_g


def _group_sums(codes: np.ndarray, n: int, matrix: np.ndarray) -> np.ndarray:
    """Column sums per group code (shape n x columns)."""
    return np.stack([np.bincount(codes, weights=matrix[:, j], minlength=n) for j in range(matrix.shape[1])], axis=1)


def _group_max(codes: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    nz = values > 0
    np.maximum.at(out, codes[nz], values[nz])
    return out


def _scope(label: str, count: int, q: np.ndarray, m: np.ndarray | None, steps: tuple[float, float]) -> Scope:
    """One group's Scope from its summed quantities ``q`` (Q) and moment sums ``m`` (M)."""
    human, sv, su, unk, uh, uv, uu, total = (float(x) for x in q)
    strict = grounded = None
    if m is not None:
        c_strict, c_grounded = human + unk, human + sv + unk

        def mom(c: float, j: int, step: float) -> Moments:
            return Moments(c - m[j], math.sqrt(max(m[j + 1], 0.0)), c - m[j + 2], math.sqrt(max(m[j + 3], 0.0)), step / 2.0)

        strict, grounded = mom(c_strict, 0, steps[0]), mom(c_grounded, 4, steps[1])
    unknown_as = {"human": uh, "synthetic_verified": uv, "synthetic_unverified": uu}
    return Scope(label, count, human, sv, su, unk, unknown_as, total, strict, grounded)


def _scopes(
    labels: Labels, q: np.ndarray, extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None, display: str = UNSPECIFIED
) -> list[Scope]:
    n = len(labels.names)
    sums = _group_sums(labels.codes, n, q)
    counts = np.bincount(labels.codes, minlength=n)
    msums = _group_sums(labels.codes, n, extra[0]) if extra else None
    ms = _group_max(labels.codes, n, extra[1]) if extra else np.zeros(n)
    mg = _group_max(labels.codes, n, extra[2]) if extra else np.zeros(n)
    return [
        _scope(name or display, int(counts[i]), sums[i], None if msums is None else msums[i], (float(ms[i]), float(mg[i])))
        for i, name in enumerate(labels.names)
    ]


def _top_synthetic(s: Shards, q: np.ndarray, k: int = TOP_SHARDS) -> list[dict[str, Any]]:
    """The k shards with the most synthetic tokens (as counted), with their share of all synthetic tokens."""
    syn = q[:, 1] + q[:, 2] + q[:, 5] + q[:, 6]
    total = float(syn.sum())
    if total <= 0:
        return []
    k = min(k, int((syn > 0).sum()))
    idx = np.argpartition(-syn, k - 1)[:k] if k < len(syn) else np.arange(len(syn))
    idx = idx[np.argsort(-syn[idx], kind="stable")][:k]
    rows = []
    for i in idx:
        file, row = s.where(int(i))
        rows.append(
            {
                "shard": s.shard[int(i)].as_py(),
                "file": file,
                "row": row,
                "source": s.source.names[s.source.codes[i]],
                "generator": s.generator.names[s.generator.codes[i]] or None,
                "synthetic_tokens": float(syn[i]),
                "unverified_tokens": float(q[i, 2] + q[i, 6]),
                "share_of_synthetic": float(syn[i] / total),
            }
        )
    return rows


@dataclass(frozen=True)
class Measurement:
    """The measured alpha of a set of manifests. ``to_dict()`` is the JSON contract (docs/alpha.md)."""

    manifests: tuple[str, ...]
    unknown_policy: str
    level: float
    error_rate: float
    overall: Scope
    periods: tuple[Scope, ...]
    period_kind: str  # "quarter" (ISO dates) or "label"
    by_source: tuple[Scope, ...]
    by_generator: tuple[Scope, ...]
    top_synthetic: tuple[dict[str, Any], ...]
    wrappers: tuple[CroissantWrapper, ...] = ()
    warnings: tuple[str, ...] = ()
    floor: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def estimated(self) -> bool:
        return self.unknown_policy == "estimate"

    @property
    def alpha_strict(self) -> float | None:
        return self.overall.alpha_strict

    @property
    def alpha_grounded(self) -> float | None:
        return self.overall.alpha_grounded

    def alpha_grounded_interval(self, level: float | None = None) -> tuple[float, float] | None:
        """[low, high] on alpha_grounded at ``level`` (default: the measurement's), estimate policy only."""
        return self.overall.grounded_interval(self.level if level is None else level)

    def to_dict(self) -> dict[str, Any]:
        level = self.level if self.estimated else None
        out: dict[str, Any] = {
            "alpha_strict": self.alpha_strict,
            "alpha_grounded": self.alpha_grounded,
            "tokens": self.overall.tokens(),
            "unknown_policy": self.unknown_policy,
            "unknown_counted_as": dict(self.overall.unknown_as),
            "total_tokens": self.overall.total,
            "shards": self.overall.shards,
            "periods": [p.to_dict("period", level) for p in self.periods],
            "period_kind": self.period_kind,
            "by_source": [p.to_dict("source") for p in self.by_source],
            "by_generator": [p.to_dict("generator") for p in self.by_generator],
            "top_synthetic_shards": list(self.top_synthetic),
            "manifests": list(self.manifests),
            "croissant": [w.to_dict() for w in self.wrappers],
            "warnings": list(self.warnings),
        }
        if self.estimated:
            out["alpha_grounded_interval"] = list(self.alpha_grounded_interval() or (None, None))
            out["level"] = self.level
            out["error_rate"] = self.error_rate
        if self.floor is not None:
            out["floor"] = self.floor
        return out


def _check_options(unknown: str, level: float, error_rate: float) -> None:
    if unknown not in UNKNOWN_POLICIES:
        raise ValueError(f"unknown policy {unknown!r}; expected one of {', '.join(UNKNOWN_POLICIES)}")
    z_value(level)
    if not 0.0 <= error_rate < 1.0:
        raise ValueError("error_rate must be in [0, 1)")


def _warnings(q: np.ndarray, wrappers: list[CroissantWrapper]) -> list[str]:
    out = []
    synthetic_tokens = float(q[:, 1].sum() + q[:, 2].sum())
    for w in wrappers:
        if w.has_synthetic_data is False and synthetic_tokens > 0:
            out.append(f"{w.path}: rai:hasSyntheticData is false, but the manifests hold {synthetic_tokens:,.0f} synthetic tokens")
    if float(q[:, 7].sum()) == 0:
        out.append("no tokens counted: every alpha is undefined")
    return out


def measure_shards(
    s: Shards,
    *,
    unknown: str = "synthetic",
    level: float = DEFAULT_LEVEL,
    error_rate: float = 0.0,
    wrappers: list[CroissantWrapper] | None = None,
    floor: float | None = None,
) -> Measurement:
    """Measure validated shards (see the module docstring for the definitions)."""
    _check_options(unknown, level, error_rate)
    q = quantities(s, unknown)
    extra = moment_terms(s, error_rate) if unknown == "estimate" else None
    everyone = Labels(np.zeros(len(s), np.int32), ("all",))
    overall = _scopes(everyone, q, extra)[0]
    no_generator = "(none)"
    return Measurement(
        manifests=s.files,
        unknown_policy=unknown,
        level=level,
        error_rate=error_rate,
        overall=overall,
        periods=tuple(_scopes(s.period, q, extra)),
        period_kind="quarter" if s.period_is_quarter else "label",
        by_source=tuple(_scopes(s.source, q, None)),
        by_generator=tuple(_scopes(s.generator, q, None, display=no_generator)),
        top_synthetic=tuple(_top_synthetic(s, q)),
        wrappers=tuple(wrappers or ()),
        warnings=tuple(_warnings(q, wrappers or [])),
        floor=floor,
    )


def measure(
    paths: list[str | Path],
    *,
    unknown: str = "synthetic",
    level: float = DEFAULT_LEVEL,
    error_rate: float = 0.0,
    floor: float | None = None,
) -> Measurement:
    """Read manifests (CSV, JSON Lines, or Croissant wrappers pointing to them) and measure alpha."""
    files, wrappers = expand(paths)
    return measure_shards(load_shards(list(files)), unknown=unknown, level=level, error_rate=error_rate, wrappers=wrappers, floor=floor)
