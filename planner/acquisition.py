"""Own or rent: rented variants of accelerators from the catalog's offers, and break-even figures.

A rental offer (:mod:`hwcatalog.offers`: provider, item, mode, USD per device-hour, optional cap
on devices) becomes one more row of per-unit capabilities, ``<item>@<provider>:<mode>``: the
item's capabilities (spot scaled by its delivery share), costs of ``rental`` only
(:func:`planner.tco.rented_components`), no facility power, and at most ``max_devices /
devices_per_unit`` units. The model then buys owned and rented units alike, so the plan chooses
the mode that delivers at least cost.

Break-even (per accelerator and offer): with an owned device's fixed cost ``F`` per hour of the
horizon (everything but energy) and energy ``e`` per busy hour, and an offer's effective rate
``R`` per useful hour (``rate / (1 - o)`` on spot), the busy share at which owning and renting on
demand or spot cost the same is ``u* = F / (R - e)``; owning wins above it. A reservation is paid
every hour (``R_res`` per hour of the horizon, cash view: the whole commitment), so owning beats
it at busy share ``u`` when ``F + e u < R_res``, that is below ``u* = (R_res - F) / e``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .tco import COMPONENTS, RENTAL_MODES, busy_device_hours, delivery_share, number_or, paid_hours, rented_components

if TYPE_CHECKING:
    from .scenario import Scenario

# Capability columns that scale with the share of an owned unit's output a rented unit delivers.
OUTPUT_COLUMNS = (
    "train_tokens",
    "train_flops_per_s",
    "synthetic_tokens",
    "agent_tokens",
    "agents_replica_tokens",
    "synthetic_replica_tokens",
)


def usable_offers(offers: pd.DataFrame | None, items: pd.DataFrame, s: Scenario, *, references: bool = False) -> pd.DataFrame:
    """Offers the scenario may use: an accelerator of the catalog, not excluded (nor outside
    ``catalog.only``), in a mode of ``acquisition.modes``. Bundled offers (origin ``bundled``) are
    list prices without capacity: they supply ``acquisition.bundled_offer_max_devices`` devices
    each, and none when it is 0, unless ``references`` (break-even figures) asks for every offer."""
    if offers is None or offers.empty:
        return pd.DataFrame(columns=["provider", "item", "mode", "usd_per_device_hour", "region", "max_devices", "source", "date"])
    sel = s.catalog
    keep = offers["item"].isin(items.index) & offers["mode"].isin([m for m in s.acquisition.modes if m in RENTAL_MODES])
    keep &= ~offers["item"].isin(sel.exclude)
    if sel.only is not None:
        keep &= offers["item"].isin(sel.only)
    cap = s.acquisition.bundled_offer_max_devices
    if not references:
        bundled = offers["origin"] == "bundled" if "origin" in offers.columns else pd.Series(False, index=offers.index)
        if cap == 0:
            keep &= ~bundled
        offers = offers.assign(max_devices=offers["max_devices"].where(~bundled | offers["max_devices"].notna(), cap))
    out = offers[keep]
    accelerator = items.loc[out["item"], "category"].to_numpy() == "accelerator"
    return out[accelerator].reset_index(drop=True)


def variant_id(offer: pd.Series, duplicate: bool) -> str:
    """``<item>@<provider>:<mode>``, with ``:<region>`` when the provider has the mode in two regions."""
    base = f"{offer['item']}@{offer['provider']}:{offer['mode']}"
    return f"{base}:{offer['region']}" if duplicate and str(offer.get("region") or "") else base


def rented_capabilities(base_caps: pd.DataFrame, offers: pd.DataFrame, s: Scenario) -> pd.DataFrame:
    """One capability row per offer (see module doc), indexed by :func:`variant_id`."""
    if offers.empty:
        return base_caps.iloc[0:0]
    key = offers["item"] + "|" + offers["provider"] + "|" + offers["mode"]
    dup = key.duplicated(keep=False)
    rows = []
    for i, offer in offers.iterrows():
        base = base_caps.loc[offer["item"]].copy()
        devices = float(base["devices_per_unit"]) or 1.0
        share = delivery_share(str(offer["mode"]), s)
        for col in OUTPUT_COLUMNS:
            base[col] = float(base[col]) * share
        rate = float(offer["usd_per_device_hour"])
        costs = rented_components(rate, devices, str(offer["mode"]), s)
        base.update(pd.Series({f"{k}_usd": v for k, v in costs.items()}))
        cap_devices = number_or(offer.get("max_devices"), math.inf)
        vid = variant_id(offer, bool(dup.iloc[i]))  # type: ignore[call-overload]
        base.update(
            pd.Series(
                {
                    "id": vid,
                    "unit_capex_usd": 0.0,
                    "unit_cost_usd": sum(costs.values()),
                    "network_tier3_usd": 0.0,
                    "facility_kw": 0.0,
                    "mode": offer["mode"],
                    "provider": offer["provider"],
                    "region": str(offer.get("region") or ""),
                    "base_id": offer["item"],
                    "max_units": math.floor(cap_devices / devices + 1e-9) if math.isfinite(cap_devices) else math.inf,
                    "offer_usd_per_device_hour": rate,
                    "order_multiple": 1,
                    "min_order_quantity": 1,
                }
            )
        )
        base.name = vid
        rows.append(base)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BreakEven:
    """Own against one offer of the same item (USD per device-hour; utilisation as a busy share)."""

    id: str
    mode: str
    provider: str
    offer_usd_per_device_hour: float
    effective_usd_per_device_hour: float  # per useful busy hour (on demand, spot) or per hour of the horizon (reserved)
    own_fixed_usd_per_device_hour: float  # F: everything but energy, per hour of the horizon
    own_energy_usd_per_busy_hour: float  # e
    own_usd_per_busy_device_hour: float  # (F + e u) / u at the scenario's busy share
    break_even_utilisation: float | None  # u*; None when the two never cost the same on [0, 1]
    break_even_months: float | None  # 12 u*
    own_cheaper: bool  # at the scenario's busy share

    @property
    def own_wins_above(self) -> bool:
        """On demand and spot: owning wins above u*; reserved: below it."""
        return self.mode in ("on-demand", "spot")


def break_even(own: pd.Series, offer_rate_usd: float, mode: str, provider: str, s: Scenario) -> BreakEven:
    """Break-even of owning ``own`` (a capabilities row) against renting at ``offer_rate_usd`` per
    device-hour in ``mode`` (see module doc)."""
    devices = float(own["devices_per_unit"]) or 1.0
    hours = s.horizon_hours * devices
    u = s.acquisition.busy_fraction
    energy = float(own["energy_usd"]) / busy_device_hours(devices, s)
    fixed = (sum(float(own[f"{k}_usd"]) for k in COMPONENTS) - float(own["energy_usd"])) / hours
    if mode in ("on-demand", "spot"):
        rate = offer_rate_usd * paid_hours(mode, s) / (s.horizon_hours * u) / delivery_share(mode, s)  # per useful hour
        star = fixed / (rate - energy) if rate > energy else None
        own_cheaper = fixed + energy * u < rate * u
    else:
        rate = offer_rate_usd * paid_hours(mode, s) / s.horizon_hours
        star = (rate - fixed) / energy if energy > 0 and rate > fixed else None
        own_cheaper = fixed + energy * u < rate
    star = None if star is None or not 0 <= star <= 1 else star
    return BreakEven(
        id=str(own["base_id"]),
        mode=mode,
        provider=provider,
        offer_usd_per_device_hour=offer_rate_usd,
        effective_usd_per_device_hour=rate,
        own_fixed_usd_per_device_hour=fixed,
        own_energy_usd_per_busy_hour=energy,
        own_usd_per_busy_device_hour=(fixed + energy * u) / u,
        break_even_utilisation=star,
        break_even_months=None if star is None else 12.0 * star,
        own_cheaper=own_cheaper,
    )
