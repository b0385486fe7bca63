"""The solved plan as a tree of small frozen dataclasses.

Field names are the JSON contract's names (``schemas/plan.schema.json``) with units in the names;
``planner.serialize.to_dict`` converts the tree field by field. Fields that are context for reports
rather than part of the contract carry ``metadata={"json": False}``; a field published under
another key carries ``metadata={"json": "key"}``.

Extending: a time dimension adds a ``periods`` tuple of per-period sections and cost views add
sections beside ``cost_usd``; nothing here is renamed for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .physics import SpeedupCurve
    from .scenario import Scenario

ROLES = ("training", "inference", "verification", "memory")
SCHEMA_VERSION = "1.5"


CONTEXT = {"json": False}  # a field kept for reports and exports, not part of the JSON contract


class PlanStatus(enum.Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"


@dataclass(frozen=True)
class LineItem:
    """One (item, role) purchase. Money in USD, power in kW; opex over the horizon."""

    id: str
    name: str
    vendor: str
    category: str
    kind: str
    role: str
    quantity: int
    unit_price_usd: float
    extended_price_usd: float
    unit_opex_usd: float
    extended_opex_usd: float
    power_kw: float
    facility_kw: float
    price_basis: str | None
    price_source: str | None
    price_date: str | None
    price_origin: str | None
    lead_time_weeks: float | None
    synthetic_units: float | None = None
    agent_units: float | None = None
    synthetic_replicas: int | None = None
    agent_replicas: int | None = None
    # --- acquisition and the whole cost of ownership (planner.tco, planner.acquisition)
    mode: str = "own"  # own, or the offer's mode: on-demand, spot, reserved-1y, reserved-3y
    provider: str | None = None  # the offer's provider (rented lines)
    region: str | None = None
    offer_id: str | None = None  # <item>@<provider>:<mode>, the key of a rented line
    unit_device_price_usd: float = 0.0  # catalog price_usd (the device or rack)
    unit_host_share_usd: float = 0.0  # catalog host_share_usd
    host_share_basis: str | None = None
    host_share_source: str | None = None
    unit_cost_components_usd: dict[str, float] = field(default_factory=dict)  # per unit over the horizon, in the cost view
    unit_capital_usd: float = 0.0  # capital components per unit, in the cost view
    unit_cash_capital_usd: float = 0.0  # cash for the unit's hardware when bought: device, host, fabric, storage, data centre
    extended_capital_usd: float = 0.0
    unit_cost_usd: float = 0.0  # every component per unit over the horizon
    extended_cost_usd: float = 0.0
    usd_per_device_hour: float | None = None  # all components per useful device-hour: busy hours x delivery share (accelerators)
    offer_usd_per_device_hour: float | None = None  # the offer's quoted rate (rented lines)
    acquisition_reason: str | None = None  # why this mode (accelerators)
    order_by: str | None = None  # ISO date the order must be placed (owned lines; planner.timeline)
    delivery: str | None = None  # ISO date the units arrive (rented: at once)
    late: bool = False  # ordered after its order-by date (only with procurement.allow_late)

    @property
    def key(self) -> str:
        """The line's acquisition key: the catalog id when owned, the offer id when rented."""
        return self.offer_id or self.id


@dataclass(frozen=True)
class CostUSD:
    capex: float
    opex: float
    total: float
    opex_energy: float
    opex_maintenance: float
    opex_labour: float
    remaining_budget: float
    view: str = "cash"  # the cost view capex is charged in (costs.view)
    purchase: float = 0.0  # cash paid for owned hardware: devices, hosts, fabric, storage, data-centre capex
    components: dict[str, float] = field(default_factory=dict)  # every component of planner.tco over the plan (USD)


@dataclass(frozen=True)
class LateItem:
    """An item that cannot arrive by the start date: its order-by date is past (ISO dates)."""

    id: str
    lead_time_weeks: float
    order_by: str
    earliest_delivery: str
    planned: bool  # let in anyway (procurement.allow_late)


@dataclass(frozen=True)
class FleetRow:
    """Units of one item serving one role in a period (a line key: catalog id owned, offer id rented)."""

    id: str
    role: str
    quantity: int


