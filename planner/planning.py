"""``plan(scenario, catalog) -> Plan``: prepare -> build -> solve -> extract, then marginal values.

Each step is its own function: :func:`planner.stages.prepare` (validation and physics before
modelling), :func:`planner.stages.model_input` (what one solve optimises),
:func:`planner.stages.solve_input` (build and solve), :func:`planner.extract.extract`,
:func:`planner.marginals.marginal_values`, and :func:`planner.diagnose.diagnose_infeasible` when
no plan exists.
"""

from __future__ import annotations

import dataclasses
import time

from hwcatalog import Catalog, load_catalog

from .diagnose import diagnose_infeasible
from .explain import explain
from .extract import extract
from .extract_costs import three_tier
from .marginals import marginal_values
from .result import Plan, Timings
from .scenario import Scenario
from .solve import SolveStatus
from .stages import model_input, prepare, solve_input


def plan(scenario: Scenario, catalog: Catalog | None = None, *, marginals: bool = True) -> Plan:
    """Solve ``scenario`` against ``catalog`` (default: the bundled catalog).

    Raises :class:`ScenarioError` for bad input, :class:`InfeasiblePlan` (with the constraints in
    conflict and the least budget / highest floor that would work) and :class:`SolverError`.
    """
    t0 = time.perf_counter()
    catalog = catalog if catalog is not None else load_catalog()
    prep = prepare(scenario, catalog)
    inp = model_input(scenario, prep)
    model, result = solve_input(inp)
    if result.status == SolveStatus.INFEASIBLE:
        raise diagnose_infeasible(scenario, prep)
    tiers = (3 if three_tier(model) else 2) if model.fabric else None
    values, extra_s = marginal_values(dataclasses.replace(inp, fabric_tiers=tiers)) if marginals else ({}, 0.0)
    timings = Timings(result.seconds, result.seconds + extra_s, 0.0)
    p = extract(model, result, catalog, prep.dominated, timings)
    timings = dataclasses.replace(timings, end_to_end_seconds=time.perf_counter() - t0)
    p = dataclasses.replace(p, marginal_values=values, timings=timings)
    return dataclasses.replace(p, explanations=explain(p))
