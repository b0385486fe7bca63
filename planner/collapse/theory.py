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

import numpy as np


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


def recommend_floor(samples: int, tolerance: float) -> Recommendation:
    """Smallest alpha = m/n (m integer) with L(m/n) <= tolerance.

    L(a) <= D  <=>  n a^2 - (2n - 1) a + (1/D - 1) <= 0, whose smaller root is

        a* = ((2n - 1) - sqrt((2n - 1)^2 - 4 n (1/D - 1))) / (2n).

    No a in [0, 1] works when the discriminant is negative or a* > 1, i.e. when D is below
    min_a L(a) = 1 / (n + 1/(4n)): the MLE refit alone forgets about 1/n of the variance per fit.
    """
    n = int(samples)
    if n < 2:
        raise ValueError("samples must be at least 2")
    if not 0 < tolerance < 1:
        raise ValueError("tolerance must be in (0, 1)")
    lmin = min_achievable_loss(n)
    c = 1.0 / tolerance - 1.0
    disc = (2 * n - 1) ** 2 - 4 * n * c
    text = f"L(a) = 1/(n a (2 - a) + 1 - a) with n = {n}; L(a) <= D = {tolerance:g} iff n a^2 - (2n - 1) a + (1/D - 1) <= 0"
    if disc < 0:
        return Recommendation(
            n,
            tolerance,
            None,
            None,
            None,
            None,
            lmin,
            text + f"; no root: every alpha in [0, 1] loses more than D (least loss {lmin:.4g} near alpha = 1)",
        )
    root = ((2 * n - 1) - math.sqrt(disc)) / (2 * n)
    if root > 1:
        return Recommendation(
            n, tolerance, None, None, None, None, lmin, text + f"; smallest root {root:.4g} > 1, so no alpha <= 1 meets D"
        )
    m = max(0, math.ceil(root * n - 1e-9))
    while m <= n and long_run_loss(m / n, n) > tolerance:
        m += 1
    if m > n:
        return Recommendation(n, tolerance, None, root, None, None, lmin, text + f"; root {root:.4g} but no integer m <= n meets D")
    floor = m / n
    loss = long_run_loss(floor, n)
    text += f"; smallest root a* = {root:.6g}; smallest integer m with L(m/n) <= D is m = {m}, alpha = {floor:.6g}, L = {loss:.6g}"
    return Recommendation(n, tolerance, floor, root, m, loss, lmin, text)
