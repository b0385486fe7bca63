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
from .scenario import Scenario, unused_settings, with_changes
from .solve import SolveStatus
from .stages import model_input, prepare, solve_input


def plan(scenario: Scenario, catalog: Catalog | None = None, *, marginals: bool = True) -> Plan:
    """Solve ``scenario`` against ``catalog`` (default: the bundled catalog).

    Raises :class:`ScenarioError` for bad input, :class:`InfeasiblePlan` (with the constraints in
    conflict and the least budget / highest floor that would work) and :class:`SolverError`.
    """
    t0 = time.perf_counter()
    catalog = catalog if catalog is not None else load_catalog()
    p = plan_periods(scenario, catalog, t0) if scenario.periods.active else _plan_one(scenario, catalog, marginals, t0)
    unused = unused_settings(scenario)
    return dataclasses.replace(p, warnings=(*p.warnings, *unused)) if unused else p


def _plan_one(scenario: Scenario, catalog: Catalog, marginals: bool, t0: float) -> Plan:
    """One period: prepare, build and solve, extract, then marginal values."""
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


def plan_periods(scenario: Scenario, catalog: Catalog, t0: float) -> Plan:
    """A periodised scenario: :func:`planner.periodic.solve_periods` then
    :func:`planner.extract_periodic.extract_periodic` (no marginal values: a periodic plan's
    duals would price one period's figure; the per-period sections show what binds)."""
    from .errors import InfeasiblePlan, SolverError
    from .extract_periodic import extract_periodic
    from .periodic import solve_periods

    pm, r = solve_periods(scenario, catalog)
    fallback = None
    if r.objective is None and r.bound is not None:  # the relaxation exists: let the other solver try the staged solve
        other = "highs" if scenario.solver == "cbc" else "cbc"
        pm_other, r_other = solve_periods(with_changes(scenario, {"solver": other}), catalog)
        if r_other.objective is not None:
            pm, r, fallback = pm_other, r_other, f"{scenario.solver} found no plan in whole units; {other} did (solver fallback)"
    count = f"{len(pm.periods)} period{'s' if len(pm.periods) != 1 else ''}"
    rented = any(row["mode"] != "own" for m in pm.models for row in m.inp.rows.values())  # a rented row carries its offer's mode
    if not pm.vintages and not rented:
        raise InfeasiblePlan(
            f"nothing can serve in the {count}: every item's order-by date for every period is before "
            f"{pm.today.isoformat()}, the day the plan is made, and no rental is offered; start the periods later "
            "or let late orders in (procurement.allow_late, --allow-late)",
            conflicts=["periods.start"],
            suggestions={},
        )
    if r.objective is None and r.bound is None:
        raise InfeasiblePlan(
            f"no plan over the {count} meets every period's constraints ({r.status.value}): "
            "check each period's budget, alpha floor, power cap and targets, and the items that cannot arrive in time",
            conflicts=["periods"],
            suggestions={},
        )
    if r.objective is None:
        raise SolverError(
            f"the staged solve of the {count} found no plan in whole units ({r.status.value}) although "
            "the relaxed plan exists; loosen periods.mip_gap or the tightest period's limits"
        )
    timings = Timings(r.seconds, r.seconds, 0.0)
    p = extract_periodic(pm, r, timings)
    if fallback:
        p = dataclasses.replace(p, warnings=(*p.warnings, fallback))
    return dataclasses.replace(p, timings=dataclasses.replace(timings, end_to_end_seconds=time.perf_counter() - t0))
