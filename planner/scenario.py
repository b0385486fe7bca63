"""Scenario schema, defaults, loading and validation.

A scenario holds every assumption of a plan with its unit in its name. Files are YAML; every
field has a default (``planner/data/default.yaml`` documents each one with its source), so a
scenario file only lists what differs. Unknown fields are errors, so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from hwcatalog.errors import CatalogError
from hwcatalog.safeio import excerpt, load_yaml, read_text

from .errors import ScenarioError
from .fields import nested
from .floor import DEFAULT_COLLAPSE_SAMPLES, DEFAULT_COLLAPSE_TOLERANCE, derived, is_auto, resolve_auto_floor
from .limits import MAX_SCENARIO_BYTES, range_problem
from .periods import PeriodsSpec, grid, hoist, value_in
from .uncertainty import UncertaintySpec
from .units import parse_share, parser_for

Objective = Literal["min-cost", "max-progress"]
MIN_ALPHA_FLOOR = 1e-4  # below this CBC's tolerances make the floor numerically zero (see docs/model.md)
SolverName = Literal["cbc", "highs"]


class _Strict(BaseModel):
    """Unknown fields are errors; text with a unit is parsed by the field's unit suffix
    (``budget_usd: 5B``, ``power_cap_kw: 20MW``); a boolean never stands for a number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _units_and_booleans(cls, v: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        annotation = str(cls.model_fields[name].annotation) if name in cls.model_fields else ""
        if isinstance(v, bool) and "bool" not in annotation and ("float" in annotation or "int" in annotation):
            raise ValueError(f"expected a number, got a boolean ({v}); YAML reads yes/no/on/off/true/false as booleans")
        parser = parser_for(name)
        if parser is None and name in cls.model_fields and _is_share(cls.model_fields[name].description):
            parser = parse_share  # a share may be written 0.25 or 25%
        if parser is not None and isinstance(v, str):
            return parser(v)
        return v


def _is_share(description: str | None) -> bool:
    """Fields documented in the unit ``(fraction)`` or ``(fraction/year)`` are shares."""
    return bool(description) and description.rstrip().endswith(("(fraction)", "(fraction/year)"))  # type: ignore[union-attr]


class ModelSpec(_Strict):
    """The model being trained and served."""

    total_params: float = Field(gt=0, description="Total parameters (parameters)")
    active_params: float = Field(gt=0, description="Parameters active per token, = total for dense models (parameters)")
    bytes_per_param: float = Field(gt=0, le=8, description="Bytes per parameter of the served weights (bytes)")
    kv_bytes_per_token: float = Field(gt=0, description="KV-cache bytes per token of context (bytes)")
    # --- serving physics (issue 9): attention FLOP and mixture-of-experts routing
    attention_width: float = Field(
        ge=0, description="Layers x query heads x head dimension; attention costs 4 x this FLOP per token per context token (dims)"
    )
    experts: int | None = Field(default=None, ge=1, description="Routed experts per MoE layer, null for a dense model (experts)")
    experts_per_token: int | None = Field(
        default=None, ge=1, description="Routed experts each token uses, null for a dense model (experts)"
    )
    shared_params: float | None = Field(
        default=None, ge=0, description="Parameters outside the routed experts: attention, embeddings, shared experts (parameters)"
    )

    @model_validator(mode="after")
    def _active_le_total(self) -> ModelSpec:
        if self.active_params > self.total_params:
            raise ValueError("active_params must not exceed total_params")
        moe = (self.experts, self.experts_per_token, self.shared_params)
        if any(v is not None for v in moe) and any(v is None for v in moe):
            raise ValueError("a mixture-of-experts model needs experts, experts_per_token and shared_params together")
        if self.experts is not None and self.experts_per_token is not None and self.experts_per_token > self.experts:
            raise ValueError("experts_per_token must not exceed experts")
        if self.shared_params is not None and self.shared_params > self.active_params:
            raise ValueError("shared_params must not exceed active_params")
        return self

    @property
    def is_moe(self) -> bool:
        return self.experts is not None


class TrainingSpec(_Strict):
    mfu: float = Field(gt=0, le=1, description="Model FLOPs utilisation of training (fraction)")
    precision: Literal["bf16", "fp8"] = Field(description="Matrix precision used for training throughput (bf16 or fp8)")
    # --- training physics (issue 9): MFU is quoted against the BF16 dense peak on every precision
    fp8_speedup: float = Field(ge=1, le=2, description="Training throughput gain of FP8 over BF16 at the same MFU basis (x)")
    moe_efficiency: float = Field(gt=0, le=1, description="MFU of MoE training relative to dense (all-to-all, grouped GEMMs) (fraction)")
    goodput: float = Field(
        gt=0, le=1, description="Share of training time kept after restarts and failures, apart from facility availability (fraction)"
    )


class InferenceSpec(_Strict):
    precision: Literal["bf16", "fp8"] = Field(description="Matrix precision used for decode compute (bf16 or fp8)")
    compute_utilization: float = Field(gt=0, le=1, description="Share of peak FLOP/s reached in decode (fraction)")
    bandwidth_utilization: float = Field(gt=0, le=1, description="Share of peak memory bandwidth reached in decode (fraction)")
    # --- replicas, prefill and memory-capped batches (issue 9)
    agent_batch: int = Field(
        ge=1, description="Largest batch per replica serving agents; the batch is the most that fits free memory up to this (sequences)"
    )
    synthetic_batch: int = Field(
        ge=1,
        description="Largest batch per replica generating synthetic data; the batch is the most that fits memory up to this (sequences)",
    )
    synthetic_input_tokens: float = Field(gt=0, description="Prompt tokens prefilled per synthetic sequence (tokens)")
    synthetic_output_tokens: float = Field(gt=0, description="Tokens generated per synthetic sequence (tokens)")
    weight_fill: float = Field(
        gt=0, le=1, description="Share of a device's memory usable by weights and KV cache, the rest for activations and buffers (fraction)"
    )
    scale_up_devices: int = Field(
        ge=1, le=1024, description="Devices in one scale-up domain for single-device units (an HGX node: 8) (devices)"
    )
    scale_up_min_gbps: float = Field(
        ge=0, description="Least interconnect_gbps of a scale-up domain; slower units (PCIe) have domains of one device (GB/s)"
    )
    pipeline_efficiency: float = Field(
        gt=0, le=1, description="Throughput kept per pipeline stage added across scale-up domains (fraction)"
    )
    max_replica_devices: int = Field(ge=1, le=100000, description="Largest replica the planner considers (devices)")


class AgentSpec(_Strict):
    tokens_per_s: float = Field(gt=0, description="Mean tokens generated per second by one agent (tokens/s)")
    context_tokens: float = Field(gt=0, description="Mean context held per agent (tokens)")
    input_tokens_per_output_token: float = Field(
        ge=0,
        description="New input tokens prefilled per output token: tool results, retrieved text; the held context is prefix-cached (tokens)",
    )
    max_agents: float = Field(gt=1, description="Upper end of the agent axis (agents)")
    scaling: Literal["amdahl", "usl"] = Field(description="Speedup law (amdahl or usl)")
    parallel_fraction: float = Field(ge=0, lt=1, description="Amdahl parallel fraction p (fraction)")
    usl_sigma: float = Field(ge=0, le=1, description="USL contention coefficient sigma (dimensionless)")
    usl_kappa: float = Field(ge=0, le=1, description="USL coherency coefficient kappa (dimensionless)")
    breakpoints: int = Field(ge=3, le=200, description="Breakpoints of the piecewise-linear speedup curve (count)")


class DataSpec(_Strict):
    tokens_per_check: float = Field(gt=0, description="Exogenous training tokens one verified check yields (tokens)")
    external_tokens: float = Field(ge=0, description="Exogenous tokens available without verification over the horizon (tokens)")
    fpga_checkable_fraction: float = Field(ge=0, le=1, description="Share of checks expressible as FPGA streaming kernels (fraction)")


class FacilitySpec(_Strict):
    electricity_usd_per_kwh: float = Field(ge=0, description="Electricity price (USD/kWh)")
    pue: float = Field(ge=1, le=3, description="Power usage effectiveness (facility kW / IT kW)")
    power_cap_kw: float | None = Field(default=None, gt=0, description="Facility power cap, null for none (kW)")
    availability: float = Field(gt=0, le=1, description="Share of the horizon the hardware does useful work (fraction)")
    maintenance_rate_per_year: float = Field(ge=0, le=1, description="Maintenance cost per year as a share of capex (fraction/year)")


class ProgressSpec(_Strict):
    tokens_per_unit: float = Field(gt=0, description="Grounded training tokens per unit of progress (tokens)")
    lexicographic_tolerance: float = Field(ge=0, le=1e-2, description="Relative progress the cost stage may give up (fraction)")


class Targets(_Strict):
    training_tokens: float | None = Field(default=None, ge=0, description="Training tokens to reach (tokens)")
    agents: float | None = Field(default=None, ge=0, description="Parallel agents to serve (agents)")
    speedup: float | None = Field(default=None, ge=0, description="Research speedup to reach (x)")


class CatalogSelection(_Strict):
    only: tuple[str, ...] | None = Field(default=None, description="Plan only with these catalog ids (ids)")
    exclude: tuple[str, ...] = Field(default=(), description="Never buy these catalog ids (ids)")
    allow_cloud_only: bool = Field(default=False, description="Let cloud-only units with capitalised prices in (true/false)")


class CollapseFloorSpec(_Strict):
    """How ``alpha_floor: auto`` is derived from the collapse model (planner.floor)."""

    samples_per_refit: int = Field(
        default=DEFAULT_COLLAPSE_SAMPLES, ge=2, le=10**15, description="Samples n per refit of the model on its own output (samples)"
    )
    tolerance: float = Field(
        default=DEFAULT_COLLAPSE_TOLERANCE, gt=0, lt=1, description="Tolerated loss of diversity D after any refit (fraction)"
    )

    @field_validator("samples_per_refit", mode="before")
    @classmethod
    def _whole_count(cls, v: Any) -> Any:
        """A whole number written as a float or in YAML's exponent text (``1e15``) is that integer."""
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                return v
        return int(v) if isinstance(v, float) and v.is_integer() else v

    refits_per_year: float = Field(
        default=4.0,
        gt=0,
        le=365,
        description="Refits of the model on its own output a year; sets how fast loss accrues in a periodised plan (refits/year)",
    )


class ProcurementSpec(_Strict):
    """How a buyer orders: how many models per role, one accelerator family per training cluster,
    and where buying stops paying."""

    max_models_per_role: int = Field(default=2, ge=1, description="Most distinct catalog models bought for one role (models)")
    one_training_family: bool = Field(
        default=True, description="Train on one accelerator family (vendor) only, one collective-communication stack (true/false)"
    )
    min_progress_per_musd: float = Field(
        default=0.0, ge=0, description="Stop buying when one more USD 1M adds less progress than this; 0 = off (progress/USD 1M)"
    )
    allow_late: bool = Field(
        default=False,
        description="Let items whose order-by date (start_date - lead time) is past into the plan, with a warning (true/false)",
    )


class CostSpec(_Strict):
    """How capital cost is charged in time (``planner.costs``): the view, the cost of capital and
    the service life of owned hardware."""

    view: Literal["cash", "amortised"] = Field(
        default="cash", description="Cost view the budget applies to: cash (price paid at purchase) or amortised (cash | amortised)"
    )
    cost_of_capital: float = Field(default=0.08, ge=0, le=1, description="Cost of capital, the discount rate (fraction/year)")
    lifetime_years: float = Field(default=5.0, gt=0, le=20, description="Service life of owned hardware, for depreciation (years)")
    # --- the whole cost of ownership (planner/tco.py); every default is sourced in default.yaml
    network_usd_per_accelerator_two_tier: float = Field(
        default=0.0, ge=0, description="Scale-out fabric (switches, optics, cables) per accelerator, two-tier fat tree (USD/accelerator)"
    )
    network_usd_per_accelerator_three_tier: float = Field(
        default=0.0, ge=0, description="Scale-out fabric per accelerator once the fleet needs a three-tier fat tree (USD/accelerator)"
    )
    network_two_tier_max_accelerators: float = Field(
        default=2048, ge=1, description="Most accelerators a two-tier fat tree connects; beyond, three tiers (accelerators)"
    )
    storage_usd_per_pb: float = Field(default=0.0, ge=0, description="Parallel file system for data and checkpoints (USD/PB)")
    storage_pb_per_accelerator: float = Field(default=0.0, ge=0, description="Storage bought per accelerator (PB/accelerator)")
    facility: Literal["colocation", "owned"] = Field(
        default="colocation",
        description="Where owned hardware is housed: rented colocation space or an owned data centre (colocation | owned)",
    )
    colocation_usd_per_kw_month: float = Field(default=0.0, ge=0, description="Colocation rent per kW of IT load (USD/kW/month)")
    datacenter_usd_per_mw: float = Field(default=0.0, ge=0, description="Owned data centre capex per MW of IT load (USD/MW)")
    datacenter_lifetime_years: float = Field(default=20.0, gt=0, le=40, description="Service life of an owned data centre (years)")
    staff_accelerators_per_fte: float = Field(
        default=1000.0, gt=0, description="Accelerators one operations engineer runs (accelerators/FTE)"
    )
    staff_usd_per_fte_year: float = Field(default=0.0, ge=0, description="Loaded cost of one operations engineer (USD/FTE/year)")
    software_usd_per_accelerator_year: float = Field(
        default=0.0, ge=0, description="Cluster software and support licences (USD/accelerator/year)"
    )
    insurance_tax_rate_per_year: float = Field(
        default=0.0, ge=0, le=0.2, description="Insurance and property taxes as a share of purchase capex (fraction/year)"
    )


ACQUISITION_MODE = Literal["own", "on-demand", "spot", "reserved-1y", "reserved-3y"]


class AcquisitionSpec(_Strict):
    """How accelerators may be acquired (owned or rented through offers) and how busy the workload is."""

    modes: tuple[ACQUISITION_MODE, ...] = Field(
        default=("own", "on-demand", "spot", "reserved-1y", "reserved-3y"),
        min_length=1,
        description="Acquisition modes allowed for accelerators (own | on-demand | spot | reserved-1y | reserved-3y)",
    )
    busy_fraction: float = Field(
        default=1.0, gt=0, le=1, description="Share of the horizon the workload runs; owned units idle the rest (fraction)"
    )
    spot_availability: float = Field(default=0.9, gt=0, le=1, description="Share of busy hours spot capacity can be had (fraction)")
    bundled_offer_max_devices: int = Field(
        default=0,
        ge=0,
        description="Devices each bundled list-price offer may supply; 0 = bundled offers are price references only (devices)",
    )
    spot_preemption_overhead: float = Field(
        default=0.1, ge=0, lt=1, description="Share of spot time lost to preemptions and restarts from checkpoints (fraction)"
    )


class Scenario(_Strict):
    """Every assumption of one plan. Money in USD, power in kW, time in years or hours as named."""

    name: str = Field(default="scenario", description="Scenario name (text)")
    description: str = Field(default="", description="What the scenario describes (text)")
    budget_usd: float = Field(gt=0, description="Budget cap on capex + opex over the horizon (USD)")
    horizon_years: float = Field(gt=0, le=10, description="Planning horizon (years)")
    objective: Objective = Field(default="max-progress", description="Objective (min-cost or max-progress)")
    alpha_floor: float = Field(ge=0, le=1, description="Least exogenous share of training tokens (fraction)")
    start_date: dt.date | None = Field(
        default=None, description="When the hardware is needed; null = as soon as each item can arrive (date)"
    )
    model: ModelSpec
    training: TrainingSpec
    inference: InferenceSpec
    agents: AgentSpec
    data: DataSpec
    facility: FacilitySpec
    progress: ProgressSpec
    targets: Targets = Targets()
    catalog: CatalogSelection = CatalogSelection()
    procurement: ProcurementSpec = ProcurementSpec()
    costs: CostSpec = CostSpec()
    acquisition: AcquisitionSpec = AcquisitionSpec()
    solver: SolverName = Field(default="cbc", description="MILP solver (cbc or highs)")
    mip_gap: float = Field(default=1e-4, ge=0, le=0.05, description="Relative MIP gap at which the solver may stop (fraction)")
    alpha_floor_basis: str = Field(default="scenario", description="Where the floor came from (text)")
    collapse_floor: CollapseFloorSpec = Field(
        default_factory=CollapseFloorSpec, description="How alpha_floor: auto is derived from the collapse model (mapping)"
    )
    uncertainty: UncertaintySpec = Field(
        default_factory=UncertaintySpec, description="Distributions on fields and catalog figures, for plan montecarlo (mapping)"
    )
    periods: PeriodsSpec = Field(
        default_factory=PeriodsSpec, description="Time grid, per-period values and hardware in time; no start = one period (mapping)"
    )

    @field_validator("alpha_floor")
    @classmethod
    def _floor_resolvable(cls, v: float) -> float:
        if 0 < v < MIN_ALPHA_FLOOR:
            raise ValueError(
                f"expected 0 or a floor of at least {MIN_ALPHA_FLOOR:g}; smaller floors are below the solvers' numerical tolerance"
            )
        return v

    @model_validator(mode="after")
    def _targets_for_min_cost(self) -> Scenario:
        t = self.targets
        per_period = [x for k, v in self.periods.values.items() if k.startswith("targets.") and isinstance(v, tuple) for x in v]
        per_period += [v.first for k, v in self.periods.values.items() if k.startswith("targets.") and not isinstance(v, tuple)]
        if self.objective == "min-cost" and not any(x is not None and x > 0 for x in (t.training_tokens, t.agents, t.speedup, *per_period)):
            raise ValueError(
                "objective min-cost needs at least one positive target (targets.training_tokens, targets.agents or targets.speedup)"
            )
        return self

    @property
    def horizon_hours(self) -> float:
        """Wall-clock hours of the horizon: ``horizon_years * 8760``."""
        return self.horizon_years * 8760.0

    @property
    def productive_seconds(self) -> float:
        """Seconds of useful work per unit over the horizon:
        ``horizon_hours * 3600 * availability * busy_fraction``."""
        return self.horizon_hours * 3600.0 * self.facility.availability * self.acquisition.busy_fraction

    def to_flat(self) -> dict[str, Any]:
        """Every parameter as ``dotted.name -> value`` (for reports and the Assumptions sheet); the
        uncertainty block is not a parameter (Monte Carlo reports list it)."""
        return flatten(self.model_dump(exclude={"uncertainty"}))


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = list(v) if isinstance(v, tuple) else v
    return out


_UNIT = re.compile(r"\s*\(([^()]*)\)\s*$")


def scenario_parameters(scenario: BaseModel, prefix: str = "") -> list[dict[str, Any]]:
    """Every parameter as ``{parameter, value, unit, description}`` (units from the field docs).

    Units are read from the trailing parentheses of each field's description, so the schema is
    the single place where a unit is written.
    """
    rows: list[dict[str, Any]] = []
    for name, info in type(scenario).model_fields.items():
        value = getattr(scenario, name)
        key = f"{prefix}{name}"
        if isinstance(value, UncertaintySpec):
            continue
        if isinstance(value, BaseModel):
            rows.extend(scenario_parameters(value, key + "."))
            continue
        desc = info.description or ""
        m = _UNIT.search(desc)
        rows.append(
            {
                "parameter": key,
                "value": list(value) if isinstance(value, tuple) else value,
                "unit": m.group(1) if m else "",
                "description": desc[: m.start()] if m else desc,
            }
        )
    return rows


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


@lru_cache(maxsize=1)
def _default_text() -> str:
    return resources.files("planner.data").joinpath("default.yaml").read_text(encoding="utf-8")


def default_dict() -> dict[str, Any]:
    """The bundled default scenario as a plain dict (a fresh copy each call)."""
    raw = yaml.safe_load(_default_text())
    assert isinstance(raw, dict)
    return raw


def _iso(part: Any) -> Any:
    """A date key of a location (pydantic writes ``datetime.date(2027, 1, 1)``) in ISO form."""
    if isinstance(part, dt.date):
        return part.isoformat()
    m = re.fullmatch(r"datetime\.date\((\d+), (\d+), (\d+)\)", part) if isinstance(part, str) else None
    return dt.date(*(int(g) for g in m.groups())).isoformat() if m else part


def _field_path(loc: tuple[Any, ...]) -> str | None:
    """A validation error's location as the user wrote it: pydantic's union-branch tags
    (``tuple[...]``, ``Growth``) dropped, dates in ISO form, list indices in brackets, and a
    per-period value named by its own field (``alpha_floor[2]``, not ``periods.values...``)."""
    parts = [_iso(p) for p in loc if not (isinstance(p, str) and ("[" in p or p == "Growth"))]
    if parts[:2] == ["periods", "values"] and len(parts) > 2:
        parts = parts[2:]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out or None


def _format_validation(exc: ValidationError, file: str | None) -> ScenarioError:
    errors = exc.errors()
    err = errors[0]
    if err["type"] == "tuple_type":  # a mapping given for a per-period value: report the growth branch's error
        err = next((e for e in errors if "Growth" in e["loc"]), err)
    loc = _field_path(err["loc"])
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field" + _did_you_mean(err["loc"]) + " (see docs/scenario.md for the fields)"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = err.get("input")
    if err["type"] != "extra_forbidden" and not isinstance(got, dict) and got is not None and ", got " not in msg:
        msg = f"{msg}, got {excerpt(got)}"
    return ScenarioError(msg, file=file, field=loc)


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """``; did you mean 'x'?`` for an unknown field, from the fields of its parent model."""
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        ann = getattr(info, "annotation", None) if info else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return ""
        model = ann
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# Fields that were replaced: dotted name -> hint (issue 9).
REPLACED_FIELDS = {
    "inference.synthetic_context_tokens": "replaced by inference.synthetic_input_tokens and inference.synthetic_output_tokens "
    "(prompt and generated tokens per synthetic sequence)",
}


def _reject_replaced(data: dict[str, Any], file: str | None) -> None:
    """A one-line ScenarioError naming the file and field for a field that was replaced."""
    for dotted, hint in REPLACED_FIELDS.items():
        section, name = dotted.split(".")
        block = data.get(section)
        if isinstance(block, dict) and name in block:
            raise ScenarioError(hint, file=file, field=dotted)


def build_scenario(overrides: dict[str, Any] | None = None, *, base: dict[str, Any] | None = None, file: str | None = None) -> Scenario:
    """Validate ``base`` (default: the bundled defaults) deep-merged with ``overrides``."""
    _reject_replaced(overrides or {}, file)
    data = _deep_merge(base if base is not None else default_dict(), overrides or {})
    _check_floor_text(data.get("alpha_floor"), file)
    auto = is_auto(data.get("alpha_floor"))
    if auto:  # validate everything else first, then derive the floor from the validated scenario
        data["alpha_floor"] = 0.0
    scenario = _validate(copy.deepcopy(data) if auto else data, file)
    if auto:
        try:
            spec = scenario.collapse_floor
            data["alpha_floor"], data["alpha_floor_basis"] = resolve_auto_floor(
                spec.samples_per_refit, spec.tolerance, spec.refits_per_year, scenario.periods, MIN_ALPHA_FLOOR
            )
        except ValueError as exc:
            raise ScenarioError(str(exc), file=file, field="collapse_floor.tolerance") from None
        scenario = _validate(data, file)
    check_ranges(scenario, file)
    return scenario


def _check_floor_text(raw: Any, file: str | None) -> None:
    """``alpha_floor`` as text is a share (``25%``) or ``auto`` for the whole field, never ``auto`` in one period."""
    if isinstance(raw, list | dict) and any(is_auto(x) for x in (raw if isinstance(raw, list) else raw.values())):
        raise ScenarioError(
            "auto applies to the whole field (alpha_floor: auto gives every period its floor), not to one period",
            file=file,
            field="alpha_floor",
        )
    if isinstance(raw, str) and not is_auto(raw):
        try:
            parse_share(raw)
        except ValueError:
            raise ScenarioError(
                f"expected a share like 0.25 or 25%, or auto (derived from the collapse model, see collapse_floor), got {excerpt(raw)}",
                file=file,
                field="alpha_floor",
            ) from None


def _validate(data: dict[str, Any], file: str | None) -> Scenario:
    """Per-period values hoisted (:func:`planner.periods.hoist`), then the schema; one-line errors."""
    try:
        data = hoist(data)
    except ValueError as exc:
        field, _, msg = str(exc).partition(": ")
        raise ScenarioError(msg, file=file, field=field) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(exc, file) from None


def check_ranges(scenario: Scenario, file: str | None = None) -> None:
    """Every numeric field within its plausible range (:data:`planner.limits.SCENARIO_RANGES`)."""
    for field, value in scenario.to_flat().items():
        problem = range_problem(field, value)
        if problem:
            raise ScenarioError(problem, file=file, field=field)
    for field, value in scenario.periods.values.items():
        for k, x in enumerate(value if isinstance(value, tuple) else (value.first,)):
            problem = range_problem(field, x)
            if problem:
                raise ScenarioError(problem, file=file, field=f"{field}[{k}]" if isinstance(value, tuple) else f"{field}.first")
        if isinstance(value, tuple):
            continue
        for period in grid(scenario.periods):  # a growth reaches every period's value; each must be in range
            problem = _growth_problem(field, value, period)
            if problem:
                raise ScenarioError(problem, file=file, field=f"{field}.growth_per_year")


def _growth_problem(field: str, value: Any, period: Any) -> str | None:
    """Why a growth's value in ``period`` is out of ``field``'s range (None when it is in range
    within a relative 1e-9, the rounding of ``first x (1 + g)^y``); periods numbered from 1."""
    where = f"in period {period.index + 1} (from {period.start.isoformat()}) the growth"
    try:
        x = float(value_in(value, period) or 0.0)
    except OverflowError:  # (1 + g)^y past the largest float
        return f"{str(range_problem(field, math.inf)).split(', got')[0]}; {where} overflows"
    if all(range_problem(field, x * (1.0 + e)) for e in (-1e-9, 0.0, 1e-9)):
        return f"{str(range_problem(field, x)).split(', got')[0]}; {where} gives {x:.12g}"
    return None


@lru_cache(maxsize=1)
def _defaults() -> Scenario:
    return build_scenario()


def unused_settings(scenario: Scenario) -> tuple[str, ...]:
    """Warnings for settings the plan cannot use: a ``periods`` block changed from the defaults
    without ``periods.start`` (the plan is one period), and ``collapse_floor`` changed while the
    floor is not ``auto``."""
    base, out = _defaults(), []
    if not scenario.periods.active:
        changed = [k for k in PeriodsSpec.model_fields if getattr(scenario.periods, k) != getattr(base.periods, k)]
        if changed:
            keys = ", ".join(f"periods.{k}" for k in changed)
            out.append(f"{keys} set without periods.start: the plan is one period and does not use the periods block")
    if scenario.collapse_floor != base.collapse_floor and not derived(scenario.alpha_floor_basis):
        out.append("collapse_floor is set but alpha_floor is not auto: the floor does not come from the collapse model")
    return tuple(out)


def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """A scenario file's fields, read safely (:mod:`hwcatalog.safeio`): a regular file of at most
    :data:`planner.limits.MAX_SCENARIO_BYTES`, UTF-8, YAML without duplicate keys, alias bombs or
    deep nesting. Raises :class:`ScenarioError` naming the file (and line) on any problem."""
    file = str(path)
    try:
        raw = load_yaml(read_text(file, what="a YAML scenario file", max_bytes=MAX_SCENARIO_BYTES), file=file)
    except CatalogError as exc:
        raise ScenarioError(exc.detail + (f" (line {exc.line})" if exc.line is not None else ""), file=file) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"expected a mapping of scenario fields, got {excerpt(raw)}", file=file)
    return raw


def load_scenario(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a scenario file over the defaults, then apply ``overrides`` (for example CLI flags).

    Raises :class:`ScenarioError` naming the file and the field on any problem.
    """
    if path is None:
        return build_scenario(overrides)
    raw = read_scenario_file(path)
    raw.setdefault("name", Path(path).stem)
    return build_scenario(_deep_merge(raw, overrides or {}), file=str(path))


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted-name changes (``{"facility.pue": 1.2}``), re-validated.
    A change to a field that varies by period replaces its per-period values: one value then holds
    in every period, a list or a growth is that field's new schedule. A floor derived from the
    collapse model (``alpha_floor: auto``) is derived again unless the changes set the floor."""
    try:
        over = nested(changes)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    base = scenario.model_dump()
    values = base.get("periods", {}).get("values", {})
    for name in changes:
        values.pop(name, None)
    if derived(scenario.alpha_floor_basis) and not {"alpha_floor", "alpha_floor_basis"} & set(changes):
        base["alpha_floor"] = "auto"  # derived from the collapse model: derive it again from the changed scenario
        values.pop("alpha_floor", None)
    return build_scenario(over, base=base)
