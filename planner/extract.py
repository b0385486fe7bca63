"""Read a solved model into a :class:`~planner.result.Plan`, one short function per section.

Every figure comes from the solved LP and the per-unit capabilities it multiplied; nothing here
re-optimises or re-derives a decision. Money in USD, power in kW, memory in GB, tokens as counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from hwcatalog import Catalog

from . import __version__
from .extract_costs import break_even_rows, line_costs, plan_costs, reason, spend_by_mode, unit_costs, usable_offer_caps
from .model.types import GTOK, BuiltModel
from .physics import kv_gb_per_agent
from .result import (
    ROLES,
    SCHEMA_VERSION,
    ConstraintRow,
    CostUSD,
    ItemCapability,
    LateItem,
    LineItem,
    MemoryGB,
    Objective,
    Plan,
    PlanStatus,
    PowerKW,
    Progress,
    ReplicaCapability,
    ServingLine,
    SolverInfo,
    SpeedupDetail,
    Timings,
    Tokens,
    TrainingFleet,
)
from .solve import SolveResult, solved_value
from .stages import eligible_items, late_items
from .tco import number_or
from .timeline import dates, lead_weeks

BINDING_RTOL = 1e-3  # integer purchases leave slack smaller than one unit; 0.1% counts as binding
Counts = dict[tuple[str, str], int]
STRUCTURAL_FAMILIES = ("objective", "purchase")  # links between variables, never a limit a buyer can move

REGIME_NOTES = {
    "anchored": "the floor keeps the exogenous share alpha_t at or above a positive value, so inf alpha_t > 0 and "
    "recursive training stays anchored to the external distribution (Zenil 2026)",
    "unguarded": "exogenous tokens are used now, but no floor keeps their share above zero as the loop repeats; "
    "if alpha_t drifts to 0 the model collapses",
    "collapse-prone": "no exogenous tokens and no floor: training repeatedly on the model's own output loses "
    "diversity (entropy decays, variance random-walks away; Shumailov et al. 2024)",
}


def regime(alpha_floor: float, alpha: float | None) -> str:
    """Name the plan's regime in the terms of the collapse theory.

    ``anchored``: the floor keeps inf alpha_t > 0 (Zenil 2026: recursive training stays anchored to
    the exogenous distribution). ``collapse-prone``: no floor and no exogenous tokens, so repeated
    self-training drifts. ``unguarded``: exogenous tokens are used but nothing keeps their share
    above zero in later periods.
    """
    if alpha_floor > 0:
        return "anchored"
    if alpha is None or alpha <= 0:
        return "collapse-prone"
    return "unguarded"


def purchase_counts(m: BuiltModel) -> Counts:
    """Whole units bought per (item, role), rounded from the solver's integral values."""
    return {k: round(solved_value(v)) for k, v in m.count.items()}


Caps = dict[str, dict[str, Any]]  # item id -> per-unit capabilities (planner.physics), as plain dicts


def bought(caps: Caps, counts: Counts, column: str, role: str | None = None) -> float:
    """sum over bought units (of one role, if given) of quantity x the per-unit ``column``."""
    return sum((q * float(caps[i][column]) for (i, r), q in counts.items() if q and (role is None or r == role)), 0.0)


def _price_source(catalog: Catalog, item_id: str, attributes: tuple[str, ...] = ("price_usd", "usd_per_hour")) -> dict[str, Any] | None:
    fig = catalog.figures
    rows = fig[(fig["item_id"] == item_id) & (fig["attribute"].isin(list(attributes)))]
    return None if rows.empty else rows.iloc[0].to_dict()


def _offer_source(c: pd.Series, catalog: Catalog) -> dict[str, Any] | None:
    """The offer behind a rented line, as a price source (basis ``offer``)."""
    offers = catalog.offers
    if offers is None:
        return None
    hit = offers[(offers["item"] == c["base_id"]) & (offers["provider"] == c["provider"]) & (offers["mode"] == c["mode"])]
    hit = hit[hit["usd_per_device_hour"] == c["offer_usd_per_device_hour"]]
    if str(c["region"]):
        hit = hit[hit["region"].astype(str) == str(c["region"])]
    if hit.empty:
        return None
    o = hit.iloc[0]
    return {"basis": "offer", "source": o["source"], "source_date": str(o["date"]), "origin": o.get("origin", "bundled")}


