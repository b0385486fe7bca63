"""What-if grids and scenario comparisons: run ``plan()`` many times and explain the differences.

A :class:`Comparison` holds one :class:`ScenarioRun` per scenario (a plan, or the reason there is
none), the baseline's name, the deltas against the baseline, the drivers that moved spend between
roles, and the price of grounding (cost or progress as a function of the alpha floor).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from hwcatalog import Catalog

from .errors import InfeasiblePlan, ScenarioError
from .executor import Executor
from .fields import parse_value, resolve
from .limits import MAX_GRID_POINTS
from .planning import plan as run_plan
from .result import ROLES, Plan
from .scenario import Scenario, with_changes

GROUNDING_FLOORS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)
MOVE_THRESHOLD = 0.005  # a role's share must move by at least 0.5% of total spend to be named


@dataclass
class ScenarioRun:
    name: str
    scenario: Scenario
    varied: dict[str, Any]
    plan: Plan | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.plan is not None


@dataclass
class Comparison:
    kind: str  # "compare" | "whatif"
    baseline: str
    runs: list[ScenarioRun]
    grounding: pd.DataFrame
    drivers: list[str] = field(default_factory=list)

    @property
    def base_run(self) -> ScenarioRun:
        return next(r for r in self.runs if r.name == self.baseline)

    def table(self) -> pd.DataFrame:
        """One row per scenario: headline figures and deltas against the baseline."""
        return summary_table(self)

    def to_dict(self) -> dict[str, Any]:
        from .serialize import clean

        scenarios = []
        for r in self.runs:
            if r.plan is not None:
                d = r.plan.to_dict()
            else:
                d = {"status": "infeasible", "error": r.error}
            scenarios.append({"name": r.name, "varied": r.varied, **d})
        return clean(
            {
                "kind": self.kind,
                "baseline": self.baseline,
                "scenarios": scenarios,
                "deltas": summary_table(self).to_dict("records"),
                "drivers": self.drivers,
                "price_of_grounding": self.grounding.to_dict("records"),
                **({"period_deltas": rows} if (rows := period_deltas(self)) else {}),
            }
        )


# -------------------------------------------------------------------------------------------- grids


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``alpha_floor=0,0.1,0.2`` -> (``alpha_floor``, [0, 0.1, 0.2]).

    The field is a dotted scenario field or an alias (:data:`planner.fields.ALIASES`); values with
    units (``5B``, ``20MW``) go through the field's unit parser, others are YAML scalars.
    """
    name, sep, values = spec.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise ScenarioError(f"expected FIELD=V1,V2,..., got {spec[:60]!r}", field="--vary")
    name = resolve(name)
    return name, [_vary_value(name, raw.strip()) for raw in values.split(",")]


def _vary_value(name: str, raw: str) -> Any:
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise ScenarioError(f"cannot read value {raw[:40]!r}", field=f"--vary {name}") from None
    try:
        return parse_value(name, raw if isinstance(value, str) else value)
    except ValueError as exc:
        raise ScenarioError(str(exc), field=f"--vary {name}") from None


def grid(
    base: Scenario, varies: Sequence[tuple[str, list[Any]]], *, max_points: int = MAX_GRID_POINTS
) -> list[tuple[str, Scenario, dict[str, Any]]]:
    """Cartesian product of the varied fields; each point validated (bad values name the field).

    The size is checked before any point is built: more than ``max_points`` is an error.
    """
    names = [n for n, _ in varies]
    if len(set(names)) != len(names):
        raise ScenarioError("each field may be varied once", field="--vary")
    size = math.prod(len(v) for _, v in varies)
    if size > max_points:
        limit = f"more than the limit of {max_points:,} (raise it with --max-points)"
        raise ScenarioError(f"the grid has {size:,} points, {limit}", field="--vary")
    points = []
    for combo in itertools.product(*[v for _, v in varies]):
        changes = dict(zip(names, combo, strict=True))
        label = ", ".join(f"{k}={_fmt(v)}" for k, v in changes.items())
        extra = {"alpha_floor_basis": "--vary"} if "alpha_floor" in changes else {}
        s = with_changes(base, {**changes, **extra, "name": label})
        points.append((label, s, changes))
    return points


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


# -------------------------------------------------------------------------------------------- running


def run_point(point: tuple[str, Scenario, dict[str, Any]], shared: tuple[Catalog, bool]) -> ScenarioRun:
    """Plan one (name, scenario, varied) point; ``shared`` is (catalog, marginals). A task for
    :mod:`planner.executor`: infeasibility is a result, not an error."""
    name, s, varied = point
    catalog, marginals = shared
    try:
        return ScenarioRun(name, s, varied, run_plan(s, catalog, marginals=marginals))
    except InfeasiblePlan as exc:
        return ScenarioRun(name, s, varied, None, f"infeasible: {exc}")


