"""Recursive self-training simulator and the alpha-floor recommendation (docs/collapse.md)."""

from .schedule import parse_schedule
from .simulate import CATEGORICAL_SERIES, GAUSSIAN_SERIES, SimulationResult, simulate, zipf
from .theory import Recommendation, expected_variance, long_run_loss, recommend_floor

__all__ = [
    "CATEGORICAL_SERIES",
    "GAUSSIAN_SERIES",
    "Recommendation",
    "SimulationResult",
    "expected_variance",
    "long_run_loss",
    "parse_schedule",
    "recommend_floor",
    "simulate",
    "zipf",
]
