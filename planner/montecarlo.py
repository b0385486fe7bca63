"""Monte Carlo of a fixed plan: the hardware bought is held, the world is drawn from the
scenario's ``uncertainty`` block (:mod:`planner.uncertainty`), and each world's cost, progress and
alpha follow from the plan's lines and that world's per-unit capabilities (:mod:`planner.physics`).

World ``w`` recomputes every line's row (price, cost components, training tokens, replica
throughput, verified tokens, memory) from the sampled scenario and catalog, then:

* supplies: training ``T = sum n_train tt``, verification ``V_o`` (CPU and audit) and ``V_f``
  (FPGA) with ``E_ver <= min(V_o + V_f, V_o / (1 - f))`` for an FPGA-checkable share ``f < 1``,
  synthetic ``Gs = sum r_syn * replica tokens``, agents ``A_max = min(agent tokens / per-agent
  tokens, memory / KV per agent, max agents)``, external data ``D``; replicas that no longer fit
  the units bought (a larger shape) are cut in proportion;
* operation ``planned`` (default): the plan's volumes, each capped by the world's supply,
  ``E_ext = min(E_ext*, D)``, ``E_ver = min(E_ver*, cap)``, ``G = min(G*, Gs)``, both cut in
  proportion when ``E + G > T``, ``A = min(A*, A_max)``: alpha may fall below the floor;
* operation ``adapt``: the lab re-runs its pipeline on the hardware it has and keeps the floor,
  ``E = min(D + E_ver cap, T)``, ``G = min(Gs, T - E, E (1 - a) / a)``, ``A = A_max``;
* outcomes: ``alpha = E / (E + G)``, speedup ``Z = S(A)`` (the plan's piecewise-linear curve),
  progress ``P = min(Z, (E + G) / tokens_per_unit)``, cost ``sum n c`` (+ the three-tier uplift
  on owned accelerators when the plan's fleet needs it); targets are met when every set target
  (training tokens, agents, speedup) is.

In the world of the scenario's own values this reproduces the plan's cost, alpha and progress.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from hwcatalog import Catalog

from .acquisition import OUTPUT_COLUMNS
from .errors import ScenarioError
from .physics import SpeedupCurve, capability_row, kv_gb_per_agent, speedup_curve
from .scenario import Scenario, with_changes
from .tco import delivery_share, number_or, rented_components
from .timeline import served_share
from .uncertainty import Target, catalog_changes, numeric_scenario_fields, resolve_targets, restrict, sample, scenario_changes

Operation = Literal["planned", "adapt"]
OPERATIONS = ("planned", "adapt")
LINE_COLUMNS = (
    "unit_cost_usd",
    "tier3_usd",
    "train_tokens",
    "verified_tokens",
    "synthetic_replica_tokens",
    "agents_replica_tokens",
    "agents_replica_kv_free_gb",
    "units_per_replica_synthetic",
    "units_per_replica_agents",
    "capacity_gb",
    "served_share",
)
WORLD_COLUMNS = (
    "external_tokens",
    "tokens_per_agent",
    "kv_gb_per_agent",
    "tokens_per_unit",
    "alpha_floor",
    "fpga_fraction",
    "budget_usd",
    "two_tier_max",
    "target_training_tokens",  # NaN: not set
    "target_agents",
    "target_speedup",
)


@dataclass(frozen=True)
class FixedLine:
    """One line of the plan held fixed: what was bought, in which role and mode."""

    id: str
    base_id: str
    category: str
    kind: str
    role: str
    quantity: int
    mode: str = "own"
    offer_usd_per_device_hour: float | None = None
    synthetic_replicas: int = 0
    agent_replicas: int = 0
    devices_per_unit: float = 1.0  # accelerators: devices in one unit (the fabric counts devices)


@dataclass(frozen=True)
class FixedPlan:
    """The lines and planned volumes (tokens, agents) a Monte Carlo holds fixed."""

    scenario_name: str
    lines: tuple[FixedLine, ...]
    external_tokens: float
    verified_tokens: float
    synthetic_tokens: float
    agents: float
    cost_usd: float
    progress: float | None
    alpha: float | None

    @classmethod
    def from_dict(cls, d: dict[str, Any], file: str | None = None) -> FixedPlan:
        """From a plan's JSON (``plan --format json``); missing keys are a one-line error."""
        try:
            lines = tuple(
                FixedLine(
                    id=str(i["offer_id"] or i["id"]),
                    base_id=str(i["id"]),
                    category=str(i["category"]),
                    kind=str(i["kind"]),
                    role=str(i["role"]),
                    quantity=int(i["quantity"]),
                    mode=str(i.get("mode") or "own"),
                    offer_usd_per_device_hour=i.get("offer_usd_per_device_hour"),
                    synthetic_replicas=int(i.get("synthetic_replicas") or 0),
                    agent_replicas=int(i.get("agent_replicas") or 0),
                )
                for i in d["items"]
            )
            t = d["tokens"]
            progress = (d.get("progress") or {}).get("value")
            return cls(
                str(d.get("scenario", "plan")),
                lines,
                float(t["exogenous_external"]),
                float(t["exogenous_verified"]),
                float(t["synthetic"]),
                float(d["agents"]),
                float(d["cost_usd"]["total"]),
                None if progress is None else float(progress),
                None if d.get("alpha") is None else float(d["alpha"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(f"not a plan's JSON (plan --format json): {type(exc).__name__} {exc}", file=file) from None

    @classmethod
    def from_plan(cls, plan: Any) -> FixedPlan:
        return cls.from_dict(plan.to_dict())


# ------------------------------------------------------------------------------------ worlds


def fast_changes(scenario: Scenario, changes: dict[str, float]) -> Scenario:
    """``scenario`` with dotted changes applied without re-validation (:func:`check_draws` has
    validated each field's extreme draws)."""
    for key, value in changes.items():
        parts = key.split(".")
        scenario = _set(scenario, parts, value)
    return scenario


def _set(node: Any, parts: list[str], value: float) -> Any:
    if len(parts) == 1:
        return node.model_copy(update={parts[0]: value})
    return node.model_copy(update={parts[0]: _set(getattr(node, parts[0]), parts[1:], value)})


def check_draws(scenario: Scenario, targets: list[Target], draws: dict[str, np.ndarray]) -> None:
    """The smallest and largest draw of each scenario field pass the scenario's validation, and no
    catalog figure is drawn negative (a distribution reaching outside a field's range is an error
    naming the entry)."""
    for t in targets:
        if t.scenario_field is None:
            low = float(np.min(draws[t.key]))
            if low < 0 or not np.all(np.isfinite(draws[t.key])):
                raise ScenarioError(
                    f"a draw of {low:g} is invalid: catalog figures are finite and not negative", field=f"uncertainty.{t.key}"
                )
            continue
        for k in (int(np.argmin(draws[t.key])), int(np.argmax(draws[t.key]))):
            changes = scenario_changes([t], draws, k, numeric_scenario_fields(scenario))
            try:
                with_changes(scenario, changes)
            except ScenarioError as exc:
                raise ScenarioError(
                    f"a draw of {changes[t.scenario_field]:g} is invalid: {exc.detail}", field=f"uncertainty.{t.key}"
                ) from None


@dataclass(frozen=True)
class Shared:
    """What every chunk of worlds needs (sent once to each worker)."""

    plan: FixedPlan
    scenario: Scenario
    items: dict[str, dict[str, Any]]  # catalog rows of the plan's items
    base_values: dict[str, float | None]  # the scenario's numeric fields (relative draws scale them)
    targets: tuple[Target, ...]
    operation: Operation
    today: dt.date


Chunk = tuple[int, dict[str, np.ndarray]]  # the first world's index and the chunk's draws


def chunk_outcomes(chunk: Chunk, shared: Shared) -> tuple[int, Outcomes]:
    """The outcomes of one chunk of worlds: per-line rows (worlds x lines x LINE_COLUMNS) and world
    scalars computed world by world, then :func:`evaluate` over the chunk (memory per chunk only)."""
    start, draws = chunk
    n, lines = len(next(iter(draws.values()))), shared.plan.lines
    rows = np.zeros((n, len(lines), len(LINE_COLUMNS)))
    world = np.zeros((n, len(WORLD_COLUMNS)))
    curves: list[SpeedupCurve] | None = [] if agents_sampled(shared.targets) else None
    for k in range(n):
        s = fast_changes(shared.scenario, scenario_changes(list(shared.targets), draws, k, shared.base_values))
        items = _world_items(shared, draws, k)
        base = {i: _row(i, items[i], s) for i in {ln.base_id for ln in lines}}
        for li, ln in enumerate(lines):
            rows[k, li] = _line_values(ln, base[ln.base_id], items[ln.base_id], s, shared.today)
        world[k] = _world_values(s)
        if curves is not None:
            curves.append(speedup_curve(s))
    return start, evaluate(shared.plan, rows, world, shared.scenario, shared.operation, curves)


def agents_sampled(targets: tuple[Target, ...] | list[Target]) -> bool:
    """Some ``agents.*`` field (the speedup law, its parameters, max agents) is sampled."""
    return any((t.scenario_field or "").startswith("agents.") for t in targets)


def _world_items(shared: Shared, draws: dict[str, np.ndarray], k: int) -> dict[str, dict[str, Any]]:
    """The plan's catalog rows in world ``k`` (plain dicts: the physics reads ``it[...]`` and ``it.get``)."""
    items = {i: dict(row) for i, row in shared.items.items()}
    for (item_id, column), value in catalog_changes(list(shared.targets), draws, k, shared.items).items():
        items[item_id][column] = value
    return items


def _row(item_id: str, it: dict[str, Any], s: Scenario) -> dict[str, Any]:
    capex = number_or(it.get("price_usd"), 0.0) + number_or(it.get("host_share_usd"), 0.0)  # hwcatalog.queries.unit_capex_usd
    return capability_row(item_id, it, capex, s)


def _line_values(ln: FixedLine, row: dict[str, Any], it: dict[str, Any], s: Scenario, today: dt.date) -> list[float]:
    """One line's LINE_COLUMNS in a world: owned rows as they are; rented rows scaled by the
    delivery share and costed at the offer's rate; lines late for the start serve a part."""
    share, cost, tier3, served = 1.0, float(row["unit_cost_usd"]), float(row["network_tier3_usd"]), 1.0
    if ln.mode != "own":
        share = delivery_share(ln.mode, s)
        devices = float(row["devices_per_unit"]) or 1.0
        cost, tier3 = sum(rented_components(float(ln.offer_usd_per_device_hour or 0.0), devices, ln.mode, s).values()), 0.0
    else:
        served = served_share(it.get("lead_time_weeks"), s.start_date, s.horizon_years, today)
    out = {"unit_cost_usd": cost, "tier3_usd": tier3, "served_share": served}
    for col in ("train_tokens", "synthetic_replica_tokens", "agents_replica_tokens"):
        out[col] = float(row[col]) * (share if col in OUTPUT_COLUMNS else 1.0)
    out["verified_tokens"] = float(row["verified_tokens"])
    out["agents_replica_kv_free_gb"] = float(row["agents_replica_kv_free_gb"])
    out["units_per_replica_synthetic"] = float(row["synthetic_units_per_replica"])
    out["units_per_replica_agents"] = float(row["agents_units_per_replica"])
    out["capacity_gb"] = number_or(row.get("capacity_gb"), 0.0)
    return [out[c] for c in LINE_COLUMNS]


def _world_values(s: Scenario) -> list[float]:
    return [
        s.data.external_tokens,
        s.agents.tokens_per_s * s.productive_seconds,
        kv_gb_per_agent(s.agents.context_tokens, s.model.kv_bytes_per_token),
        s.progress.tokens_per_unit,
        s.alpha_floor,
        s.data.fpga_checkable_fraction,
        s.budget_usd,
        s.costs.network_two_tier_max_accelerators,
        *(np.nan if not x else float(x) for x in (s.targets.training_tokens, s.targets.agents, s.targets.speedup)),
    ]


# ------------------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class Outcomes:
    """Arrays over worlds."""

    cost_usd: np.ndarray
    progress: np.ndarray
    alpha: np.ndarray
    trained_tokens: np.ndarray
    agents: np.ndarray
    speedup: np.ndarray
    alpha_floor: np.ndarray
    within_budget: np.ndarray
    targets_met: np.ndarray | None


def evaluate(
    plan: FixedPlan,
    rows: np.ndarray,
    world: np.ndarray,
    scenario: Scenario,
    operation: Operation = "planned",
    curves: list[SpeedupCurve] | None = None,
) -> Outcomes:
    """The module's formulas over all worlds at once (rows: worlds x lines x LINE_COLUMNS); one
    speedup curve for all worlds (the scenario's) unless ``curves`` gives each world's."""
    col = {c: rows[:, :, i] for i, c in enumerate(LINE_COLUMNS)}
    w = {c: world[:, i] for i, c in enumerate(WORLD_COLUMNS)}
    q = np.array([ln.quantity for ln in plan.lines], dtype=float)
    role = np.array([ln.role for ln in plan.lines], dtype=object)
    owned_acc = np.array([ln.mode == "own" and ln.category == "accelerator" for ln in plan.lines], dtype=bool)
    fpga = np.array([ln.kind == "fpga" for ln in plan.lines], dtype=bool)
    served = col["served_share"]
    cost = (col["unit_cost_usd"] * q).sum(axis=1) + _fabric_uplift(plan, w["two_tier_max"], col["tier3_usd"], q, owned_acc)
    train = (col["train_tokens"] * served * q * (role == "training")).sum(axis=1)
    ver = col["verified_tokens"] * served * q * (role == "verification")
    v_fpga, v_other = (ver * fpga).sum(axis=1), (ver * ~fpga).sum(axis=1)
    f = w["fpga_fraction"]
    ver_cap = np.where(f < 1, np.minimum(v_other + v_fpga, v_other / np.maximum(1.0 - f, 1e-12)), v_other + v_fpga)
    syn_r, agt_r = _fitting_replicas(plan, col)
    synthetic = (syn_r * col["synthetic_replica_tokens"] * served).sum(axis=1)
    agent_tokens = (agt_r * col["agents_replica_tokens"] * served).sum(axis=1)
    memory = (agt_r * col["agents_replica_kv_free_gb"]).sum(axis=1) + (col["capacity_gb"] * q * (role == "memory")).sum(axis=1)
    curve = speedup_curve(scenario)
    most = np.array([c.breakpoints[-1] for c in curves]) if curves else np.full(len(cost), curve.breakpoints[-1])
    a_max = np.floor(np.minimum.reduce([agent_tokens / w["tokens_per_agent"], memory / w["kv_gb_per_agent"], most]) + 1e-9)
    e, g, agents = _operate(plan, operation, w, ver_cap, synthetic, train, a_max)
    trained = e + g
    if curves:
        speed = np.array([float(c.interpolated(a)) for c, a in zip(curves, agents, strict=True)])
    else:
        speed = np.asarray(curve.interpolated(agents), dtype=float)
    progress = np.minimum(speed, trained / w["tokens_per_unit"])
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(trained > 0, e / trained, np.nan)
    return Outcomes(
        cost,
        progress,
        alpha,
        trained,
        agents,
        speed,
        w["alpha_floor"],
        cost <= w["budget_usd"] * (1 + 1e-9),
        _targets(w, trained, agents, speed),
    )


def _fabric_uplift(plan: FixedPlan, two_tier_max: np.ndarray, tier3: np.ndarray, q: np.ndarray, owned_acc: np.ndarray) -> np.ndarray:
    """The three-tier uplift in the worlds where the owned accelerators' devices outgrow a two-tier fabric."""
    devices = sum(ln.quantity * ln.devices_per_unit for ln in plan.lines if ln.mode == "own" and ln.category == "accelerator")
    return np.where(devices > two_tier_max, (tier3 * q * owned_acc).sum(axis=1), 0.0)


def _fitting_replicas(plan: FixedPlan, col: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The plan's replicas, cut in proportion where a world's replica shape needs more units than
    the line bought: ``fit = min(1, n / (r_syn u_syn + r_agt u_agt))``."""
    syn = np.array([float(ln.synthetic_replicas) for ln in plan.lines])
    agt = np.array([float(ln.agent_replicas) for ln in plan.lines])
    q = np.array([float(ln.quantity) for ln in plan.lines])
    u_syn = np.where(syn > 0, col["units_per_replica_synthetic"], 0.0)
    u_agt = np.where(agt > 0, col["units_per_replica_agents"], 0.0)
    need = syn * u_syn + agt * u_agt
    with np.errstate(invalid="ignore", divide="ignore"):
        fit = np.where(need > q * (1 + 1e-9), q / need, 1.0)
    return np.floor(syn * fit + 1e-9), np.floor(agt * fit + 1e-9)


def _operate(
    plan: FixedPlan,
    operation: Operation,
    w: dict[str, np.ndarray],
    ver_cap: np.ndarray,
    synthetic: np.ndarray,
    train: np.ndarray,
    a_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exogenous tokens E, synthetic tokens G and agents A of each world (module doc)."""
    if operation == "planned":
        e = np.minimum(plan.external_tokens, w["external_tokens"]) + np.minimum(plan.verified_tokens, ver_cap)
        g = np.minimum(plan.synthetic_tokens, synthetic)
        with np.errstate(invalid="ignore", divide="ignore"):
            cut = np.where(e + g > train * (1 + 1e-9), train / (e + g), 1.0)
        return e * cut, g * cut, np.minimum(plan.agents, a_max)
    a = w["alpha_floor"]
    e = np.minimum(w["external_tokens"] + ver_cap, train)
    with np.errstate(invalid="ignore", divide="ignore"):
        allowed = np.where(a > 0, e * (1.0 - a) / np.where(a > 0, a, 1.0), np.inf)
    g = np.minimum.reduce([synthetic, train - e, allowed])
    return e, np.maximum(g, 0.0), a_max


def _targets(w: dict[str, np.ndarray], trained: np.ndarray, agents: np.ndarray, speed: np.ndarray) -> np.ndarray | None:
    """Each world meets every target set in it (a target not set in a world is met there); None
    when no world sets a target."""
    checks = [(w["target_training_tokens"], trained), (w["target_agents"], agents), (w["target_speedup"], speed)]
    if all(np.all(np.isnan(target)) for target, _ in checks):
        return None
    met = [np.isnan(target) | (x >= target * (1 - 1e-6)) for target, x in checks]
    return np.logical_and.reduce(met)


# ------------------------------------------------------------------------------------ summary


@dataclass(frozen=True)
class Sensitivity:
    """Spearman rank correlation of one sampled input with each output."""

    input: str
    dist: str
    note: str
    cost_usd: float | None
    progress: float | None
    alpha: float | None
    direct: bool = True  # the input acts on the plan itself (false: it moves the outputs only through correlations)


@dataclass
class MonteCarloResult:
    scenario_name: str
    scenario_objective: str
    budget_usd: float
    alpha_floor: float
    samples: int
    seed: int
    operation: str
    plan: FixedPlan
    outcomes: Outcomes
    inputs: dict[str, np.ndarray]
    sensitivity: list[Sensitivity]
    seconds: float
    replan: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    as_of: dt.date | None = None  # the date late deliveries are counted from (with a start date)

    def to_dict(self) -> dict[str, Any]:
        """The JSON: ``samples``, ``p_alpha_above_floor``, ``p_targets_met`` and ``cost_usd``,
        ``progress``, ``alpha`` each {mean, p5, p50, p95}, plus budget, inputs and sensitivity."""
        from .serialize import clean

        o = self.outcomes
        above = np.where(np.isnan(o.alpha), False, o.alpha >= o.alpha_floor * (1 - 1e-9))
        return clean(
            {
                "kind": "montecarlo",
                "scenario": self.scenario_name,
                "objective": self.scenario_objective,
                "budget_usd": self.budget_usd,
                "alpha_floor": self.alpha_floor,
                "samples": self.samples,
                "seed": self.seed,
                "operation": self.operation,
                "p_alpha_above_floor": float(above.mean()),
                "p_targets_met": None if o.targets_met is None else float(o.targets_met.mean()),
                "p_within_budget": float(o.within_budget.mean()),
                "cost_usd": stats(o.cost_usd),
                "progress": stats(o.progress),
                "alpha": stats(o.alpha),
                "training_tokens": stats(o.trained_tokens),
                "agents": stats(o.agents),
                "plan": {
                    "cost_usd": self.plan.cost_usd,
                    "progress": self.plan.progress,
                    "alpha": self.plan.alpha,
                    "training_tokens": self.plan.external_tokens + self.plan.verified_tokens + self.plan.synthetic_tokens,
                    "agents": self.plan.agents,
                },
                "items": [{"id": ln.id, "role": ln.role, "quantity": ln.quantity, "mode": ln.mode} for ln in self.plan.lines],
                "inputs": [{"field": s.input, "distribution": s.dist, "note": s.note} for s in self.sensitivity],
                "sensitivity": [s.__dict__ for s in self.sensitivity],
                "replan": self.replan,
                "as_of": self.as_of,
                "seconds": self.seconds,
                "notes": self.notes,
            }
        )


def stats(x: np.ndarray) -> dict[str, float | None]:
    """``{mean, p5, p50, p95}`` over the finite values (None when there are none)."""
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rho (Pearson correlation of average ranks); None when either is constant."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return None
    rx, ry = pd.Series(x[ok]).rank().to_numpy(), pd.Series(y[ok]).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def sensitivity(targets: list[Target], draws: dict[str, np.ndarray], o: Outcomes, plan_items: set[str]) -> list[Sensitivity]:
    """Each input's rank correlation with cost, progress and alpha, the largest |rho| of the three
    first; an input on catalog items the plan does not hold is marked not direct."""
    rows = [
        Sensitivity(
            t.key,
            t.dist.describe(),
            t.dist.note,
            rank_correlation(draws[t.key], o.cost_usd),
            rank_correlation(draws[t.key], o.progress),
            rank_correlation(draws[t.key], o.alpha),
            t.column is None or bool(set(t.items) & plan_items),
        )
        for t in targets
    ]
    return sorted(rows, key=lambda r: -max(abs(r.cost_usd or 0.0), abs(r.progress or 0.0), abs(r.alpha or 0.0)))


CHUNK = 500


def checked_draws(scenario: Scenario, catalog: Catalog, samples: int, seed: int) -> tuple[list[Target], dict[str, np.ndarray]]:
    """The uncertainty block resolved against the scenario and catalog, and its draws, each
    scenario field's extremes validated (validation before any planning)."""
    if not scenario.uncertainty:
        raise ScenarioError(
            "the scenario has no uncertainty block: nothing to sample (give --scenario FILE with one; docs/scenario.md)",
            field="uncertainty",
        )
    targets = resolve_targets(scenario.uncertainty, scenario, catalog.items)
    draws = sample(scenario.uncertainty, samples, seed)
    check_draws(scenario, targets, draws)
    return targets, draws


def montecarlo(
    scenario: Scenario,
    catalog: Catalog,
    plan: FixedPlan,
    *,
    samples: int,
    seed: int = 0,
    operation: Operation = "planned",
    executor: Any = None,
    today: dt.date | None = None,
) -> MonteCarloResult:
    """Draw ``samples`` worlds from ``scenario.uncertainty`` and evaluate ``plan`` in each."""
    import time

    if scenario.periods.active:
        raise ScenarioError("plan montecarlo evaluates a one-period plan; drop the periods block to sample it", field="periods")

    from .executor import Executor

    t0 = time.perf_counter()
    if samples < 1:
        raise ScenarioError("expected at least one sample", field="--samples")
    targets, draws = checked_draws(scenario, catalog, samples, seed)
    base_ids = sorted({ln.base_id for ln in plan.lines})
    missing = [i for i in base_ids if i not in catalog.items.index]
    if missing:
        raise ScenarioError(f"the plan's item {missing[0]!r} is not in the catalog", field="items")
    items = catalog.items.loc[base_ids]
    plan = with_devices(plan, items)
    rows_by_id = {str(i): dict(r) for i, r in zip(items.index, items.to_dict("records"), strict=True)}
    ts = tuple(restrict(targets, set(base_ids)))
    today = today or dt.date.today()
    shared = Shared(plan, scenario, rows_by_id, numeric_scenario_fields(scenario), ts, operation, today)
    chunks = [(a, {k: v[a : a + CHUNK] for k, v in draws.items()}) for a in range(0, samples, CHUNK)]
    parts = dict(result for _, result in (executor or Executor()).map(chunk_outcomes, chunks, shared))
    o = concatenate([parts[i] for i in sorted(parts)])
    return MonteCarloResult(
        scenario.name,
        scenario.objective,
        scenario.budget_usd,
        scenario.alpha_floor,
        samples,
        seed,
        operation,
        plan,
        o,
        draws,
        sensitivity(targets, draws, o, set(base_ids)),
        time.perf_counter() - t0,
        as_of=today if scenario.start_date is not None else None,
    )


def concatenate(parts: list[Outcomes]) -> Outcomes:
    """Chunks' outcomes joined in world order."""
    joined: dict[str, Any] = {}
    for f in dataclasses.fields(Outcomes):
        arrays = [getattr(p, f.name) for p in parts]
        joined[f.name] = None if any(a is None for a in arrays) else np.concatenate(arrays)
    return Outcomes(**joined)


def write_samples(res: MonteCarloResult, path: str, *, force: bool) -> Any:
    """One Parquet row per world: its index, each sampled input (by entry) and each output;
    written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .output import write_atomic

    o = res.outcomes
    columns: dict[str, Any] = {"world": np.arange(res.samples)}
    columns.update({f"input:{k}": v for k, v in res.inputs.items()})
    columns.update(cost_usd=o.cost_usd, progress=o.progress, alpha=o.alpha, training_tokens=o.trained_tokens, agents=o.agents)
    columns.update(speedup=o.speedup, within_budget=o.within_budget)
    if o.targets_met is not None:
        columns["targets_met"] = o.targets_met
    table = pa.table(columns)
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp), force=force)


def with_devices(plan: FixedPlan, items: pd.DataFrame) -> FixedPlan:
    """The plan with each accelerator line's devices per unit from the catalog (fabric size)."""
    lines = tuple(
        dataclasses.replace(ln, devices_per_unit=number_or(items.at[ln.base_id, "devices_per_unit"], 1.0))
        if ln.category == "accelerator"
        else ln
        for ln in plan.lines
    )
    return dataclasses.replace(plan, lines=lines)