@dataclass(frozen=True)
class PeriodCost:
    """A period's cost in the scenario's view (USD, undiscounted): capital charged, opex, total."""

    capex: float
    opex: float
    total: float


@dataclass(frozen=True)
class RoleChange:
    """Owned units of one item moved into a role at a period's start, and their cost
    (``periods.role_change_usd`` per unit)."""

    id: str
    quantity: int
    cost_usd: float


@dataclass(frozen=True)
class PeriodSection:
    """One period of a periodised plan (``planner.periodic``): dates, alpha against its floor,
    cost in the scenario's view and in both views, the fleet by item and role, what it delivers."""

    index: int
    start: str
    end: str
    years: float
    alpha: float | None
    alpha_floor: float
    cost_usd: PeriodCost
    spend_by_role_usd: dict[str, float]
    fleet: tuple[FleetRow, ...]
    budget_usd: float | None  # the period's own cap (per-period budgets); null when the budget is a total
    cash_usd: float  # cash paid in the period: hardware paid (at delivery or order) and opex
    amortised_usd: float  # level capital charges of the units in service and opex
    progress: float | None
    training_tokens: float
    exogenous_tokens: float
    synthetic_tokens: float
    agents: float
    speedup: float
    facility_kw: float
    power_cap_kw: float | None
    discount_factor: float  # (1 + cost_of_capital)^-offset at the period's start
    binding_constraints: tuple[str, ...] = ()
    role_changes: tuple[RoleChange, ...] = ()  # units moved into a role at the period's start (periods.role_change_usd)


@dataclass(frozen=True)
class OrderRow:
    """One order of owned units: ``period`` is the first period they serve (delivered at its
    start), ``order_period`` the period the order date falls in (null: before the plan starts)."""

    id: str
    role: str
    quantity: int
    order_by: str
    delivery: str
    period: int
    order_period: int | None
    retires: str  # the first day the units no longer serve (delivery + lifetime)
    lifetime_years: float
    unit_price_usd: float  # purchase price of one unit at the order date (device and host on the price path)
    unit_capital_usd: float  # cash for one unit's hardware: price, fabric, storage, data-centre share
    extended_capital_usd: float
    late: bool = False  # its order-by date was past when planned (procurement.allow_late)


@dataclass(frozen=True)
class CostView:
    """The plan's totals in one cost view (USD, undiscounted; ``present_value`` discounted at the
    cost of capital to the plan's start, salvage deducted)."""

    capex: float
    opex: float
    total: float
    salvage: float  # book value of units in service at the end (cash view), 0 amortised
    present_value: float


@dataclass(frozen=True)
class UnitCosts:
    """What a unit of useful work costs: per busy device-hour by line key (catalog id owned, offer id
    rented), all components and by component; per million output tokens served (inference spend
    over agent and synthetic tokens); per 1e24 FLOP trained (training spend over 6 N_active tokens)."""

    usd_per_device_hour: dict[str, float]
    components_usd_per_device_hour: dict[str, dict[str, float]]
    usd_per_million_output_tokens: float | None
    usd_per_1e24_training_flop: float | None


@dataclass(frozen=True)
class BreakEvenRow:
    """Owning an accelerator against its cheapest offer in one mode (see planner.acquisition)."""

    id: str
    mode: str
    provider: str
    offer_usd_per_device_hour: float
    effective_usd_per_device_hour: (
        float  # per useful busy hour (on demand: the rate; spot: rate / (1 - o)); reserved: per hour of the horizon
    )
    own_fixed_usd_per_device_hour: float
    own_energy_usd_per_busy_hour: float
    own_usd_per_busy_device_hour: float
    break_even_utilisation: float | None  # null: the costs do not cross within a busy share of 0 to 1 (see own_cheaper)
    break_even_months: float | None
    own_wins: str  # "above" (on-demand, spot) or "below" (reserved) the break-even utilisation
    own_cheaper: bool  # at the scenario's busy share


@dataclass(frozen=True)
class Tokens:
    """Token flows (counts) and the capacities that bound them."""

    exogenous_external: float
    exogenous_verified: float
    exogenous: float
    synthetic: float
    total: float
    external_available: float
    verified_capacity: float
    training_capacity: float


