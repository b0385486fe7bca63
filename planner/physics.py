"""Physics of the plan: what one unit of each catalog item delivers over the horizon.

Everything the LP needs from the hardware goes through the functions here, so each formula lives
in one place and is documented once (docs/model.md gives the derivations).

Units: FLOP/s, bytes, seconds, tokens (counts); results named with their unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hwcatalog.queries import unit_capex_usd

from .scenario import Scenario
from .serving import Device, best_shape_memo, workloads
from .tco import COMPONENTS, network_tier3_usd, number_or, owned_components

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


def training_flops_per_s(bf16_flops_per_s: float, has_fp8: bool, s: Scenario) -> float:
    """Effective training FLOP/s of a unit: ``F_bf16 * MFU * g_fp8 * e_moe * goodput``.

    MFU is quoted against the BF16 dense peak on every precision (as labs report it); FP8 speeds
    up the GEMMs only, by ``training.fp8_speedup`` (1 on units without FP8). MoE training keeps
    ``training.moe_efficiency`` of dense MFU; ``training.goodput`` is the time kept after restarts.
    """
    t = s.training
    gain = t.fp8_speedup if t.precision == "fp8" and has_fp8 else 1.0
    moe = t.moe_efficiency if s.model.is_moe else 1.0
    return bf16_flops_per_s * t.mfu * gain * moe * t.goodput


def kv_gb_per_agent(context_tokens: float, kv_bytes_per_token: float) -> float:
    """KV cache one agent's context occupies: ``L * kv / 1e9`` (GB)."""
    return context_tokens * kv_bytes_per_token / GB


# --------------------------------------------------------------------------------------------
# speedup laws


def amdahl(n: np.ndarray | float, p: float) -> np.ndarray | float:
    """Amdahl speedup ``S(N) = 1 / ((1 - p) + p / N)``, written ``N / ((1-p) N + p)`` so S(0) = 0."""
    n = np.asarray(n, dtype=float)
    denominator = (1.0 - p) * n + p
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, n / safe, 0.0)  # N = 0 with p = 0: no agents, no speedup


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
    """What one owned unit of each item costs and delivers over the horizon.

    Columns (per unit):

    * ``unit_capex_usd`` = price_usd + host_share_usd, the purchase price (0 for audit);
    * one ``<component>_usd`` column per cost component of :mod:`planner.tco` (device, host,
      network, storage, datacenter, colocation, staff, software, insurance, energy = power_kw *
      PUE * busy hours * USD/kWh, maintenance = rate * (price + host) * years, labour for
      reviewers, rental 0), capital components charged in ``costs.view``;
    * ``unit_cost_usd`` = the sum of the components; ``network_tier3_usd``, the extra when the
      owned fleet needs a three-tier fabric;
    * ``facility_kw`` = power_kw * PUE;
    * ``train_tokens`` (6ND rule), ``synthetic_tokens`` and ``agent_tokens`` (roofline decode at
      the synthetic and agent batch/context) over the productive seconds, ``kv_free_gb``
      (accelerators), ``verified_tokens`` (checks * tokens_per_check; verification and audit),
      ``capacity_gb`` (memory);
    * acquisition: ``mode`` own, ``base_id`` the item itself, ``max_units`` unbounded.
    """
    capex_usd = unit_capex_usd(items).to_numpy(dtype=float)
    records = items.to_dict("records")  # plain dicts: a Series lookup per field costs 10x a dict's
    rows = [capability_row(str(i), it, float(c), scenario) for i, it, c in zip(items.index, records, capex_usd, strict=True)]
    frame = pd.DataFrame(rows).set_index("id", drop=False)
    frame.index.name = None
    return frame


def capability_row(item_id: str, it: Mapping[str, Any], capex_usd: float, scenario: Scenario) -> dict[str, Any]:
    """One row of :func:`capabilities`: cost components, what the unit delivers, and
    ``unit_cost_usd``, their sum (an audit reviewer has no capex)."""
    capex = 0.0 if it["category"] == "audit" else capex_usd
    row = _cost_row(item_id, it, capex, scenario)
    row.update(_DELIVERS[it["category"]](it, scenario))
    row["unit_cost_usd"] = sum(row[f"{k}_usd"] for k in COMPONENTS)
    return row


CAPABILITY_COLUMNS = (
    "train_tokens",
    "train_flops_per_s",
    "synthetic_tokens",
    "agent_tokens",
    "kv_free_gb",
    "verified_tokens",
    "capacity_gb",
    "agents_replica_tokens",
    "agents_replica_kv_free_gb",
    "agents_units_per_replica",
    "synthetic_replica_tokens",
    "synthetic_replica_kv_free_gb",
    "synthetic_units_per_replica",
)


def _cost_row(item_id: str, it: Mapping[str, Any], capex_usd: float, s: Scenario) -> dict[str, Any]:
    """Cost components and power of one owned unit over the horizon; every capability column
    starts at 0."""
    power_kw = number_or(it.get("power_kw"), 0.0)
    return {
        "id": item_id,
        "category": it["category"],
        "kind": it["kind"],
        "unit_capex_usd": capex_usd,
        **{f"{k}_usd": v for k, v in owned_components(it, s).items()},
        "network_tier3_usd": network_tier3_usd(it, s),
        "facility_kw": power_kw * s.facility.pue,
        "devices_per_unit": 0,
        "shapes": {},
        "mode": "own",
        "provider": "",
        "region": "",
        "base_id": item_id,
        "max_units": math.inf,
        "offer_usd_per_device_hour": math.nan,
        **dict.fromkeys(CAPABILITY_COLUMNS, 0.0),
    }


