"""Catalog: coverage, datasheet spot checks, provenance, overlays, staleness, validation errors."""

from __future__ import annotations

import datetime as dt

import pytest

from hwcatalog import CatalogError, UnknownItemError, load_catalog, load_schema, select, stale_prices, validate_file
from tests.conftest import TODAY, write

ACCELERATORS = [
    "nvidia-a100-80gb-sxm",
    "nvidia-h100-sxm",
    "nvidia-h100-pcie",
    "nvidia-h200-sxm",
    "nvidia-b200",
    "nvidia-b300",
    "nvidia-gb200",
    "nvidia-gb200-nvl72",
    "nvidia-gb300-nvl72",
    "nvidia-h800-sxm",
    "nvidia-h20",
    "nvidia-l40s",
    "amd-mi300x",
    "amd-mi325x",
    "amd-mi355x",
    "google-tpu-v5e",
    "google-tpu-v5p",
    "google-tpu-v6e",
    "google-tpu-v7",
    "intel-gaudi3",
    "aws-trainium2",
    "aws-trainium3",
]


def test_coverage(catalog):
    items = catalog.items
    assert set(ACCELERATORS) <= set(items.index)
    ver = select(items, category="verification")
    assert (ver["kind"] == "cpu").sum() >= 5
    assert (ver["kind"] == "fpga").sum() >= 2
    assert len(select(items, category="memory")) >= 3
    assert len(select(items, category="audit")) >= 1


@pytest.mark.parametrize(
    ("item_id", "attr", "value"),
    [
        ("nvidia-h100-sxm", "bf16_tflops", 989),
        ("nvidia-h100-sxm", "fp8_tflops", 1979),
        ("nvidia-h100-sxm", "hbm_gb", 80),
        ("nvidia-h100-sxm", "hbm_tbps", 3.35),
        ("nvidia-a100-80gb-sxm", "bf16_tflops", 312),
        ("nvidia-a100-80gb-sxm", "hbm_tbps", 2.039),
        ("nvidia-h200-sxm", "hbm_gb", 141),
        ("nvidia-h200-sxm", "hbm_tbps", 4.8),
        ("nvidia-h100-pcie", "bf16_tflops", 756),
        ("nvidia-b200", "fp8_tflops", 4500),
        ("nvidia-gb200-nvl72", "bf16_tflops", 180000),
        ("nvidia-gb200-nvl72", "devices_per_unit", 72),
        ("nvidia-l40s", "bf16_tflops", 362.05),
        ("amd-mi300x", "bf16_tflops", 1307.4),
        ("amd-mi300x", "hbm_gb", 192),
        ("amd-mi300x", "hbm_tbps", 5.3),
        ("amd-mi325x", "hbm_gb", 256),
        ("amd-mi355x", "hbm_gb", 288),
        ("google-tpu-v5e", "bf16_tflops", 197),
        ("google-tpu-v5p", "bf16_tflops", 459),
        ("google-tpu-v6e", "bf16_tflops", 918),
        ("intel-gaudi3", "bf16_tflops", 1835),
        ("intel-gaudi3", "hbm_gb", 128),
        ("aws-trainium2", "bf16_tflops", 667),
        ("aws-trainium2", "fp8_tflops", 1299),
        ("nvidia-b300", "bf16_tflops", 2250),
        ("nvidia-b300", "hbm_gb", 288),
        ("nvidia-gb300-nvl72", "bf16_tflops", 180000),
        ("nvidia-gb300-nvl72", "devices_per_unit", 72),
        ("amd-mi355x", "bf16_tflops", 2516.6),
        ("amd-mi355x", "board_power_kw", 1.4),
        ("amd-mi355x", "interconnect_gbps", 1075),
        ("google-tpu-v7", "bf16_tflops", 2307),
        ("google-tpu-v7", "fp8_tflops", 4614),
        ("aws-trainium3", "bf16_tflops", 671),
        ("aws-trainium3", "hbm_tbps", 4.9),
        ("nvidia-b200", "order_multiple", 8),
        ("nvidia-gb200", "order_multiple", 72),
        ("amd-mi355x", "order_multiple", 8),
    ],
)
def test_datasheet_spot_checks(catalog, item_id, attr, value):
    assert catalog.item(item_id)[attr] == pytest.approx(value)
    assert catalog.sources(item_id)[attr]["basis"] == "datasheet"


