"""Physics of the plan: what one unit of each catalog item delivers over the horizon.

Everything the LP needs from the hardware goes through the functions here, so each formula lives
in one place and is documented once (docs/model.md gives the derivations).

Units: FLOP/s, bytes, seconds, tokens (counts); results named with their unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hwcatalog.queries import unit_capex_usd

from .scenario import Scenario

SECONDS_PER_HOUR = 3600.0
TFLOPS = 1e12
TB = 1e12
GB = 1e9


def training_tokens(flops_per_s: float, mfu: float, seconds: float, active_params: float) -> float:
    """Tokens one device trains on: ``F * MFU * t / (6 * N_active)`` (the 6ND rule).

    Training a dense transformer costs about 6 FLOP per active parameter per token (2 forward,
    4 backward; Kaplan et al. 2020).
    """
    return flops_per_s * mfu * seconds / (6.0 * active_params)


def decode_tokens_per_s(
    *,
    flops_per_s: float,
    bandwidth_bytes_per_s: float,
    active_params: float,
    weight_bytes: float,
    batch: int,
    context_tokens: float,
    kv_bytes_per_token: float,
    compute_utilization: float,
    bandwidth_utilization: float,
) -> float:
    """Roofline decode throughput of one device (tokens/s), the single source of this figure.

    One decode step of a replica emits ``batch`` tokens. Per emitted token a device

    * computes ``2 * N_active`` FLOP (one multiply-add per active weight), and
    * reads ``W / batch`` weight bytes (weights are read once per step and shared by the batch)
      plus ``L * kv`` bytes of its own KV cache (``L`` context tokens).

    Sharding a replica over ``k`` devices divides both the work and the bytes by ``k``, so the
    per-device rate does not depend on ``k``:

        tokens/s = min( F * u_c / (2 N_active),  B * u_b / (W / batch + L * kv) )
    """
    compute_bound = flops_per_s * compute_utilization / (2.0 * active_params)
    bytes_per_token = weight_bytes / batch + context_tokens * kv_bytes_per_token
    memory_bound = bandwidth_bytes_per_s * bandwidth_utilization / bytes_per_token
    return min(compute_bound, memory_bound)


def devices_per_replica(weight_gb: float, device_memory_gb: float, weight_fill: float) -> int:
    """Devices a replica is sharded over: ``ceil(W / (M * fill))``."""
    return max(1, math.ceil(weight_gb / (device_memory_gb * weight_fill) - 1e-12))


def kv_free_gb(weight_gb: float, device_memory_gb: float, weight_fill: float) -> float:
    """Device memory left for KV cache after the device's share of the weights (GB).

    ``M - W / k`` with ``k = devices_per_replica``.
    """
    k = devices_per_replica(weight_gb, device_memory_gb, weight_fill)
    return max(0.0, device_memory_gb - weight_gb / k)


def kv_gb_per_agent(context_tokens: float, kv_bytes_per_token: float) -> float:
    """KV cache one agent's context occupies: ``L * kv / 1e9`` (GB)."""
    return context_tokens * kv_bytes_per_token / GB


# --------------------------------------------------------------------------------------------
# speedup laws


def amdahl(n: np.ndarray | float, p: float) -> np.ndarray | float:
    """Amdahl speedup ``S(N) = 1 / ((1 - p) + p / N)``, written ``N / ((1-p) N + p)`` so S(0) = 0."""
    n = np.asarray(n, dtype=float)
    return n / ((1.0 - p) * n + p)


def usl(n: np.ndarray | float, sigma: float, kappa: float) -> np.ndarray | float:
    """Universal Scalability Law ``S(N) = N / (1 + sigma (N-1) + kappa N (N-1))`` for N >= 1,
    and ``S(N) = N`` on [0, 1] (one agent works at speed 1; none at 0)."""
    n = np.asarray(n, dtype=float)
    big = n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
    return np.where(n >= 1.0, big, n)


