"""The LP/MILP: variables, one ``define_*`` function per constraint family, objective.

``build_model`` only builds; solving is :mod:`planner.solve`, reading the answer is
:mod:`planner.results`. Scaling inside the model: tokens in billions (Gtok), money in millions of
USD (MUSD), memory in GB, power in kW; the names of the coefficients say so.
"""

from __future__ import annotations

import pulp

from .constraints import define_constraints
from .objective import define_objective
from .types import BuiltModel, Flows, ModelInput
from .variables import define_variables

__all__ = ["BuiltModel", "Flows", "ModelInput", "build_model"]


def build_model(inp: ModelInput) -> BuiltModel:
    """Build the PuLP problem for ``inp`` (deterministic names, no solving)."""
    sense = pulp.LpMaximize if inp.stage == "progress" else pulp.LpMinimize
    problem = pulp.LpProblem(f"plan_{inp.objective.replace('-', '_')}", sense)
    model = define_variables(problem, inp)
    define_constraints(model)
    define_objective(model)
    return model
