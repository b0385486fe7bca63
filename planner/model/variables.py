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

import pandas as pd
import pulp

from .types import FLOW_NAMES, MUSD, BuiltModel, Flows, ModelInput

_ROLE_OF = {"verification": ("verification",), "audit": ("verification",), "memory": ("memory",), "accelerator": ("training", "inference")}


def var_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts)


def define_variables(problem: pulp.LpProblem, inp: ModelInput) -> BuiltModel:
    caps = inp.caps
    count: dict[tuple[str, str], pulp.LpVariable] = {}
    replicas: dict[tuple[str, str], pulp.LpVariable] = {}
    cat = pulp.LpContinuous if inp.relaxed else pulp.LpInteger
    for item_id, row in caps.iterrows():
        ub = None
        if inp.budget_usd is not None and row["unit_cost_usd"] > 0:
            ub = math.floor(inp.budget_usd / row["unit_cost_usd"] + 1e-9)
        for role in _ROLE_OF[row["category"]]:
            count[(item_id, role)] = pulp.LpVariable(var_name("n", item_id, role), lowBound=0, upBound=ub, cat=cat)
        if row["category"] == "accelerator":
            for use in ("synthetic", "agents"):
                replicas.update(_replica_variable(inp, item_id, row, use, cat))
    flow = Flows(**{name: pulp.LpVariable(name, lowBound=0) for name in FLOW_NAMES})
    cost_terms = [(count[k], float(caps.at[k[0], "unit_cost_usd"]) / MUSD) for k in count]
    power_terms = [(count[k], float(caps.at[k[0], "facility_kw"])) for k in count]
    return BuiltModel(
        inp=inp,
        problem=problem,
        count=count,
        replicas=replicas,
        flow=flow,
        cost_musd=pulp.LpAffineExpression(cost_terms),
        power_kw=pulp.LpAffineExpression(power_terms),
    )


def _replica_variable(inp: ModelInput, item_id: str, row: pd.Series, use: str, cat: str) -> dict[tuple[str, str], pulp.LpVariable]:
    """An integer replica count for (item, workload) when some replica shape serves it; bounded by
    the budget over the cost of one replica's units."""
    units = float(row[f"{use}_units_per_replica"])
    if not math.isfinite(units) or row[f"{use}_replica_tokens"] <= 0:
        return {}
    ub = None
    if inp.budget_usd is not None and row["unit_cost_usd"] > 0:
        ub = math.floor(inp.budget_usd / (row["unit_cost_usd"] * units) + 1e-9)
    return {(item_id, use): pulp.LpVariable(var_name("r", item_id, use), lowBound=0, upBound=ub, cat=cat)}
