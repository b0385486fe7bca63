"""Where an alpha floor comes from: the scenario, a flag, or the collapse model (``auto``).

``auto`` asks :func:`planner.collapse.recommend_floor` for the smallest floor whose long-run loss
of diversity stays within a tolerance at ``samples`` samples per refit (docs/collapse.md), and
records that basis so every report says where the floor came from.
"""

from __future__ import annotations

from typing import Any

from .errors import ScenarioError

DEFAULT_COLLAPSE_SAMPLES = 100
DEFAULT_COLLAPSE_TOLERANCE = 0.05


def floor_overrides(alpha_floor: float | str | None, *, samples: int, tolerance: float, basis: str = "--alpha-floor") -> dict[str, Any]:
    """Scenario overrides for an alpha floor given as a number, ``auto`` or None (not given)."""
    if alpha_floor is None:
        return {}
    if alpha_floor != "auto":
        return {"alpha_floor": float(alpha_floor), "alpha_floor_basis": basis}
    from .collapse import recommend_floor

    rec = recommend_floor(samples, tolerance)
    if rec.alpha_floor is None:
        raise ScenarioError(
            f"no alpha <= 1 keeps the long-run loss of diversity at or below {tolerance:g} with {samples} samples per refit "
            f"(least possible {rec.min_loss:.4g}); raise --collapse-tolerance or --collapse-samples",
            field="alpha_floor auto",
        )
    return {"alpha_floor": rec.alpha_floor, "alpha_floor_basis": rec.basis}
