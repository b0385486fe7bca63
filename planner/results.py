"""The solved plan: a dataclass of tidy pandas frames, every figure read from the solved LP.

Reports and exports read a :class:`Plan` only; nothing here re-optimises or re-derives a decision.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pulp

from hwcatalog import Catalog

from .model.types import GTOK, MUSD, ROLES, BuiltModel
from .physics import SpeedupCurve, kv_gb_per_agent
from .scenario import Scenario
from .solve import SolveResult

BINDING_RTOL = 1e-3  # integer purchases leave slack smaller than one unit; 0.1% counts as binding


class PlanStatus(enum.Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass
class Plan:
    """A solved plan. Money in USD, power in kW, memory in GB, tokens as counts."""

    status: PlanStatus
    scenario: Scenario
    objective: dict[str, Any]
    line_items: pd.DataFrame
    spend_by_role: pd.DataFrame
    cost: dict[str, float]
    tokens: dict[str, float]
    alpha: float | None
    regime: str
    agents: float
    speedup: dict[str, float]
    progress: dict[str, Any]
    memory: dict[str, float]
    power: dict[str, float | None]
    constraints: pd.DataFrame
    capabilities: pd.DataFrame
    curve: SpeedupCurve
    solver: dict[str, Any]
    symbols: pd.DataFrame
    marginal_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    catalog_overlays: tuple[str, ...] = ()
    sources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # item -> attribute -> provenance
    dominated: dict[str, str] = field(default_factory=dict)  # item left out -> the item that dominates it

    @property
    def alpha_floor(self) -> float:
        return self.scenario.alpha_floor

    @property
    def budget_usd(self) -> float:
        return self.scenario.budget_usd

    @property
    def binding(self) -> list[str]:
        return list(self.constraints.loc[self.constraints["binding"], "name"])

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``plan --format json`` (schemas/plan.schema.json)."""
        from .serialize import plan_to_dict

        return plan_to_dict(self)


