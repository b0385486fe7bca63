"""A robust plan: one purchase for S sampled worlds (sample average approximation).

The extensive form holds one copy of the operational model per world ``k`` (its own replicas,
token and agent flows, and its own per-unit capabilities and prices, from the scenario's
``uncertainty`` block) and one purchase shared by all worlds (units per item and role, order lots,
bought-or-not flags, the training family and the fabric's tier). Every world keeps the budget,
the power cap, the targets and, by default, the alpha floor; the objective is the average over
worlds:

* max-progress: maximise ``(1/S) sum_k P_k - r (1/S) sum_k cost_k``, then, as for one plan, the
  least ``(1/S) sum_k cost_k`` with ``(1/S) sum_k P_k >= P* (1 - tolerance)``;
* min-cost: minimise ``(1/S) sum_k cost_k``.

With ``alpha_rule: expected`` the floor holds on the tokens summed over worlds,
``sum_k E_k >= a sum_k (E_k + G_k)``, instead of in each world.

The scenario's own values are one more world with weight 0: the purchase must be feasible there
too, and the plan reported (items, costs, alpha) is that purchase operated in the scenario's world.
The price of robustness compares the plan for the average world (each sampled figure at its sample
mean) with the robust plan's expected objective: the progress given up, or the extra cost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pulp

from hwcatalog import Catalog

from .acquisition import OUTPUT_COLUMNS
from .errors import InfeasiblePlan, ScenarioError, SolverError
from .model import BuiltModel, ModelInput, build_model
from .model.constraints import ALPHA_MARGIN
from .model.types import MUSD
from .montecarlo import check_draws
from .physics import speedup_curve
from .scenario import Scenario, with_changes
from .solve import SolveResult, SolveStatus, solve
from .stages import Prepared, dominated, model_input, owned_and_rented, prepare, solve_input, worst_status
from .timeline import served_share
from .uncertainty import Target, catalog_changes, numeric_scenario_fields, resolve_targets, sample, scenario_changes

AlphaRule = Literal["every", "expected"]
ALPHA_RULES = ("every", "expected")


@dataclass(frozen=True)
class RobustSummary:
    """The ``robust`` block of the plan JSON."""

    worlds: int
    seed: int
    alpha_rule: str
    objective: str
    expected_objective: float  # mean progress (max-progress) or mean cost in USD (min-cost) over the worlds, whole replicas
    relaxed_objective: float  # the same with divisible operations: a bound on any purchase's (up to the MIP gap)
    average_world_objective: float | None  # the plan for the average world, in that world
    price_of_robustness: float | None  # progress given up (max-progress) or extra USD (min-cost); None if the average world has no plan
    unit: str
    per_world: tuple[dict[str, Any], ...]  # world, status, progress, cost_usd, alpha
    solve_seconds: float
    average_plan_feasible_worlds: int | None = None  # sampled worlds in which the average world's purchase keeps every limit
    average_plan_expected_objective: float | None = None  # its mean objective over the worlds, when it keeps them in all
    left_out: tuple[str, ...] = ()  # items some sampled world cannot supply in time (sampled lead times)
    divisible_search: bool = True  # the purchase came from the search with divisible operation (else whole replicas throughout)


def world_scenarios(scenario: Scenario, catalog: Catalog, worlds: int, seed: int) -> tuple[list[Scenario], list[Catalog], list[Target]]:
    """``worlds`` sampled scenarios and catalogs (each validated) from the uncertainty block."""
    if not scenario.uncertainty:
        raise ScenarioError(
            "--robust needs an uncertainty block in the scenario (give --scenario FILE with one; docs/scenario.md)", field="uncertainty"
        )
    targets = resolve_targets(scenario.uncertainty, scenario, catalog.items)
    draws = sample(scenario.uncertainty, worlds, seed)
    check_draws(scenario, targets, draws)
    base = numeric_scenario_fields(scenario)
    rows = catalog.items.to_dict("index")
    scenarios, catalogs = [], []
    for k in range(worlds):
        scenarios.append(with_changes(scenario, scenario_changes(targets, draws, k, base)))
        catalogs.append(_world_catalog(catalog, catalog_changes(targets, draws, k, rows)))
    return scenarios, catalogs, targets


def average_world(scenario: Scenario, catalog: Catalog, worlds: int, seed: int) -> tuple[Scenario, Catalog]:
    """The scenario and catalog with every sampled figure at its mean over the ``worlds`` draws."""
    targets = resolve_targets(scenario.uncertainty, scenario, catalog.items)
    draws = {k: np.array([v.mean()]) for k, v in sample(scenario.uncertainty, worlds, seed).items()}
    s = with_changes(scenario, scenario_changes(targets, draws, 0, numeric_scenario_fields(scenario)))
    return s, _world_catalog(catalog, catalog_changes(targets, draws, 0, catalog.items.to_dict("index")))


def _world_catalog(catalog: Catalog, changes: dict[tuple[str, str], float]) -> Catalog:
    if not changes:
        return catalog
    items = catalog.items.copy()
    for (item_id, column), value in changes.items():
        items.at[item_id, column] = value
    return dataclasses.replace(catalog, items=items)


# ------------------------------------------------------------------------------------ the extensive form


def _purchase_variables(m: BuiltModel) -> dict[str, pulp.LpVariable]:
    """The variables all worlds share, by name: units, lots, flags, families, the fabric tier."""
    shared = [*m.count.values(), *m.lots.values(), *m.bought.values(), *m.family.values(), *m.model_used.values()]
    if "three_tier" in m.fabric:
        shared.append(m.fabric["three_tier"])
    return {v.name: v for v in shared}


@dataclass
class Extensive:
    problem: pulp.LpProblem
    worlds: list[BuiltModel]
    weights: list[float]
    progress: pulp.LpAffineExpression  # weighted mean of P_k
    cost_musd: pulp.LpAffineExpression  # weighted mean of cost_k
    purchase: dict[str, pulp.LpVariable]
    chosen: dict[str, float] = field(default_factory=dict)  # the purchase of the last stage that solved
    stage1_progress: float = float("nan")  # mean progress over the worlds after stage 1 (max-progress)


def extensive_form(inputs: list[ModelInput], weights: list[float], alpha_rule: AlphaRule, *, divisible: bool = False) -> Extensive:
    """One problem over every world's model, the purchase variables of world 0 shared by all;
    ``divisible`` makes each world's replicas and agents continuous."""
    models = [build_model(inp) for inp in inputs]
    for m in models if divisible else ():
        _relax_operations(m)
    shared = _purchase_variables(models[0])
    for k, m in enumerate(models[1:], start=1):
        if set(_purchase_variables(m)) != set(shared):
            raise ScenarioError(
                f"a sampled field changes which purchase decisions the model has in world {k} (fabric tiers, model-limit flags or "
                "order lots), so one purchase cannot serve every world; sample it with plan montecarlo instead",
                field="uncertainty",
            )
    problem = pulp.LpProblem("robust_plan", models[0].problem.sense)
    first: dict[str, tuple[Any, ...]] = {}
    for k, m in enumerate(models):
        _merge(problem, m, k, shared, alpha_rule, first)
    progress = pulp.lpSum(w * m.flow.P for w, m in zip(weights, models, strict=True) if w > 0)
    cost = pulp.lpSum(w * _mapped(m.cost_musd, shared) for w, m in zip(weights, models, strict=True) if w > 0)
    if alpha_rule == "expected":
        _expected_alpha(problem, models, weights)
    return Extensive(problem, models, weights, pulp.LpAffineExpression(progress), pulp.LpAffineExpression(cost), shared)


