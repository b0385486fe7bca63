"""Decision variables.

* ``count[(s, role)]`` integer units of item s in a role: accelerators in ``training`` or
  ``inference``; verification and audit items in ``verification``; memory items in ``memory``.
* ``replicas[(s, "synthetic"|"agents")]`` integer: model replicas of accelerator s serving
  synthetic-data generation or agents, each of the shape chosen in ``planner.serving`` (only
  for workloads some replica of s can serve).
* flows: ``E_ext`` external exogenous tokens used, ``E_ver`` verified exogenous tokens (of
  which ``E_fpga`` checked on FPGAs), ``G``
  synthetic tokens (all Gtok), ``A`` agents, ``Z`` speedup, ``P`` progress.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pulp

from .types import FLOW_NAMES, MUSD, BuiltModel, Flows, ModelInput

_ROLE_OF = {"verification": ("verification",), "audit": ("verification",), "memory": ("memory",), "accelerator": ("training", "inference")}


def var_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts)


def define_variables(problem: pulp.LpProblem, inp: ModelInput) -> BuiltModel:
    rows = inp.rows
    count: dict[tuple[str, str], pulp.LpVariable] = {}
    replicas: dict[tuple[str, str], pulp.LpVariable] = {}
    cat = pulp.LpContinuous if inp.relaxed else pulp.LpInteger
    dropped = frozenset() if inp.relaxed else inp.dropped_lines
    for item_id, row in rows.items():
        ub = count_bound(inp, row, budget_usd=inp.budget_usd)
        for role in _ROLE_OF[row["category"]]:
            if (item_id, role) not in dropped:
                count[(item_id, role)] = pulp.LpVariable(var_name("n", item_id, role), lowBound=0, upBound=ub, cat=cat)
        if (item_id, "inference") in count:  # replicas run on the inference line
            for use in ("synthetic", "agents"):
                replicas.update(_replica_variable(inp, item_id, row, use, cat))
    flow = Flows(**{name: pulp.LpVariable(name, lowBound=0, cat=flow_category(name, inp)) for name in FLOW_NAMES})
    cost_terms = [(count[k], float(rows[k[0]]["unit_cost_usd"]) / MUSD) for k in count]
    fabric = _fabric_variables(inp, count)
    if fabric:
        cost_terms.append((fabric["network_extra"], 1.0))
    power_terms = [(count[k], float(rows[k[0]]["facility_kw"])) for k in count]
    model = BuiltModel(
        inp=inp,
        problem=problem,
        count=count,
        replicas=replicas,
        flow=flow,
        cost_musd=pulp.LpAffineExpression(cost_terms),
        power_kw=pulp.LpAffineExpression(power_terms),
        fabric=fabric,
    )
    define_purchase_variables(model)
    return model


def _fabric_variables(inp: ModelInput, count: dict[tuple[str, str], pulp.LpVariable]) -> dict[str, pulp.LpVariable]:
    """``three_tier`` (binary: the owned fleet outgrows a two-tier fabric) and ``network_extra``
    (MUSD: the three-tier uplift it then pays), when some owned accelerator has an uplift."""
    rows = inp.rows
    if not any(float(rows[i]["network_tier3_usd"]) > 0 and rows[i]["mode"] == "own" for i, _ in count):
        return {}
    if inp.fabric_tiers == 2:
        return {}  # define_fabric caps the owned fleet at two tiers; no uplift
    out = {"network_extra": pulp.LpVariable("x_fabric_uplift", lowBound=0)}
    if inp.fabric_tiers is None:
        cat_bin = pulp.LpContinuous if inp.relaxed else pulp.LpBinary
        out["three_tier"] = pulp.LpVariable("y_fabric_three_tier", lowBound=0, upBound=1, cat=cat_bin)
    return out


def _replica_variable(inp: ModelInput, item_id: str, row: dict[str, Any], use: str, cat: str) -> dict[tuple[str, str], pulp.LpVariable]:
    """An integer replica count for (item, workload) when some replica shape serves it; bounded by
    the budget over the cost of one replica's units."""
    units = float(row[f"{use}_units_per_replica"])
    if not math.isfinite(units) or row[f"{use}_replica_tokens"] <= 0:
        return {}
    ub = None
    if inp.budget_usd is not None and row["unit_cost_usd"] > 0:
        ub = math.floor(inp.budget_usd / (row["unit_cost_usd"] * units) + 1e-9)
    return {(item_id, use): pulp.LpVariable(var_name("r", item_id, use), lowBound=0, upBound=ub, cat=cat)}


