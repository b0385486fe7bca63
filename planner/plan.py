"""``plan(scenario, catalog) -> Plan``: validate -> build -> solve -> extract, then marginal values.

Marginal values are finite differences of re-solved MILPs (integer purchases have no LP duals):
one more USD 1M of budget, one more MW of power cap, one more point (0.01) of alpha floor.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from hwcatalog import Catalog, load_catalog, select
from hwcatalog.catalog import unknown_item

from .errors import InfeasiblePlan, ScenarioError, SolverError
from .model import BuiltModel, ModelInput, build_model
from .model.types import MUSD
from .physics import capabilities, speedup_curve
from .results import Plan, extract
from .scenario import Scenario
from .solve import SolveResult, SolveStatus, solve

ALPHA_STEP = 0.01
BUDGET_STEP_USD = 1e6
POWER_STEP_KW = 1000.0


def eligible_items(scenario: Scenario, catalog: Catalog) -> pd.DataFrame:
    """Items the plan may buy: purchasable (cloud-only if allowed), filtered by only/exclude."""
    sel = scenario.catalog
    for item_id in list(sel.only or ()) + list(sel.exclude):
        if item_id not in catalog.items.index:
            raise ScenarioError(
                str(unknown_item(item_id, catalog.ids).detail),
                field="catalog.only" if sel.only and item_id in sel.only else "catalog.exclude",
            )
    avail = ["purchase", "cloud-only"] if sel.allow_cloud_only else ["purchase"]
    items = select(catalog.items, availability=avail, only=sel.only, exclude=sel.exclude)
    if sel.only:
        refused = [i for i in sel.only if i not in items.index]
        if refused:
            reason = (
                "is reference data, not purchasable"
                if catalog.items.at[refused[0], "availability"] == "reference"
                else "is cloud-only (set catalog.allow_cloud_only: true)"
            )
            raise ScenarioError(f"item {refused[0]!r} {reason}", field="catalog.only")
    if items.empty:
        raise ScenarioError("no catalog item is left to plan with after the only/exclude filters", field="catalog")
    return items


GOOD = ("train_tokens", "synthetic_tokens", "agent_tokens", "kv_free_gb", "verified_tokens", "capacity_gb")
BAD = ("unit_cost_usd", "facility_kw")


def dominated(caps: pd.DataFrame) -> dict[str, str]:
    """Items another item of the same class beats or equals on every figure the LP uses.

    B dominates A when B delivers at least as much of every capability (tokens, free HBM, verified
    tokens, capacity) at no more cost and power; any plan using A stays feasible and no dearer with
    B instead, so dropping A keeps an optimal plan. Classes are the category, with FPGAs apart
    from other verification units (their checks are capped separately). Exact ties keep the
    smaller id. Returns ``{dropped id: dominating id}``.
    """
    cls = (caps["category"] + ":" + (caps["kind"] == "fpga").map({True: "fpga", False: ""})).to_numpy()
    good = caps[list(GOOD)].to_numpy(dtype=float)
    bad = caps[list(BAD)].to_numpy(dtype=float)
    ids = np.asarray(caps.index, dtype=object)
    out: dict[str, str] = {}
    tol = 1e-12
    for i, a in enumerate(ids):
        ge = (cls == cls[i]) & (good >= good[i] - tol).all(axis=1) & (bad <= bad[i] + tol).all(axis=1)
        strictly = (good > good[i] + tol).any(axis=1) | (bad < bad[i] - tol).any(axis=1)
        better = ge & (strictly | (ids < a))
        better[i] = False
        for j in np.flatnonzero(better):
            if ids[j] not in out:
                out[str(a)] = str(ids[j])
                break
    return out


def prepare(scenario: Scenario, catalog: Catalog) -> tuple[pd.DataFrame, Any]:
    """Validation and physics before modelling: eligible items' capabilities (dominated items
    dropped, see :func:`dominated`) and the speedup curve."""
    items = eligible_items(scenario, catalog)
    caps = capabilities(items, scenario)
    drop = dominated(caps)
    caps = caps.drop(index=list(drop))
    caps.attrs["dominated"] = drop
    try:
        curve = speedup_curve(scenario)
    except ValueError as exc:
        raise ScenarioError(str(exc), field="agents") from None
    return caps, curve


def _inp(scenario: Scenario, caps: pd.DataFrame, curve: Any, **over: Any) -> ModelInput:
    base = ModelInput(
        scenario=scenario,
        caps=caps,
        curve=curve,
        budget_usd=scenario.budget_usd,
        power_cap_kw=scenario.facility.power_cap_kw,
        alpha_floor=scenario.alpha_floor,
        objective=scenario.objective,
    )
    return replace(base, **over)


def _run(inp: ModelInput) -> tuple[BuiltModel, SolveResult]:
    """Build and solve; max-progress is solved in two stages (progress, then cost at that progress)."""
    model = build_model(inp)
    result = solve(model.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
    if result.status in (SolveStatus.FAILED, SolveStatus.UNBOUNDED):
        raise SolverError(f"solver {result.solver} returned {result.status.value} for {inp.objective}")
    if inp.objective == "max-progress" and inp.progress_floor is None and not inp.relaxed and result.status != SolveStatus.INFEASIBLE:
        best = float(model.flow["P"].value() or 0.0)
        floor = best * (1.0 - inp.scenario.progress.lexicographic_tolerance)
        stage2, r2 = _run(replace(inp, progress_floor=floor))
        if r2.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            merged = SolveResult(r2.status, r2.solver, result.seconds + r2.seconds, best)
            return stage2, merged
    return model, result


def _headline(model: BuiltModel) -> float:
    """The figure a marginal value is a difference of: progress P, or cost in USD."""
    if model.inp.objective == "max-progress":
        return float(model.flow["P"].value() or 0.0)
    return float((model.cost_musd.value() or 0.0) * MUSD)


def plan(scenario: Scenario, catalog: Catalog | None = None, *, marginals: bool = True) -> Plan:
    """Solve ``scenario`` against ``catalog`` (default: the bundled catalog).

    Raises :class:`ScenarioError` for bad input, :class:`InfeasiblePlan` (with the constraints in
    conflict and the least budget / highest floor that would work) and :class:`SolverError`.
    """
    t0 = time.perf_counter()
    catalog = catalog if catalog is not None else load_catalog()
    caps, curve = prepare(scenario, catalog)
    inp = _inp(scenario, caps, curve)
    model, result = _run(inp)
    if result.status == SolveStatus.INFEASIBLE:
        raise diagnose_infeasible(scenario, caps, curve)
    p = extract(model, result, catalog)
    solve_seconds = result.seconds
    if marginals:
        p.marginal_values, extra = marginal_values(inp)
        solve_seconds += extra
    p.solver["solve_seconds_total"] = solve_seconds
    p.solver["end_to_end_seconds"] = time.perf_counter() - t0
    return p


def marginal_values(inp: ModelInput) -> tuple[dict[str, dict[str, Any]], float]:
    """Finite differences of the headline figure (progress, or cost in USD) for unit changes.

    Differences are taken on the LP relaxation (purchase counts continuous): the integer plan's
    differences jump with whole units, while the relaxation gives the smooth rate a planner
    reads as a shadow price. Returns the values and the seconds spent solving.
    """
    s = inp.scenario
    unit = "progress" if inp.objective == "max-progress" else "USD"
    seconds = 0.0
    out: dict[str, dict[str, Any]] = {}
    relaxed = replace(inp, relaxed=True)
    base_model, base_result = _run(relaxed)
    seconds += base_result.seconds
    if base_result.status == SolveStatus.INFEASIBLE:
        return out, seconds
    base = _headline(base_model)

    def delta(**over: Any) -> float | None:
        nonlocal seconds
        m, r = _run(replace(relaxed, **over))
        seconds += r.seconds
        if r.status == SolveStatus.INFEASIBLE:
            return None
        return _headline(m) - base

    out["budget_per_musd"] = {
        "value": delta(budget_usd=s.budget_usd + BUDGET_STEP_USD),
        "unit": f"{unit} per USD 1M",
        "meaning": "change in the objective's headline figure if the budget were USD 1M higher",
    }
    if s.facility.power_cap_kw is not None:
        out["power_per_mw"] = {
            "value": delta(power_cap_kw=s.facility.power_cap_kw + POWER_STEP_KW),
            "unit": f"{unit} per MW",
            "meaning": "change if the facility power cap were 1 MW higher",
        }
    else:
        out["power_per_mw"] = {"value": 0.0, "unit": f"{unit} per MW", "meaning": "no power cap is set, so more power is worth nothing"}
    if s.alpha_floor + ALPHA_STEP <= 1.0:
        out["alpha_floor_per_point"] = {
            "value": delta(alpha_floor=s.alpha_floor + ALPHA_STEP),
            "unit": f"{unit} per +0.01 alpha floor",
            "meaning": "change if the alpha floor were one point (0.01) higher; null if that is infeasible",
        }
    return out, seconds


def _feasible(inp: ModelInput) -> tuple[bool, BuiltModel]:
    m, r = _run(inp)
    return r.status != SolveStatus.INFEASIBLE, m


def diagnose_infeasible(scenario: Scenario, caps: pd.DataFrame, curve: Any) -> InfeasiblePlan:
    """Name the constraints in conflict and the least budget / power cap or highest floor that works."""
    conflicts: list[str] = []
    suggestions: dict[str, float] = {}
    targets = [k for k, v in scenario.targets.model_dump().items() if v]
    target_txt = ", ".join(f"targets.{k} = {getattr(scenario.targets, k):.4g}" for k in targets) or "the targets"
    base = _inp(scenario, caps, curve, objective="min-cost")
    if targets:
        ok, m = _feasible(replace(base, budget_usd=None))
        if ok:
            least = float(m.cost_musd.value() or 0.0) * MUSD
            suggestions["least_budget_usd"] = least
            conflicts.append(f"budget (USD {scenario.budget_usd:,.0f}) < least cost of {target_txt} (USD {least:,.0f})")
        if scenario.facility.power_cap_kw is not None:
            ok, m = _feasible(replace(base, objective="min-power", power_cap_kw=None))
            if ok:
                least_kw = float(m.power_kw.value() or 0.0)
                if least_kw > scenario.facility.power_cap_kw:
                    suggestions["least_power_cap_kw"] = least_kw
                    cap = scenario.facility.power_cap_kw
                    conflicts.append(f"power cap ({cap:,.0f} kW) < least power for {target_txt} within the budget ({least_kw:,.0f} kW)")
    if scenario.alpha_floor > 0:
        ok0, _ = _feasible(replace(base, alpha_floor=0.0))
        if ok0:
            lo, hi = 0.0, scenario.alpha_floor
            for _ in range(12):
                mid = (lo + hi) / 2
                ok, _ = _feasible(replace(base, alpha_floor=mid))
                lo, hi = (mid, hi) if ok else (lo, mid)
            suggestions["highest_alpha_floor"] = lo
            conflicts.append(f"alpha floor {scenario.alpha_floor:g} > highest floor feasible within budget and power ({lo:.4f})")
    if not conflicts:
        conflicts.append(f"{target_txt} cannot be met by any purchase (check the power cap and targets)")
    parts = "; ".join(conflicts)
    sugg = ", ".join(f"{k} = {v:,.4g}" for k, v in suggestions.items())
    message = f"no plan satisfies every constraint: {parts}" + (f". Feasible with {sugg}" if sugg else "")
    return InfeasiblePlan(message, conflicts=conflicts, suggestions=suggestions)
