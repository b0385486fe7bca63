"""Why a scenario has no plan: the constraints in conflict and the way out.

Each probe is a relaxed :class:`~planner.model.ModelInput` of the min-cost model: without the
budget (the least budget that meets the targets), minimising power without the cap (the least power
cap), and a bisection on the alpha floor (the highest floor that is still feasible).
"""

from __future__ import annotations

from dataclasses import replace

from .errors import InfeasiblePlan
from .model import BuiltModel, ModelInput
from .model.types import MUSD
from .scenario import Scenario
from .solve import SolveStatus
from .stages import Prepared, model_input, solve_input

FLOOR_BISECTIONS = 12


def _feasible(inp: ModelInput) -> tuple[bool, BuiltModel]:
    m, r = solve_input(inp)
    return r.status != SolveStatus.INFEASIBLE, m


def _target_conflicts(scenario: Scenario, base: ModelInput, what: str) -> tuple[list[str], dict[str, float]]:
    """Budget and power-cap conflicts with the targets, with the least budget and least cap."""
    conflicts: list[str] = []
    found: dict[str, float] = {}
    ok, m = _feasible(replace(base, budget_usd=None))
    if ok:
        least = float(m.cost_musd.value() or 0.0) * MUSD
        found["least_budget_usd"] = least
        conflicts.append(f"budget (USD {scenario.budget_usd:,.0f}) < least cost of {what} (USD {least:,.0f})")
    cap = scenario.facility.power_cap_kw
    if cap is not None:
        ok, m = _feasible(replace(base, stage="power", power_cap_kw=None))
        least_kw = float(m.power_kw.value() or 0.0) if ok else 0.0
        if ok and least_kw > cap:
            found["least_power_cap_kw"] = least_kw
            conflicts.append(f"power cap ({cap:,.0f} kW) < least power for {what} within the budget ({least_kw:,.0f} kW)")
    return conflicts, found


def highest_feasible_floor(base: ModelInput, floor: float) -> float | None:
    """The highest alpha floor in [0, floor] that is feasible (bisection), or None if 0 is not."""
    if not _feasible(replace(base, alpha_floor=0.0))[0]:
        return None
    lo, hi = 0.0, floor
    for _ in range(FLOOR_BISECTIONS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _feasible(replace(base, alpha_floor=mid))[0] else (lo, mid)
    return lo


def diagnose_infeasible(scenario: Scenario, prep: Prepared) -> InfeasiblePlan:
    """Name the constraints in conflict and the least budget / power cap or highest floor that works."""
    targets = [k for k, v in scenario.targets.model_dump().items() if v]
    what = ", ".join(f"targets.{k} = {getattr(scenario.targets, k):.4g}" for k in targets) or "the targets"
    base = model_input(scenario, prep, objective="min-cost", stage="cost")
    conflicts, suggestions = _target_conflicts(scenario, base, what) if targets else ([], {})
    if scenario.alpha_floor > 0:
        lo = highest_feasible_floor(base, scenario.alpha_floor)
        if lo is not None:
            suggestions["highest_alpha_floor"] = lo
            conflicts.append(f"alpha floor {scenario.alpha_floor:g} > highest floor feasible within budget and power ({lo:.4f})")
    if not conflicts:
        conflicts.append(f"{what} cannot be met by any purchase (check the power cap and targets)")
    sugg = ", ".join(f"{k} = {v:,.4g}" for k, v in suggestions.items())
    message = f"no plan satisfies every constraint: {'; '.join(conflicts)}" + (f". Feasible with {sugg}" if sugg else "")
    return InfeasiblePlan(message, conflicts=conflicts, suggestions=suggestions)
