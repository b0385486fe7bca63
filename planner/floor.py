"""Where an alpha floor comes from: the scenario, a flag, or the collapse model (``auto``).

``auto`` asks the collapse model (:mod:`planner.collapse.theory`) for the least floor that keeps
the loss of diversity within a tolerance, and records that basis so every report says where the
floor came from:

* one period: :func:`planner.collapse.recommend_floor`, the smallest constant floor whose
  long-run loss stays within the tolerance at ``samples`` samples per refit (docs/collapse.md);
* a periodised plan: :func:`schedule_floors`, the least floor of each period such that the loss
  stays within the tolerance after every refit the plan's periods hold, given the floors of the
  periods before (the transient of the same moment recursion, docs/model.md "Plans over time").

``build_scenario`` resolves ``alpha_floor: auto`` with :func:`resolve_auto_floor`; the CLI flag
``--alpha-floor auto`` takes the same path (:func:`floor_overrides`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .periods import Period, PeriodsSpec

DEFAULT_COLLAPSE_SAMPLES = 100
DEFAULT_COLLAPSE_TOLERANCE = 0.05
AUTO = "auto"
HINT = "raise collapse_floor.tolerance or collapse_floor.samples_per_refit (--collapse-tolerance, --collapse-samples)"


def derived(basis: str) -> bool:
    """The floor whose ``alpha_floor_basis`` this is came from the collapse model (``auto``):
    both bases (:attr:`planner.collapse.theory.Recommendation.basis`, :func:`schedule_floors`) start so."""
    return basis.startswith("collapse ")


def is_auto(value: Any) -> bool:
    """The floor is to be derived from the collapse model (``alpha_floor: auto``)."""
    return isinstance(value, str) and value.strip().lower() == AUTO


def floor_overrides(alpha_floor: float | str | None, *, samples: int | None = None, tolerance: float | None = None) -> dict[str, Any]:
    """Scenario overrides for an alpha floor given as a number, ``auto`` or None (not given);
    ``samples`` and ``tolerance`` (when given) set ``collapse_floor`` for ``auto``."""
    given = {k: v for k, v in {"samples_per_refit": samples, "tolerance": tolerance}.items() if v is not None}
    out: dict[str, Any] = {"collapse_floor": given} if given else {}  # unused without auto: the plan warns
    if alpha_floor is None:
        return out
    if not is_auto(alpha_floor):
        return {**out, "alpha_floor": float(alpha_floor), "alpha_floor_basis": "--alpha-floor"}
    return {**out, "alpha_floor": AUTO}


def next_state(v: float, a: float, n: float) -> float:
    """Expected fitted variance after one refit, relative to the truth's (s0^2 = 1):
    ``v' = (1 - 1/n)(a + b v) + a b (1 - v)``, ``b = 1 - a`` (the recursion of
    :func:`planner.collapse.theory.expected_variance` with ``d = 1 - v``, since ``v + d = 1``).
    For ``a <= 1 - 1/n`` it increases in both ``a`` and ``v``: more exogenous data never loses
    more diversity."""
    b = 1.0 - a
    return (1.0 - 1.0 / n) * (a + b * v) + a * b * (1.0 - v)


def _worst_loss(v: float, a: float, n: float, refits: int) -> tuple[float, float]:
    """The largest loss ``1 - v_k`` over ``refits`` refits at share ``a`` from state ``v``, and the state after."""
    worst = 0.0
    for _ in range(refits):
        v = next_state(v, a, n)
        worst = max(worst, 1.0 - v)
    return worst, v


def _least_count(v: float, n: int, refits: int, tolerance: float, lo: int = 0) -> int | None:
    """Smallest m in [lo, n] whose share a = m/n keeps the loss within ``tolerance`` through
    ``refits`` refits from state ``v``, or None. Bisection over [lo, n - 1], where the loss falls
    as m rises (:func:`next_state`), then m = n (the MLE's own loss, 1/n per refit at most)."""
    hi = n - 1
    if lo > hi or _worst_loss(v, hi / n, n, refits)[0] > tolerance:
        return n if _worst_loss(v, 1.0, n, refits)[0] <= tolerance else None
    while lo < hi:  # ok(hi) holds
        mid = (lo + hi) // 2
        if _worst_loss(v, mid / n, n, refits)[0] <= tolerance:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True)
class FloorSchedule:
    """Per period: the floor, the refits it holds and the loss of diversity after its last refit."""

    floors: tuple[float, ...]
    refits: tuple[int, ...]
    losses: tuple[float, ...]
    basis: str