def _relax_operations(m: BuiltModel) -> None:
    """Replicas and agents continuous: the search over purchases treats each world's operation as
    divisible; :func:`robust_plan` then re-solves every world's operation in whole replicas."""
    for v in [*m.replicas.values(), m.flow.A]:
        v.cat = pulp.LpContinuous


def _mapped(expr: Any, shared: dict[str, pulp.LpVariable]) -> pulp.LpAffineExpression:
    """``expr`` with each variable replaced by the shared one of its name, where there is one."""
    out = pulp.LpAffineExpression([(shared.get(v.name, v), c) for v, c in expr.items()])
    out.constant = expr.constant
    return out


def _signature(expr: pulp.LpAffineExpression, sense: int) -> tuple[Any, ...]:
    """A constraint's exact content: sense, constant and coefficients by variable name."""
    return (sense, expr.constant, tuple(sorted((v.name, c) for v, c in expr.items())))


def _merge(
    problem: pulp.LpProblem,
    m: BuiltModel,
    k: int,
    shared: dict[str, pulp.LpVariable],
    alpha_rule: AlphaRule,
    first: dict[str, tuple[Any, ...]],
) -> None:
    """Add world ``k``'s constraints to ``problem``: its own variables renamed ``w<k>_...``, the
    purchase ones replaced by the shared ones. A constraint on purchase variables only that is
    identical to world 0's (lots, flags, families) is added once; one whose figures differ
    (budget, power, fabric size at the world's prices and limits) is added for each world. With
    the expected alpha rule the floor is left to :func:`_expected_alpha`, except in world 0."""
    own = {v.name for v in m.problem.variables()} - set(shared)
    for v in m.problem.variables():
        if v.name in own:
            v.name = f"w{k}_{v.name}"
    for name, info in m.constraints.items():
        if alpha_rule == "expected" and info.family == "grounding" and k > 0:
            continue
        con = info.constraint
        expr = _mapped(con, shared)
        if not any(v.name not in shared for v in con.keys()):
            sig = _signature(expr, con.sense)
            if k == 0:
                first[name] = sig
            elif first.get(name) == sig:
                continue
        problem += pulp.LpConstraint(expr, con.sense, f"w{k}_{name}")