def _val(v: pulp.LpVariable | None) -> float:
    x = None if v is None else v.value()
    return 0.0 if x is None else float(x)


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
    self-training drifts (entropy decays, variance random-walks). ``unguarded``: exogenous tokens
    are used but nothing keeps their share above zero in later periods.
    """
    if alpha_floor > 0:
        return "anchored"
    if alpha is None or alpha <= 0:
        return "collapse-prone"
    return "unguarded"


def constraint_table(m: BuiltModel) -> pd.DataFrame:
    """name, family, description, unit, lhs, sense, rhs, slack, binding for every constraint."""
    rows = []
    for info in m.constraints.values():
        lhs = float(info.lhs.value() or 0.0)
        rhs = float(info.rhs.value() or 0.0)
        if info.sense == "<=":
            slack = rhs - lhs
        elif info.sense == ">=":
            slack = lhs - rhs
        else:
            slack = 0.0
        tol = BINDING_RTOL * max(1.0, abs(rhs), abs(lhs))
        rows.append(
            {
                "name": info.name,
                "family": info.family,
                "description": info.description,
                "unit": info.unit,
                "lhs": lhs,
                "sense": info.sense,
                "rhs": rhs,
                "slack": max(slack, 0.0),
                "binding": bool(info.sense != "==" and info.family != "objective" and slack <= tol),
            }
        )
    return pd.DataFrame(rows, columns=["name", "family", "description", "unit", "lhs", "sense", "rhs", "slack", "binding"])


def extract(m: BuiltModel, result: SolveResult, catalog: Catalog) -> Plan:
    """Read the solved model into a :class:`Plan`."""
    s = m.inp.scenario
    caps = m.inp.caps
    items = catalog.items
    counts = {k: round(_val(v)) for k, v in m.count.items()}
    rows = []
    for (item_id, role), q in counts.items():
        if q <= 0:
            continue
        c = caps.loc[item_id]
        it = items.loc[item_id]
        price_src = catalog.figures[
            (catalog.figures["item_id"] == item_id) & (catalog.figures["attribute"].isin(["price_usd", "usd_per_hour"]))
        ]
        src = price_src.iloc[0] if len(price_src) else None
        unit_opex = float(c["energy_usd"] + c["maintenance_usd"] + c["labour_usd"])
        row = {
            "id": item_id,
            "name": it["name"],
            "vendor": it["vendor"],
            "category": it["category"],
            "kind": it["kind"],
            "role": role,
            "quantity": q,
            "unit_price_usd": float(c["unit_capex_usd"]),
            "extended_price_usd": q * float(c["unit_capex_usd"]),
            "unit_opex_usd": unit_opex,
            "extended_opex_usd": q * unit_opex,
            "power_kw": q * float(c["facility_kw"]) / s.facility.pue,
            "facility_kw": q * float(c["facility_kw"]),
            "price_basis": None if src is None else src["basis"],
            "price_source": None if src is None else src["source"],
            "price_date": None if src is None else src["source_date"],
            "price_origin": None if src is None else src["origin"],
            "lead_time_weeks": it.get("lead_time_weeks"),
        }
        if role == "inference":
            row["synthetic_units"] = _val(m.share[(item_id, "synthetic")])
            row["agent_units"] = _val(m.share[(item_id, "agents")])
        rows.append(row)
    line_cols = [
        "id",
        "name",
        "vendor",
        "category",
        "kind",
        "role",
        "quantity",
        "unit_price_usd",
        "extended_price_usd",
        "unit_opex_usd",
        "extended_opex_usd",
        "power_kw",
        "facility_kw",
        "price_basis",
        "price_source",
        "price_date",
        "price_origin",
        "lead_time_weeks",
        "synthetic_units",
        "agent_units",
    ]
    line_items = pd.DataFrame(rows, columns=line_cols)
    if not line_items.empty:
        line_items = line_items.sort_values(["role", "extended_price_usd"], ascending=[True, False], key=_role_key).reset_index(drop=True)

    # cost breakdown from the integer counts (the same numbers the LP multiplied)
    def bought(column: str, role: str | None = None) -> float:
        """sum over bought units (of one role, if given) of quantity x per-unit figure."""
        return sum(q * float(caps.at[i, column]) for (i, r), q in counts.items() if role is None or r == role)

    energy, maint, labour = bought("energy_usd"), bought("maintenance_usd"), bought("labour_usd")
    capex = bought("unit_capex_usd")
    total = capex + energy + maint + labour
    cost = {
        "capex": capex,
        "opex": energy + maint + labour,
        "opex_energy": energy,
        "opex_maintenance": maint,
        "opex_labour": labour,
        "total": total,
        "budget": s.budget_usd,
        "remaining": s.budget_usd - total,
    }
    by_role = []
    for role in ROLES:
        sub = line_items[line_items["role"] == role] if not line_items.empty else line_items
        cap_r = float(sub["extended_price_usd"].sum()) if len(sub) else 0.0
        opex_r = float(sub["extended_opex_usd"].sum()) if len(sub) else 0.0
        by_role.append({"role": role, "capex_usd": cap_r, "opex_usd": opex_r, "total_usd": cap_r + opex_r})
    spend = pd.DataFrame(by_role)
    spend["share"] = spend["total_usd"] / total if total > 0 else 0.0

    f = {k: max(0.0, _val(v)) for k, v in m.flow.items()}
    e_ext, e_ver, g = f["E_ext"] * GTOK, f["E_ver"] * GTOK, f["G"] * GTOK
    exo = e_ext + e_ver
    trained = exo + g
    alpha = exo / trained if trained > 0 else None
    verified_capacity = bought("verified_tokens", "verification")
    train_capacity = bought("train_tokens", "training")
    tokens = {
        "exogenous_external": e_ext,
        "exogenous_verified": e_ver,
        "exogenous": exo,
        "synthetic": g,
        "total": trained,
        "external_available": s.data.external_tokens,
        "verified_capacity": verified_capacity,
        "training_capacity": train_capacity,
    }
    agents = f["A"]
    curve = m.inp.curve
    speedup = {
        "counted": f["Z"],
        "law": float(curve.exact(agents)),
        "interpolated": float(curve.interpolated(agents)),
        "max_interpolation_error": curve.max_error(),
        "ceiling": float(1.0 / (1.0 - s.agents.parallel_fraction)) if s.agents.scaling == "amdahl" else float(np.max(curve.values)),
    }
    need_gb = agents * kv_gb_per_agent(s.agents.context_tokens, s.model.kv_bytes_per_token)
    hbm_free = sum(_val(v) * float(caps.at[i, "kv_free_gb"]) for (i, use), v in m.share.items() if use == "agents")
    tier = bought("capacity_gb", "memory")
    memory = {"needed_gb": need_gb, "hbm_free_gb": hbm_free, "capacity_tier_gb": tier, "available_gb": hbm_free + tier}
    facility_kw = bought("facility_kw")
    power = {"it_kw": facility_kw / s.facility.pue, "facility_kw": facility_kw, "cap_kw": s.facility.power_cap_kw}

    constraints = constraint_table(m)
    binding = set(constraints.loc[constraints["binding"], "name"])
    progress: dict[str, Any] = {"value": f["P"] if m.inp.objective == "max-progress" else None}
    if m.inp.objective == "max-progress":
        ideas, exps = "progress_ideas" in binding, "progress_experiments" in binding
        progress["bottleneck"] = (
            "balanced"
            if ideas and exps
            else "ideas (agents' speedup)"
            if ideas
            else "experiments (grounded training tokens)"
            if exps
            else "none"
        )
        progress["from_speedup"] = f["Z"]
        progress["from_tokens"] = trained / s.progress.tokens_per_unit
    if m.inp.objective == "max-progress":
        obj_value = f["P"]
        weights = {
            "progress": "P = min(Z, (E + G) / tokens_per_unit)",
            "tokens_per_unit": s.progress.tokens_per_unit,
            "lexicographic_tolerance": s.progress.lexicographic_tolerance,
            "order": "maximise P, then minimise cost at that P",
        }
        obj_unit = "progress (x baseline research speed)"
    else:
        obj_value = total
        weights = {"cost_usd": 1.0}
        obj_unit = "USD"
    objective = {"name": m.inp.objective, "value": obj_value, "unit": obj_unit, "weights": weights, "solver_objective": result.objective}
    return Plan(
        status=PlanStatus.OPTIMAL if result.status.value == "optimal" else PlanStatus.FEASIBLE,
        scenario=s,
        objective=objective,
        line_items=line_items,
        spend_by_role=spend,
        cost=cost,
        tokens=tokens,
        alpha=alpha,
        regime=regime(s.alpha_floor, alpha),
        agents=agents,
        speedup=speedup,
        progress=progress,
        memory=memory,
        power=power,
        constraints=constraints,
        capabilities=caps,
        curve=curve,
        solver={
            "name": result.solver,
            "status": result.status.value,
            "seconds": result.seconds,
            "variables": len(m.problem.variables()),
            "constraints": len(m.problem.constraints),
        },
        symbols=symbol_table(s, counts, f, alpha, cost, power),
        warnings=list(catalog.warnings),
        catalog_overlays=catalog.overlays,
        sources={i: catalog.sources(i) for i in sorted({k[0] for k, q in counts.items() if q > 0})},
        dominated=dict(caps.attrs.get("dominated", {})),
    )


def _role_key(col: pd.Series) -> pd.Series:
    if col.name == "role":
        return col.map({r: i for i, r in enumerate(ROLES)})
    return col


def symbol_table(
    s: Scenario,
    counts: dict[tuple[str, str], int],
    f: dict[str, float],
    alpha: float | None,
    cost: dict[str, float],
    power: dict[str, float | None],
) -> pd.DataFrame:
    """Every symbol of the model (docs/model.md) with its value and unit, for the report."""
    n_train = sum(q for (_, r), q in counts.items() if r == "training")
    n_infer = sum(q for (_, r), q in counts.items() if r == "inference")
    n_ver = sum(q for (_, r), q in counts.items() if r == "verification")
    n_mem = sum(q for (_, r), q in counts.items() if r == "memory")
    rows = [
        ("B", "budget (capex + opex cap)", s.budget_usd, "USD"),
        ("T", "horizon", s.horizon_years, "years"),
        ("alpha_floor", "least exogenous share of training tokens", s.alpha_floor, "fraction"),
        ("alpha", "exogenous share achieved, E / (E + G)", math.nan if alpha is None else alpha, "fraction"),
        ("n_train", "accelerator units in training", n_train, "units"),
        ("n_infer", "accelerator units in inference", n_infer, "units"),
        ("n_ver", "verification and audit units", n_ver, "units"),
        ("n_mem", "capacity-tier memory units", n_mem, "units"),
        ("E", "exogenous tokens trained on", (f["E_ext"] + f["E_ver"]) * GTOK, "tokens"),
        ("D", "external exogenous tokens available", s.data.external_tokens, "tokens"),
        ("G", "synthetic tokens trained on", f["G"] * GTOK, "tokens"),
        ("A", "parallel agents served", f["A"], "agents"),
        ("Z", "research speedup counted", f["Z"], "x"),
        ("P", "progress (max-progress)", f["P"], "x"),
        ("p", "Amdahl parallel fraction", s.agents.parallel_fraction, "fraction"),
        ("P_active", "active parameters", s.model.active_params, "parameters"),
        ("MFU", "training model FLOPs utilisation", s.training.mfu, "fraction"),
        ("PUE", "power usage effectiveness", s.facility.pue, "ratio"),
        ("c_kWh", "electricity price", s.facility.electricity_usd_per_kwh, "USD/kWh"),
        ("tokens_per_check", "exogenous tokens per verified check", s.data.tokens_per_check, "tokens"),
        ("agent_tokens_per_s", "tokens/s per agent", s.agents.tokens_per_s, "tokens/s"),
        ("context_tokens", "context per agent", s.agents.context_tokens, "tokens"),
        ("kv_bytes_per_token", "KV-cache bytes per token", s.model.kv_bytes_per_token, "bytes"),
        ("capex", "capital cost", cost["capex"], "USD"),
        ("opex", "operating cost over the horizon", cost["opex"], "USD"),
        ("power", "facility power", power["facility_kw"], "kW"),
        ("power_cap", "facility power cap", math.nan if power["cap_kw"] is None else power["cap_kw"], "kW"),
    ]
    return pd.DataFrame(rows, columns=["symbol", "meaning", "value", "unit"])


__all__ = ["MUSD", "Plan", "PlanStatus", "constraint_table", "extract", "regime"]
