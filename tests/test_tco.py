"""Own, rent or reserve, and the whole cost of ownership (planner.tco, planner.acquisition).

Hand-checkable cases on the toy catalog: toy-gpu costs USD 10,000, draws 1 kW (PUE 1, USD 0.1/kWh,
so USD 0.10 per busy hour of energy) and trains 2.628e12 tokens a year at full use.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from planner import plan
from planner.costs import capital_recovery_factor
from planner.scenario import build_scenario, with_changes
from planner.tco import owned_components, paid_hours

H = 8760.0
PRICE, ENERGY_PER_H = 10_000.0, 0.1
OD_RATE, RES_RATE = 1.00, 0.60


def offers(*rows: tuple[str, str, float]) -> pd.DataFrame:
    """An offers frame (hwcatalog.offers columns) of (item, mode, USD per device-hour) rows."""
    recs = [
        {
            "provider": "testcloud",
            "item": item,
            "mode": mode,
            "usd_per_device_hour": rate,
            "region": "",
            "max_devices": None,
            "source": "test fixture",
            "date": "2026-11-01",
            "note": "",
            "origin": "test",
        }
        for item, mode, rate in rows
    ]
    return pd.DataFrame(recs)


@pytest.fixture
def rent_catalog(toy_catalog):
    return dataclasses.replace(toy_catalog, offers=offers(("toy-gpu", "on-demand", OD_RATE), ("toy-gpu", "reserved-1y", RES_RATE)))


def _gpu_lines(p):
    return [(li.mode, li.role, li.quantity) for li in p.items if li.category == "accelerator"]


def test_one_month_a_year_rents_on_demand(toy_scenario, rent_catalog):
    """Busy 1/12 of the year, amortised: owning costs (F + e/12) / (1/12) per busy hour with
    F = 10,000 CRF(0.08, 5) / 8760 = USD 0.286/h, about USD 3.53; on demand USD 1.00; a
    reservation is paid all year, USD 0.60 x 12 = 7.20 per busy hour. On demand wins."""
    s = with_changes(toy_scenario, {"costs.view": "amortised", "acquisition.busy_fraction": 1 / 12})
    p = plan(s, rent_catalog, marginals=False)
    # 5e12 tokens need ceil(5e12 / (2.628e12 / 12)) = 23 rented units, each paid 730 h at USD 1.00
    assert _gpu_lines(p) == [("on-demand", "training", 23)]
    li = p.items[0]
    assert li.provider == "testcloud" and li.offer_id == "toy-gpu@testcloud:on-demand"
    assert li.extended_cost_usd == pytest.approx(23 * OD_RATE * H / 12)
    assert li.power_kw == 0 and li.unit_price_usd == 0
    assert p.unit_costs.usd_per_device_hour["toy-gpu@testcloud:on-demand"] == pytest.approx(OD_RATE)
    row = next(r for r in p.break_even if r.mode == "on-demand")
    fixed = PRICE * capital_recovery_factor(0.08, 5) / H
    assert row.own_fixed_usd_per_device_hour == pytest.approx(fixed)
    assert row.break_even_utilisation == pytest.approx(fixed / (OD_RATE - ENERGY_PER_H))  # 0.317
    assert row.break_even_months == pytest.approx(12 * fixed / (OD_RATE - ENERGY_PER_H))
    assert row.own_wins == "above" and not row.own_cheaper
    assert "on-demand" in li.acquisition_reason and "busy 8%" in li.acquisition_reason


def test_busy_all_year_owns(toy_scenario, rent_catalog):
    """Busy all year, amortised: owning at F + e = USD 0.386/h beats a reservation (0.60) and
    on demand (1.00); 2 owned units as in the price-only case."""
    s = with_changes(toy_scenario, {"costs.view": "amortised"})
    p = plan(s, rent_catalog, marginals=False)
    assert _gpu_lines(p) == [("own", "training", 2)]
    fixed = PRICE * capital_recovery_factor(0.08, 5) / H
    assert p.unit_costs.usd_per_device_hour["toy-gpu"] == pytest.approx(fixed + ENERGY_PER_H)
    rows = {r.mode: r for r in p.break_even}
    assert rows["on-demand"].own_cheaper and rows["reserved-1y"].own_cheaper
    # owning beats the reservation below u* = (0.60 - F) / e, which is above 1: at any busy share
    assert rows["reserved-1y"].own_wins == "below" and rows["reserved-1y"].break_even_utilisation is None
    assert p.items[0].acquisition_reason.startswith("owned")


def test_most_of_one_year_in_cash_reserves(toy_scenario, rent_catalog):
    """A one-year plan paid in cash, busy 9 months: owning pays the whole USD 10,000 (USD 1.14 per
    hour of the year), a one-year reservation USD 0.60 per hour, on demand 0.75 x 1.00 = USD 0.75
    per hour of the year. Reserving beats on demand above 0.60 busy, so it wins."""
    s = with_changes(toy_scenario, {"acquisition.busy_fraction": 0.75})
    p = plan(s, rent_catalog, marginals=False)
    # 5e12 / (0.75 x 2.628e12) = 2.54 -> 3 reserved units at 8,760 h x USD 0.60
    assert _gpu_lines(p) == [("reserved-1y", "training", 3)]
    assert p.cost_usd.total == pytest.approx(3 * RES_RATE * H)
    rows = {r.mode: r for r in p.break_even}
    assert not rows["reserved-1y"].own_cheaper
    # owning beats on demand above u* = (PRICE / H) / (1.00 - 0.10) = 1.27: never within the year
    assert rows["on-demand"].break_even_utilisation is None and not rows["on-demand"].own_cheaper
    assert "reserved-1y" in p.items[0].acquisition_reason


def test_modes_restrict_acquisition(toy_scenario, rent_catalog):
    s = with_changes(toy_scenario, {"acquisition.modes": ["own"], "acquisition.busy_fraction": 1 / 12, "costs.view": "amortised"})
    assert {li.mode for li in plan(s, rent_catalog, marginals=False).items} == {"own"}


def test_offer_cap_limits_rented_units(toy_scenario, toy_catalog):
    """A capped offer supplies at most max_devices; the rest is owned."""
    capped = offers(("toy-gpu", "on-demand", 0.01))
    capped["max_devices"] = 1
    cat = dataclasses.replace(toy_catalog, offers=capped)
    p = plan(toy_scenario, cat, marginals=False)
    assert sorted(_gpu_lines(p)) == [("on-demand", "training", 1), ("own", "training", 1)]


def test_spot_delivers_its_share(toy_scenario, toy_catalog):
    """Spot at availability a = 0.9 and overhead o = 0.1 delivers 0.81 of a unit and is paid
    0.9 of the busy hours: 5e12 / (0.81 x 2.628e12) = 2.35 -> 3 units, 3 x 0.9 x 8760 x rate."""
    cat = dataclasses.replace(toy_catalog, offers=offers(("toy-gpu", "spot", 0.2)))
    p = plan(toy_scenario, cat, marginals=False)
    assert _gpu_lines(p) == [("spot", "training", 3)]
    assert p.cost_usd.total == pytest.approx(3 * 0.9 * H * 0.2)


def test_short_run_on_rented_h100_costs_gpu_hours_times_rate(catalog):
    """Llama 3.1 405B: 15.6e12 tokens on H100s in about 54 days (Dubey et al. 2024, arXiv:2407.21783);
    Meta's model card reports 30.84M H100-hours. Rented at USD 2 per GPU-hour, the plan costs its
    GPU-hours x 2, within 10% of 30.84M x 2 = USD 61.7M (our 6ND hours at MFU 0.40 and goodput 0.9),
    not the price of a cluster."""
    cat = dataclasses.replace(catalog, offers=offers(("nvidia-h100-sxm", "on-demand", 2.0)))
    s = build_scenario(
        {
            "horizon_years": 54 / 365,
            "budget_usd": 5e8,
            "objective": "min-cost",
            "alpha_floor": 0,
            "model": {"total_params": 4.05e11, "active_params": 4.05e11, "kv_bytes_per_token": 516096, "attention_width": 2064384},
            "data": {"external_tokens": 1.6e13},
            "targets": {"training_tokens": 1.56e13},
            "facility": {"availability": 1.0},
            "acquisition": {"modes": ["on-demand"]},
        }
    )
    p = plan(s, cat, marginals=False)
    rented = [li for li in p.items if li.category == "accelerator"]
    assert [li.mode for li in rented] == ["on-demand"]
    gpu_hours = sum(li.quantity for li in rented) * s.horizon_hours
    assert p.cost_usd.total == pytest.approx(gpu_hours * 2.0)
    assert p.cost_usd.total == pytest.approx(30.84e6 * 2.0, rel=0.10)
    owned = plan(with_changes(s, {"acquisition.modes": ["own"]}), cat, marginals=False)
    assert owned.cost_usd.total > 5 * p.cost_usd.total  # buying the cluster for 54 days costs its price


@pytest.mark.parametrize("item", ["nvidia-h100-sxm", "nvidia-b200", "amd-mi300x"])
def test_amortised_cost_per_hour_does_not_depend_on_the_horizon(catalog, item):
    """Amortised, an owned unit costs the same per device-hour over 1 or 4 years (level charges)."""
    it = catalog.items.loc[item]
    per_hour = []
    for years in (1.0, 4.0):
        s = build_scenario({"horizon_years": years, "costs": {"view": "amortised"}})
        per_hour.append(sum(owned_components(it, s).values()) / (years * H))
    assert per_hour[0] == pytest.approx(per_hour[1], rel=1e-12)


def test_cash_cost_per_hour_does_depend_on_the_horizon(catalog):
    it = catalog.items.loc["nvidia-h100-sxm"]
    one, four = (sum(owned_components(it, build_scenario({"horizon_years": y})).values()) / (y * H) for y in (1.0, 4.0))
    assert one > 2.5 * four


def test_owned_h100_tco_per_gpu_hour_in_published_range(catalog):
    """All components, amortised over 5 years at 8%, colocated, busy all year: within the USD
    1.3-2.3 per H100-hour of published TCO analyses (docs/model.md "Cost of ownership")."""
    s = build_scenario({"costs": {"view": "amortised"}})
    comp = owned_components(catalog.items.loc["nvidia-h100-sxm"], s)
    per_hour = sum(comp.values()) / H
    assert 1.3 <= per_hour <= 2.3
    assert comp["network"] > 0 and comp["storage"] > 0 and comp["colocation"] > 0 and comp["staff"] > 0


def test_reserved_cash_pays_the_whole_commitment():
    s = build_scenario({"horizon_years": 0.5})
    assert paid_hours("reserved-3y", s) == 3 * H
    assert paid_hours("reserved-1y", s) == H
    assert paid_hours("reserved-1y", with_changes(s, {"costs.view": "amortised"})) == 0.5 * H


def test_three_tier_fabric_uplift_paid_beyond_two_tiers(toy_scenario, toy_catalog):
    """With a two-tier limit of 2 devices and a USD 1,000 uplift, 3+ owned GPUs pay it on every GPU."""
    s = with_changes(
        toy_scenario,
        {
            "costs.network_usd_per_accelerator_two_tier": 100,
            "costs.network_usd_per_accelerator_three_tier": 1100,
            "costs.network_two_tier_max_accelerators": 2,
            "targets.training_tokens": 7e12,
        },
    )
    p = plan(s, toy_catalog, marginals=False)
    n = sum(li.quantity for li in p.items if li.category == "accelerator")
    assert n == math.ceil(7e12 / 2.628e12) == 3
    assert p.cost_usd.components["network"] == pytest.approx(3 * 1100)
    two = plan(with_changes(s, {"targets.training_tokens": 5e12}), toy_catalog, marginals=False)
    assert two.cost_usd.components["network"] == pytest.approx(2 * 100)


def test_costs_reconcile_with_components(toy_scenario, rent_catalog):
    p = plan(with_changes(toy_scenario, {"acquisition.busy_fraction": 0.5}), rent_catalog, marginals=False)
    assert p.cost_usd.total == pytest.approx(sum(p.cost_usd.components.values()))
    assert p.cost_usd.total == pytest.approx(sum(li.extended_cost_usd for li in p.items))
    assert p.cost_usd.capex + p.cost_usd.opex == pytest.approx(p.cost_usd.total)


def test_compare_across_modes_shows_the_money_moved(toy_scenario, rent_catalog):
    """Own-only against rent-allowed at a busy share of 1/12: the comparison names the spend moved
    from owned units to on-demand ones."""
    from planner.compare import compare, drivers

    s = with_changes(toy_scenario, {"costs.view": "amortised", "acquisition.busy_fraction": 1 / 12})
    own = with_changes(s, {"acquisition.modes": ["own"], "name": "own-only"})
    comp = compare([("own-only", own, {}), ("rent", with_changes(s, {"name": "rent"}), {})], rent_catalog, marginals=False)
    text = " ".join(drivers(comp))
    assert "by acquisition mode, moved USD" in text and "from owned" in text and "to on-demand" in text
    table = comp.table().set_index("name")
    assert table.at["own-only", "rented_usd"] == 0 and table.at["rent", "owned_usd"] == 0


def test_cli_offers_file_rents_within_its_cap(tmp_path):
    """`plan --offers FILE` reads the file beside the bundled offers; the capped quote is used up to
    its max_devices and the JSON says so line by line."""
    import json

    from click.testing import CliRunner

    from planner.cli import cli

    quotes = tmp_path / "quotes.csv"
    quotes.write_text(
        "provider,item,mode,usd_per_device_hour,region,max_devices,source,date\n"
        "acme,nvidia-h100-sxm,reserved-1y,1.0,us-east,64,quote 42,2026-11-15\n",
        encoding="utf-8",
    )
    r = CliRunner().invoke(cli, ["--budget", "2e7", "--offers", str(quotes), "--format", "json", "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    rented = [i for i in d["items"] if i["mode"] == "reserved-1y"]
    assert rented and sum(i["quantity"] for i in rented) <= 64
    assert all(i["provider"] == "acme" and i["offer_id"] == "nvidia-h100-sxm@acme:reserved-1y" for i in rented)
    assert d["unit_costs"]["usd_per_device_hour"]["nvidia-h100-sxm@acme:reserved-1y"] == pytest.approx(1.0)
    bad = tmp_path / "bad.csv"
    bad.write_text(quotes.read_text().replace("reserved-1y", "lease"), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--budget", "2e7", "--offers", str(bad), "-q"], catch_exceptions=False)
    assert r.exit_code != 0 and "bad.csv" in r.output and "mode" in r.output and "Traceback" not in r.output


def test_overlay_item_gets_its_category_host_share(tmp_path):
    """An accelerator added without host_share_usd gets the median of the catalog's GPUs (an estimate
    that says so); one that sets it keeps its own."""
    from hwcatalog import load_catalog

    f = tmp_path / "new.yaml"
    f.write_text(
        "items:\n"
        "  - {id: new-gpu, action: add, name: New GPU, vendor: Acme, category: accelerator, kind: gpu, bf16_tflops: 1000,"
        " hbm_gb: 100, hbm_tbps: 4, power_kw: 1, price_usd: 36000, date: 2026-11-01, source: quote 7}\n"
        "  - {id: own-host, action: add, name: Own host, vendor: Acme, category: accelerator, kind: gpu, bf16_tflops: 1000,"
        " hbm_gb: 100, hbm_tbps: 4, power_kw: 1, price_usd: 36000, host_share_usd: 2000, date: 2026-11-01, source: quote 8}\n",
        encoding="utf-8",
    )
    cat = load_catalog([f], max_price_age_days=None)
    shares = cat.figures[(cat.figures["attribute"] == "host_share_usd")].set_index("item_id")
    bundled_gpus = [i for i in cat.items.index if cat.items.at[i, "kind"] == "gpu" and i not in ("new-gpu", "own-host")]
    singles = [shares.at[i, "value"] for i in bundled_gpus if i in shares.index and float(cat.items.at[i, "devices_per_unit"] or 1) <= 1]
    assert shares.at["new-gpu", "value"] == pytest.approx(float(pd.Series(singles).median()))
    assert shares.at["new-gpu", "basis"] == "estimate" and "median host share" in shares.at["new-gpu", "source"]
    assert shares.at["own-host", "value"] == 2000 and shares.at["own-host", "basis"] == "quote"


def test_capped_offers_never_stand_in_for_each_other(toy_scenario, toy_catalog):
    """Two capped offers of one item, one dearer: the dearer is not dominated, since the cheaper
    one's cap stops it taking the dearer's units. 5e12 tokens need 2 units; each offer has 1."""
    frame = offers(("toy-gpu", "on-demand", 0.5), ("toy-gpu", "on-demand", 0.6))
    frame["provider"] = ["cheap", "dear"]
    frame["max_devices"] = 1
    cat = dataclasses.replace(toy_catalog, offers=frame)
    s = with_changes(toy_scenario, {"acquisition.modes": ["on-demand"]})
    p = plan(s, cat, marginals=False)
    assert sorted((li.provider, li.quantity) for li in p.items if li.category == "accelerator") == [("cheap", 1), ("dear", 1)]
    assert p.cost_usd.total == pytest.approx((0.5 + 0.6) * H)


def test_cloud_only_items_are_rented_or_refused(catalog):
    """A TPU named in catalog.only is rented when an offer can supply it; with none, a one-line error
    says how to get it. Owned at its capitalised price (allow_cloud_only) it charges the price only."""
    from planner.errors import ScenarioError

    only = {"only": ["google-tpu-v6e", "cpu-2x-epyc-9965"]}
    rent = build_scenario({"catalog": only, "acquisition": {"bundled_offer_max_devices": 256}, "budget_usd": 2e7})
    p = plan(rent, catalog, marginals=False)
    assert {li.mode for li in p.items if li.category == "accelerator"} <= {"on-demand", "spot", "reserved-1y", "reserved-3y"}
    with pytest.raises(ScenarioError, match="cloud-only: rent it through an offer"):
        plan(build_scenario({"catalog": only, "budget_usd": 2e7}), catalog, marginals=False)
    comp = owned_components(catalog.items.loc["google-tpu-v6e"], build_scenario({}))
    assert comp["device"] == pytest.approx(float(catalog.items.at["google-tpu-v6e", "price_usd"]))
    assert sum(v for k, v in comp.items() if k != "device") == 0
