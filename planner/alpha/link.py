"""Links from a measured alpha to the plan (floor check, external tokens) and to the collapse theory.

These are library functions for ``plan --alpha-from`` and ``plan collapse --alpha-from`` (wired in
``planner.cli`` by the lead; see docs/alpha.md, "Into the plan").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..collapse.theory import expected_variance, long_run_loss, recommend_floor
from .measure import Measurement

DEFAULT_TOLERANCE = 0.05  # same default as plan collapse --tolerance
ALPHA_POINT = 0.01  # the plan reports the marginal value of +0.01 alpha floor


@dataclass(frozen=True)
class FloorCheck:
    """The plan's floor against the measured alpha_grounded (or its lower confidence bound)."""

    floor: float
    measured: float  # alpha_grounded, point estimate
    bound: float  # what the floor is applied to: the lower bound at ``level`` if estimated, else ``measured``
    level: float | None  # confidence level of ``bound`` (None: no uncertainty)
    gap: float  # bound - floor: > 0 headroom, < 0 shortfall (alpha points as a fraction)
    meets: bool
    uncertainty: float  # measured - bound: alpha lost to uncertain shards
    sentence: str

    def uncertainty_cost_usd(self, usd_per_alpha_point: float) -> float:
        """What the uncertainty costs: (measured - bound) / 0.01 x the plan's marginal USD per +0.01 floor."""
        return self.uncertainty / ALPHA_POINT * usd_per_alpha_point

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("floor", "measured", "bound", "level", "gap", "meets", "uncertainty", "sentence")}


def floor_check(measurement: Measurement, alpha_floor: float, level: float | None = None) -> FloorCheck:
    """Compare ``alpha_floor`` with the measured alpha_grounded.

    With the ``estimate`` policy the floor applies to the lower bound of the confidence interval at
    ``level`` (default: the measurement's level); otherwise to the point value.
    gap = bound - floor; meets iff gap >= 0.
    """
    if not 0.0 <= alpha_floor <= 1.0:
        raise ValueError("alpha_floor must be in [0, 1]")
    measured = measurement.alpha_grounded
    if measured is None:
        raise ValueError("the manifests count no tokens, so alpha is undefined")
    interval = measurement.alpha_grounded_interval(level) if measurement.estimated else None
    lvl = (measurement.level if level is None else level) if interval else None
    bound = interval[0] if interval else measured
    gap = bound - alpha_floor
    what = (
        f"the {lvl:.0%} lower bound {bound:.4f} of alpha_grounded (point {measured:.4f})" if interval else f"alpha_grounded {measured:.4f}"
    )
    verdict = (
        f"meets the floor {alpha_floor:.4f} with {gap:.4f} to spare"
        if gap >= 0
        else f"falls {-gap:.4f} short of the floor {alpha_floor:.4f}"
    )
    return FloorCheck(alpha_floor, measured, bound, lvl, gap, gap >= 0, measured - bound, f"Measured {what} {verdict}.")


def measured_alpha_section(plan: Any, measurement: Measurement, level: float | None = None) -> dict[str, Any]:
    """The plan's floor checked against a measurement, with what the uncertainty costs.

    cost = (measured - bound) / 0.01 x the plan's marginal value of +0.01 alpha floor: applying the
    floor to the lower bound rather than the point value is a floor higher by (measured - bound)
    in effect, priced at the marginal value (USD for min-cost, progress for max-progress; null when
    the plan has no marginal value of the floor).
    """
    chk = floor_check(measurement, plan.alpha_floor, level)
    mv = plan.marginal_values.get("alpha_floor_per_point")
    per_point = None if mv is None else mv.value
    cost = None if per_point is None else chk.uncertainty / ALPHA_POINT * per_point
    unit = "progress" if plan.objective.name == "max-progress" else "USD"
    return {
        **chk.to_dict(),
        "manifests": list(measurement.manifests),
        "unknown_policy": measurement.unknown_policy,
        "uncertainty_cost": {"value": cost, "unit": unit, "meaning": f"change in {unit} from holding the floor on the lower bound"},
    }


def external_tokens_by_period(measurement: Measurement, level: float | None = None) -> dict[str, float]:
    """Human tokens per period (period order), a stand-in for the scenario's ``data.external_tokens``.

    Counts known human tokens plus unknown shards counted as human by the policy; with the
    ``estimate`` policy and a ``level``, the lower confidence bound of that count instead.
    """
    out = {}
    for p in measurement.periods:
        iv = p.human_tokens_interval(level) if (level is not None and measurement.estimated) else None
        out[p.label] = iv[0] if iv else p.human + p.unknown_as["human"]
    return out


def alpha_series(measurement: Measurement) -> list[float]:
    """alpha_grounded per period in period order (periods with no tokens are skipped)."""
    return [p.alpha_grounded for p in measurement.periods if p.alpha_grounded is not None]


@dataclass(frozen=True)
class HistoryVerdict:
    """Whether a measured alpha_t history is anchored or collapse-prone (docs/collapse.md theory)."""

    regime: str  # "anchored" | "collapse-prone"
    series: list[float]
    samples_per_refit: int
    tolerance: float
    last_alpha: float
    long_run_loss_at_last: float  # L(a_last) = 1/(n a (2 - a) + 1 - a)
    variance_retained: float  # E[sigma_T^2] / s0^2 after replaying the history (exact recursion)
    recommended_floor: float | None
    periods_below_floor: int
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def history_regime(series: list[float], samples_per_refit: int, tolerance: float = DEFAULT_TOLERANCE) -> HistoryVerdict:
    """Verdict on an alpha_t series, one refit (generation) per period.

    anchored iff the last share a_T > 0 and L(a_T) <= tolerance, i.e. sustaining the current share
    keeps the long-run loss of diversity within tolerance; equivalently a_T >= recommend_floor(n, D).
    Also replays the history with the exact moment recursion to report the variance retained so far.
    """
    if not series:
        raise ValueError("the alpha series is empty")
    if any(not 0.0 <= a <= 1.0 for a in series):
        raise ValueError("every alpha must be in [0, 1]")
    n = int(samples_per_refit)
    rec = recommend_floor(n, tolerance)
    last = float(series[-1])
    loss = long_run_loss(last, n) if last > 0 else 1.0
    v, _ = expected_variance(series, n)
    anchored = last > 0 and loss <= tolerance
    below = sum(1 for a in series if rec.alpha_floor is None or a < rec.alpha_floor)
    floor_txt = f"{rec.alpha_floor:.4f}" if rec.alpha_floor is not None else "none reachable"
    sentence = (
        f"{'Anchored' if anchored else 'Collapse-prone'}: the last measured alpha {last:.4f} gives a long-run loss of diversity "
        f"L = {loss:.4f} {'<=' if anchored else '>'} tolerance {tolerance:g} at n = {n} samples per refit "
        f"(floor for that tolerance {floor_txt}; {below} of {len(series)} periods below it; variance retained so far {v[-1]:.4f})."
    )
    regime = "anchored" if anchored else "collapse-prone"
    return HistoryVerdict(regime, [float(a) for a in series], n, tolerance, last, loss, float(v[-1]), rec.alpha_floor, below, sentence)