def line_item(m: BuiltModel, catalog: Catalog, caps_id: str, role: str, q: int) -> LineItem:
    c = m.inp.caps.loc[caps_id]  # only for bought lines
    item_id, rented = str(c["base_id"]), c["mode"] != "own"
    it = catalog.items.loc[item_id]
    src = _offer_source(c, catalog) if rented else _price_source(catalog, item_id)
    host = None if rented else _price_source(catalog, item_id, ("host_share_usd",))
    lead = it.get("lead_time_weeks")
    when = dates(0 if rented else lead, m.inp.scenario.start_date, dt.date.today())
    inference = role == "inference"
    price, host_usd = (0.0, 0.0) if rented else (number_or(it.get("price_usd")), number_or(it.get("host_share_usd")))
    return LineItem(
        id=item_id,
        name=str(it["name"]),
        vendor=str(it["vendor"]),
        category=str(it["category"]),
        kind=str(it["kind"]),
        role=role,
        quantity=q,
        unit_price_usd=float(c["unit_capex_usd"]),
        extended_price_usd=q * float(c["unit_capex_usd"]),
        power_kw=q * float(c["facility_kw"]) / m.inp.scenario.facility.pue,
        facility_kw=q * float(c["facility_kw"]),
        price_basis=None if src is None else src["basis"],
        price_source=None if src is None else src["source"],
        price_date=None if src is None else src["source_date"],
        price_origin=None if src is None else src["origin"],
        lead_time_weeks=None if rented or lead is None or lead != lead else float(lead),
        synthetic_units=_units(m, caps_id, "synthetic") if inference else None,
        agent_units=_units(m, caps_id, "agents") if inference else None,
        synthetic_replicas=_replicas(m, caps_id, "synthetic") if inference else None,
        agent_replicas=_replicas(m, caps_id, "agents") if inference else None,
        mode=str(c["mode"]),
        provider=str(c["provider"]) if rented else None,
        region=(str(c["region"]) or None) if rented else None,
        offer_id=caps_id if rented else None,
        unit_device_price_usd=price,
        unit_host_share_usd=host_usd,
        host_share_basis=None if host is None else host["basis"],
        host_share_source=None if host is None else host["source"],
        order_by=None if rented else when.order_by.isoformat(),
        delivery=when.delivery.isoformat(),
        late=when.late,
        **line_costs(m, caps_id, q),
    )


def _replicas(m: BuiltModel, item_id: str, workload: str) -> int:
    """Whole replicas of ``item_id`` serving ``workload`` (0 when it has no replica variable)."""
    return round(solved_value(m.replicas.get((item_id, workload))))


def _units(m: BuiltModel, item_id: str, workload: str) -> float:
    """Units of ``item_id`` in replicas serving ``workload``: replicas x units per replica."""
    r = _replicas(m, item_id, workload)
    return r * float(m.inp.caps.at[item_id, f"{workload}_units_per_replica"]) if r else 0.0


def line_items(m: BuiltModel, catalog: Catalog, counts: Counts) -> tuple[LineItem, ...]:
    """Bought lines ordered by role (training, inference, verification, memory), then spend."""
    rows = [line_item(m, catalog, i, r, q) for (i, r), q in counts.items() if q > 0]
    order = {r: k for k, r in enumerate(ROLES)}
    return tuple(sorted(rows, key=lambda li: (order[li.role], -li.extended_price_usd)))


def spend_by_role(items: tuple[LineItem, ...], total_usd: float) -> dict[str, dict[str, float]]:
    """Per role: capital (in the cost view), opex, total (USD) and share of the plan's total."""
    capex = {r: sum((li.extended_capital_usd for li in items if li.role == r), 0.0) for r in ROLES}
    opex = {r: sum((li.extended_opex_usd for li in items if li.role == r), 0.0) for r in ROLES}
    total = {r: capex[r] + opex[r] for r in ROLES}
    share = {r: total[r] / total_usd if total_usd > 0 else 0.0 for r in ROLES}
    return {"capex": capex, "opex": opex, "total": total, "share": share}


def token_flows(m: BuiltModel, caps: Caps, flows: dict[str, float], counts: Counts) -> Tokens:
    """Tokens trained on by source, and the capacities bought (counts, not Gtok)."""
    e_ext, e_ver, g = flows["E_ext"] * GTOK, flows["E_ver"] * GTOK, flows["G"] * GTOK
    return Tokens(
        exogenous_external=e_ext,
        exogenous_verified=e_ver,
        exogenous=e_ext + e_ver,
        synthetic=g,
        total=e_ext + e_ver + g,
        external_available=m.inp.scenario.data.external_tokens,
        verified_capacity=bought(caps, counts, "verified_tokens", "verification"),
        training_capacity=bought(caps, counts, "train_tokens", "training"),
    )