def _expected_alpha(problem: pulp.LpProblem, models: list[BuiltModel], weights: list[float]) -> None:
    """``sum_k w_k (E_k - a_k (E_k + G_k)) >= 0`` over the worlds with weight, each at its own floor."""

    def floor(a: float) -> float:
        return min(1.0, a + ALPHA_MARGIN) if a > 0 else 0.0  # as define_grounding

    terms = [w * (m.flow.exogenous - floor(m.inp.alpha_floor) * m.flow.trained) for w, m in zip(weights, models, strict=True) if w > 0]
    problem += pulp.LpConstraint(pulp.lpSum(terms), pulp.LpConstraintGE, "robust_alpha_expected", 0)


def solve_extensive(ext: Extensive, scenario: Scenario, *, cost_stage: bool = True) -> SolveResult:
    """Stage 1 (progress or cost), then for max-progress (unless ``cost_stage`` is False) the least
    expected cost at P* (1 - tol)."""
    max_progress = scenario.objective == "max-progress"
    if max_progress:
        ext.problem.sense = pulp.LpMaximize
        ext.problem.setObjective(ext.progress - scenario.procurement.min_progress_per_musd * ext.cost_musd)
    else:
        ext.problem.sense = pulp.LpMinimize
        ext.problem.setObjective(ext.cost_musd)
    first = solve(ext.problem, scenario.solver, gap_rel=scenario.mip_gap)
    if first.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        ext.chosen = {name: float(v.value() or 0.0) for name, v in ext.purchase.items()}
        ext.stage1_progress = float(ext.progress.value() or 0.0) / max(sum(ext.weights), 1e-12)
    if first.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) or not max_progress or not cost_stage:
        return first
    best = float(ext.progress.value() or 0.0)
    ext.problem += pulp.LpConstraint(
        ext.progress, pulp.LpConstraintGE, "robust_progress_floor", best * (1 - scenario.progress.lexicographic_tolerance)
    )
    ext.problem.sense = pulp.LpMinimize
    ext.problem.setObjective(ext.cost_musd)
    second = solve(ext.problem, scenario.solver, gap_rel=scenario.mip_gap)
    if second.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return first  # ext.chosen keeps stage 1's purchase
    ext.chosen = {name: float(v.value() or 0.0) for name, v in ext.purchase.items()}
    return SolveResult(worst_status(first.status, second.status), second.solver, first.seconds + second.seconds, best)