def _check_names(scenarios: Sequence[tuple[str, Scenario, dict[str, Any]]], baseline: str | None) -> str:
    if not scenarios:
        raise ScenarioError("nothing to compare", field="scenarios")
    names = [n for n, _, _ in scenarios]
    if len(set(names)) != len(names):
        raise ScenarioError(f"scenario names must be unique, got {names[:5]}", field="name")
    base_name = baseline or names[0]
    if base_name not in names:
        raise ScenarioError(f"unknown baseline {base_name!r}; expected one of {', '.join(names[:10])}", field="--baseline")
    return base_name


def compare(
    scenarios: Sequence[tuple[str, Scenario, dict[str, Any]]],
    catalog: Catalog,
    *,
    baseline: str | None = None,
    kind: str = "compare",
    executor: Executor | None = None,
    marginals: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Plan every scenario and the baseline's price-of-grounding floors, pick the baseline (the
    first by default) and explain the differences.

    Plans run on ``executor`` (default: this process); ``marginals`` False skips marginal values
    (reports other than JSON do not show them); ``progress(done, total)`` is called per plan.
    """
    base_name = _check_names(scenarios, baseline)
    base_s = next(s for n, s, _ in scenarios if n == base_name)
    floors = sorted({*GROUNDING_FLOORS, *[float(s.alpha_floor) for _, s, _ in scenarios]})
    grounding = [(f"alpha_floor={a:g}", with_changes(base_s, {"alpha_floor": a}), {"alpha_floor": a}) for a in floors]
    tasks = [*scenarios, *grounding]
    results: list[ScenarioRun | None] = [None] * len(tasks)
    done = 0
    for i, run in (executor or Executor()).map(run_point, tasks, (catalog, marginals)):
        results[i] = run
        done += 1
        if progress is not None:
            progress(done, len(tasks))
    runs = [r for r in results[: len(scenarios)] if r is not None]
    rows = [grounding_row(a, r) for a, r in zip(floors, results[len(scenarios) :], strict=True)]
    comp = Comparison(kind=kind, baseline=base_name, runs=runs, grounding=pd.DataFrame(rows))
    comp.drivers = drivers(comp)
    return comp


def grounding_row(alpha_floor: float, run: ScenarioRun | None) -> dict[str, Any]:
    """One row of the price of grounding: cost or progress and spend by role at one floor."""
    row: dict[str, Any] = {"alpha_floor": alpha_floor}
    if run is None or run.plan is None:
        return {**row, "status": "infeasible"}
    p = run.plan
    row.update(headline_row(p), cost_usd=p.cost_usd.total, progress=p.progress.value)
    row["verification_share"] = p.spend_by_role_share["verification"]
    return row


def headline_row(p: Plan) -> dict[str, Any]:
    """Status, objective, alpha and spend per role (USD) of one plan, for comparison tables."""
    return {
        "status": p.status.value,
        "objective": p.objective.name,
        "objective_value": p.objective.value,
        "alpha": p.alpha,
        **{f"{role}_usd": p.spend_by_role_usd[role] for role in ROLES},
    }


def period_deltas(comp: Comparison) -> list[dict[str, Any]]:
    """One row per period of each periodised scenario: alpha_t against its floor, the period's cost
    (scenario's view), progress and units in service, with deltas against the baseline's same
    period (null when the baseline has no such period). Empty when no scenario is periodised."""
    base = comp.base_run.plan
    base_periods = {p.index: p for p in base.periods} if base is not None else {}
    rows = []
    for r in comp.runs:
        if r.plan is None:
            continue
        for p in r.plan.periods:
            b = base_periods.get(p.index)
            units = sum(f.quantity for f in p.fleet)
            rows.append(
                {
                    "name": r.name,
                    "period": p.index,
                    "start": p.start,
                    "alpha": p.alpha,
                    "alpha_floor": p.alpha_floor,
                    "cost_usd": p.cost_usd.total,
                    "progress": p.progress,
                    "units": units,
                    "delta_alpha": None if b is None or p.alpha is None or b.alpha is None else p.alpha - b.alpha,
                    "delta_cost_usd": None if b is None else p.cost_usd.total - b.cost_usd.total,
                    "delta_progress": None if b is None or p.progress is None or b.progress is None else p.progress - b.progress,
                    "delta_units": None if b is None else units - sum(f.quantity for f in b.fleet),
                }
            )
    return rows


def summary_table(comp: Comparison) -> pd.DataFrame:
    base = comp.base_run.plan
    rows = []
    for r in comp.runs:
        row: dict[str, Any] = {"name": r.name, "baseline": r.name == comp.baseline, **{f"varied.{k}": v for k, v in r.varied.items()}}
        if r.plan is None:
            rows.append({**row, "status": "infeasible"})
            continue
        p = r.plan
        spend = p.spend_by_role_usd
        row.update(headline_row(p), capex_usd=p.cost_usd.capex, opex_usd=p.cost_usd.opex, total_usd=p.cost_usd.total)
        row.update(agents=p.agents, speedup=p.speedup, owned_usd=p.spend_by_mode_usd.get("own", 0.0))
        row["rented_usd"] = sum(v for k, v in p.spend_by_mode_usd.items() if k != "own")
        if base is not None:
            bspend = base.spend_by_role.set_index("role")["total_usd"]
            row.update(
                delta_total_usd=p.cost_usd.total - base.cost_usd.total,
                delta_objective=p.objective.value - base.objective.value if p.objective.name == base.objective.name else None,
                delta_agents=p.agents - base.agents,
                **{f"delta_{role}_usd": float(spend[role] - bspend[role]) for role in ROLES},
            )
        rows.append(row)
    return pd.DataFrame(rows)


def drivers(comp: Comparison) -> list[str]:
    """Sentences naming what moved spend between roles against the baseline.

    For each scenario that differs from the baseline in the varied fields (or, for a comparison of
    files, in any parameter), the roles whose spend fell are the sources and those whose spend
    rose are the destinations: "raising alpha_floor from 0.1 to 0.2 moved USD X from training
    (-A) and inference (-B) to verification (+C)".
    """
    base = comp.base_run
    if base.plan is None:
        return [f"the baseline {base.name!r} has no plan ({base.error}); no deltas"]
    bspend = base.plan.spend_by_role.set_index("role")["total_usd"]
    out = []
    for r in comp.runs:
        if r.name == base.name:
            continue
        cause = _cause(base, r)
        if r.plan is None:
            out.append(f"{cause}: no plan ({r.error})")
            continue
        spend = r.plan.spend_by_role.set_index("role")["total_usd"]
        scale = max(base.plan.cost_usd.total, r.plan.cost_usd.total, 1.0)
        by_role = _moves({role: float(spend[role] - bspend[role]) for role in ROLES}, scale)
        modes = r.plan.spend_by_mode_usd.keys() | base.plan.spend_by_mode_usd.keys()
        mode_delta = {k: r.plan.spend_by_mode_usd.get(k, 0.0) - base.plan.spend_by_mode_usd.get(k, 0.0) for k in sorted(modes)}
        by_mode = _moves({("owned" if k == "own" else k): v for k, v in mode_delta.items()}, scale)
        if by_role is None and by_mode is None:
            out.append(f"{cause}: spend by role and by mode unchanged (within {MOVE_THRESHOLD:.1%} of the total)")
            continue
        text = by_role or "spend by role unchanged"
        if by_mode is not None and by_mode.startswith("moved"):
            text += "; by acquisition mode, " + by_mode
        parts = [cause + ":", text]
        net = r.plan.cost_usd.total - base.plan.cost_usd.total
        parts.append(f"(total {'+' if net >= 0 else '-'}USD {abs(net):,.0f})")
        out.append(" ".join(parts))
    return out


def _moves(delta: dict[str, float], scale: float) -> str | None:
    """``moved USD X from a (-A) to b (+B)``, ``added spend on ...`` or ``cut spend on ...``; None
    when no part moved by more than MOVE_THRESHOLD of the total."""
    down = {k: -v for k, v in delta.items() if v < -MOVE_THRESHOLD * scale}
    up = {k: v for k, v in delta.items() if v > MOVE_THRESHOLD * scale}
    if down and up:
        moved = min(sum(down.values()), sum(up.values()))
        return f"moved USD {moved:,.0f} from " + _roles(down, "-") + " to " + _roles(up, "+")
    if up:
        return "added spend on " + _roles(up, "+")
    if down:
        return "cut spend on " + _roles(down, "-")
    return None


def _roles(d: dict[str, float], sign: str) -> str:
    items = sorted(d.items(), key=lambda kv: -kv[1])
    return " and ".join(f"{role} ({sign}USD {v:,.0f})" for role, v in items)


def _cause(base: ScenarioRun, run: ScenarioRun) -> str:
    keys = list(dict.fromkeys([*run.varied, *base.varied]))
    if keys:
        changes = [(k, base.varied.get(k), run.varied.get(k)) for k in keys if base.varied.get(k) != run.varied.get(k)]
    else:
        b, c = base.scenario.to_flat(), run.scenario.to_flat()
        changes = [(k, b.get(k), c.get(k)) for k in c if k not in ("name", "description") and b.get(k) != c.get(k)]
    if not changes:
        return f"{run.name} (same parameters as {base.name})"
    words = []
    for k, old, new in changes[:4]:
        verb = "changing"
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
            verb = "raising" if new > old else "lowering"
        words.append(f"{verb} {k} from {_fmt(old)} to {_fmt(new)}")
    if len(changes) > 4:
        words.append(f"and {len(changes) - 4} more parameters")
    return f"{run.name} (" + ", ".join(words) + ")"