@dataclass(frozen=True)
class SpeedupCurve:
    """A concave speedup law and its piecewise-linear interpolation at breakpoints.

    In the LP, ``Z <= intercept_k + slope_k * A`` for every segment k; for a concave law the
    minimum of these lines is exactly the interpolant, equal to S at the breakpoints and below it
    between them (the plan never counts on more speedup than the law gives).
    """

    law: str
    breakpoints: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    params: dict[str, float]

    def exact(self, n: np.ndarray | float) -> np.ndarray | float:
        if self.law == "amdahl":
            return amdahl(n, self.params["p"])
        return usl(n, self.params["sigma"], self.params["kappa"])

    def interpolated(self, n: np.ndarray | float) -> np.ndarray | float:
        return np.interp(n, self.breakpoints, self.values)

    def max_error(self, samples_per_segment: int = 64) -> float:
        """Largest ``S(N) - interp(N)`` over the curve (speedup units)."""
        grid = np.concatenate(
            [np.linspace(a, b, samples_per_segment) for a, b in zip(self.breakpoints[:-1], self.breakpoints[1:], strict=True)]
        )
        return float(np.max(self.exact(grid) - self.interpolated(grid)))


def speedup_curve(scenario: Scenario) -> SpeedupCurve:
    """Breakpoints 0, 1 and a geometric grid up to ``agents.max_agents`` (for USL, up to its peak
    if that comes first); secant lines between."""
    spec = scenario.agents
    end = spec.max_agents
    if spec.scaling == "usl" and spec.usl_kappa > 0:
        # Past the USL peak N* = sqrt((1 - sigma) / kappa) more agents lower the speedup (and the
        # tail is convex), so the agent axis ends at the peak: buying agents there never helps.
        end = min(end, max(1.0 + 1e-9, math.sqrt((1.0 - spec.usl_sigma) / spec.usl_kappa)))
    inner = np.geomspace(1.0, end, spec.breakpoints - 1)
    bps = np.unique(np.concatenate([[0.0], inner]))
    if spec.scaling == "amdahl":
        params = {"p": spec.parallel_fraction}
        vals = amdahl(bps, spec.parallel_fraction)
    else:
        params = {"sigma": spec.usl_sigma, "kappa": spec.usl_kappa}
        vals = usl(bps, spec.usl_sigma, spec.usl_kappa)
    vals = np.asarray(vals, dtype=float)
    slopes = np.diff(vals) / np.diff(bps)
    if np.any(np.diff(slopes) > 1e-12 * np.maximum(1.0, np.abs(slopes[:-1]))):
        raise ValueError("the speedup curve is not concave at these parameters; the LP cuts would overstate it")
    intercepts = vals[:-1] - slopes * bps[:-1]
    return SpeedupCurve(spec.scaling, bps, vals, slopes, intercepts, params)


# --------------------------------------------------------------------------------------------
# per-unit capabilities


