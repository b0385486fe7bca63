"""The whole cost of one unit over the plan's horizon, component by component, owned or rented.

An owned unit of an item with ``d`` devices, IT power ``p`` kW, device price ``P`` and host share
``S`` costs, over a horizon of ``H`` years (``h = 8760 H`` hours, busy share ``u``), in the cost
view of ``costs.view`` (``k(x) = capital_usd(x, H, view, r, L)``, :mod:`planner.costs`)::

    device      = k(P)                          capital
    host        = k(S)                          capital
    network     = k(d * c_net2)                 capital (two-tier fabric; the three-tier uplift
                                                d * (c_net3 - c_net2) is added by the model when
                                                the owned fleet outgrows two tiers)
    storage     = k(d * pb_per_device * usd_per_pb)          capital
    datacenter  = k_dc(p / 1000 * usd_per_mw)   capital, owned facility (lifetime L_dc)
    colocation  = p * usd_per_kw_month * 12 H   rent, colocated facility
    staff       = d * usd_per_fte_year / devices_per_fte * H
    software    = d * usd_per_device_year * H
    insurance   = rate * (P + S + d c_net2 + storage capex) * H
    energy      = p * PUE * h * u * usd_per_kwh (drawn while the workload runs)
    maintenance = rate * (P + S) * H
    labour      = usd_per_hour * hours_per_year * H   (human reviewers only)

Network, storage, staff and software apply to accelerators (they are per accelerator device in
the sources); the facility, insurance, energy and maintenance to every powered item. A cloud-only
item let in as owned (``catalog.allow_cloud_only``) has a capitalised rental as its price, which
holds everything else: it charges the device component only.

A rented unit (an offer of :mod:`hwcatalog.offers`) pays only ``rental = rate * d * paid hours``:
on demand and spot, the hours it is held while the workload runs (``h u``; spot only when
capacity is there, ``h u a``); reserved for ``T`` years, every hour of the commitment, ``8760 T
ceil(H / T)`` in the cash view (the whole commitment is owed) and ``h`` in the amortised view.
It draws no capex, host share or facility power, and delivers like an owned unit of its item,
spot a share ``a (1 - o)`` of it (availability ``a``, preemption overhead ``o``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .costs import capital_usd

if TYPE_CHECKING:
    from .scenario import Scenario

HOURS_PER_YEAR = 8760.0

CAPITAL_COMPONENTS = ("device", "host", "network", "storage", "datacenter")
OPEX_COMPONENTS = ("colocation", "staff", "software", "insurance", "energy", "maintenance", "labour", "rental")
COMPONENTS = CAPITAL_COMPONENTS + OPEX_COMPONENTS
ROLE_CHANGE = "role_change"  # a periodised plan's own opex component: owned units moved into a role
PERIOD_OPEX_COMPONENTS = (*OPEX_COMPONENTS, ROLE_CHANGE)
PERIOD_COMPONENTS = (*COMPONENTS, ROLE_CHANGE)

# What each component is, which scenario fields set it and where the bundled default comes from
# (planner/data/default.yaml and docs/model.md "Cost of ownership" give the full citations).
COMPONENT_BASIS = {
    "device": "catalog price_usd, charged in costs.view (source per item on the Sources sheet)",
    "host": "catalog host_share_usd (server, CPUs, DRAM, NICs, chassis), charged in costs.view (Sources sheet)",
    "network": "costs.network_usd_per_accelerator_two_tier / _three_tier by fleet size, in costs.view; default an "
    "estimate from switch, optic and NIC list prices, cross-checked with Epoch AI (arXiv:2405.21015)",
    "storage": "costs.storage_pb_per_accelerator x costs.storage_usd_per_pb, in costs.view; default an estimate",
    "datacenter": "costs.datacenter_usd_per_mw over costs.datacenter_lifetime_years (owned facility); default "
    "Turner & Townsend Data Centre Construction Cost Index 2025-2026",
    "colocation": "costs.colocation_usd_per_kw_month x IT kW (colocated facility); default CBRE North America Data Center Trends H2 2024",
    "staff": "costs.staff_usd_per_fte_year / costs.staff_accelerators_per_fte; default BLS OEWS May 2024 wage, "
    "loaded, and an estimate of engineers per accelerator",
    "software": "costs.software_usd_per_accelerator_year; default 0 (open stack; NVIDIA AI Enterprise lists USD 4,500)",
    "insurance": "costs.insurance_tax_rate_per_year x purchase capex; default an estimate",
    "energy": "power_kw x facility.pue x busy hours x facility.electricity_usd_per_kwh (default US EIA 2024)",
    "maintenance": "facility.maintenance_rate_per_year x (price + host share); default an assumption",
    "labour": "reviewer usd_per_hour x hours_per_year (catalog, Sources sheet)",
    "rental": "offer usd_per_device_hour x devices x hours paid by mode (the line's source column)",
    ROLE_CHANGE: "periods.role_change_usd x owned units moved into a role they did not serve the period before (periodised plans)",
}

RESERVED_YEARS = {"reserved-1y": 1, "reserved-3y": 3}
RENTAL_MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y")
ACQUISITION_MODES = ("own", *RENTAL_MODES)


def number_or(v: object, default: float = 0.0) -> float:
    """A catalog or offer value as a float, ``default`` when it is missing (None, NaN, pd.NA, blank)."""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return default if math.isnan(x) else x


def capital_factor(s: Scenario, lifetime_years: float | None = None) -> float:
    """Share of a capital cost charged to the horizon: 1 in the cash view, CRF(r, L) * H amortised."""
    c = s.costs
    return capital_usd(1.0, s.horizon_years, c.view, c.cost_of_capital, lifetime_years or c.lifetime_years)


def owned_components(it: Mapping[str, Any], s: Scenario) -> dict[str, float]:
    """USD per owned unit of catalog row ``it`` over the horizon, by component (see module doc)."""
    c, f, years = s.costs, s.facility, s.horizon_years
    out = dict.fromkeys(COMPONENTS, 0.0)
    category = str(it["category"])
    if category == "audit":
        out["labour"] = number_or(it.get("usd_per_hour")) * number_or(it.get("hours_per_year")) * years
        return out
    k = capital_factor(s)
    price, host = number_or(it.get("price_usd")), number_or(it.get("host_share_usd"))
    if str(it.get("availability")) == "cloud-only":
        out["device"] = k * price  # a capitalised rental: host, fabric, facility and operations are in it
        return out
    power_kw = number_or(it.get("power_kw"))
    out["device"], out["host"] = k * price, k * host
    purchase = price + host
    if category == "accelerator":
        d = number_or(it.get("devices_per_unit"), 1.0)
        network, storage = d * c.network_usd_per_accelerator_two_tier, d * c.storage_pb_per_accelerator * c.storage_usd_per_pb
        out["network"], out["storage"] = k * network, k * storage
        out["staff"] = d * c.staff_usd_per_fte_year / c.staff_accelerators_per_fte * years
        out["software"] = d * c.software_usd_per_accelerator_year * years
        purchase += network + storage
    if c.facility == "owned":
        out["datacenter"] = capital_factor(s, c.datacenter_lifetime_years) * power_kw / 1000.0 * c.datacenter_usd_per_mw
    else:
        out["colocation"] = power_kw * c.colocation_usd_per_kw_month * 12.0 * years
    out["insurance"] = c.insurance_tax_rate_per_year * purchase * years
    out["energy"] = power_kw * f.pue * s.horizon_hours * s.acquisition.busy_fraction * f.electricity_usd_per_kwh
    out["maintenance"] = f.maintenance_rate_per_year * (price + host) * years
    return out


def network_tier3_usd(it: Mapping[str, Any], s: Scenario) -> float:
    """Extra USD per owned accelerator unit when the fleet needs a three-tier fabric:
    ``k(d * (c_net3 - c_net2))``."""
    if str(it["category"]) != "accelerator":
        return 0.0
    c = s.costs
    d = number_or(it.get("devices_per_unit"), 1.0)
    return capital_factor(s) * d * max(0.0, c.network_usd_per_accelerator_three_tier - c.network_usd_per_accelerator_two_tier)


def paid_hours(mode: str, s: Scenario) -> float:
    """Hours a rented device is paid for over the horizon (see module doc)."""
    a = s.acquisition
    busy_hours = s.horizon_hours * a.busy_fraction
    if mode == "on-demand":
        return busy_hours
    if mode == "spot":
        return busy_hours * a.spot_availability
    term = RESERVED_YEARS.get(mode)
    if term is None:
        raise ValueError(f"unknown rental mode {mode!r}; expected one of {', '.join(RENTAL_MODES)}")
    if s.costs.view == "cash":
        return HOURS_PER_YEAR * term * math.ceil(s.horizon_years / term - 1e-9)
    return s.horizon_hours


def delivery_share(mode: str, s: Scenario) -> float:
    """Share of an owned unit's output a rented unit delivers: ``a (1 - o)`` on spot, else 1."""
    if mode == "spot":
        return s.acquisition.spot_availability * (1.0 - s.acquisition.spot_preemption_overhead)
    return 1.0


def rented_components(usd_per_device_hour: float, devices: float, mode: str, s: Scenario) -> dict[str, float]:
    """USD per rented unit over the horizon: only ``rental`` is non-zero."""
    out = dict.fromkeys(COMPONENTS, 0.0)
    out["rental"] = usd_per_device_hour * devices * paid_hours(mode, s)
    return out


def busy_device_hours(devices: float, s: Scenario) -> float:
    """Device-hours the workload runs over the horizon: ``d * h * u``."""
    return devices * s.horizon_hours * s.acquisition.busy_fraction


def split(components: dict[str, Any]) -> tuple[float, float]:
    """(capital, opex) sums of a component dict."""
    capital = sum(float(components.get(k, 0.0)) for k in CAPITAL_COMPONENTS)
    return capital, sum(float(components.get(k, 0.0)) for k in OPEX_COMPONENTS)