def speedup_detail(m: BuiltModel, flows: dict[str, float]) -> SpeedupDetail:
    """Speedup counted by the LP against the law and its interpolation at the plan's agents."""
    curve, agents, spec = m.inp.curve, flows["A"], m.inp.scenario.agents
    ceiling = 1.0 / (1.0 - spec.parallel_fraction) if spec.scaling == "amdahl" else float(np.max(curve.values))
    return SpeedupDetail(
        counted=flows["Z"],
        law=float(curve.exact(agents)),
        interpolated=float(curve.interpolated(agents)),
        max_interpolation_error=curve.max_error(),
        ceiling=float(ceiling),
    )


def delivered_speedup(m: BuiltModel, flows: dict[str, float]) -> float:
    """The speedup the plan's agents deliver on the LP's curve (x): the interpolated curve at A, never
    below the Z the LP counted. Min-cost leaves Z at 0 when no speedup target asks for it."""
    return max(flows["Z"], float(m.inp.curve.interpolated(flows["A"])))


def memory(m: BuiltModel, caps: Caps, flows: dict[str, float], counts: Counts) -> MemoryGB:
    """Agent contexts against free HBM of agent replicas and the capacity tier; contexts fill HBM
    first. Cost per GB: capex + opex of the agent replicas' units over their free HBM, and of the
    memory items over their capacity (null where none is bought)."""
    s = m.inp.scenario
    need = flows["A"] * kv_gb_per_agent(s.agents.context_tokens, s.model.kv_bytes_per_token)
    agent_reps = {i: _replicas(m, i, w) for (i, w) in m.replicas if w == "agents"}
    hbm = sum(r * float(caps[i]["agents_replica_kv_free_gb"]) for i, r in agent_reps.items())
    hbm_usd = sum(r * float(caps[i]["agents_units_per_replica"] * caps[i]["unit_cost_usd"]) for i, r in agent_reps.items())
    tier = bought(caps, counts, "capacity_gb", "memory")
    tier_usd = sum(q * float(caps[i]["unit_cost_usd"]) for (i, r), q in counts.items() if r == "memory")
    in_hbm = min(need, hbm)
    return MemoryGB(
        need,
        hbm,
        tier,
        hbm + tier,
        held_in_hbm_gb=in_hbm,
        held_in_capacity_tier_gb=max(0.0, need - in_hbm),
        hbm_usd_per_gb=hbm_usd / hbm if hbm > 0 else None,
        capacity_tier_usd_per_gb=tier_usd / tier if tier > 0 else None,
    )


def _replica_capability(shape: Any) -> ReplicaCapability | None:
    if shape is None:
        return None
    return ReplicaCapability(
        workload=shape.workload,
        devices_per_replica=shape.devices,
        pipeline_stages=shape.stages,
        batch=shape.batch,
        batch_limit=shape.batch_limit,
        weights_gb=shape.weights_gb,
        kv_gb=shape.kv_gb,
        kv_free_gb=shape.kv_free_gb,
        tokens_per_s_per_replica=shape.tokens_per_s,
        tokens_per_s_per_device=shape.tokens_per_s_per_device,
        bound=shape.bound,
    )


def item_capabilities(caps: pd.DataFrame) -> tuple[ItemCapability, ...]:
    """Per accelerator: training tokens and FLOP/s per unit, and the replica shape per workload."""
    out = []
    for item_id, c in caps[caps["category"] == "accelerator"].iterrows():
        shapes = c["shapes"]
        out.append(
            ItemCapability(
                id=str(item_id),
                devices_per_unit=int(c["devices_per_unit"]),
                training_tokens_per_unit=float(c["train_tokens"]),
                training_flop_per_s_per_unit=float(c["train_flops_per_s"]),
                agents=_replica_capability(shapes.get("agents")),
                synthetic=_replica_capability(shapes.get("synthetic")),
            )
        )
    return tuple(out)