def refits_by_period(periods: tuple[Period, ...], refits_per_year: float) -> tuple[int, ...]:
    """Refits falling in each period: refit k at ``k / refits_per_year`` years after the start
    belongs to the period whose (start, end] holds it."""
    cumulative = [math.floor(refits_per_year * (p.offset_years + p.years) + 1e-9) for p in periods]
    return tuple(c - prev for c, prev in zip(cumulative, [0, *cumulative[:-1]], strict=True))


def schedule_floors(
    periods: tuple[Period, ...], samples: int, tolerance: float, refits_per_year: float, least: float = 0.0
) -> FloorSchedule:
    """Non-decreasing alpha floors, one per period, that keep the loss of diversity ``1 - v_k`` at
    most ``tolerance`` after every refit k within the plan (:func:`next_state` from v_0 = 1, each
    period's floor applied to the refits it holds), the last period's at least the long-run floor
    (:func:`planner.collapse.recommend_floor`), so that the state the plan hands on can be held
    after it. Floors are shares m/n chosen greedily, period by period: each the least m at or
    above the previous period's given the floors before it (the schedule is the least in that
    order, not in every period at once). Since more exogenous data never loses more diversity, a
    floor above the least never breaks a later period. A period without a refit takes the floor
    of the next period with one (its data feeds that refit); the last period takes the long-run
    floor even without one. A positive floor is at least ``least`` (the solvers' resolution).
    Raises ValueError when no share keeps the loss within the tolerance."""
    from .collapse import recommend_floor

    rec = recommend_floor(samples, tolerance)
    if rec.exogenous_per_generation is None:
        raise ValueError(
            f"no alpha <= 1 keeps the long-run loss of diversity at or below {tolerance:g} with {samples} "
            f"samples per refit (least possible {rec.min_loss:.4g}); {HINT}"
        )
    refits = refits_by_period(periods, refits_per_year)
    last = len(refits) - 1
    floors: list[float | None] = []
    losses: list[float] = []
    v, m_prev = 1.0, 0
    for t, g in enumerate(refits):
        lo = max(m_prev, rec.exogenous_per_generation) if t == last else m_prev
        m = _least_count(v, samples, g, tolerance, lo) if g else (lo if t == last else None)
        if m is None and g:
            raise ValueError(
                f"no alpha keeps the loss of diversity within {tolerance:g} at {samples} samples per refit (period {t + 1}); {HINT}"
            )
        a = None if m is None else (max(m / samples, least) if m else 0.0)
        if m is not None and a is not None:
            v, m_prev = _worst_loss(v, a, samples, g)[1], m
        floors.append(a)
        losses.append(1.0 - v)
    basis = (
        f"collapse schedule: n = {samples} samples per refit, {refits_per_year:g} refits a year, loss of diversity "
        f"at most D = {tolerance:g} after every refit, last floor at least the long-run one (gaussian/mle moment recursion)"
    )
    return FloorSchedule(tuple(_fill(floors)), refits, tuple(losses), basis)


def _fill(floors: list[float | None]) -> list[float]:
    """A period without a refit takes the next floor (its data feeds that refit), else the last, else 0."""
    out: list[float] = []
    for t, a in enumerate(floors):
        later = next((x for x in floors[t:] if x is not None), None)
        out.append(a if a is not None else later if later is not None else (out[-1] if out else 0.0))
    return out


def resolve_auto_floor(
    samples: int, tolerance: float, refits_per_year: float, periods: PeriodsSpec, least: float
) -> tuple[float | list[float], str]:
    """The floor ``alpha_floor: auto`` stands for, and its basis: one long-run floor without a
    time grid, a floor per period (:func:`schedule_floors`) with one; a positive floor is at
    least ``least``. Raises ValueError (message) when the tolerance cannot be met."""
    from .periods import grid

    if periods.active:
        sched = schedule_floors(grid(periods), samples, tolerance, refits_per_year, least)
        return list(sched.floors), sched.basis
    from .collapse import recommend_floor

    rec = recommend_floor(samples, tolerance)
    if rec.alpha_floor is None:
        raise ValueError(
            f"no alpha <= 1 keeps the long-run loss of diversity at or below {tolerance:g} with {samples} "
            f"samples per refit (least possible {rec.min_loss:.4g}); {HINT}"
        )
    return (max(rec.alpha_floor, least) if rec.alpha_floor > 0 else 0.0), rec.basis
