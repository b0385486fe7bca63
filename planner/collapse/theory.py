"""Closed forms of the Gaussian process and the alpha-floor recommendation.

Setting: truth N(mu0, s0^2); each generation refits by maximum likelihood on n samples, of which
m = alpha n are exogenous (deterministic split) and k = n - m synthetic from the current fit.
Write v_t = E[sigma_t^2], d_t = E[(mu_t - mu0)^2], a = m / n, b = k / n = 1 - a.

Exact moment recursion (derivation in docs/collapse.md):

    v_{t+1} = (1 - 1/n) (a s0^2 + b v_t) + a b d_t
    d_{t+1} = (a s0^2 + b v_t) / n + b^2 d_t

Consequences used here and tested against the simulator:

* a = 0: v_t = s0^2 (1 - 1/n)^t -> 0 (collapse), while v_t + d_t = s0^2 for every t;
* for any a, v_t + d_t = s0^2 for every t (the second moment about mu0 is conserved);
* a > 0: the fixed point is v* = s0^2 (1 - L(a)) with the long-run relative loss of diversity

      L(a) = 1 / (n a (2 - a) + 1 - a),

  L(1) = 1/n (the MLE's own bias), L(0) = 1 (collapse).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .limits import RECOMMEND_SAMPLES_MAX, as_int


def expected_variance(alphas: list[float] | np.ndarray, n: int, s0_sq: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(v_t, d_t) for t = 0..T by the exact recursion, with a_t = m_t / n as given."""
    a = np.asarray(alphas, dtype=float)
    v = np.empty(len(a) + 1)
    d = np.empty(len(a) + 1)
    v[0], d[0] = s0_sq, 0.0
    for t, at in enumerate(a):
        bt = 1.0 - at
        w = at * s0_sq + bt * v[t]
        v[t + 1] = (1.0 - 1.0 / n) * w + at * bt * d[t]
        d[t + 1] = w / n + bt * bt * d[t]
    return v, d


def long_run_loss(alpha: float, n: int) -> float:
    """L(a) = 1 / (n a (2 - a) + 1 - a): long-run relative loss of fitted variance (gaussian/mle)."""
    return 1.0 / (n * alpha * (2.0 - alpha) + 1.0 - alpha)


def min_achievable_loss(n: int) -> float:
    """The smallest L over a in [0, 1]: at a = 1 - 1/(2n), L = 1 / (n + 1/(4n))."""
    return 1.0 / (n + 1.0 / (4.0 * n))


@dataclass(frozen=True)
class Recommendation:
    """The smallest constant alpha whose long-run loss of diversity is at most the tolerance."""

    samples: int
    tolerance: float
    alpha_floor: float | None  # m / n, the smallest achievable share meeting the tolerance
    alpha_continuous: float | None  # the root of L(a) = tolerance
    exogenous_per_generation: int | None  # m
    loss_at_floor: float | None
    min_loss: float
    derivation: str

    def to_dict(self) -> dict[str, object]:
        return {
            "alpha_floor": self.alpha_floor,
            "alpha_continuous": self.alpha_continuous,
            "exogenous_per_generation": self.exogenous_per_generation,
            "samples": self.samples,
            "tolerance": self.tolerance,
            "loss_at_floor": self.loss_at_floor,
            "min_achievable_loss": self.min_loss,
            "family": "gaussian",
            "estimator": "mle",
            "split": "deterministic",
            "derivation": self.derivation,
        }

    @property
    def basis(self) -> str:
        return (
            f"collapse recommendation: n = {self.samples} samples per refit, tolerance D = {self.tolerance:g} "
            f"(long-run loss of diversity L = 1/(n a (2 - a) + 1 - a), gaussian/mle)"
        )


def recommend_floor(samples: int | float, tolerance: float) -> Recommendation:
    """Smallest alpha = m/n (m integer) with L(m/n) <= tolerance, exact for any n up to 10^300.

    With a = m/n, L(a) <= D  <=>  g(m) = m^2 - (2n - 1) m + n c <= 0  with  c = 1/D - 1, so the
    answer is the smallest integer in [m-, m+], the roots of g: m- = (2n - 1 - sqrt(Delta)) / 2,
    Delta = (2n - 1)^2 - 4 n c. D is a binary float, hence an exact rational P/Q, and m- is found
    with integer arithmetic (isqrt of Q^2 Delta) and checked exactly, so the floor is minimal for
    every n (no cancellation, no float overflow of n). The continuous root is reported in the
    stable form a* = 2c / ((2n - 1)(1 + sqrt(1 - 4nc / (2n - 1)^2))).

    No a in [0, 1] works when Delta < 0, i.e. when D is below min_a L(a) = 1 / (n + 1/(4n)):
    the MLE refit alone forgets about 1/n of the variance per fit. ``samples`` may be an int or an
    integral float (1e16); raises ``ValueError`` for n outside [2, 10^300] or D outside (0, 1).
    """
    n = as_int("samples", samples, 2, RECOMMEND_SAMPLES_MAX)
    try:
        D = float(tolerance)
    except (TypeError, ValueError):
        D = math.nan
    if not 0.0 < D < 1.0:
        raise ValueError(f"tolerance must be a number in (0, 1), got {tolerance!r}")
    lmin = min_achievable_loss(n)
    c = 1 / Fraction(D) - 1
    disc = (2 * n - 1) ** 2 - 4 * n * c
    text = f"L(a) = 1/(n a (2 - a) + 1 - a) with n = {n}; L(a) <= D = {D:g} iff n a^2 - (2n - 1) a + (1/D - 1) <= 0"
    if disc < 0:
        note = f"; no root: every alpha in [0, 1] loses more than D (least loss {lmin:.4g} near alpha = 1)"
        return Recommendation(n, D, None, None, None, None, lmin, text + note)
    root = float(2 * c / ((2 * n - 1) * (1 + math.sqrt(float(1 - 4 * n * c / (2 * n - 1) ** 2)))))
    m = _smallest_count(n, c)
    if m is None:
        return Recommendation(n, D, None, root, None, None, lmin, text + f"; root {root:.4g} but no integer m <= n meets D")
    floor = m / n
    loss = float(Fraction(n, m * (2 * n - m) + n - m))
    text += f"; smallest root a* = {root:.6g}; smallest integer m with L(m/n) <= D is m = {m}, alpha = {floor:.6g}, L = {loss:.6g}"
    return Recommendation(n, D, floor, root, m, loss, lmin, text)


def _smallest_count(n: int, c: Fraction) -> int | None:
    """Smallest integer m in [0, n] with g(m) = m^2 - (2n - 1) m + n c <= 0, or None (exact arithmetic).

    With c = P/Q: Q g(m) = Q m^2 - Q (2n - 1) m + n P, whose smaller root is
    (Q (2n - 1) - sqrt(S)) / (2Q), S = Q^2 (2n - 1)^2 - 4 Q n P >= 0; with s = isqrt(S) the root
    lies in [(Q (2n - 1) - s - 1) / (2Q), (Q (2n - 1) - s) / (2Q)], so the first integer at or
    above the lower bound is at most one step below the answer.
    """
    P, Q = c.numerator, c.denominator
    s = math.isqrt(Q * Q * (2 * n - 1) ** 2 - 4 * Q * n * P)
    lower = max(0, -((s + 1 - Q * (2 * n - 1)) // (2 * Q)))  # ceil((Q (2n - 1) - s - 1) / (2Q))
    for m in (lower, lower + 1):
        if m <= n and m * m - (2 * n - 1) * m + n * c <= 0:
            return m
    return None  # no integer between the roots (or it is above n)
