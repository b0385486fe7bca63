"""The JSON contract of a plan (``plan --format json``; schema in schemas/plan.schema.json).

Keys promised by the contract: status, budget_usd, alpha_floor, alpha, cost_usd {capex, opex,
total}, spend_by_role_usd {training, inference, verification, memory}, items [{id, category,
role, quantity, unit_price_usd, extended_price_usd}], agents, speedup, marginal_values,
objective {name, value}. Extra keys may be added; none of these is renamed or removed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import __version__
from .results import REGIME_NOTES

if TYPE_CHECKING:
    from .results import Plan

SCHEMA_VERSION = "1.0"


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python, tuples -> lists, recursively."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [clean(r) for r in frame.to_dict("records")]


def plan_to_dict(p: Plan) -> dict[str, Any]:
    s = p.scenario
    spend = {r["role"]: r["total_usd"] for r in p.spend_by_role.to_dict("records")}
    items = records(p.line_items.drop(columns=["synthetic_units", "agent_units"], errors="ignore"))
    out = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "scenario": s.name,
        "status": p.status.value,
        "budget_usd": s.budget_usd,
        "alpha_floor": s.alpha_floor,
        "alpha_floor_basis": s.alpha_floor_basis,
        "alpha": p.alpha,
        "regime": p.regime,
        "regime_note": REGIME_NOTES[p.regime],
        "cost_usd": {
            "capex": p.cost["capex"],
            "opex": p.cost["opex"],
            "total": p.cost["total"],
            "opex_energy": p.cost["opex_energy"],
            "opex_maintenance": p.cost["opex_maintenance"],
            "opex_labour": p.cost["opex_labour"],
            "remaining_budget": p.cost["remaining"],
        },
        "spend_by_role_usd": spend,
        "spend_by_role_share": {r["role"]: r["share"] for r in p.spend_by_role.to_dict("records")},
        "items": items,
        "tokens": p.tokens,
        "agents": p.agents,
        "speedup": p.speedup["counted"],
        "speedup_detail": p.speedup,
        "progress": p.progress,
        "memory_gb": p.memory,
        "power_kw": p.power,
        "binding_constraints": p.binding,
        "constraints": records(p.constraints),
        "marginal_values": p.marginal_values,
        "objective": p.objective,
        "solver": p.solver,
        "warnings": p.warnings,
        "catalog_overlays": list(p.catalog_overlays),
        "dominated_items": p.dominated,
        "assumptions": s.to_flat(),
    }
    return clean(out)