def capabilities(items: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """What one unit of each item costs and delivers over the horizon.

    Columns (per unit):

    * ``unit_capex_usd`` = price_usd + host_share_usd (0 for audit);
    * ``energy_usd`` = power_kw * PUE * horizon hours * USD/kWh;
    * ``maintenance_usd`` = maintenance rate * capex * years;
    * ``labour_usd`` (audit) = usd_per_hour * hours_per_year * years;
    * ``unit_cost_usd`` = capex + energy + maintenance + labour;
    * ``facility_kw`` = power_kw * PUE;
    * ``train_tokens`` (6ND rule), ``synthetic_tokens`` and ``agent_tokens`` (roofline decode at
      the synthetic and agent batch/context) over the productive seconds, ``kv_free_gb``
      (accelerators), ``verified_tokens`` (checks * tokens_per_check; verification and audit),
      ``capacity_gb`` (memory).
    """
    capex_usd = unit_capex_usd(items)
    rows = []
    for item_id, it in items.iterrows():
        capex = 0.0 if it["category"] == "audit" else float(capex_usd[item_id])
        row = _cost_row(str(item_id), it, capex, scenario)
        row.update(_DELIVERS[it["category"]](it, scenario))
        row["unit_cost_usd"] = row["unit_capex_usd"] + row["energy_usd"] + row["maintenance_usd"] + row["labour_usd"]
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("id", drop=False)
    frame.index.name = None
    return frame


CAPABILITY_COLUMNS = ("train_tokens", "synthetic_tokens", "agent_tokens", "kv_free_gb", "verified_tokens", "capacity_gb")


def _cost_row(item_id: str, it: pd.Series, capex_usd: float, s: Scenario) -> dict[str, Any]:
    """Cost and power of one unit over the horizon; every capability column starts at 0."""
    power_kw = _num(it.get("power_kw"), 0.0)
    return {
        "id": item_id,
        "category": it["category"],
        "kind": it["kind"],
        "unit_capex_usd": capex_usd,
        "energy_usd": power_kw * s.facility.pue * s.horizon_hours * s.facility.electricity_usd_per_kwh,
        "maintenance_usd": capex_usd * s.facility.maintenance_rate_per_year * s.horizon_years,
        "labour_usd": 0.0,
        "facility_kw": power_kw * s.facility.pue,
        **dict.fromkeys(CAPABILITY_COLUMNS, 0.0),
    }


def _accelerator(it: pd.Series, s: Scenario) -> dict[str, Any]:
    """Training tokens (6ND), decode tokens for synthetic data and agents, free HBM per unit."""
    seconds = s.productive_seconds
    weight_bytes = s.model.total_params * s.model.bytes_per_param
    devices = int(_num(it.get("devices_per_unit"), 1.0))
    dev_mem_gb = float(it["hbm_gb"]) / devices
    common = dict(
        flops_per_s=_precision_tflops(it, s.inference.precision) * TFLOPS / devices,
        bandwidth_bytes_per_s=float(it["hbm_tbps"]) * TB / devices,
        active_params=s.model.active_params,
        weight_bytes=weight_bytes,
        kv_bytes_per_token=s.model.kv_bytes_per_token,
        compute_utilization=s.inference.compute_utilization,
        bandwidth_utilization=s.inference.bandwidth_utilization,
    )
    syn = decode_tokens_per_s(batch=s.inference.synthetic_batch, context_tokens=s.inference.synthetic_context_tokens, **common)
    agt = decode_tokens_per_s(batch=s.inference.agent_batch, context_tokens=s.agents.context_tokens, **common)
    train_flops = _precision_tflops(it, s.training.precision) * TFLOPS
    return {
        "train_tokens": training_tokens(train_flops, s.training.mfu, seconds, s.model.active_params),
        "synthetic_tokens": syn * devices * seconds,
        "agent_tokens": agt * devices * seconds,
        "kv_free_gb": kv_free_gb(weight_bytes / GB, dev_mem_gb, s.inference.weight_fill) * devices,
        "synthetic_tokens_per_s": syn * devices,
        "agent_tokens_per_s": agt * devices,
        "devices_per_replica": devices_per_replica(weight_bytes / GB, dev_mem_gb, s.inference.weight_fill),
    }


def _verification(it: pd.Series, s: Scenario) -> dict[str, Any]:
    """Verified tokens = checks/hour * productive hours * tokens per check."""
    checks = float(it["checks_per_hour"]) * s.productive_seconds / SECONDS_PER_HOUR
    return {"verified_tokens": checks * s.data.tokens_per_check}


def _audit(it: pd.Series, s: Scenario) -> dict[str, Any]:
    """A reviewer: checks/hour * hours/year * years tokens verified, paid usd_per_hour."""
    reviewer_hours = float(it["hours_per_year"]) * s.horizon_years
    return {
        "verified_tokens": float(it["checks_per_hour"]) * reviewer_hours * s.data.tokens_per_check,
        "labour_usd": float(it["usd_per_hour"]) * reviewer_hours,
    }


def _memory(it: pd.Series, s: Scenario) -> dict[str, Any]:
    """Capacity-tier GB per unit."""
    return {"capacity_gb": float(it["capacity_gb"])}


_DELIVERS: dict[str, Callable[[pd.Series, Scenario], dict[str, Any]]] = {
    "accelerator": _accelerator,
    "verification": _verification,
    "audit": _audit,
    "memory": _memory,
}


def _isnan(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _num(v: object, default: float) -> float:
    return default if _isnan(v) else float(v)  # type: ignore[arg-type]


def _precision_tflops(it: pd.Series, precision: str) -> float:
    """Dense TFLOP/s at the requested precision; FP8 falls back to BF16 where a unit has none."""
    if precision == "fp8" and not _isnan(it.get("fp8_tflops")):
        return float(it["fp8_tflops"])
    return float(it["bf16_tflops"])