def test_dense_not_sparse(catalog):
    # Sparsity doubles the marketing figure; the catalog holds dense throughput.
    acc = select(catalog.items, category="accelerator")
    with_fp8 = acc.dropna(subset=["fp8_tflops"])
    ratio = with_fp8["fp8_tflops"] / with_fp8["bf16_tflops"]
    assert ((ratio > 0.99) & (ratio < 2.05)).all()
    assert catalog.item("nvidia-a100-80gb-sxm")["fp8_tflops"] != catalog.item("nvidia-a100-80gb-sxm")["fp8_tflops"]  # NaN: no FP8


def test_every_figure_sourced_or_estimate(catalog):
    figs = catalog.figures
    assert len(figs) > 200
    est = figs[figs["basis"] == "estimate"]
    assert (est["note"].str.len() > 10).all(), "every estimate states its reasoning"
    sourced = figs[figs["basis"] != "estimate"]
    assert sourced["source"].str.contains("http").all(), "every sourced figure cites a URL"
    assert figs["source_date"].notna().all()
    prices = figs[figs["attribute"].isin(["price_usd", "usd_per_hour"])]
    assert prices["currency_year"].notna().all()


def test_no_stale_prices_at_default_limit():
    # Issue 10: a default run (730 days) warns about nothing as of the catalog refresh date.
    assert load_catalog(today=TODAY).warnings == []


def test_order_granularity_for_every_item(catalog):
    items = catalog.items
    for item_id, row in items.iterrows():
        assert row["order_multiple"] >= 1, f"{item_id} lacks order_multiple"
        assert row["min_order_quantity"] >= 1, f"{item_id} lacks min_order_quantity"
        assert row["min_order_quantity"] % row["order_multiple"] == 0, item_id
    assert catalog.item("nvidia-gb200-nvl72")["order_multiple"] == 1
    assert catalog.item("nvidia-gb300-nvl72")["order_multiple"] == 1
    assert catalog.item("nvidia-h100-pcie")["order_multiple"] == 1


def test_export_variants_are_reference_only(catalog):
    for item_id in ("nvidia-h800-sxm", "nvidia-h20"):
        assert catalog.item(item_id)["availability"] == "reference"
    for item_id in ("google-tpu-v7", "aws-trainium2", "aws-trainium3"):
        assert catalog.item(item_id)["availability"] == "cloud-only"


def test_required_figures_present(catalog):
    schema = load_schema()
    for item_id, row in catalog.items.iterrows():
        for attr in schema.required_attributes(row["category"]):
            assert row[attr] == row[attr], f"{item_id} lacks {attr}"


def test_unknown_item_suggests(catalog):
    with pytest.raises(UnknownItemError, match="did you mean 'nvidia-h100-sxm'"):
        catalog.item("nvidia-h100-smx")


def test_schema_version_and_units():
    s = load_schema()
    assert s.version
    assert s.attributes["hbm_tbps"].unit == "TB/s"
    assert "bidirectional" in s.attributes["interconnect_gbps"].description


# ---------------------------------------------------------------------------------------- overlays


def test_csv_overlay_overrides_price_with_provenance(tmp_path):
    f = write(tmp_path, "quotes.csv", "id,price_usd,date,source\nnvidia-h100-sxm,21000,2026-10-01,Quote Q-17 from an OEM\n")
    cat = load_catalog([f], max_price_age_days=None)
    assert cat.item("nvidia-h100-sxm")["price_usd"] == 21000
    src = cat.sources("nvidia-h100-sxm")["price_usd"]
    assert src["origin"] == "overlay:quotes.csv"
    assert src["basis"] == "quote"
    assert src["source_date"] == "2026-10-01"
    assert cat.sources("nvidia-h100-sxm")["bf16_tflops"]["origin"] == "bundled"


def test_yaml_overlay_add_disable_discount(tmp_path):
    f = write(
        tmp_path,
        "mine.yaml",
        """
items:
  - id: my-gpu
    action: add
    name: My GPU
    vendor: Acme
    category: accelerator
    kind: gpu
    bf16_tflops: 500
    hbm_gb: 64
    hbm_tbps: 2
    power_kw: 0.8
    price_usd: 9000
    date: 2026-09-01
    source: Acme price list 2026
disable: [nvidia-l40s]
discounts: {NVIDIA: 0.1}
""",
    )
    base = load_catalog(max_price_age_days=None)
    cat = load_catalog([f], max_price_age_days=None)
    assert cat.item("my-gpu")["bf16_tflops"] == 500
    assert "nvidia-l40s" not in cat.items.index and cat.disabled == ("nvidia-l40s",)
    assert cat.item("nvidia-h100-sxm")["price_usd"] == pytest.approx(0.9 * base.item("nvidia-h100-sxm")["price_usd"])
    assert "discount overlay:mine.yaml" in cat.sources("nvidia-h100-sxm")["price_usd"]["origin"]
    assert cat.item("amd-mi300x")["price_usd"] == base.item("amd-mi300x")["price_usd"]