def serving(m: BuiltModel, flows: dict[str, float]) -> tuple[ServingLine, ...]:
    """Replicas bought per (item, workload) and what binds their number (see ServingLine). The
    workload's tokens/s are spread over its replicas in proportion to their capacity; agents count
    up to their target when one is set (a min-cost plan may serve spare agents at no cost)."""
    caps, s = m.inp.caps, m.inp.scenario
    agents = flows["A"] if not s.targets.agents else min(flows["A"], s.targets.agents)  # min-cost may serve spare agents
    used = {"agents": agents * s.agents.tokens_per_s, "synthetic": flows["G"] * GTOK / s.productive_seconds}
    reps = {k: _replicas(m, *k) for k in m.replicas}
    cap = {k: r * caps.at[k[0], "shapes"][k[1]].tokens_per_s for k, r in reps.items() if r > 0}
    total = {w: sum(v for (_, ww), v in cap.items() if ww == w) for w in used}
    rows = []
    for (i, w), capacity in cap.items():
        shape, r = caps.at[i, "shapes"][w], reps[(i, w)]
        share = used[w] * capacity / total[w] if total[w] > 0 else 0.0
        need = share / shape.tokens_per_s_per_device
        binds = "throughput"
        if r > math.ceil(need / shape.devices - 1e-9):
            binds = "memory"
        elif need < r * shape.devices / 2:
            binds = "replica size"
        rows.append(ServingLine(i, w, r, r * shape.devices, need, capacity, binds))
    return tuple(sorted(rows, key=lambda x: (x.workload, x.id)))


def training_fleet(m: BuiltModel, caps: Caps, counts: Counts, tokens: Tokens) -> TrainingFleet:
    """FLOP = 6 P_active x tokens trained; device-hours = FLOP / effective FLOP/s per device."""
    s = m.inp.scenario
    devices = sum(q * int(caps[i]["devices_per_unit"]) for (i, r), q in counts.items() if r == "training" and q)
    fps = bought(caps, counts, "train_flops_per_s", "training")
    flop = 6.0 * s.model.active_params * tokens.total
    seconds = flop / fps if fps > 0 else 0.0
    return TrainingFleet(devices, tokens.total, flop, fps, devices * seconds / 3600.0, seconds / s.facility.availability / 86400.0)


def power(m: BuiltModel, caps: Caps, counts: Counts) -> PowerKW:
    facility_kw = bought(caps, counts, "facility_kw")
    return PowerKW(facility_kw / m.inp.scenario.facility.pue, facility_kw, m.inp.power_cap_kw)


def constraint_rows(m: BuiltModel) -> tuple[ConstraintRow, ...]:
    """Every constraint with both sides, its slack and whether it binds (within BINDING_RTOL)."""
    rows = []
    for info in m.constraints.values():
        lhs, rhs = float(info.lhs.value() or 0.0), float(info.rhs.value() or 0.0)
        slack = rhs - lhs if info.sense == "<=" else lhs - rhs if info.sense == ">=" else 0.0
        tol = BINDING_RTOL * max(1.0, abs(rhs), abs(lhs))
        binding = info.sense != "==" and info.family not in STRUCTURAL_FAMILIES and slack <= tol
        rows.append(ConstraintRow(info.name, info.family, info.description, info.unit, lhs, info.sense, rhs, max(slack, 0.0), binding))
    return tuple(rows)


def progress(m: BuiltModel, flows: dict[str, float], tokens: Tokens, binding: set[str]) -> Progress:
    """Progress P and which Leontief term limits it (max-progress); null value for min-cost."""
    if not m.inp.models_progress:
        return Progress(value=None)
    ideas, exps = "progress_ideas" in binding, "progress_experiments" in binding
    bottleneck = "balanced" if ideas and exps else "ideas (agents' speedup)" if ideas else "experiments (grounded training tokens)"
    if not ideas and not exps:
        bottleneck = "none"
    return Progress(flows["P"], bottleneck, flows["Z"], tokens.total / m.inp.scenario.progress.tokens_per_unit)


def objective(m: BuiltModel, result: SolveResult, flows: dict[str, float], cost: CostUSD) -> Objective:
    """The objective's name, value and unit, and how it weighs its terms."""
    s = m.inp.scenario
    if m.inp.objective == "max-progress":
        weights = {
            "progress": "P = min(Z, (E + G) / tokens_per_unit)",
            "tokens_per_unit": s.progress.tokens_per_unit,
            "lexicographic_tolerance": s.progress.lexicographic_tolerance,
            "order": "maximise P, then minimise cost at that P",
        }
        if s.procurement.min_progress_per_musd > 0:
            weights["min_progress_per_musd"] = s.procurement.min_progress_per_musd
            weights["order"] = "maximise P - min_progress_per_musd x cost (USD 1M), then minimise cost at that P"
        return Objective(m.inp.objective, flows["P"], "progress (x baseline research speed)", weights, result.objective)
    return Objective(m.inp.objective, cost.total, "USD", {"cost_usd": 1.0}, result.objective)