def scale_up_devices(it: Mapping[str, Any], s: Scenario) -> int:
    """Devices in one scale-up domain: a multi-device unit's own devices (72 in an NVL72 rack);
    ``inference.scale_up_devices`` (an HGX node of 8) for single devices whose interconnect is at
    least ``inference.scale_up_min_gbps``; 1 for PCIe-class cards."""
    devices = int(number_or(it.get("devices_per_unit"), 1.0))
    if devices > 1:
        return devices
    fast = number_or(it.get("interconnect_gbps"), 0.0) >= s.inference.scale_up_min_gbps
    return s.inference.scale_up_devices if fast else 1


def device_of(it: Mapping[str, Any], s: Scenario) -> Device:
    """One device of an accelerator unit at the inference precision."""
    devices = int(number_or(it.get("devices_per_unit"), 1.0))
    return Device(
        flops_per_s=_precision_tflops(it, s.inference.precision) * TFLOPS / devices,
        bandwidth_bytes_per_s=float(it["hbm_tbps"]) * TB / devices,
        memory_gb=float(it["hbm_gb"]) / devices,
        scale_up_devices=scale_up_devices(it, s),
        interconnect_bytes_per_s=number_or(it.get("interconnect_gbps"), 64.0) * GB / 2.0,
    )


def _accelerator(it: Mapping[str, Any], s: Scenario) -> dict[str, Any]:
    """Training tokens (6ND) and FLOP/s per unit; per workload the best replica shape and what one
    replica delivers over the horizon (``<workload>_replica_tokens``, ``_replica_kv_free_gb``,
    ``_units_per_replica``); per-unit views for reports (``agent_tokens``, ``synthetic_tokens``,
    ``kv_free_gb``). A workload no replica can serve has 0 tokens and infinite units per replica."""
    seconds = s.productive_seconds
    devices = int(number_or(it.get("devices_per_unit"), 1.0))
    train_fps = training_flops_per_s(float(it["bf16_tflops"]) * TFLOPS, not _isnan(it.get("fp8_tflops")), s)
    row: dict[str, Any] = {
        "train_tokens": train_fps * seconds / (6.0 * s.model.active_params),
        "train_flops_per_s": train_fps,
        "devices_per_unit": devices,
    }
    dev = device_of(it, s)
    shapes = {name: best_shape_memo(s, dev, w) for name, w in workloads(s).items()}
    for name, shape in shapes.items():
        if shape is None:
            row.update({f"{name}_replica_tokens": 0.0, f"{name}_replica_kv_free_gb": 0.0, f"{name}_units_per_replica": math.inf})
            continue
        row[f"{name}_replica_tokens"] = shape.tokens_per_s * seconds
        row[f"{name}_replica_kv_free_gb"] = shape.kv_free_gb
        row[f"{name}_units_per_replica"] = shape.devices / devices
    agents, syn = shapes["agents"], shapes["synthetic"]
    row["agent_tokens"] = 0.0 if agents is None else agents.tokens_per_s_per_device * devices * seconds
    row["synthetic_tokens"] = 0.0 if syn is None else syn.tokens_per_s_per_device * devices * seconds
    row["kv_free_gb"] = 0.0 if agents is None else agents.kv_free_gb / agents.devices * devices
    row["shapes"] = shapes
    return row


def _verification(it: Mapping[str, Any], s: Scenario) -> dict[str, Any]:
    """Verified tokens = checks/hour * productive hours * tokens per check."""
    checks = float(it["checks_per_hour"]) * s.productive_seconds / SECONDS_PER_HOUR
    return {"verified_tokens": checks * s.data.tokens_per_check}


def _audit(it: Mapping[str, Any], s: Scenario) -> dict[str, Any]:
    """A reviewer: checks/hour * hours/year * years tokens verified (paid usd_per_hour: the labour
    component of planner.tco)."""
    reviewer_hours = float(it["hours_per_year"]) * s.horizon_years
    return {"verified_tokens": float(it["checks_per_hour"]) * reviewer_hours * s.data.tokens_per_check}


def _memory(it: Mapping[str, Any], s: Scenario) -> dict[str, Any]:
    """Capacity-tier GB per unit."""
    return {"capacity_gb": float(it["capacity_gb"])}


_DELIVERS: dict[str, Callable[[Mapping[str, Any], Scenario], dict[str, Any]]] = {
    "accelerator": _accelerator,
    "verification": _verification,
    "audit": _audit,
    "memory": _memory,
}


def _isnan(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _precision_tflops(it: Mapping[str, Any], precision: str) -> float:
    """Dense TFLOP/s at the requested precision; FP8 falls back to BF16 where a unit has none."""
    if precision == "fp8" and not _isnan(it.get("fp8_tflops")):
        return float(it["fp8_tflops"])
    return float(it["bf16_tflops"])