def test_discount_does_not_touch_quotes(tmp_path):
    f = write(tmp_path, "q.yaml", "items:\n  - {id: nvidia-h100-sxm, price_usd: 20000, date: 2026-10-01}\ndiscounts: {NVIDIA: 0.5}\n")
    cat = load_catalog([f], max_price_age_days=None)
    assert cat.item("nvidia-h100-sxm")["price_usd"] == 20000


def test_overlays_apply_in_order(tmp_path):
    a = write(tmp_path, "a.csv", "id,price_usd,date\nnvidia-h100-sxm,21000,2026-10-01\n")
    b = write(tmp_path, "b.csv", "id,price_usd,date\nnvidia-h100-sxm,19000,2026-11-01\n")
    assert load_catalog([a, b], max_price_age_days=None).item("nvidia-h100-sxm")["price_usd"] == 19000


def test_staleness_warnings(tmp_path):
    cat = load_catalog(today=TODAY, max_price_age_days=365)
    assert any("google-tpu-v6e" in w and "days old" in w for w in cat.warnings)
    fresh = write(tmp_path, "q.csv", "id,cloud_usd_per_hour,date\ngoogle-tpu-v6e,2.7,2026-11-01\n")
    cat2 = load_catalog([fresh], today=TODAY, max_price_age_days=365)
    assert not any("price of google-tpu-v6e " in w for w in cat2.warnings)
    frame = stale_prices(cat.figures, 365, TODAY)
    assert (frame["age_days"] > 365).all()
    assert load_catalog(today=TODAY, max_price_age_days=None).warnings == []
    assert load_catalog(today=dt.date(2020, 1, 1), max_price_age_days=0).warnings == []


# ---------------------------------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("a.csv", "id,prise_usd\nnvidia-h100-sxm,1\n", r"a.csv, row 1, field 'prise_usd': unknown column \(did you mean 'price_usd'\?\)"),
        ("a.csv", "id,price_usd,date\nnvidia-h100-sxm,abc,2026-01-01\n", r"row 2, field 'price_usd': expected a number in USD"),
        ("a.csv", "id,price_usd,date\nnvidia-h100-sxm,-5,2026-01-01\n", r"field 'price_usd': expected USD in \[0, 1e\+08\]"),
        ("a.csv", "id,hbm_gb,date\nnvidia-h100-sxm,1e9,2026-01-01\n", r"field 'hbm_gb': expected GB in"),
        (
            "a.csv",
            "id,price_usd,date\nnvidia-h100-smx,1,2026-01-01\n",
            r"unknown item id 'nvidia-h100-smx' \(did you mean 'nvidia-h100-sxm'",
        ),
        # overlay columns are named as in docs/catalog.md: the date column is 'date' (figures.csv calls it source_date)
        ("a.csv", "id,price_usd\nnvidia-h100-sxm,20000\n", r"a.csv, row 2, field 'date': expected the date of the source"),
        ("a.csv", "id,price_usd,date\nnvidia-h100-sxm,20000,01/10/2026\n", r"field 'date': expected an ISO date"),
        (
            "a.csv",
            "id,action,price_usd,date\nnvidia-h100-sxm,replace,1,2026-01-01\n",
            r"field 'action': expected one of set, add, disable, discount",
        ),
        ("a.csv", "id,action\nnvidia-h100-smx,disable\n", r"unknown item id"),
        ("a.csv", "vendor,discount,action\nNVDIA,0.1,discount\n", r"field 'vendor': unknown vendor 'NVDIA' \(did you mean 'NVIDIA'\?\)"),
        ("a.csv", "vendor,discount,action\nNVIDIA,1.5,discount\n", r"field 'discount': expected a fraction in \[0, 1\)"),
        (
            "a.csv",
            "id,checks_per_hour,date\nnvidia-h100-sxm,5,2026-01-01\n",
            r"attribute 'checks_per_hour' does not apply to category 'accelerator'",
        ),
        ("a.csv", "id\nnvidia-h100-sxm\n", r"a 'set' row must give at least one attribute"),
        (
            "a.csv",
            "id,action,name,vendor,category,kind,price_usd,date\nnvidia-h100-sxm,add,X,NVIDIA,accelerator,gpu,1,2026-01-01\n",
            r"already exists",
        ),
        (
            "a.csv",
            "id,action,name,vendor,category,kind,price_usd,date\nnew-gpu,add,X,Acme,accelerator,gpu,1,2026-01-01\n",
            r"a new accelerator needs bf16_tflops",
        ),
        (
            "a.csv",
            "id,action,name,vendor,category,kind,price_usd,date\nnew-gpu,add,X,Acme,gizmo,gpu,1,2026-01-01\n",
            r"field 'category': expected one of accelerator",
        ),
        (
            "a.csv",
            "id,action,name,vendor,category,kind,price_usd,date\nNew GPU,add,X,Acme,memory,cxl,1,2026-01-01\n",
            r"field 'id': expected lowercase",
        ),
        ("a.csv", "id,price_usd,date,basis\nnvidia-h100-sxm,1,2026-01-01,estimate\n", r"field 'note': an estimate needs its reasoning"),
        ("a.csv", "id,price_usd,date,currency_year\nnvidia-h100-sxm,1,2026-01-01,twenty\n", r"field 'currency_year': expected a year"),
        ("a.yaml", "items: [\n", r"a.yaml.*invalid YAML"),
        ("a.yaml", "quotes: []\n", r"field 'quotes': unknown key"),
        (
            "a.yaml",
            "items:\n  - {id: nvidia-h100-sxm, prize_usd: 3}\n",
            r"row items\[0\], field 'prize_usd': unknown field \(did you mean 'price_usd'\?\)",
        ),
        ("a.yaml", "items: {id: x}\n", r"field 'items': expected a list"),
        ("a.yaml", "- 1\n", r"expected a mapping"),
        ("a.txt", "id\n", r"unsupported file type '.txt'"),
    ],
)
def test_overlay_errors(tmp_path, name, text, match):
    f = write(tmp_path, name, text)
    with pytest.raises(CatalogError, match=match):
        load_catalog([f], max_price_age_days=None)
    with pytest.raises(CatalogError):
        validate_file(f)


