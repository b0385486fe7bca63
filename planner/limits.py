"""Plausible ranges of scenario fields and limits on the work one command may start.

Every numeric scenario field has a finite range here, checked after the schema's own bounds and
before any modelling, so nothing non-finite or absurd reaches the solver (where it would surface as
a solver failure or a silently wrong plan). The ranges are wide on purpose: they reject what no
real lab could mean, not what is unusual. docs/scenario.md lists them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

# dotted field -> (least, greatest), inclusive; the unit is the field's own.
SCENARIO_RANGES: dict[str, tuple[float, float]] = {
    "budget_usd": (1.0, 1e13),  # USD 1 to USD 10 trillion
    "horizon_years": (1 / 365, 10.0),
    "alpha_floor": (0.0, 1.0),
    "model.total_params": (1e6, 1e15),
    "model.active_params": (1e6, 1e15),
    "model.bytes_per_param": (0.125, 8.0),  # 1-bit to FP64
    "model.kv_bytes_per_token": (1.0, 1e8),
    "training.mfu": (1e-3, 1.0),
    "inference.compute_utilization": (1e-3, 1.0),
    "inference.bandwidth_utilization": (1e-3, 1.0),
    "inference.agent_batch": (1, 65536),
    "inference.synthetic_batch": (1, 65536),
    "inference.synthetic_context_tokens": (1.0, 1e8),
    "inference.weight_fill": (0.05, 1.0),
    "agents.tokens_per_s": (1e-3, 1e6),
    "agents.context_tokens": (1.0, 1e8),
    "agents.max_agents": (1.0, 1e9),
    "agents.parallel_fraction": (0.0, 1.0),
    "agents.usl_sigma": (0.0, 1.0),
    "agents.usl_kappa": (0.0, 1.0),
    "agents.breakpoints": (3, 200),
    "data.tokens_per_check": (1.0, 1e12),
    "data.external_tokens": (0.0, 1e17),
    "data.fpga_checkable_fraction": (0.0, 1.0),
    "facility.electricity_usd_per_kwh": (0.0, 10.0),
    "facility.pue": (1.0, 3.0),
    "facility.power_cap_kw": (1.0, 1e8),  # 1 kW to 100 GW
    "facility.availability": (0.01, 1.0),
    "facility.maintenance_rate_per_year": (0.0, 1.0),
    "progress.tokens_per_unit": (1e3, 1e18),
    "progress.lexicographic_tolerance": (0.0, 1e-2),
    "targets.training_tokens": (0.0, 1e18),
    "targets.agents": (0.0, 1e9),
    "targets.speedup": (0.0, 1e9),
    "mip_gap": (0.0, 0.05),
    "procurement.max_models_per_role": (1, 100),
    "procurement.min_progress_per_musd": (0.0, 1e6),
    "costs.cost_of_capital": (0.0, 1.0),
    "costs.lifetime_years": (0.25, 20.0),
    "costs.network_usd_per_accelerator_two_tier": (0.0, 1e6),
    "costs.network_usd_per_accelerator_three_tier": (0.0, 1e6),
    "costs.network_two_tier_max_accelerators": (1.0, 1e7),
    "costs.storage_usd_per_pb": (0.0, 1e8),
    "costs.storage_pb_per_accelerator": (0.0, 10.0),
    "costs.colocation_usd_per_kw_month": (0.0, 10000.0),
    "costs.datacenter_usd_per_mw": (0.0, 1e9),
    "costs.datacenter_lifetime_years": (1.0, 40.0),
    "costs.staff_accelerators_per_fte": (1.0, 1e7),
    "costs.staff_usd_per_fte_year": (0.0, 1e7),
    "costs.software_usd_per_accelerator_year": (0.0, 1e6),
    "costs.insurance_tax_rate_per_year": (0.0, 0.2),
    "acquisition.busy_fraction": (1e-3, 1.0),
    "acquisition.bundled_offer_max_devices": (0, 1e7),
    "acquisition.spot_availability": (0.01, 1.0),
    "acquisition.spot_preemption_overhead": (0.0, 0.99),
}
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))

MAX_GRID_POINTS = 1000  # scenarios one whatif may plan; --max-points overrides
MAX_SCENARIO_BYTES = 1 << 20  # 1 MiB: a scenario file is a page of YAML


def range_problem(field: str, value: Any) -> str | None:
    """Why ``value`` is out of ``field``'s plausible range, or None when it is fine (or unranged)."""
    if isinstance(value, dt.date):
        lo_d, hi_d = DATE_RANGE
        return None if lo_d <= value <= hi_d else f"expected a date from {lo_d} to {hi_d}, got {value}"
    if field not in SCENARIO_RANGES or value is None or isinstance(value, bool):
        return None
    lo, hi = SCENARIO_RANGES[field]
    x = float(value)
    if not math.isfinite(x) or not lo <= x <= hi:
        return f"expected a value from {lo:g} to {hi:g}, got {x:g}"
    return None