@dataclass(frozen=True)
class SpeedupDetail:
    counted: float
    law: float
    interpolated: float
    max_interpolation_error: float
    ceiling: float


@dataclass(frozen=True)
class Progress:
    """``value`` is P for max-progress and null for min-cost."""

    value: float | None
    bottleneck: str | None = None
    from_speedup: float | None = None
    from_tokens: float | None = None


@dataclass(frozen=True)
class MemoryGB:
    """Agent contexts (GB) against free HBM of agent replicas and the capacity tier, where they are
    held (HBM first) and what a GB costs in each tier (USD/GB, capex + opex of the units)."""

    needed_gb: float
    hbm_free_gb: float
    capacity_tier_gb: float
    available_gb: float
    held_in_hbm_gb: float = 0.0
    held_in_capacity_tier_gb: float = 0.0
    hbm_usd_per_gb: float | None = None
    capacity_tier_usd_per_gb: float | None = None


@dataclass(frozen=True)
class ReplicaCapability:
    """One replica of an item serving one workload (agents or synthetic), as chosen before modelling."""

    workload: str
    devices_per_replica: int
    pipeline_stages: int
    batch: int
    batch_limit: str  # memory, batch cap or sequence speed
    weights_gb: float
    kv_gb: float  # KV cache of the batch
    kv_free_gb: float  # usable memory after the weights
    tokens_per_s_per_replica: float
    tokens_per_s_per_device: float
    bound: str  # the roofline term that binds


@dataclass(frozen=True)
class ItemCapability:
    """What one unit of an accelerator delivers: training tokens and FLOP/s, and its replicas."""

    id: str
    devices_per_unit: int
    training_tokens_per_unit: float
    training_flop_per_s_per_unit: float
    agents: ReplicaCapability | None
    synthetic: ReplicaCapability | None


@dataclass(frozen=True)
class ServingLine:
    """Replicas bought per (item, workload) and what binds their number: ``replica size`` (weights
    force more devices than throughput needs), ``memory`` (more replicas for HBM than throughput
    needs) or ``throughput``."""

    id: str
    workload: str
    replicas: int
    devices: int
    devices_for_throughput: float
    tokens_per_s_capacity: float
    binds: str


@dataclass(frozen=True)
class TrainingFleet:
    """The plan's training fleet: ``flop = 6 P_active tokens``; ``device_hours = flop / F_eff``
    per device (goodput included); ``days_to_train`` wall clock at facility availability."""

    devices: int
    tokens: float
    flop: float
    flop_per_s_effective: float
    device_hours: float
    days_to_train: float


@dataclass(frozen=True)
class PowerKW:
    it_kw: float
    facility_kw: float
    cap_kw: float | None


@dataclass(frozen=True)
class ConstraintRow:
    """A constraint ``lhs sense rhs`` in model units, with its slack and whether it binds."""

    name: str
    family: str
    description: str
    unit: str
    lhs: float
    sense: str
    rhs: float
    slack: float
    binding: bool


@dataclass(frozen=True)
class MarginalValue:
    value: float | None
    unit: str
    meaning: str


@dataclass(frozen=True)
class Objective:
    name: str
    value: float
    unit: str
    weights: dict[str, Any]
    solver_objective: float | None


