"""The steps before extraction: prepare (validation and physics before modelling), the model input
of one solve, and build-and-solve (two stages for max-progress).

:mod:`planner.planning` composes them with extraction, marginal values and diagnosis.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from hwcatalog import Catalog, select
from hwcatalog.catalog import unknown_item

from .acquisition import rented_capabilities, usable_offers
from .dominance import dominated_lines, dominators
from .errors import ScenarioError, SolverError
from .model import BuiltModel, ModelInput, build_model
from .model.types import Stage
from .physics import SpeedupCurve, capabilities, speedup_curve
from .scenario import Scenario
from .solve import SolveResult, SolveStatus, solve
from .timeline import Dates, dates


@dataclass(frozen=True)
class Prepared:
    """The eligible items' per-unit capabilities (dominated items dropped), the speedup curve,
    and the dominated items as ``{dropped id: dominating id}``."""

    caps: pd.DataFrame
    curve: SpeedupCurve
    dominated: dict[str, str]
    catalog: Catalog | None = None  # the catalog prepared against (guards the cache against reused ids)
    dropped_lines: frozenset[tuple[str, str]] = frozenset()  # planner.dominance.dominated_lines


def eligible_items(scenario: Scenario, catalog: Catalog) -> pd.DataFrame:
    """Items the plan may buy: purchasable (cloud-only if allowed), filtered by only/exclude."""
    sel = scenario.catalog
    for item_id in list(sel.only or ()) + list(sel.exclude):
        if item_id not in catalog.items.index:
            field = "catalog.only" if sel.only and item_id in sel.only else "catalog.exclude"
            raise ScenarioError(str(unknown_item(item_id, catalog.ids).detail), field=field)
    avail = ["purchase", "cloud-only"] if sel.allow_cloud_only else ["purchase"]
    items = select(catalog.items, availability=avail, only=sel.only, exclude=sel.exclude)
    refused = [i for i in (sel.only or ()) if i not in items.index and catalog.items.at[i, "availability"] == "reference"]
    if refused:
        raise ScenarioError(f"item {refused[0]!r} is reference data, not purchasable", field="catalog.only")
    return items


def late_items(scenario: Scenario, items: pd.DataFrame, today: dt.date) -> dict[str, Dates]:
    """Items whose order-by date for ``start_date`` is before ``today`` (planner.timeline), with
    their dates; none without a start date."""
    if scenario.start_date is None or "lead_time_weeks" not in items.columns:
        return {}
    out = {}
    for item_id, lead in items["lead_time_weeks"].items():
        d = dates(lead, scenario.start_date, today)
        if d.late:
            out[str(item_id)] = d
    return out


def _check_only_supplied(scenario: Scenario, catalog: Catalog, owned: pd.DataFrame, offers: pd.DataFrame) -> None:
    """A cloud-only item named in ``catalog.only`` needs an offer that can supply it, or
    ``catalog.allow_cloud_only`` to be owned at its capitalised price."""
    for item_id in scenario.catalog.only or ():
        if item_id not in owned.index and item_id not in set(offers["item"]):
            raise ScenarioError(
                f"item {item_id!r} is cloud-only: rent it through an offer (--offers, or acquisition.bundled_offer_max_devices > 0) "
                "or set catalog.allow_cloud_only: true",
                field="catalog.only",
            )


# Replica columns are per replica, and units per replica is a cost: B with at least A's tokens and
# free HBM per replica in no more units replaces A replica for replica (docs/model.md).
GOOD = (
    "train_tokens",
    "agents_replica_tokens",
    "agents_replica_kv_free_gb",
    "synthetic_replica_tokens",
    "verified_tokens",
    "capacity_gb",
)
BAD = ("unit_cost_usd", "facility_kw", "network_tier3_usd", "agents_units_per_replica", "synthetic_units_per_replica")


PURCHASE_COLUMNS = ("order_multiple", "min_order_quantity")


def purchase_terms(items: pd.DataFrame) -> pd.DataFrame:
    """Per item: ``order_multiple`` and ``min_order_quantity`` (units; catalog attributes, 1 when
    absent or blank) and ``family``, the lower-cased vendor a training cluster is built from."""
    out = pd.DataFrame(index=items.index)
    for col in PURCHASE_COLUMNS:
        raw = items[col] if col in items.columns else pd.Series(1, index=items.index)
        values = pd.to_numeric(raw, errors="coerce").fillna(1).clip(lower=1)
        out[col] = values.round().astype(int)
    out["family"] = items["vendor"].astype(str).str.strip().str.lower()
    return out


def dominated(caps: pd.DataFrame, *, by_family: bool = False) -> dict[str, str]:
    """Items another item of the same class beats or equals on every figure the LP uses.

    B dominates A when B delivers at least as much of every capability (training tokens per unit;
    tokens and free HBM per replica, in no more units per replica; verified tokens, capacity) at no
    more cost, power, three-tier uplift and owned devices (they count toward the fabric's size),
    and without a cap on its units (a capped offer cannot take A's units once full); rows of a
    model with several rows are compared within their model; any plan using A stays feasible and no dearer with
    B instead, so dropping A keeps an optimal plan. Classes are the category, with FPGAs apart
    from other verification units (their checks are capped separately). Exact ties keep the
    smaller id. Items with other purchase terms (order multiple, minimum order) are never compared,
    nor, with ``by_family`` (one family per training cluster), items of different families.
    Returns ``{dropped id: dominating id}``.
    """
    cls = caps["category"] + ":" + (caps["kind"] == "fpga").map({True: "fpga", False: ""})
    if "order_multiple" in caps.columns:
        cls = cls + ":" + caps["order_multiple"].astype(str) + ":" + caps["min_order_quantity"].astype(str)
    if by_family and "family" in caps.columns:
        cls = cls + ":" + caps["family"]
    if "base_id" in caps.columns:
        # a row of a model with several rows (owned and rented) is compared with its own model's rows
        # only, so that dropping it never adds a model to a role (procurement.max_models_per_role)
        base = caps["base_id"].astype(str)
        alone = base.map(base.value_counts()) == 1
        cls = cls + ":" + base.where(~alone, "")
    cls = cls.to_numpy()
    good = caps[list(GOOD)].to_numpy(dtype=float)
    owned_devices = np.where(caps["mode"] == "own", caps["devices_per_unit"].to_numpy(dtype=float), 0.0) if "mode" in caps.columns else 0.0
    bad = np.column_stack([caps[list(BAD)].to_numpy(dtype=float), np.broadcast_to(owned_devices, len(caps))])
    ids = np.asarray(caps.index, dtype=object)
    # an offer with a cap can supply only so much: it never stands in for another row
    uncapped = np.isinf(caps["max_units"].to_numpy(dtype=float)) if "max_units" in caps.columns else np.ones(len(caps), dtype=bool)
    found = dominators(cls, good, bad, ids, uncapped)
    return {str(ids[i]): found[i] for i in sorted(found)}


# Fields that change neither the eligible items' capabilities nor the speedup curve: scenarios that
# differ only in these share one Prepared (a budget x floor grid prepares once).
NOT_PHYSICS = (
    "name",
    "description",
    "budget_usd",
    "alpha_floor",
    "alpha_floor_basis",
    "objective",
    "targets",
    "solver",
    "mip_gap",
    "uncertainty",
    "periods",
)
_PREPARED: dict[tuple[int, str], Prepared] = {}
PREPARED_CACHE_SIZE = 8


def prepare(scenario: Scenario, catalog: Catalog) -> Prepared:
    """Validation and physics before modelling (see :class:`Prepared`), cached per catalog and
    physical scenario (every field but :data:`NOT_PHYSICS` and the facility power cap)."""
    physics = scenario.model_dump(mode="json", exclude=set(NOT_PHYSICS))
    physics["facility"].pop("power_cap_kw", None)
    key = (id(catalog), json.dumps(physics, sort_keys=True))
    cached = _PREPARED.get(key)
    if cached is not None and cached.catalog is catalog:
        return cached
    prep = _prepare(scenario, catalog)
    if len(_PREPARED) >= PREPARED_CACHE_SIZE:
        _PREPARED.pop(next(iter(_PREPARED)))
    _PREPARED[key] = prep
    return prep


def _prepare(scenario: Scenario, catalog: Catalog) -> Prepared:
    caps = owned_and_rented(scenario, catalog)
    drop = dominated(caps, by_family=scenario.procurement.one_training_family)
    try:
        curve = speedup_curve(scenario)
    except ValueError as exc:
        raise ScenarioError(str(exc), field="agents") from None
    kept = caps.drop(index=list(drop))
    lines = dominated_lines(kept, by_family=scenario.procurement.one_training_family, roles=("training",))
    return Prepared(kept, curve, drop, catalog, lines)


def owned_and_rented(scenario: Scenario, catalog: Catalog) -> pd.DataFrame:
    """Per-unit capabilities and purchase terms of every way to acquire an item: owned items
    (accelerators only when ``own`` is an allowed mode) and one rented variant per usable offer
    (:mod:`planner.acquisition`; rented units come one at a time)."""
    items = eligible_items(scenario, catalog)
    if not scenario.procurement.allow_late:
        items = items.drop(index=list(late_items(scenario, items, dt.date.today())))
    offers = usable_offers(catalog.offers, catalog.items, scenario)
    _check_only_supplied(scenario, catalog, items, offers)
    if "own" not in scenario.acquisition.modes:
        if offers.empty and (items["category"] == "accelerator").any():
            raise ScenarioError(
                "no accelerator can be acquired: owning is not among the modes and no offer can supply one "
                "(bundled list prices supply none unless acquisition.bundled_offer_max_devices > 0; or give --offers)",
                field="acquisition.modes",
            )
        items = items[items["category"] != "accelerator"]
    extra = catalog.items.loc[sorted(set(offers["item"]) - set(items.index))]
    caps = capabilities(pd.concat([items, extra]), scenario).join(purchase_terms(pd.concat([items, extra])))
    rented = rented_capabilities(caps, offers, scenario)
    out = pd.concat([caps.loc[items.index], rented])
    if out.empty:
        raise ScenarioError("no catalog item or rental offer is left to plan with after the only/exclude filters", field="catalog")
    return out


def first_stage(objective: str) -> Stage:
    """What the first solve optimises: progress for max-progress, cost for min-cost."""
    return "progress" if objective == "max-progress" else "cost"


def model_input(scenario: Scenario, prep: Prepared, **over: Any) -> ModelInput:
    """The model input of ``scenario`` with ``over`` replacing fields (relaxations, stages)."""
    base = ModelInput(
        scenario=scenario,
        caps=prep.caps,
        curve=prep.curve,
        budget_usd=scenario.budget_usd,
        power_cap_kw=scenario.facility.power_cap_kw,
        alpha_floor=scenario.alpha_floor,
        objective=scenario.objective,
        stage=first_stage(scenario.objective),
        dropped_lines=prep.dropped_lines,
    )
    return replace(base, **over)


def solve_input(inp: ModelInput) -> tuple[BuiltModel, SolveResult]:
    """Build and solve ``inp``. A progress stage is followed by the cost stage: least cost with
    ``P >= P* (1 - progress.lexicographic_tolerance)``; the result reports stage 1's P*. The LP
    relaxation (marginal values) stops after stage 1: its headline figure is P* itself."""
    model, result = solve_stage(inp)
    if result.status in (SolveStatus.FAILED, SolveStatus.UNBOUNDED):
        raise SolverError(f"solver {result.solver} returned {result.status.value} for {inp.objective} ({inp.stage} stage)")
    if inp.stage != "progress" or inp.relaxed or result.status == SolveStatus.INFEASIBLE:
        return model, result
    best = float(model.flow.P.value() or 0.0)
    floor = best * (1.0 - inp.scenario.progress.lexicographic_tolerance)
    stage2, r2 = solve_input(replace(inp, stage="cost", progress_floor=floor))
    if r2.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return model, result
    return stage2, SolveResult(worst_status(result.status, r2.status), r2.solver, result.seconds + r2.seconds, best)


def worst_status(a: SolveStatus, b: SolveStatus) -> SolveStatus:
    """Optimal only when both stages proved optimality."""
    return SolveStatus.OPTIMAL if a == b == SolveStatus.OPTIMAL else SolveStatus.FEASIBLE


def solve_stage(inp: ModelInput) -> tuple[BuiltModel, SolveResult]:
    """Build and solve one stage of ``inp``.

    When the model chooses the fabric (the binary ``three_tier``) and the binary's big-Ms make the
    LP bound weak, the two cases are solved apart with the binary fixed (:func:`_solve_fabric_cases`).
    The big-Ms leave the free binary near 0 in the LP relaxation, so the root bound can ignore the
    three-tier uplift (mid-size example at 1,000 synthetic items: 193.5 against an optimum of
    190.0) and CBC enumerated thousands of nodes to close the gap. The split is taken only when
    the free binary's LP bound is looser than the better fixed case's by more than the MIP gap;
    otherwise the model is solved as built.
    """
    model = build_model(inp)
    if inp.relaxed or "three_tier" not in model.fabric:
        return model, solve(model.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
    bounds, seconds = {}, 0.0
    for tiers in (None, 2, 3):
        bounds[tiers], s = _lp_bound(inp, tiers)
        seconds += s
    split = max(bounds[2], bounds[3])
    if math.isfinite(split) and bounds[None] <= split + inp.scenario.mip_gap * max(1.0, abs(split)):
        r = solve(model.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
        return model, replace(r, seconds=r.seconds + seconds)
    built, r = _solve_fabric_cases(inp, model, {t: bounds[t] for t in (2, 3)})
    return built, replace(r, seconds=r.seconds + seconds)


def _lp_bound(inp: ModelInput, tiers: int | None) -> tuple[float, float]:
    """The LP relaxation's objective with the fabric's tiers fixed (None: the binary relaxed),
    signed so that larger is better; -inf when infeasible, +inf when not solved. And seconds."""
    relaxed = build_model(replace(inp, relaxed=True, fabric_tiers=tiers))
    r = solve(relaxed.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
    if r.status == SolveStatus.INFEASIBLE:
        return -math.inf, r.seconds
    if r.objective is None or r.status != SolveStatus.OPTIMAL:
        return math.inf, r.seconds
    return _sign(inp) * r.objective, r.seconds


def _sign(inp: ModelInput) -> float:
    """+1 when the stage maximises (progress), -1 when it minimises (cost, power)."""
    return 1.0 if inp.stage == "progress" else -1.0


def _solve_fabric_cases(inp: ModelInput, model: BuiltModel, bounds: dict[int, float]) -> tuple[BuiltModel, SolveResult]:
    """Solve ``model`` with ``three_tier`` fixed to each case (2 or 3 tiers), the one with the
    better LP bound first, the other only if its bound beats the first's plan; the better plan is
    an optimum of the model with the binary free. ``bounds`` are :func:`_lp_bound`'s."""
    sign, seconds = _sign(inp), 0.0
    best: tuple[BuiltModel, SolveResult] | None = None
    statuses = []
    for tiers in sorted(bounds, key=lambda t: -bounds[t]):
        incumbent = None if best is None or best[1].objective is None else sign * best[1].objective
        if bounds[tiers] == -math.inf or (incumbent is not None and bounds[tiers] <= incumbent):
            continue
        branch = model if best is None else build_model(inp)
        branch.fabric["three_tier"].bounds(tiers - 2, tiers - 2)
        r = solve(branch.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
        seconds += r.seconds
        if r.status in (SolveStatus.FAILED, SolveStatus.UNBOUNDED):
            return branch, replace(r, seconds=seconds)
        statuses.append(r.status)
        if r.objective is not None and (incumbent is None or sign * r.objective > incumbent):
            best = (branch, r)
    if best is None:  # neither case has a plan
        return model, SolveResult(SolveStatus.INFEASIBLE, inp.scenario.solver, seconds, None)
    proven = all(st in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE) for st in statuses)
    return best[0], SolveResult(SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE, best[1].solver, seconds, best[1].objective)
