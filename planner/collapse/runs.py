"""Setting up several simulations from command-line style inputs (constant alphas, schedules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .schedule import parse_schedule
from .simulate import Family, SimulationResult, simulate

DEFAULT_ALPHAS = (0.0, 0.01, 0.1, 0.5)


def simulation_plans(
    alphas: Sequence[float], schedules: Sequence[str], generations: int
) -> list[tuple[list[float], float | list[float], str | None]]:
    """(alpha_t per generation, alpha label, schedule text) per simulation: schedules first, then
    constant alphas (the defaults when neither is given). Raises ``ValueError`` for a bad schedule."""
    plans: list[tuple[list[float], float | list[float], str | None]] = []
    for text in schedules:
        a = parse_schedule(text, generations)
        plans.append((a, a, text))
    for alpha in alphas or (() if schedules else DEFAULT_ALPHAS):
        plans.append(([float(alpha)] * generations, float(alpha), None))
    return plans


def run_simulations(
    family: Family, alphas: Sequence[float], schedules: Sequence[str], generations: int, **options: Any
) -> list[SimulationResult]:
    """One :func:`simulate` per schedule and per constant alpha, with the same options."""
    return [
        simulate(family, a, alpha_label=label, schedule=sched, **options)
        for a, label, sched in simulation_plans(alphas, schedules, generations)
    ]