def symbols(m: BuiltModel, counts: Counts, flows: dict[str, float], alpha: float | None, cost: CostUSD, pw: PowerKW) -> tuple[dict, ...]:
    """Every symbol of the model (docs/model.md) with its value and unit, for the report."""
    s = m.inp.scenario
    n = {r: sum(q for (_, role), q in counts.items() if role == r) for r in ROLES}
    rows = [
        ("B", "budget (capex + opex cap)", m.inp.budget_usd, "USD"),
        ("T", "horizon", s.horizon_years, "years"),
        ("alpha_floor", "least exogenous share of training tokens", m.inp.alpha_floor, "fraction"),
        ("alpha", "exogenous share achieved, E / (E + G)", math.nan if alpha is None else alpha, "fraction"),
        ("n_train", "accelerator units in training", n["training"], "units"),
        ("n_infer", "accelerator units in inference", n["inference"], "units"),
        ("n_ver", "verification and audit units", n["verification"], "units"),
        ("n_mem", "capacity-tier memory units", n["memory"], "units"),
        ("E", "exogenous tokens trained on", (flows["E_ext"] + flows["E_ver"]) * GTOK, "tokens"),
        ("D", "external exogenous tokens available", s.data.external_tokens, "tokens"),
        ("G", "synthetic tokens trained on", flows["G"] * GTOK, "tokens"),
        ("A", "parallel agents served", flows["A"], "agents"),
        ("Z", "research speedup counted", flows["Z"], "x"),
        ("P", "progress (max-progress)", flows["P"], "x"),
        ("p", "Amdahl parallel fraction", s.agents.parallel_fraction, "fraction"),
        ("P_active", "active parameters", s.model.active_params, "parameters"),
        ("MFU", "training model FLOPs utilisation", s.training.mfu, "fraction"),
        ("PUE", "power usage effectiveness", s.facility.pue, "ratio"),
        ("c_kWh", "electricity price", s.facility.electricity_usd_per_kwh, "USD/kWh"),
        ("tokens_per_check", "exogenous tokens per verified check", s.data.tokens_per_check, "tokens"),
        ("agent_tokens_per_s", "tokens/s per agent", s.agents.tokens_per_s, "tokens/s"),
        ("context_tokens", "context per agent", s.agents.context_tokens, "tokens"),
        ("kv_bytes_per_token", "KV-cache bytes per token", s.model.kv_bytes_per_token, "bytes"),
        ("capex", "capital cost", cost.capex, "USD"),
        ("opex", "operating cost over the horizon", cost.opex, "USD"),
        ("power", "facility power", pw.facility_kw, "kW"),
        ("power_cap", "facility power cap", math.nan if pw.cap_kw is None else pw.cap_kw, "kW"),
    ]
    return tuple({"symbol": a, "meaning": b, "value": c, "unit": d} for a, b, c, d in rows)


_ITEM_WARNING = re.compile(r"^price of (\S+) is ")


def considered_warnings(warnings: list[str], considered: set[str]) -> tuple[str, ...]:
    """The catalog's warnings that concern the plan: stale prices of items it considered (eligible
    after the only/exclude filters, dominated ones included) and every warning about no item; each once."""
    keep = []
    for w in warnings:
        hit = _ITEM_WARNING.match(w)
        if hit is None or hit.group(1) in considered:
            keep.append(w)
    return tuple(dict.fromkeys(keep))


def late(m: BuiltModel, catalog: Catalog) -> tuple[LateItem, ...]:
    """Eligible items that cannot arrive by the start date, left out or (allow_late) let in."""
    s, today = m.inp.scenario, dt.date.today()
    return tuple(
        LateItem(
            i, lead_weeks(catalog.items.at[i, "lead_time_weeks"]), d.order_by.isoformat(), d.delivery.isoformat(), s.procurement.allow_late
        )
        for i, d in late_items(s, eligible_items(s, catalog), today).items()
    )


