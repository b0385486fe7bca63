"""Objectives.

* ``max-progress``: lexicographic. Stage 1 maximises P, the Leontief progress of
  ``define_progress``; stage 2 (``progress_floor`` set) minimises ``cost_musd`` subject to
  ``P >= P* (1 - progress.lexicographic_tolerance)``, so equal-progress plans resolve to the
  cheapest.
* ``min-cost``: minimise ``cost_musd`` subject to the targets.
* ``min-power``: minimise facility kW (used to diagnose an infeasible power cap).
"""

from __future__ import annotations

from .types import BuiltModel


def define_objective(m: BuiltModel) -> None:
    """Set the objective of ``m.inp.stage``: P, cost (MUSD) or facility power (kW)."""
    stage = m.inp.stage
    if stage == "progress":
        m.problem.setObjective(m.flow.P)
    elif stage == "cost":
        m.problem.setObjective(m.cost_musd)
    else:
        m.problem.setObjective(m.power_kw)
