"""Objectives.

* ``max-progress``: lexicographic. Stage 1 maximises P, the Leontief progress of
  ``define_progress``; stage 2 (``progress_floor`` set) minimises ``cost_musd`` subject to
  ``P >= P* (1 - progress.lexicographic_tolerance)``, so equal-progress plans resolve to the
  cheapest.
  With ``procurement.min_progress_per_musd`` = r > 0, stage 1 maximises ``P - r * cost_musd``:
  a unit is bought only while it adds at least r progress per USD 1M, so buying stops where the
  progress curve's slope falls below r.
* ``min-cost``: minimise ``cost_musd`` subject to the targets.
* ``min-power``: minimise facility kW (used to diagnose an infeasible power cap).
"""

from __future__ import annotations

from .types import BuiltModel


def define_objective(m: BuiltModel) -> None:
    """Set the objective of ``m.inp.stage``: P, cost (MUSD) or facility power (kW)."""
    stage = m.inp.stage
    if stage == "progress":
        m.problem.setObjective(m.flow.P - stop_rate(m) * m.cost_musd)
    elif stage == "cost":
        m.problem.setObjective(m.cost_musd)
    else:
        m.problem.setObjective(m.power_kw)


def stop_rate(m: BuiltModel) -> float:
    """procurement.min_progress_per_musd (progress per USD 1M): the price of money in stage 1."""
    return float(m.inp.scenario.procurement.min_progress_per_musd)