def late_warnings(items: tuple[LineItem, ...], start: dt.date | None) -> tuple[str, ...]:
    """One warning per late line the plan buys (only with procurement.allow_late)."""
    return tuple(
        f"{li.id} cannot arrive by {start} (lead {li.lead_time_weeks:g} weeks, order-by {li.order_by} is past); "
        f"earliest delivery {li.delivery}; planned anyway (--allow-late)"
        for li in items
        if li.late
    )


def priced_lines(m: BuiltModel, catalog: Catalog, counts: Counts, budget_usd: float) -> tuple[Any, CostUSD, Any, Any]:
    """The bought lines with why each is owned or rented, the plan's costs, spend by role and the
    break-even rows."""
    s = m.inp.scenario
    items = line_items(m, catalog, counts)
    cost = plan_costs(items, budget_usd, s.costs.view)
    even = break_even_rows(m, catalog, items)
    usable = usable_offer_caps(m.inp.caps)
    items = tuple(dataclasses.replace(li, acquisition_reason=reason(li, even, s.acquisition.busy_fraction, usable)) for li in items)
    return items, cost, spend_by_role(items, cost.total), even


def extract(m: BuiltModel, result: SolveResult, catalog: Catalog, dominated: dict[str, str], timings: Timings) -> Plan:
    """Read the solved model into a :class:`Plan` (marginal values are added by the caller)."""
    s = m.inp.scenario
    caps: Caps = m.inp.caps.to_dict("index")
    budget_usd = m.inp.budget_usd if m.inp.budget_usd is not None else math.inf
    counts, flows = purchase_counts(m), m.flow.values()
    items, cost, spend, even = priced_lines(m, catalog, counts, budget_usd)
    tokens = token_flows(m, caps, flows, counts)
    alpha = tokens.exogenous / tokens.total if tokens.total > 0 else None
    rows = constraint_rows(m)
    binding = tuple(r.name for r in rows if r.binding)
    pw, reg = power(m, caps, counts), regime(m.inp.alpha_floor, alpha)
    return Plan(
        schema_version=SCHEMA_VERSION,
        tool_version=__version__,
        scenario_name=s.name,
        status=PlanStatus.OPTIMAL if result.status.value == "optimal" else PlanStatus.FEASIBLE,
        budget_usd=budget_usd,
        alpha_floor=m.inp.alpha_floor,
        alpha_floor_basis=s.alpha_floor_basis,
        alpha=alpha,
        regime=reg,
        regime_note=REGIME_NOTES[reg],
        cost_usd=cost,
        spend_by_role_usd=spend["total"],
        spend_by_role_share=spend["share"],
        spend_by_role_capex_usd=spend["capex"],
        spend_by_role_opex_usd=spend["opex"],
        items=items,
        tokens=tokens,
        agents=flows["A"],
        speedup=delivered_speedup(m, flows),
        speedup_detail=speedup_detail(m, flows),
        progress=progress(m, flows, tokens, set(binding)),
        memory_gb=memory(m, caps, flows, counts),
        power_kw=pw,
        training=training_fleet(m, caps, counts, tokens),
        serving=serving(m, flows),
        item_capabilities=item_capabilities(m.inp.caps),
        binding_constraints=binding,
        explanations=(),
        constraints=rows,
        marginal_values={},
        objective=objective(m, result, flows, cost),
        solver=SolverInfo(result.solver, result.status.value, len(m.problem.variables()), len(m.problem.constraints)),
        warnings=considered_warnings(catalog.warnings, set(caps) | set(dominated)) + late_warnings(items, s.start_date),
        catalog_overlays=tuple(catalog.overlays),
        dominated_items=dict(dominated),
        assumptions=s.to_flat(),
        timings=timings,
        scenario=s,
        curve=m.inp.curve,
        capabilities=m.inp.caps,
        symbols=symbols(m, counts, flows, alpha, cost, pw),
        sources={i: catalog.sources(i) for i in sorted({li.id for li in items})},
        **acquisition_fields(m, catalog, items, spend["total"], flows, even),
    )


def acquisition_fields(
    m: BuiltModel, catalog: Catalog, items: tuple[LineItem, ...], spend: dict[str, float], flows: dict[str, float], even: Any
) -> dict[str, Any]:
    """The plan's own-or-rent and timing sections: unit costs, break-even, spend by mode, late items."""
    return {
        "unit_costs": unit_costs(m, items, spend, flows),
        "break_even": even,
        "busy_fraction": m.inp.scenario.acquisition.busy_fraction,
        "spend_by_mode_usd": spend_by_mode(items),
        "late_items": late(m, catalog),
    }