# ------------------------------------------------------------------------------------ the plan


def solve_with_purchase(inp: ModelInput, purchase: dict[str, float], *, cost_stage: bool = True) -> tuple[BuiltModel, SolveResult]:
    """``inp`` solved with every purchase variable fixed at ``purchase`` (by name, absent = 0):
    the purchase operated in one world, in whole replicas. Max-progress runs both stages unless
    ``cost_stage`` is False (a fixed purchase's cost does not depend on its operation)."""
    m = build_model(inp)
    for v in _purchase_variables(m).values():
        value = round(purchase.get(v.name, 0.0))
        v.lowBound = v.upBound = value
    result = solve(m.problem, inp.scenario.solver, gap_rel=inp.scenario.mip_gap)
    if not cost_stage or inp.stage != "progress" or result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return m, result
    best = float(m.flow.P.value() or 0.0)
    floor = best * (1.0 - inp.scenario.progress.lexicographic_tolerance)
    m2, r2 = solve_with_purchase(dataclasses.replace(inp, stage="cost", progress_floor=floor), purchase)
    if r2.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return m, result
    return m2, SolveResult(worst_status(result.status, r2.status), r2.solver, result.seconds + r2.seconds, best)


def world_input(scenario: Scenario, caps: pd.DataFrame, catalog: Catalog, today: dt.date) -> ModelInput:
    """The model input of one world from its capabilities on the robust plan's items. Owned items
    a lead time makes late (let in by ``procurement.allow_late``) deliver the share of the horizon
    they serve (:func:`planner.timeline.served_share`), as in ``plan montecarlo``."""
    caps = caps.copy()
    if scenario.start_date is not None:
        for item_id in caps.index[caps["mode"] == "own"]:
            share = served_share(catalog.items.at[item_id, "lead_time_weeks"], scenario.start_date, scenario.horizon_years, today)
            if share < 1.0:
                for col in (*OUTPUT_COLUMNS, "verified_tokens"):
                    caps.at[item_id, col] = float(caps.at[item_id, col]) * share
    return model_input(scenario, Prepared(caps, speedup_curve(scenario), {}))


def robust_items(all_caps: list[pd.DataFrame], by_family: bool) -> tuple[pd.Index, list[str], dict[str, str]]:
    """The items every world can supply (the scenario's first), those some world cannot (a sampled
    lead time makes them late, without ``procurement.allow_late``), and the items dominated by the
    same item in every world (only those can be left out of one shared purchase)."""
    late = sorted(set(all_caps[0].index) - set.intersection(*(set(c.index) for c in all_caps)))
    drops = [dominated(c.drop(index=late, errors="ignore"), by_family=by_family) for c in all_caps]
    common = {a: b for a, b in drops[0].items() if all(d.get(a) == b for d in drops[1:])}
    return all_caps[0].index.drop([*late, *common]), late, common


