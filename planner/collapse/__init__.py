"""Recursive self-training simulator and the alpha-floor recommendation (docs/collapse.md).

Imports only numpy and the standard library.
"""

from .limits import DEFAULT_MAX_MEMORY_BYTES, RECOMMEND_SAMPLES_MAX, SAMPLES_MAX, estimate_peak_bytes
from .schedule import parse_schedule
from .simulate import CATEGORICAL_SERIES, GAUSSIAN_SERIES, SimulationResult, simulate, zipf
from .theory import Recommendation, expected_variance, long_run_loss, recommend_floor

__all__ = [
    "CATEGORICAL_SERIES",
    "DEFAULT_MAX_MEMORY_BYTES",
    "GAUSSIAN_SERIES",
    "RECOMMEND_SAMPLES_MAX",
    "SAMPLES_MAX",
    "Recommendation",
    "SimulationResult",
    "estimate_peak_bytes",
    "expected_variance",
    "long_run_loss",
    "parse_schedule",
    "recommend_floor",
    "simulate",
    "zipf",
]