@dataclass(frozen=True)
class SolverInfo:
    name: str
    status: str
    variables: int
    constraints: int


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds; published only on request (``--timings``) so output is reproducible."""

    solve_seconds: float
    solve_seconds_total: float
    end_to_end_seconds: float


@dataclass(frozen=True)
class Plan:
    """A solved plan. Money in USD, power in kW, memory in GB, tokens as counts."""

    schema_version: str
    tool_version: str
    scenario_name: str = field(metadata={"json": "scenario"})
    status: PlanStatus
    budget_usd: float
    alpha_floor: float
    alpha_floor_basis: str
    alpha: float | None
    regime: str
    regime_note: str
    cost_usd: CostUSD
    spend_by_role_usd: dict[str, float]
    spend_by_role_share: dict[str, float]
    spend_by_role_capex_usd: dict[str, float]
    spend_by_role_opex_usd: dict[str, float]
    items: tuple[LineItem, ...]
    tokens: Tokens
    agents: float
    speedup: float
    speedup_detail: SpeedupDetail
    progress: Progress
    memory_gb: MemoryGB
    power_kw: PowerKW
    training: TrainingFleet
    serving: tuple[ServingLine, ...]
    item_capabilities: tuple[ItemCapability, ...]
    binding_constraints: tuple[str, ...]
    explanations: tuple[str, ...]  # what limits the plan, in words (planner.explain)
    constraints: tuple[ConstraintRow, ...]
    marginal_values: dict[str, MarginalValue]
    objective: Objective
    solver: SolverInfo
    warnings: tuple[str, ...]
    catalog_overlays: tuple[str, ...]
    dominated_items: dict[str, str]
    assumptions: dict[str, Any]
    timings: Timings = field(metadata=CONTEXT)
    scenario: Scenario = field(metadata=CONTEXT)
    curve: SpeedupCurve = field(metadata=CONTEXT)
    capabilities: pd.DataFrame = field(metadata=CONTEXT)
    symbols: tuple[dict[str, Any], ...] = field(metadata=CONTEXT)
    sources: dict[str, dict[str, dict[str, Any]]] = field(metadata=CONTEXT)  # item -> attribute -> provenance
    measured_alpha: dict[str, Any] | None = None  # the floor against manifests (plan --alpha-from)
    unit_costs: UnitCosts | None = None
    break_even: tuple[BreakEvenRow, ...] = ()
    busy_fraction: float = 1.0
    spend_by_mode_usd: dict[str, float] = field(default_factory=dict)  # own, on-demand, spot, reserved-1y, reserved-3y
    late_items: tuple[LateItem, ...] = ()
    robust: Any = None  # planner.robust.RobustSummary: the plan serves every sampled world (plan --robust S)
    periods: tuple[PeriodSection, ...] = ()  # a periodised plan's periods (planner.periodic); empty for one period
    orders: tuple[OrderRow, ...] = ()  # a periodised plan's order calendar
    cost_views: dict[str, CostView] = field(default_factory=dict)  # cash and amortised totals of a periodised plan

    # ---------------------------------------------------------------- views

    @property
    def line_items(self) -> pd.DataFrame:
        """The items as a DataFrame, one row per (item, role), in report order."""
        return frame(self.items, LineItem)

    @property
    def spend_by_role(self) -> pd.DataFrame:
        """role, capex_usd, opex_usd, total_usd, share: one row per role."""
        rows = [
            {
                "role": r,
                "capex_usd": self.spend_by_role_capex_usd[r],
                "opex_usd": self.spend_by_role_opex_usd[r],
                "total_usd": self.spend_by_role_usd[r],
                "share": self.spend_by_role_share[r],
            }
            for r in ROLES
        ]
        return pd.DataFrame(rows)

    def frame(self, section: str) -> pd.DataFrame:
        """A section as a DataFrame: ``items``, ``constraints``, ``marginal_values``, ``spend_by_role``."""
        if section in ("items", "line_items"):
            return self.line_items
        if section == "spend_by_role":
            return self.spend_by_role
        if section == "constraints":
            return frame(self.constraints, ConstraintRow)
        if section == "marginal_values":
            rows = [{"name": k, **vars(v)} for k, v in self.marginal_values.items()]
            return pd.DataFrame(rows, columns=["name", "value", "unit", "meaning"])
        raise KeyError(f"unknown section {section!r}; expected items, constraints, marginal_values or spend_by_role")

    def to_dict(self, *, timings: bool = False) -> dict[str, Any]:
        """The JSON contract of ``plan --format json`` (schemas/plan.schema.json)."""
        from .serialize import to_dict

        return to_dict(self, timings=timings)


def frame(rows: tuple[Any, ...], cls: type) -> pd.DataFrame:
    """Rows of dataclass ``cls`` as a DataFrame with one column per field, even when empty."""
    from dataclasses import fields

    columns = [f.name for f in fields(cls)]
    return pd.DataFrame([vars(r) for r in rows], columns=columns)
