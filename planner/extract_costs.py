"""Read the plan's costs: components per line, totals, cost per useful unit, own-or-rent figures.

Every figure is a per-unit component of :mod:`planner.tco` (as the model multiplied it) times the
solved counts, plus the three-tier fabric uplift the model paid when its binary is set.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from hwcatalog import Catalog

from .acquisition import break_even, usable_offers
from .model.types import GTOK, BuiltModel
from .result import BreakEvenRow, CostUSD, LineItem, UnitCosts
from .tco import (
    ACQUISITION_MODES,
    CAPITAL_COMPONENTS,
    COMPONENTS,
    OPEX_COMPONENTS,
    busy_device_hours,
    capital_factor,
    delivery_share,
    network_tier3_usd,
    number_or,
    owned_components,
)

Counts = dict[tuple[str, str], int]


def three_tier(m: BuiltModel) -> bool:
    """Whether the solved owned fleet pays for a three-tier fabric."""
    y = m.fabric.get("three_tier")
    return y is not None and (y.value() or 0.0) > 0.5


def unit_components(m: BuiltModel, caps_id: str) -> dict[str, float]:
    """USD per unit over the horizon by component, the fabric uplift included when paid."""
    c = m.inp.caps.loc[caps_id]
    out = {k: float(c[f"{k}_usd"]) for k in COMPONENTS}
    if three_tier(m) and c["mode"] == "own":
        out["network"] += float(c["network_tier3_usd"])
    return out


def line_costs(m: BuiltModel, caps_id: str, q: int) -> dict[str, Any]:
    """The cost fields of a line of ``q`` units (see :class:`planner.result.LineItem`)."""
    comp = unit_components(m, caps_id)
    capital = sum(comp[k] for k in CAPITAL_COMPONENTS)
    opex = sum(comp[k] for k in OPEX_COMPONENTS)
    c = m.inp.caps.loc[caps_id]
    devices = float(c["devices_per_unit"])
    useful_hours = busy_device_hours(devices, m.inp.scenario) * delivery_share(str(c["mode"]), m.inp.scenario)
    rate = float(c["offer_usd_per_device_hour"])
    return {
        "unit_cash_capital_usd": cash_capital(comp, m.inp.scenario),
        "usd_per_device_hour": (capital + opex) / useful_hours if devices > 0 else None,
        "offer_usd_per_device_hour": None if math.isnan(rate) else rate,
        "unit_cost_components_usd": comp,
        "unit_capital_usd": capital,
        "extended_capital_usd": q * capital,
        "unit_opex_usd": opex,
        "extended_opex_usd": q * opex,
        "unit_cost_usd": capital + opex,
        "extended_cost_usd": q * (capital + opex),
    }


def cash_capital(comp: dict[str, float], s: Any) -> float:
    """The cash a unit's capital components cost when bought: each divided by the share of it the
    cost view charges to the horizon (1 in the cash view; the data centre over its own lifetime)."""
    k, k_dc = capital_factor(s), capital_factor(s, s.costs.datacenter_lifetime_years)
    return sum(comp[c] for c in ("device", "host", "network", "storage")) / k + comp["datacenter"] / k_dc


def plan_costs(items: tuple[LineItem, ...], budget_usd: float, view: str) -> CostUSD:
    """Capital (in the cost view) and opex of the bought lines, by component."""
    comps = {k: sum((li.quantity * li.unit_cost_components_usd.get(k, 0.0) for li in items), 0.0) for k in COMPONENTS}
    capex = sum(comps[k] for k in CAPITAL_COMPONENTS)
    opex = sum(comps[k] for k in OPEX_COMPONENTS)
    purchase = sum((li.quantity * li.unit_cash_capital_usd for li in items), 0.0)
    total = capex + opex
    return CostUSD(
        capex,
        opex,
        total,
        comps["energy"],
        comps["maintenance"],
        comps["labour"],
        budget_usd - total,
        view=view,
        purchase=purchase,
        components=comps,
    )


def unit_costs(m: BuiltModel, items: tuple[LineItem, ...], spend_total: dict[str, float], flows: dict[str, float]) -> UnitCosts:
    """Cost per busy device-hour of every accelerator line, and per useful unit for the plan."""
    per_hour: dict[str, float] = {}
    by_comp: dict[str, dict[str, float]] = {}
    s = m.inp.scenario
    for li in items:
        if li.usd_per_device_hour is None or li.category != "accelerator":
            continue
        hours = busy_device_hours(float(m.inp.caps.at[li.key, "devices_per_unit"]), s) * delivery_share(li.mode, s)
        per_hour[li.key] = li.usd_per_device_hour
        by_comp[li.key] = {k: v / hours for k, v in li.unit_cost_components_usd.items() if v}
    agents = flows["A"] if not s.targets.agents else min(flows["A"], s.targets.agents)
    output_tokens = agents * s.agents.tokens_per_s * s.productive_seconds + flows["G"] * GTOK
    trained_flop = 6.0 * s.model.active_params * (flows["E_ext"] + flows["E_ver"] + flows["G"]) * GTOK
    return UnitCosts(
        usd_per_device_hour=per_hour,
        components_usd_per_device_hour=by_comp,
        usd_per_million_output_tokens=spend_total["inference"] / output_tokens * 1e6 if output_tokens > 0 else None,
        usd_per_1e24_training_flop=spend_total["training"] / trained_flop * 1e24 if trained_flop > 0 else None,
    )


def _owned_row(catalog: Catalog, item_id: str, m: BuiltModel) -> pd.Series:
    """What break-even needs of an owned unit: components (the three-tier uplift included when
    the plan's owned fleet pays it), devices, id."""
    it = catalog.items.loc[item_id]
    comp = owned_components(it, m.inp.scenario)
    if three_tier(m):
        comp["network"] += network_tier3_usd(it, m.inp.scenario)
    devices = number_or(it.get("devices_per_unit"), 1.0) or 1.0
    return pd.Series({**{f"{k}_usd": v for k, v in comp.items()}, "devices_per_unit": devices, "base_id": item_id})


def break_even_rows(m: BuiltModel, catalog: Catalog, items: tuple[LineItem, ...]) -> tuple[BreakEvenRow, ...]:
    """For each accelerator the plan uses and each rental mode with an offer: owning against the
    cheapest offer (two-tier fabric; the uplift only changes which side of u* a large fleet is)."""
    used = sorted({li.id for li in items if li.category == "accelerator"})
    offers = usable_offers(catalog.offers, catalog.items, m.inp.scenario.model_copy(update={"acquisition": _all_modes(m)}), references=True)
    rows = []
    for item_id in used:
        own = _owned_row(catalog, item_id, m)
        mine = offers[offers["item"] == item_id]
        for mode, group in mine.groupby("mode", sort=True):
            best = group.sort_values("usd_per_device_hour").iloc[0]
            b = break_even(own, float(best["usd_per_device_hour"]), str(mode), str(best["provider"]), m.inp.scenario)
            rows.append(
                BreakEvenRow(
                    id=item_id,
                    mode=b.mode,
                    provider=b.provider,
                    offer_usd_per_device_hour=b.offer_usd_per_device_hour,
                    effective_usd_per_device_hour=b.effective_usd_per_device_hour,
                    own_fixed_usd_per_device_hour=b.own_fixed_usd_per_device_hour,
                    own_energy_usd_per_busy_hour=b.own_energy_usd_per_busy_hour,
                    own_usd_per_busy_device_hour=b.own_usd_per_busy_device_hour,
                    break_even_utilisation=b.break_even_utilisation,
                    break_even_months=b.break_even_months,
                    own_wins="above" if b.own_wins_above else "below",
                    own_cheaper=b.own_cheaper,
                )
            )
    return tuple(rows)


def _all_modes(m: BuiltModel) -> Any:
    """The scenario's acquisition block with every mode allowed (break-even is shown for all)."""
    a = m.inp.scenario.acquisition
    return a.model_copy(update={"modes": ("own", "on-demand", "spot", "reserved-1y", "reserved-3y")})


def reason(li: LineItem, rows: tuple[BreakEvenRow, ...], busy: float, usable: dict[tuple[str, str, str], float]) -> str | None:
    """Why the plan acquires an accelerator line the way it does, in one sentence. ``usable`` maps
    (item, mode, provider) of the offers the model could buy from to their unit cap (inf: none)."""
    if li.category != "accelerator":
        return None
    mine = [r for r in rows if r.id == li.id]
    pct = f"busy {busy:.0%} of the horizon"
    if li.mode == "own":
        own = f"owned at USD {mine[0].own_usd_per_busy_device_hour:,.2f} per busy device-hour ({pct})" if mine else "owned"
        if not mine:
            return own + ": no rental offer for this item"
        cheaper = [r for r in mine if not r.own_cheaper]
        if not cheaper:
            return own + "; it beats " + "; ".join(_cmp(r) for r in mine)
        return own + "; cheaper to rent: " + "; ".join(f"{_cmp(r)}, {why_not(r, usable)}" for r in cheaper)
    row = next((r for r in mine if r.mode == li.mode and r.provider == li.provider), None)
    head = f"rented {li.mode} from {li.provider} at USD {li.offer_usd_per_device_hour or 0:,.2f}/h ({pct})"
    if row is None or not row.own_cheaper:
        own = f"; owning would cost USD {row.own_usd_per_busy_device_hour:,.2f} per busy device-hour" if row else ""
        return head + own
    return head + (
        f"; owning is cheaper per device-hour (USD {row.own_usd_per_busy_device_hour:,.2f}) but comes in whole orders, "
        "so the rental tops up what the budget or the order multiples leave"
    )


def why_not(r: BreakEvenRow, usable: dict[tuple[str, str, str], float]) -> str:
    """Why a cheaper offer did not take the whole line."""
    cap = usable.get((r.id, r.mode, r.provider))
    if cap is None:
        return "a list price that promises no capacity (set acquisition.bundled_offer_max_devices or give --offers)"
    if math.isfinite(cap):
        return f"whose cap of {cap:,.0f} units is used"
    return "left out by purchase terms, model limits or the budget"


def _cmp(r: BreakEvenRow) -> str:
    """``on-demand from lambda at USD 2.99/h (owning wins above 41% busy, 4.9 months a year)``."""
    rate = f"{r.mode} from {r.provider} at USD {r.offer_usd_per_device_hour:,.2f}/h"
    if abs(r.effective_usd_per_device_hour - r.offer_usd_per_device_hour) > 0.005:
        per = "per useful hour" if r.mode in ("on-demand", "spot") else "per hour of this plan"
        rate += f" (USD {r.effective_usd_per_device_hour:,.2f} {per})"
    if r.break_even_utilisation is None:
        side = "owning cheaper at any busy share" if r.own_cheaper else "owning never cheaper at any busy share"
    else:
        side = f"owning wins {r.own_wins} {r.break_even_utilisation:.0%} busy, {r.break_even_months:.1f} months a year"
    return f"{rate} ({side})"


def usable_offer_caps(caps: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """(item, mode, provider) -> unit cap of every rented variant the model could buy (``caps``:
    the model's per-unit capabilities, ``Plan.capabilities``)."""
    rented = caps[caps["mode"] != "own"]
    return {(str(r["base_id"]), str(r["mode"]), str(r["provider"])): float(r["max_units"]) for _, r in rented.iterrows()}


def spend_by_mode(items: tuple[LineItem, ...]) -> dict[str, float]:
    """All-in spend (USD) by acquisition mode: own, on-demand, spot, reserved-1y, reserved-3y."""
    return {mode: sum((li.extended_cost_usd for li in items if li.mode == mode), 0.0) for mode in ACQUISITION_MODES}