def robust_plan(
    scenario: Scenario, catalog: Catalog, worlds: int, *, seed: int = 0, alpha_rule: AlphaRule = "every", today: dt.date | None = None
) -> tuple[Any, RobustSummary]:
    """The robust plan (a :class:`planner.result.Plan` of the purchase in the scenario's world)
    and its summary; raises :class:`InfeasiblePlan` when no purchase serves every world."""
    from .explain import explain
    from .extract import extract
    from .result import Timings

    t0 = time.perf_counter()
    if worlds < 1:
        raise ScenarioError("expected at least one world", field="--robust")
    if scenario.periods.active:
        raise ScenarioError("a robust plan is one period; drop the periods block or plan without --robust", field="periods")
    today = today or dt.date.today()
    prepare(scenario, catalog)  # validation before modelling
    scenarios, catalogs, _ = world_scenarios(scenario, catalog, worlds, seed)
    all_caps = [owned_and_rented(s, c) for s, c in zip([scenario, *scenarios], [catalog, *catalogs], strict=True)]
    items, late, dropped = robust_items(all_caps, scenario.procurement.one_training_family)
    # every world plans over the same items and lines (no line is left out as redundant: that depends on the world)
    inputs = [
        world_input(s, c.loc[items], cat, today) for s, c, cat in zip([scenario, *scenarios], all_caps, [catalog, *catalogs], strict=True)
    ]
    nominal = inputs[0]
    weights = [0.0] + [1.0 / worlds] * worlds
    search = _search(inputs, weights, alpha_rule, scenario)
    model, res = solve_with_purchase(nominal, search.purchase)
    avg_value, avg_feasible, avg_expected = _average_plan(scenario, catalog, worlds, seed, inputs, weights, alpha_rule)
    expected = search.expected
    price = None if avg_value is None else (avg_value - expected if scenario.objective == "max-progress" else expected - avg_value)
    if price is not None and abs(price) <= 1e-9 * max(1.0, abs(avg_value or 0.0)):
        price = 0.0
    unit = "progress" if scenario.objective == "max-progress" else "USD"
    summary = RobustSummary(
        worlds,
        seed,
        alpha_rule,
        scenario.objective,
        expected,
        search.relaxed,
        avg_value,
        price,
        unit,
        search.per_world,
        search.seconds,
        avg_feasible,
        avg_expected,
        tuple(late),
        search.divisible,
    )
    timings = Timings(search.seconds + res.seconds, search.seconds + res.seconds, 0.0)
    p = extract(model, res, catalog, dropped, timings)
    p = dataclasses.replace(p, robust=summary, timings=dataclasses.replace(timings, end_to_end_seconds=time.perf_counter() - t0))
    return dataclasses.replace(p, explanations=explain(p)), summary


@dataclass(frozen=True)
class Search:
    purchase: dict[str, float]
    per_world: tuple[dict[str, Any], ...]
    expected: float
    relaxed: float
    seconds: float
    divisible: bool  # the purchase came from the search with divisible operation


def _search(inputs: list[ModelInput], weights: list[float], alpha_rule: AlphaRule, scenario: Scenario) -> Search:
    """The purchase: first with divisible operation; if that purchase cannot be run in whole
    replicas in some world (or the scenario's own), again with whole replicas throughout."""
    seconds, relaxed = 0.0, float("nan")
    for divisible in (True, False):
        ext = extensive_form(inputs, weights, alpha_rule, divisible=divisible)
        result = solve_extensive(ext, scenario)
        seconds += result.seconds
        _raise_unless_solved(result, len(inputs) - 1)
        purchase = ext.chosen
        if divisible:
            relaxed = ext.stage1_progress if scenario.objective == "max-progress" else float(ext.cost_musd.value() or 0.0) * MUSD
        per_world = exact_worlds(inputs, weights, alpha_rule, purchase, scenario)
        ok = all(w["status"] in ("optimal", "feasible") for w in per_world)
        if ok and solve_with_purchase(inputs[0], purchase, cost_stage=False)[1].status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return Search(purchase, per_world, _expected(scenario, per_world), relaxed, seconds, divisible)
    raise SolverError(
        "the robust purchase has no operation in whole replicas in some world"
    )  # pragma: no cover - the integer search guarantees one


def _raise_unless_solved(result: SolveResult, worlds: int) -> None:
    if result.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlan(
            f"no single purchase keeps the budget, power cap, targets and alpha floor in the scenario's world "
            f"and all {worlds} sampled worlds",
            conflicts=[],
            suggestions={},
        )
    if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        raise SolverError(f"solver {result.solver} returned {result.status.value} for the robust plan")


