"""Rental offers: the bundled table, user files (CSV, YAML), SkyPilot imports, merging, bad input and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from click.testing import CliRunner

from hwcatalog import MODES, OFFER_COLUMNS, CatalogError, InputFileError, UnknownItemError, bundled_offers, load_offers, read_offers
from hwcatalog.offers import skypilot_item
from planner.cli import cli
from tests.conftest import DATA, write

SKY = DATA / "skypilot"
HEADER = "provider,item,mode,usd_per_device_hour,region,max_devices,source,date,note\n"
ROW = "acme,nvidia-h100-sxm,on-demand,2.5,us,8,Quote Q-1,2026-10-01,\n"
SKY_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone\n"


@pytest.fixture(scope="module")
def ids(catalog):
    return catalog.ids


def offer(frame, provider, item, mode):
    rows = frame[(frame["provider"] == provider) & (frame["item"] == item) & (frame["mode"] == mode)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def run(*args):
    return CliRunner().invoke(cli, ["catalog", "offers", *map(str, args)])


# ---------------------------------------------------------------------------------------- bundled table


def test_bundled_offers_load_and_validate(ids):
    b = bundled_offers()
    assert tuple(b.columns) == OFFER_COLUMNS and len(b) >= 5
    assert set(b["origin"]) == {"bundled"} and set(b["mode"]) <= set(MODES) and set(b["item"]) <= set(ids)
    assert ((b["usd_per_device_hour"] > 0) & (b["usd_per_device_hour"] <= 1000)).all()
    assert b["source"].str.contains("https://").all(), "every bundled offer cites a URL"
    assert (b["date"] <= dt.date.today().isoformat()).all()
    assert not b.duplicated(["provider", "item", "mode", "region"]).any()
    assert str(b["max_devices"].dtype) == "Int64"


def test_bundled_h100_on_demand_prices_are_plausible():
    b = bundled_offers()
    h100 = b[(b["item"] == "nvidia-h100-sxm") & (b["mode"] == "on-demand")]["usd_per_device_hour"]
    assert len(h100) >= 3 and h100.between(1.5, 13).all(), h100.tolist()
    spot = b[b["mode"] == "spot"].set_index(["provider", "item", "region"])["usd_per_device_hour"]
    on_demand = b[b["mode"] == "on-demand"].set_index(["provider", "item", "region"])["usd_per_device_hour"]
    both = spot.index.intersection(on_demand.index)
    assert len(both) >= 5 and (spot[both] < on_demand[both]).all(), "spot is cheaper than on-demand where a provider offers both"


def test_bundled_prices_checked_by_hand():
    b = bundled_offers()
    # the catalog's own cloud_usd_per_hour figures (figures.csv) are in the table
    assert offer(b, "lambda", "nvidia-h100-sxm", "on-demand")["usd_per_device_hour"] == 2.99
    assert offer(b, "lambda", "nvidia-a100-80gb-sxm", "on-demand")["usd_per_device_hour"] == 1.79
    # p5en.48xlarge USD 84.80/h for 8 H200: 10.60 per GPU-hour
    assert offer(b, "aws", "nvidia-h200-sxm", "on-demand")["usd_per_device_hour"] == pytest.approx(84.80 / 8, abs=0.005)
    # tpu-v5p-3200 USD 6720/h is 1600 chips: 4.20 per chip-hour
    assert offer(b, "gcp", "google-tpu-v5p", "on-demand")["usd_per_device_hour"] == pytest.approx(6720 / 1600)


# ---------------------------------------------------------------------------------------- user files


def test_csv_offers_file(tmp_path, ids):
    f = write(
        tmp_path,
        "quotes.csv",
        HEADER
        + "acme,nvidia-h100-sxm,reserved-1y,2.10,,512,Quote Q-7,2026-10-01,\nacme,amd-mi300x,on-demand,1.99,eu-1,,Quote Q-8,2026-10-02,x\n",
    )
    o = read_offers(f, ids)
    assert tuple(o.columns) == OFFER_COLUMNS and len(o) == 2
    first = o.iloc[0]
    assert (first["provider"], first["item"], first["mode"], first["usd_per_device_hour"]) == (
        "acme",
        "nvidia-h100-sxm",
        "reserved-1y",
        2.1,
    )
    assert first["max_devices"] == 512 and first["region"] == "" and first["origin"] == str(f)
    assert o.iloc[1]["note"] == "x" and o["max_devices"].isna().tolist() == [False, True]


def test_csv_note_column_is_optional(tmp_path, ids):
    f = write(tmp_path, "q.csv", HEADER.replace(",note", "") + "acme,nvidia-l40s,spot,0.9,,,Quote,2026-10-01\n")
    assert read_offers(f, ids).iloc[0]["note"] == ""


@pytest.mark.parametrize("wrapped", [True, False])
def test_yaml_offers_file(tmp_path, ids, wrapped):
    body = (
        "- {provider: acme, item: nvidia-h200-sxm, mode: spot, usd_per_device_hour: 1.4, region: us-1, max_devices: 64,"
        " source: 'Quote Q-9', date: 2026-10-01}\n"
        "- provider: acme\n  item: google-tpu-v6e\n  mode: reserved-3y\n  usd_per_device_hour: 1.1\n  source: Quote Q-10\n  date: 2026-09-01\n"
    )
    text = "offers:\n" + "".join("  " + line + "\n" for line in body.splitlines()) if wrapped else body
    o = read_offers(write(tmp_path, "q.yaml", text), ids)
    assert o["item"].tolist() == ["nvidia-h200-sxm", "google-tpu-v6e"]
    assert o["date"].tolist() == ["2026-10-01", "2026-09-01"] and o.iloc[0]["max_devices"] == 64 and o.iloc[1]["region"] == ""


def test_user_row_replaces_the_bundled_row(tmp_path, ids):
    f = write(tmp_path, "q.csv", HEADER + "lambda,nvidia-h100-sxm,on-demand,2.49,,,Lambda quote L-1,2026-11-01,\n")
    merged = load_offers([f], ids)
    row = offer(merged, "lambda", "nvidia-h100-sxm", "on-demand")
    assert row["usd_per_device_hour"] == 2.49 and row["origin"] == str(f)
    assert len(merged) == len(bundled_offers())
    assert len(load_offers([f], ids, include_bundled=False)) == 1


def test_a_later_file_replaces_an_earlier_one_and_other_regions_stay(tmp_path, ids):
    a = write(
        tmp_path,
        "a.csv",
        HEADER + "acme,nvidia-b200,on-demand,5.0,eu,,Quote A,2026-10-01,\nacme,nvidia-b200,on-demand,4.8,us,,Quote A,2026-10-01,\n",
    )
    b = write(tmp_path, "b.csv", HEADER + "acme,nvidia-b200,on-demand,4.5,eu,,Quote B,2026-11-01,\n")
    merged = load_offers([a, b], ids, include_bundled=False)
    assert merged[["region", "usd_per_device_hour", "source"]].values.tolist() == [["eu", 4.5, "Quote B"], ["us", 4.8, "Quote A"]]


# ---------------------------------------------------------------------------------------- SkyPilot


def test_skypilot_aws_per_device_spot_and_cheapest_region(ids):
    f = SKY / "aws" / "vms.csv"
    o = read_offers(f, ids).set_index(["item", "mode"])
    assert set(o["provider"]) == {"aws"} and set(o["source"]) == {f"SkyPilot catalog {f}"}
    mtime = dt.datetime.fromtimestamp(os.stat(f).st_mtime, tz=dt.UTC).date().isoformat()
    assert set(o["date"]) == {mtime}
    # p5.48xlarge: 8 H100; on-demand cheapest in us-east-2 (72/8), spot cheapest in eu-west-2 (16/8)
    assert o.loc[("nvidia-h100-sxm", "on-demand"), ["usd_per_device_hour", "region"]].tolist() == [9.0, "us-east-2"]
    assert o.loc[("nvidia-h100-sxm", "spot"), ["usd_per_device_hour", "region"]].tolist() == [2.0, "eu-west-2"]
    # H200: p5e has no on-demand price, only spot (12/8 = 1.5, cheaper than p5en's 18/8)
    assert o.loc[("nvidia-h200-sxm", "on-demand"), "usd_per_device_hour"] == 10.5
    assert o.loc[("nvidia-h200-sxm", "spot"), "usd_per_device_hour"] == 1.5
    assert o.loc[("nvidia-h200-sxm", "spot"), "note"] == "p5e.48xlarge SpotPrice USD 12.0/h / 8 devices"
    # A100 (40 GB) and the CPU-only instance are not mapped: skipped
    assert sorted(o.index) == sorted([(i, m) for i in ("nvidia-h100-sxm", "nvidia-h200-sxm", "nvidia-l40s") for m in ("on-demand", "spot")])


def test_skypilot_lambda_pcie_and_cheapest_instance(ids):
    o = read_offers(SKY / "lambda" / "vms.csv", ids)
    assert set(o["provider"]) == {"lambda"} and set(o["mode"]) == {"on-demand"}  # no SpotPrice
    assert offer(o, "lambda", "nvidia-h100-sxm", "on-demand")["usd_per_device_hour"] == 3.0  # 24/8 beats the 1x at 3.2
    assert offer(o, "lambda", "nvidia-h100-pcie", "on-demand")["usd_per_device_hour"] == 2.4  # not priced as an SXM
    assert sorted(o["item"]) == ["nvidia-h100-pcie", "nvidia-h100-sxm"]  # V100 and GH200 skipped


def test_skypilot_gcp_tpu_slices_per_chip(ids):
    o = read_offers(SKY / "gcp" / "vms.csv", ids)
    assert offer(o, "gcp", "google-tpu-v5p", "on-demand")["usd_per_device_hour"] == pytest.approx(4.2)  # v5p-8: 4 chips
    assert offer(o, "gcp", "google-tpu-v5e", "on-demand")["usd_per_device_hour"] == pytest.approx(1.2)  # v5litepod-8: 8 chips
    assert offer(o, "gcp", "google-tpu-v6e", "spot")["usd_per_device_hour"] == pytest.approx(5.18664 / 8)
    h100 = offer(o, "gcp", "nvidia-h100-sxm", "on-demand")
    assert h100["region"] == "us-east4" and h100["usd_per_device_hour"] == pytest.approx(78.37241 / 8)
    assert "google-tpu-v4" not in set(o["item"])


def test_a_skypilot_file_may_be_larger_than_other_offers_files(tmp_path, ids):
    (tmp_path / "azure").mkdir()
    rows = "".join(f"Standard_D{n},,,4,16,,0.2,0.05,eastus,\n" for n in range(30_000))  # CPU-only rows, skipped
    f = write(tmp_path / "azure", "vms.csv", SKY_HEADER + rows + "Standard_ND96isr_H100_v5,H100,8,96,1900,,98.32,,eastus,\n")
    assert f.stat().st_size > 1024 * 1024
    [h100] = read_offers(f, ids).to_dict("records")
    assert (h100["provider"], h100["usd_per_device_hour"], h100["mode"]) == ("azure", 12.29, "on-demand")


def test_today_is_a_parameter(tmp_path, ids):
    f = write(tmp_path, "q.csv", HEADER + ROW)
    assert len(read_offers(f, ids, today=dt.date(2026, 10, 1))) == 1
    with pytest.raises(CatalogError, match=r"row 2, field 'date': expected a date not in the future \(today is 2026-09-30\)"):
        read_offers(f, ids, today=dt.date(2026, 9, 30))


def test_skypilot_mapping_table():
    assert skypilot_item("H100-MEGA", "a3-megagpu-8g") == ("nvidia-h100-sxm", 1.0)
    assert skypilot_item("MI300X", "") == ("amd-mi300x", 1.0)
    assert skypilot_item("A100-80GB", "x") == ("nvidia-a100-80gb-sxm", 1.0)
    assert skypilot_item("A100-80GB", "1x_A100-80GB_PCIe") is None  # no A100 PCIe in the catalog
    assert skypilot_item("tpu-v5p-3200", "") == ("google-tpu-v5p", 1600.0)
    assert skypilot_item("A10G", "g5.xlarge") is None


# ---------------------------------------------------------------------------------------- bad input

BAD_CSV = [
    ("item", ROW.replace("nvidia-h100-sxm", "nvidia-h100"), r"unknown item id 'nvidia-h100' \(did you mean .*'nvidia-h100-sxm'"),
    ("mode", ROW.replace("on-demand", "ondemand"), r"expected one of on-demand, spot, reserved-1y, reserved-3y, got 'ondemand'"),
    ("usd_per_device_hour", ROW.replace("2.5", "0"), r"expected a price in USD per device-hour, > 0 and <= 1000, got 0$"),
    ("usd_per_device_hour", ROW.replace("2.5", "1001"), r"got 1001$"),
    ("usd_per_device_hour", ROW.replace("2.5", "-3"), r"got -3$"),
    ("usd_per_device_hour", ROW.replace("2.5", "nan"), r"\(finite\), got 'nan'"),
    ("usd_per_device_hour", ROW.replace("2.5", "inf"), r"\(finite\), got 'inf'"),
    ("usd_per_device_hour", ROW.replace("2.5", "$2"), r"got '\$2'"),
    ("usd_per_device_hour", ROW.replace("2.5", ""), r"got an empty value"),
    ("max_devices", ROW.replace(",8,", ",0,"), r"expected blank or a whole number >= 1, got '0'"),
    ("max_devices", ROW.replace(",8,", ",2.5,"), r"got '2.5'"),
    ("max_devices", ROW.replace(",8,", ",many,"), r"got 'many'"),
    ("date", ROW.replace("2026-10-01", "2999-01-01"), r"expected a date not in the future \(today is .*\), got 2999-01-01"),
    ("date", ROW.replace("2026-10-01", "2026-13-01"), r"expected an ISO date YYYY-MM-DD, got '2026-13-01'"),
    ("date", ROW.replace("2026-10-01", ""), r"expected the date of the offer's source"),
    ("provider", ROW.replace("acme", ""), r"expected a non-empty provider"),
    ("source", ROW.replace("Quote Q-1", ""), r"expected a non-empty source"),
]


@pytest.mark.parametrize(("field", "row", "match"), BAD_CSV)
def test_bad_csv_value_is_a_one_line_error_naming_file_row_and_field(tmp_path, ids, field, row, match):
    f = write(tmp_path, "bad.csv", HEADER + ROW + row)
    with pytest.raises(CatalogError, match=rf"bad.csv, row 3, field '{field}': .*{match}") as info:
        read_offers(f, ids)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300
    result = run("--offers", f)
    assert result.exit_code == 1 and "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and f"row 3, field '{field}'" in result.output and "bad.csv" in result.output


def test_unknown_item_is_an_unknown_item_error(tmp_path, ids):
    with pytest.raises(UnknownItemError):
        read_offers(write(tmp_path, "q.csv", HEADER + ROW.replace("nvidia-h100-sxm", "h100")), ids)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("q.csv", HEADER.replace("region", "regoin") + ROW, r"q.csv, row 1, field 'regoin': unknown column \(did you mean 'region'\?\)"),
        (
            "q.csv",
            HEADER.replace(",max_devices", "") + ROW.replace(",8,", ","),
            r"q.csv, row 1, field 'max_devices': missing required column",
        ),
        (
            "q.csv",
            HEADER + ROW + ROW.replace("2.5", "2.4"),
            r"q.csv, row 3: duplicate offer \(provider='acme', .*region='us'\), first in row 2",
        ),
        ("q.csv", HEADER + ROW + "x,y,z,1,2,3,4,5,6,7\n", r"q.csv, row 3: expected 9 cells as in the header, got 10"),
        (
            "q.yaml",
            "offers:\n  - {provider: a, item: amd-mi300x, mode: spot, usd_per_device_hour: yes, source: s, date: 2026-01-01}\n",
            r"q.yaml, row offers\[0\], field 'usd_per_device_hour': expected a price .*, got the boolean true",
        ),
        (
            "q.yaml",
            "- {provider: a, item: amd-mi300x, mode: spot, price: 2, source: s, date: 2026-01-01}\n",
            r"q.yaml, row offers\[0\], field 'price': unknown field",
        ),
        (
            "q.yaml",
            "- {provider: [a, b], item: amd-mi300x, mode: spot, usd_per_device_hour: 2, source: s, date: 2026-01-01}\n",
            r"row offers\[0\], field 'provider': expected a single value, got \['a', 'b'\]",
        ),
        ("q.yaml", "- provider: a\n  provider: b\n", r"q.yaml, line 2: duplicate key 'provider' \(first at line 1\)"),
        ("q.yaml", "offer:\n  - {provider: a}\n", r"q.yaml, field 'offer': unknown key \(did you mean 'offers'\?\)"),
        ("q.yaml", "offers: 3\n", r"q.yaml: expected a list of offer mappings"),
        ("q.yaml", "- 3\n", r"q.yaml, row offers\[0\]: expected a mapping of field: value, got 3"),
        ("q.json", "[]", r"q.json: unsupported file type '.json'; expected .csv, .yaml or .yml"),
        ("q.csv", "", r"q.csv: expected a header row, got an empty file"),
        (
            "q.yaml",
            "offers:\n  - {provider: a, item: amd-mi300x, mode: spot, usd_per_device_hour: 2, source: s, date: '2026-02-30'}\n",
            r"row offers\[0\], field 'date': expected an ISO date YYYY-MM-DD, got '2026-02-30'",
        ),
        (
            "q.yaml",  # unquoted, YAML itself reads the date and refuses it (safeio's message)
            "- {provider: a, item: amd-mi300x, mode: spot, usd_per_device_hour: 2, source: s, date: 2026-02-30}\n",
            r"q.yaml: invalid YAML value \(day is out of range for month\)",
        ),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, ids, name, text, match):
    f = write(tmp_path, name, text)
    with pytest.raises(CatalogError, match=match):
        read_offers(f, ids)
    result = run("--offers", f)
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("row", "field", "match"),
    [
        ("p5,H100,8,1,1,,lots,,us,a\n", "Price", r"expected a price in USD per hour, got 'lots'"),
        ("p5,H100,8,1,1,,80,cheap,us,a\n", "SpotPrice", r"got 'cheap'"),
        ("p5,H100,0,1,1,,80,,us,a\n", "AcceleratorCount", r"expected a count > 0, got '0'"),
        ("p5,H100,1,1,1,,9000,,us,a\n", "Price", r"expected a price in USD per device-hour, > 0 and <= 1000, got 9000"),
    ],
)
def test_bad_skypilot_rows_name_the_row_and_column(tmp_path, ids, row, field, match):
    (tmp_path / "aws").mkdir()
    f = write(tmp_path / "aws", "vms.csv", SKY_HEADER + "p4,A100,8,1,1,,abc,,us,a\n" + row)  # unmapped rows are not checked
    with pytest.raises(CatalogError, match=rf"vms.csv, row 3, field '{field}': .*{match}"):
        read_offers(f, ids)


def test_unsafe_files_go_through_safeio(tmp_path, ids):
    bad = tmp_path / "q.csv"
    bad.write_bytes(HEADER.encode() + b"acme,amd-mi300x,spot,1\xff,,,s,2026-01-01,\n")
    with pytest.raises(InputFileError, match=r"q.csv, line 2: not UTF-8 text"):
        read_offers(bad, ids)
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputFileError, match="is a directory, not a regular file"):
        read_offers(tmp_path / "dir.csv", ids)
    big = write(tmp_path, "big.csv", HEADER + ROW.replace(",\n", ",note\n") * 30_000)
    with pytest.raises(InputFileError, match=r"big.csv: the file has [\d,]+ bytes; the limit is 1,048,576 bytes"):
        read_offers(big, ids)
    with pytest.raises(InputFileError, match="file not found"):
        read_offers(tmp_path / "missing.csv", ids)


# ---------------------------------------------------------------------------------------- CLI


def test_cli_filters_sorts_and_formats(tmp_path):
    f = write(tmp_path, "q.csv", HEADER + 'acme,nvidia-h100-sxm,on-demand,1.6,,,=HYPERLINK("x"),2026-10-01,@note\n')
    result = run("--offers", f, "--item", "nvidia-h100-sxm", "--mode", "on-demand", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert {r["item"] for r in records} == {"nvidia-h100-sxm"} and {r["mode"] for r in records} == {"on-demand"}
    prices = [r["usd_per_device_hour"] for r in records]
    assert prices == sorted(prices) and prices[0] == 1.6 and set(records[0]) == set(OFFER_COLUMNS)
    csv_out = run("--offers", f, "--item", "nvidia-h100-sxm", "--format", "csv").stdout_bytes.decode()
    assert "\"'=HYPERLINK" in csv_out and ",'@note," in csv_out and csv_out.count("\r\n") == len(csv_out.splitlines())
    table = run("--offers", f, "--mode", "spot", "--mode", "reserved-3y").output
    assert "offers (USD per device-hour" in table and "on-demand" not in table and "reserved-3y" in table


def test_cli_without_filters_lists_the_bundled_table_sorted():
    result = run("--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(bundled_offers()) + 1
    keys = [(r.split(",")[1], r.split(",")[2]) for r in lines[1:]]
    assert keys == sorted(keys)
    table = run().output
    assert table.startswith(f"{len(bundled_offers())} offers") and "0.210" in table and "12.29" in table  # TPU v5e spot, Azure H100


def test_cli_unknown_item_filter_suggests(tmp_path):
    result = run("--item", "nvidia-h100")
    assert result.exit_code == 1 and "--item: unknown item id 'nvidia-h100'" in result.output and "nvidia-h100-sxm" in result.output


def test_cli_reads_a_skypilot_file():
    result = run("--offers", SKY / "aws" / "vms.csv", "--item", "nvidia-l40s", "--format", "json")
    aws = [r for r in json.loads(result.output) if r["provider"] == "aws"]
    assert [(r["mode"], r["usd_per_device_hour"]) for r in aws] == [("on-demand", 1.86), ("spot", 0.9)]