def flow_category(name: str, inp: ModelInput) -> str:
    """Agents ``A`` are whole agents (integer) unless the input is relaxed; other flows are continuous."""
    return pulp.LpInteger if name == "A" and not inp.relaxed else pulp.LpContinuous


BIG_M_BUDGET_FACTOR = 100.0  # without a budget (least-budget diagnosis), counts are bounded by 100x the scenario's budget


def count_bound(inp: ModelInput, row: dict[str, Any], *, budget_usd: float | None) -> float | None:
    """The most units of one item a plan can hold in one role, ``floor(min(B / c, W / w))``: the
    budget ``B`` over the unit cost ``c`` (USD) and the facility power cap ``W`` over the unit's
    facility power ``w`` (kW; the power row sums every count times its ``w >= 0``, so no count
    exceeds it alone). A term is left out when its figure is missing or zero; None when both are."""
    bounds = []
    if budget_usd is not None and row["unit_cost_usd"] > 0:
        bounds.append(budget_usd / float(row["unit_cost_usd"]))
    if inp.power_cap_kw is not None and row["facility_kw"] > 0:
        bounds.append(inp.power_cap_kw / float(row["facility_kw"]))
    return float(math.floor(min(bounds) + 1e-9)) if bounds else None


def big_m(inp: ModelInput, row: dict[str, Any]) -> float:
    """The big-M of an item's bought-or-not binary: :func:`count_bound`, with 100x the scenario's
    budget in place of a dropped budget, and 1e9 units when nothing bounds the count."""
    budget = inp.budget_usd if inp.budget_usd is not None else BIG_M_BUDGET_FACTOR * inp.scenario.budget_usd
    ub = count_bound(inp, row, budget_usd=budget)
    return 1e9 if ub is None else ub


def needs_binaries(inp: ModelInput, role: str, items_in_role: int) -> bool:
    """Bought-or-not binaries are needed when a role may hold more models than allowed, or for
    the one-family rule in training (minimum orders add their own, see define_purchase_variables)."""
    proc = inp.scenario.procurement
    return items_in_role > proc.max_models_per_role or (role == "training" and proc.one_training_family)


def define_purchase_variables(m: BuiltModel) -> None:
    """Order lots (``count = order_multiple x lots``, integer lots) where the multiple exceeds 1,
    bought-or-not binaries where a model limit, a family rule or a minimum order needs them, and
    one binary per accelerator family for the training cluster. Relaxed inputs make them continuous."""
    inp, rows = m.inp, m.inp.rows
    cat_int = pulp.LpContinuous if inp.relaxed else pulp.LpInteger
    cat_bin = pulp.LpContinuous if inp.relaxed else pulp.LpBinary
    models: dict[str, set[str]] = {}  # role -> catalog models with a line in it
    for item_id, role in m.count:
        models.setdefault(role, set()).add(rows[item_id]["base_id"])
    for item_id, role in m.count:
        multiple, least = int(rows[item_id]["order_multiple"]), int(rows[item_id]["min_order_quantity"])
        ub = big_m(inp, rows[item_id])
        m.count_ub[(item_id, role)] = ub
        if multiple > 1:
            m.lots[(item_id, role)] = pulp.LpVariable(var_name("k", item_id, role), lowBound=0, upBound=ub // multiple, cat=cat_int)
        if least > multiple or needs_binaries(inp, role, len(models[role])):
            m.bought[(item_id, role)] = pulp.LpVariable(var_name("z", item_id, role), lowBound=0, upBound=1, cat=cat_bin)
    lines: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for item_id, role in m.bought:
        lines.setdefault((str(rows[item_id]["base_id"]), role), []).append((item_id, role))
    for (model, role), keys in lines.items():
        # one flag per catalog model: its own line's, or one above all its lines (owned and rented)
        m.model_used[(model, role)] = (
            m.bought[keys[0]] if len(keys) == 1 else pulp.LpVariable(var_name("u", model, role), lowBound=0, upBound=1, cat=cat_bin)
        )
    if inp.scenario.procurement.one_training_family:
        families = sorted({str(rows[i]["family"]) for i, r in m.count if r == "training"})
        for fam in families:
            m.family[fam] = pulp.LpVariable(var_name("f", fam, "training"), lowBound=0, upBound=1, cat=cat_bin)