def _average_plan(
    scenario: Scenario, catalog: Catalog, worlds: int, seed: int, inputs: list[ModelInput], weights: list[float], alpha_rule: AlphaRule
) -> tuple[float | None, int | None, float | None]:
    """The plan for the average world: its objective there, in how many sampled worlds its
    purchase keeps every limit, and its mean objective over them when it keeps them in all."""
    avg_s, avg_c = average_world(scenario, catalog, worlds, seed)
    prep = prepare(avg_s, avg_c)
    model, result = solve_input(model_input(avg_s, prep))
    if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return None, None, None
    best = float(result.objective or 0.0)  # stage 1's P* for max-progress
    value = best if scenario.objective == "max-progress" else float(model.cost_musd.value() or 0.0) * MUSD
    purchase = {name: float(v.value() or 0.0) for name, v in _purchase_variables(model).items()}
    shared = {n for inp in inputs[:1] for n in _purchase_variables(build_model(inp))}
    if any(q > 0 and n not in shared for n, q in purchase.items()):
        return value, None, None  # it buys an item the robust plan's worlds do not hold
    rows = exact_worlds(inputs, weights, alpha_rule, purchase, scenario)
    feasible = sum(w["status"] in ("optimal", "feasible") for w in rows)
    return value, feasible, (_expected(scenario, rows) if feasible == len(rows) else None)


def exact_worlds(
    inputs: list[ModelInput], weights: list[float], alpha_rule: AlphaRule, purchase: dict[str, float], scenario: Scenario
) -> tuple[dict[str, Any], ...]:
    """Every sampled world operated in whole replicas with the purchase fixed: each world alone
    when the floor holds in every world, else all in one problem (the expected floor couples them);
    each world's status, progress, cost and alpha."""
    if alpha_rule == "every":
        rows = []
        for k, inp in enumerate(inputs[1:], start=1):
            m, r = solve_with_purchase(inp, purchase, cost_stage=False)
            ok = r.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
            rows.append({**(_world_row(k, m, {}) if ok else _no_operation(k)), "status": r.status.value})
        return tuple(rows)
    ext = extensive_form(inputs[1:], weights[1:], alpha_rule)  # the sampled worlds only (world 0 is checked apart)
    for name, v in ext.purchase.items():
        v.lowBound = v.upBound = round(purchase.get(name, 0.0))
    result = solve_extensive(ext, scenario, cost_stage=False)
    if result.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return tuple({**_no_operation(k), "status": result.status.value} for k in range(1, len(inputs)))
    return tuple({**_world_row(k, m, ext.purchase), "status": result.status.value} for k, m in enumerate(ext.worlds, start=1))


def _no_operation(k: int) -> dict[str, Any]:
    nan = float("nan")
    return {"world": k, "progress": nan, "cost_usd": nan, "alpha": nan}


def _world_row(k: int, m: BuiltModel, shared: dict[str, pulp.LpVariable]) -> dict[str, float]:
    """World ``k``'s progress, cost (USD) and alpha in the solved extensive form."""
    f = m.flow.values()
    exo, trained = f["E_ext"] + f["E_ver"], f["E_ext"] + f["E_ver"] + f["G"]
    return {
        "world": k,
        "progress": f["P"],
        "cost_usd": world_cost_musd(m, shared) * MUSD,
        "alpha": exo / trained if trained > 0 else float("nan"),
    }


def world_cost_musd(m: BuiltModel, shared: dict[str, pulp.LpVariable]) -> float:
    """World cost of the solved purchase (MUSD), the three-tier uplift at its least: the uplift
    variable is bounded only from below, so a solve that does not minimise cost may leave it high."""
    cost = float(_mapped(m.cost_musd, shared).value() or 0.0)
    x, uplift = m.fabric.get("network_extra"), m.constraints.get("fabric_uplift")
    if x is None or uplift is None:
        return cost
    least = max(0.0, float(_mapped(uplift.rhs, shared).value() or 0.0))
    return cost - float(x.value() or 0.0) + least


def _expected(scenario: Scenario, rows: tuple[dict[str, Any], ...]) -> float:
    """The mean of the headline figure over the worlds (NaN when some world has no operation)."""
    key = "progress" if scenario.objective == "max-progress" else "cost_usd"
    return float(np.mean([r[key] for r in rows]))
