"""Marginal values: what one more USD 1M, MW or point of alpha floor is worth.

Integer purchases have no LP duals, so the values are finite differences of the headline figure
(progress P, or cost in USD) between the LP relaxation of the plan (purchase counts continuous)
and the same relaxation with one input moved by one step. The relaxation gives the smooth rate a
planner reads as a shadow price; the integer plan's differences jump with whole units.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .model import BuiltModel, ModelInput
from .model.types import MUSD
from .result import MarginalValue
from .solve import SolveStatus
from .stages import solve_input

ALPHA_STEP = 0.01
BUDGET_STEP_USD = 1e6
POWER_STEP_KW = 1000.0


def headline(model: BuiltModel) -> float:
    """The figure a marginal value is a difference of: progress P, or cost in USD."""
    if model.inp.objective == "max-progress":
        return float(model.flow.P.value() or 0.0)
    return float((model.cost_musd.value() or 0.0) * MUSD)


def _delta(relaxed: ModelInput, base: float, **over: Any) -> tuple[float | None, float]:
    """Headline change when ``over`` replaces fields of the relaxed input (None if infeasible)."""
    m, r = solve_input(replace(relaxed, **over))
    if r.status == SolveStatus.INFEASIBLE:
        return None, r.seconds
    return headline(m) - base, r.seconds


def marginal_values(inp: ModelInput) -> tuple[dict[str, MarginalValue], float]:
    """Budget (+USD 1M), power cap (+1 MW) and alpha floor (+0.01) marginal values, and the
    seconds spent solving. Power is worth 0 without a cap; the floor step is left out above 0.99."""
    unit = "progress" if inp.objective == "max-progress" else "USD"
    relaxed = replace(inp, relaxed=True)
    base_model, base_result = solve_input(relaxed)
    seconds = base_result.seconds
    if base_result.status == SolveStatus.INFEASIBLE:
        return {}, seconds
    base = headline(base_model)
    out: dict[str, MarginalValue] = {}
    budget = inp.budget_usd or 0.0
    value, s = _delta(relaxed, base, budget_usd=budget + BUDGET_STEP_USD)
    seconds += s
    meaning = "change in the objective's headline figure if the budget were USD 1M higher"
    out["budget_per_musd"] = MarginalValue(value, f"{unit} per USD 1M", meaning)
    if inp.power_cap_kw is None:
        out["power_per_mw"] = MarginalValue(0.0, f"{unit} per MW", "no power cap is set, so more power is worth nothing")
    else:
        value, s = _delta(relaxed, base, power_cap_kw=inp.power_cap_kw + POWER_STEP_KW)
        seconds += s
        out["power_per_mw"] = MarginalValue(value, f"{unit} per MW", "change if the facility power cap were 1 MW higher")
    if inp.alpha_floor + ALPHA_STEP <= 1.0:
        value, s = _delta(relaxed, base, alpha_floor=inp.alpha_floor + ALPHA_STEP)
        seconds += s
        meaning = "change if the alpha floor were one point (0.01) higher; null if that is infeasible"
        out["alpha_floor_per_point"] = MarginalValue(value, f"{unit} per +0.01 alpha floor", meaning)
    return out, seconds