def test_missing_overlay_file(tmp_path):
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog([tmp_path / "nope.csv"])


def test_error_is_one_line(tmp_path):
    f = write(tmp_path, "a.csv", "id,price_usd,date\nnvidia-h100-sxm,abc,2026-01-01\n")
    with pytest.raises(CatalogError) as info:
        load_catalog([f])
    assert "\n" not in str(info.value)
    assert info.value.file == str(f) and info.value.row == 2 and info.value.field == "price_usd"


def test_validate_file_ok(tmp_path):
    f = write(tmp_path, "ok.csv", "id,price_usd,date,source\nnvidia-h100-sxm,21000,2026-10-01,quote\n")
    assert validate_file(f) == 1


def test_bundled_tables_validation_paths(monkeypatch):
    """Errors in the bundled tables themselves are caught too (duplicate ids, unknown items)."""
    from hwcatalog import bundled as mod
    from hwcatalog import validate

    schema = load_schema()
    items = "id,name,vendor,category,kind,availability,experimental,description\nx-1,X,V,memory,cxl,purchase,false,d\nx-1,X,V,memory,cxl,purchase,false,d\n"
    with pytest.raises(CatalogError, match="duplicate item id 'x-1'"):
        mod.parse_tables(items, "item_id,attribute,value,basis,source_date\n", schema, "items.csv", "figures.csv", "bundled")
    items1 = items.splitlines(keepends=True)
    items1 = "".join(items1[:2])
    figs = "item_id,attribute,value,basis,source,source_date\nx-2,capacity_gb,1,datasheet,http://x,2024-01-01\n"
    with pytest.raises(CatalogError, match=r"figures.csv, row 2, field 'id': unknown item id 'x-2'"):
        mod.parse_tables(items1, figs, schema, "items.csv", "figures.csv", "bundled")
    figs_dup = "item_id,attribute,value,basis,source,source_date\nx-1,capacity_gb,1,datasheet,http://x,2024-01-01\nx-1,capacity_gb,2,datasheet,http://x,2024-01-01\n"
    with pytest.raises(CatalogError, match="duplicate figure 'capacity_gb'"):
        mod.parse_tables(items1, figs_dup, schema, "items.csv", "figures.csv", "bundled")
    good_items, good_figs = mod.parse_tables(
        items1, "item_id,attribute,value,basis,source,source_date\n", schema, "items.csv", "figures.csv", "bundled"
    )
    with pytest.raises(CatalogError, match=r"item 'x-1' \(memory\) has no 'power_kw'"):
        validate.check_required(good_items, good_figs, schema, "figures.csv")
