"""Data passed into and out of the model builder."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import pandas as pd
import pulp

from ..physics import SpeedupCurve
from ..scenario import Scenario

GTOK = 1e9  # tokens per model token unit
MUSD = 1e6  # USD per model money unit
ROLES = ("training", "inference", "verification", "memory")
ModelObjective = Literal["min-cost", "max-progress", "min-power"]
Stage = Literal["progress", "cost", "power"]


@dataclass(frozen=True)
class ModelInput:
    """Everything the builder needs; relaxations for diagnosis are expressed here.

    ``budget_usd`` / ``power_cap_kw`` of ``None`` drop that constraint. ``stage`` is what this
    solve optimises: ``progress`` (maximise P, stage 1 of max-progress), ``cost`` (minimise cost:
    min-cost, or stage 2 of max-progress with ``progress_floor`` set), ``power`` (minimise kW, for
    diagnosis). ``objective`` is the plan's objective, which decides whether progress is modelled.
    """

    scenario: Scenario
    caps: pd.DataFrame  # planner.physics.capabilities of the eligible items
    curve: SpeedupCurve
    budget_usd: float | None
    power_cap_kw: float | None
    alpha_floor: float
    objective: ModelObjective
    stage: Stage
    progress_floor: float | None = None  # max-progress stage 2: P >= this, minimise cost
    relaxed: bool = False  # continuous purchase counts (LP relaxation), for marginal values
    fabric_tiers: int | None = None  # None: the model chooses two or three tiers (a binary); 2 or 3: fixed (relaxations)
    # accelerator lines (item id, role) another line makes redundant (planner.dominance.dominated_lines):
    # the MILP leaves them out, LP relaxations keep them
    dropped_lines: frozenset[tuple[str, str]] = frozenset()

    @cached_property
    def rows(self) -> dict[str, dict[str, Any]]:
        """``caps`` as plain dicts, item id -> column -> value, read once per input.

        The builder reads a few columns of every item many times; a scalar ``caps.at`` read costs
        microseconds (more with Arrow-backed strings), a dict lookup nanoseconds.
        """
        columns = list(self.caps.columns)
        values = (self.caps[c].tolist() for c in columns)
        return {i: dict(zip(columns, vals, strict=True)) for i, *vals in zip(self.caps.index.tolist(), *values, strict=True)}

    @property
    def models_progress(self) -> bool:
        """Progress P and its Leontief cuts are in the model (max-progress, both stages)."""
        return self.objective == "max-progress"


FLOW_NAMES = ("E_ext", "E_ver", "E_fpga", "G", "A", "Z", "P")


@dataclass(frozen=True)
class Flows:
    """Token and agent flows (continuous, non-negative). Tokens in Gtok.

    ``E_ext`` external exogenous tokens used; ``E_ver`` verified exogenous tokens, of which
    ``E_fpga`` checked on FPGAs; ``G`` synthetic tokens; ``A`` agents served; ``Z`` research
    speedup counted; ``P`` progress.
    """

    E_ext: pulp.LpVariable
    E_ver: pulp.LpVariable
    E_fpga: pulp.LpVariable
    G: pulp.LpVariable
    A: pulp.LpVariable
    Z: pulp.LpVariable
    P: pulp.LpVariable

    @property
    def exogenous(self) -> pulp.LpAffineExpression:
        """E = E_ext + E_ver (Gtok)."""
        return self.E_ext + self.E_ver

    @property
    def trained(self) -> pulp.LpAffineExpression:
        """E + G, every token trained on (Gtok)."""
        return self.E_ext + self.E_ver + self.G

    def values(self) -> dict[str, float]:
        """Solved values by name, negative round-off clipped to 0 (model units)."""
        return {k: max(0.0, float(getattr(self, k).value() or 0.0)) for k in FLOW_NAMES}


@dataclass
class ConstraintInfo:
    """A named constraint ``lhs sense rhs`` with both sides kept for reporting."""

    name: str
    family: str
    constraint: pulp.LpConstraint
    lhs: pulp.LpAffineExpression
    sense: str
    rhs: pulp.LpAffineExpression
    description: str
    unit: str


@dataclass
class BuiltModel:
    inp: ModelInput
    problem: pulp.LpProblem
    count: dict[tuple[str, str], pulp.LpVariable]  # (item id, role) -> integer units
    replicas: dict[tuple[str, str], pulp.LpVariable]  # (item id, "synthetic"|"agents") -> integer replicas
    flow: Flows
    cost_musd: pulp.LpAffineExpression
    power_kw: pulp.LpAffineExpression
    constraints: dict[str, ConstraintInfo] = field(default_factory=dict)
    # purchase granularity (define_purchase_variables): order lots, bought-or-not binaries, families
    lots: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)  # count = order_multiple x lots
    bought: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)  # 1 if the (item, role) line exists
    family: dict[str, pulp.LpVariable] = field(default_factory=dict)  # 1 if the training cluster is of this family
    count_ub: dict[tuple[str, str], float] = field(default_factory=dict)  # big-M of each count (units)
    # (catalog model, role) -> 1 if any line of the model (owned or rented) is bought in the role
    model_used: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    fabric: dict[str, pulp.LpVariable] = field(default_factory=dict)  # three_tier, network_extra (define_fabric)

    def add(self, name: str, family: str, lhs: Any, sense: str, rhs: Any, description: str, unit: str) -> None:
        """Add the named constraint ``lhs sense rhs`` (names are deterministic and unique)."""
        if name in self.constraints:
            raise ValueError(f"duplicate constraint name {name}")
        lhs_e, rhs_e = pulp.LpAffineExpression(lhs), pulp.LpAffineExpression(rhs)
        if sense == "<=":
            con = lhs_e <= rhs_e
        elif sense == ">=":
            con = lhs_e >= rhs_e
        elif sense == "==":
            con = lhs_e == rhs_e
        else:
            raise ValueError(f"unknown sense {sense!r}")
        self.problem += con, name
        self.constraints[name] = ConstraintInfo(name, family, con, lhs_e, sense, rhs_e, description, unit)
