"""Rental offers: a provider rents one catalog accelerator at a price per device-hour.

:func:`bundled_offers` reads the bundled table (``data/offers.csv``); :func:`read_offers` reads a
user's offers file (CSV or YAML) or a SkyPilot catalog file (``<cloud>/vms.csv``);
:func:`load_offers` merges the bundled table and files in order, a later row replacing an earlier
one with the same ``(provider, item, mode, region)``. Every row is validated
(:func:`validate_offer`) and every problem is a one-line :class:`CatalogError` naming the file,
the row and the field as the file names it. Files are read through :mod:`hwcatalog.safeio`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .bundled import BUNDLED, ITEMS_FILE, bundled_text, parse_items
from .errors import CatalogError, InputFileError, UnknownItemError
from .overlay import _check_scalar, _key_name
from .safeio import DEFAULT_MAX_INPUT_BYTES, excerpt, load_yaml, read_csv, read_text, require_number
from .schema import load_schema, parse_date
from .validate import check_columns, check_enum, did_you_mean

MODES = ("on-demand", "spot", "reserved-1y", "reserved-3y")
OFFER_COLUMNS = ("provider", "item", "mode", "usd_per_device_hour", "region", "max_devices", "source", "date", "note", "origin")
FILE_COLUMNS = OFFER_COLUMNS[:-1]  # what a file may hold: every column but origin
REQUIRED_COLUMNS = FILE_COLUMNS[:-1]  # note is optional
OFFER_KEY = ("provider", "item", "mode", "region")
OFFERS_FILE = "offers.csv"
OFFERS_WHAT = "an offers file (.csv, .yaml or .yml) or a SkyPilot vms.csv"
MAX_USD_PER_DEVICE_HOUR = 1000.0
SKYPILOT_MAX_INPUT_BYTES = 64 * 1024 * 1024  # SkyPilot's AWS and GCP vms.csv are 1.6 to 2.5 MB, over the 1 MiB default

# SkyPilot AcceleratorName -> catalog id (docs/catalog.md, "Rental offers").
SKYPILOT_ACCELERATORS = {
    "H100": "nvidia-h100-sxm",
    "H100-MEGA": "nvidia-h100-sxm",
    "H200": "nvidia-h200-sxm",
    "A100-80GB": "nvidia-a100-80gb-sxm",
    "B200": "nvidia-b200",
    "L40S": "nvidia-l40s",
    "MI300X": "amd-mi300x",
}
# SkyPilot names a PCIe H100 "H100" too; an instance type that says "pcie" maps here, else is skipped.
SKYPILOT_PCIE_ACCELERATORS = {"H100": "nvidia-h100-pcie"}
# TPU slices ``tpu-<generation>-<N>``: generation -> (catalog id, N per chip); v5p counts TensorCores (2 a chip).
SKYPILOT_TPUS = {"v5litepod": ("google-tpu-v5e", 1), "v5p": ("google-tpu-v5p", 2), "v6e": ("google-tpu-v6e", 1)}
SKYPILOT_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region")
_TPU_NAME = re.compile(r"^tpu-([a-z0-9]+)-(\d+)$")

Record = dict[str, Any]


# --------------------------------------------------------------------------------------------
# validation


def validate_offer(rec: dict[str, Any], catalog_ids: Collection[str], *, file: str, row: Any, today: dt.date | None = None) -> Record:
    """One offer record checked and typed: the output has the :data:`OFFER_COLUMNS` but ``origin``.

    ``item`` a catalog id, ``mode`` one of :data:`MODES`, ``usd_per_device_hour`` a finite
    number in (0, 1000], ``max_devices`` blank or a whole number >= 1, ``date`` an ISO date not
    after ``today``, ``provider`` and ``source`` non-empty.
    """
    return {
        "provider": _non_empty(rec, "provider", file=file, row=row),
        "item": _item(rec.get("item"), catalog_ids, file=file, row=row),
        "mode": _mode(rec.get("mode"), file=file, row=row),
        "usd_per_device_hour": check_usd_per_device_hour(rec.get("usd_per_device_hour"), file=file, row=row),
        "region": _text(rec.get("region")),
        "max_devices": _max_devices(rec.get("max_devices"), file=file, row=row),
        "source": _non_empty(rec, "source", file=file, row=row),
        "date": _offer_date(rec.get("date"), file=file, row=row, today=today or dt.date.today()),
        "note": _text(rec.get("note")),
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _non_empty(rec: dict[str, Any], field: str, *, file: str, row: Any) -> str:
    text = _text(rec.get(field))
    if not text:
        raise CatalogError(f"expected a non-empty {field}", file=file, row=row, field=field)
    return text


def _item(raw: Any, catalog_ids: Collection[str], *, file: str, row: Any) -> str:
    """A catalog id, else an :class:`UnknownItemError` suggesting the closest ids."""
    item = _text(raw)
    if item not in catalog_ids:
        hint = did_you_mean(item, catalog_ids, n=3)
        raise UnknownItemError(f"unknown item id {excerpt(item)}{hint}; expected a catalog id", file=file, row=row, field="item")
    return item


def _mode(raw: Any, *, file: str, row: Any) -> str:
    mode = _text(raw)
    check_enum(mode, MODES, file=file, row=row, field="mode")
    return mode


def check_usd_per_device_hour(raw: Any, *, file: str, row: Any, field: str = "usd_per_device_hour") -> float:
    """A finite price in USD per device-hour, > 0 and <= :data:`MAX_USD_PER_DEVICE_HOUR`."""
    expected = f"a price in USD per device-hour, > 0 and <= {MAX_USD_PER_DEVICE_HOUR:g}"
    if raw is None or _text(raw) == "":
        raise CatalogError(f"expected {expected}, got an empty value", file=file, row=row, field=field)
    usd = require_number(raw, file=file, row=row, field=field, expected=expected)
    if not 0 < usd <= MAX_USD_PER_DEVICE_HOUR:
        raise CatalogError(f"expected {expected}, got {usd:g}", file=file, row=row, field=field)
    return usd


def _max_devices(raw: Any, *, file: str, row: Any) -> int | None:
    """Blank (no stated limit) or a whole number >= 1."""
    if raw is None or _text(raw) == "":
        return None
    expected = "blank or a whole number >= 1"
    count = require_number(raw, file=file, row=row, field="max_devices", expected=expected)
    if not count.is_integer() or count < 1:
        raise CatalogError(f"expected {expected}, got {excerpt(raw)}", file=file, row=row, field="max_devices")
    return int(count)


def _offer_date(raw: Any, *, file: str, row: Any, today: dt.date) -> str:
    """An ISO date (``YYYY-MM-DD``) not after ``today``."""
    if raw is None or _text(raw) == "":
        raise CatalogError("expected the date of the offer's source, YYYY-MM-DD", file=file, row=row, field="date")
    try:
        date = parse_date(raw)
    except ValueError as exc:
        raise CatalogError(str(exc), file=file, row=row, field="date") from None
    if date > today:
        raise CatalogError(f"expected a date not in the future (today is {today}), got {date}", file=file, row=row, field="date")
    return date.isoformat()


# --------------------------------------------------------------------------------------------
# frames


def offers_frame(records: Iterable[Record]) -> pd.DataFrame:
    """Offers as a DataFrame with :data:`OFFER_COLUMNS`; ``max_devices`` a nullable integer."""
    frame = pd.DataFrame(list(records), columns=list(OFFER_COLUMNS))
    frame["usd_per_device_hour"] = frame["usd_per_device_hour"].astype(float)
    frame["max_devices"] = frame["max_devices"].astype("Int64")
    return frame


def _check_unique(records: list[tuple[Any, Record]], file: str) -> None:
    """A file offers each (provider, item, mode, region) once: a second row is an error, never last-one-wins."""
    first: dict[tuple[Any, ...], Any] = {}
    for label, rec in records:
        key = tuple(rec[k] for k in OFFER_KEY)
        if key in first:
            what = ", ".join(f"{k}={excerpt(v)}" for k, v in zip(OFFER_KEY, key, strict=True))
            raise CatalogError(f"duplicate offer ({what}), first in row {first[key]}; expected one row per offer", file=file, row=label)
        first[key] = label


# --------------------------------------------------------------------------------------------
# bundled table


@lru_cache(maxsize=1)
def _bundled_records() -> tuple[Record, ...]:
    """The bundled offers, validated against the bundled item ids (cached: immutable package data)."""
    ids = parse_items(bundled_text(ITEMS_FILE), load_schema(), ITEMS_FILE)
    header, rows = read_csv(bundled_text(OFFERS_FILE), file=OFFERS_FILE)
    return tuple(_csv_offers(header, rows, OFFERS_FILE, ids, origin=BUNDLED, today=None))


def bundled_offers() -> pd.DataFrame:
    """The bundled offers table (``hwcatalog/data/offers.csv``), validated, with ``origin`` ``bundled``."""
    return offers_frame(dict(r) for r in _bundled_records())


# --------------------------------------------------------------------------------------------
# user files


def read_offers(path: str | Path, catalog_ids: Collection[str], *, today: dt.date | None = None) -> pd.DataFrame:
    """Read a user's offers file (CSV or YAML) or a SkyPilot ``vms.csv`` into a validated offers frame.

    CSV has the columns ``provider, item, mode, usd_per_device_hour, region, max_devices, source,
    date`` (and optionally ``note``); YAML is a list of such mappings or ``offers:`` holding that
    list. A CSV whose header has SkyPilot's columns (:data:`SKYPILOT_COLUMNS`) is imported with
    :func:`skypilot_offers`. ``origin`` is the path as given.
    """
    file = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise CatalogError(f"unsupported file type {excerpt(Path(path).suffix)}; expected .csv, .yaml or .yml", file=file)
    if suffix != ".csv":
        text = read_text(path, what=OFFERS_WHAT)
        return offers_frame(_yaml_offers(load_yaml(text, file=file), file, catalog_ids, today=today))
    text = read_text(path, what=OFFERS_WHAT, max_bytes=SKYPILOT_MAX_INPUT_BYTES)
    skypilot = is_skypilot_header(read_csv(text[: text.find("\n") + 1 or None], file=file)[0])
    if not skypilot:
        _check_offers_size(text, file)
    header, rows = read_csv(text, file=file)
    if skypilot:
        return offers_frame(skypilot_offers(rows, path, catalog_ids, today=today))
    return offers_frame(_csv_offers(header, rows, file, catalog_ids, origin=file, today=today))


def is_skypilot_header(header: Sequence[str]) -> bool:
    """A CSV header with SkyPilot's ``vms.csv`` columns (:data:`SKYPILOT_COLUMNS`, any order)."""
    return set(SKYPILOT_COLUMNS) <= set(header)


def _check_offers_size(text: str, file: str) -> None:
    """An offers CSV that is not a SkyPilot file keeps the usual input limit."""
    size = len(text.encode("utf-8"))
    if size > DEFAULT_MAX_INPUT_BYTES:
        raise InputFileError(
            f"the file has {size:,} bytes; the limit is {DEFAULT_MAX_INPUT_BYTES:,} bytes "
            f"(a SkyPilot vms.csv may have up to {SKYPILOT_MAX_INPUT_BYTES:,})",
            file=file,
        )


def _csv_offers(
    header: list[str], rows: list[dict[str, str]], file: str, catalog_ids: Collection[str], *, origin: str, today: dt.date | None
) -> list[Record]:
    """Rows of an offers CSV: exactly the offer columns (``note`` optional), each row validated."""
    check_columns(header, FILE_COLUMNS, REQUIRED_COLUMNS, file)
    records = [(n, validate_offer(rec, catalog_ids, file=file, row=n, today=today)) for n, rec in enumerate(rows, start=2)]
    _check_unique(records, file)
    return [{**rec, "origin": origin} for _, rec in records]


def _yaml_offers(raw: Any, file: str, catalog_ids: Collection[str], *, today: dt.date | None) -> list[Record]:
    """A YAML list of offer mappings, or a mapping with only ``offers`` holding that list."""
    if isinstance(raw, dict):
        for key in raw:
            if key != "offers":
                raise CatalogError(f"unknown key{did_you_mean(str(key), ['offers'])}; expected offers", file=file, field=_key_name(key))
        raw = raw.get("offers")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CatalogError(f"expected a list of offer mappings (or offers: [...]), got {excerpt(raw)}", file=file)
    records = [(f"offers[{n}]", _yaml_offer(rec, file, f"offers[{n}]", catalog_ids, today)) for n, rec in enumerate(raw)]
    _check_unique(records, file)
    return [{**rec, "origin": file} for _, rec in records]


def _yaml_offer(rec: Any, file: str, label: str, catalog_ids: Collection[str], today: dt.date | None) -> Record:
    """One YAML offer: a mapping of known keys to single values."""
    if not isinstance(rec, dict):
        raise CatalogError(f"expected a mapping of field: value, got {excerpt(rec)}", file=file, row=label)
    for key, value in rec.items():
        if key not in FILE_COLUMNS:
            hint = did_you_mean(str(key), FILE_COLUMNS) if isinstance(key, str) else ""
            raise CatalogError(f"unknown field{hint}; expected {', '.join(FILE_COLUMNS)}", file=file, row=label, field=_key_name(key))
        _check_scalar(value, file=file, row=label, field=key)
    return validate_offer(rec, catalog_ids, file=file, row=label, today=today)


# --------------------------------------------------------------------------------------------
# SkyPilot catalog files


def skypilot_offers(
    rows: list[dict[str, str]], path: str | Path, catalog_ids: Collection[str], *, today: dt.date | None = None
) -> list[Record]:
    """Offers from the rows of a SkyPilot ``<cloud>/vms.csv``: the cheapest region per (item, mode).

    Each row whose accelerator maps to a catalog id (:func:`skypilot_item`) gives an on-demand
    offer at ``Price / devices`` and, where ``SpotPrice`` is set, a spot offer at
    ``SpotPrice / devices``. Provider: the file's folder; source: ``SkyPilot catalog <path>``;
    date: the file's modification date (UTC).
    """
    file = str(path)
    meta = {"provider": Path(os.path.abspath(file)).parent.name, "source": f"SkyPilot catalog {file}", "date": _mtime_date(file)}
    cheapest: dict[tuple[str, str], Record] = {}
    for n, row in enumerate(rows, start=2):
        for offer in _skypilot_row_offers(row, file, n, catalog_ids, meta, today):
            key = (offer["item"], offer["mode"])
            best = cheapest.get(key)
            if best is None or (offer["usd_per_device_hour"], offer["region"]) < (best["usd_per_device_hour"], best["region"]):
                cheapest[key] = offer
    return list(cheapest.values())


def _mtime_date(file: str) -> str:
    return dt.datetime.fromtimestamp(os.stat(file).st_mtime, tz=dt.UTC).date().isoformat()


def skypilot_item(name: str, instance_type: str) -> tuple[str, float] | None:
    """``(catalog id, devices per accelerator unit)`` for a SkyPilot accelerator name, or ``None``.

    GPUs through :data:`SKYPILOT_ACCELERATORS` (one device each; an instance type naming PCIe
    through :data:`SKYPILOT_PCIE_ACCELERATORS`); TPU slices ``tpu-<gen>-<N>`` through
    :data:`SKYPILOT_TPUS` (N chips, or N/2 for v5p, whose N counts TensorCores).
    """
    if "pcie" in instance_type.lower():
        item = SKYPILOT_PCIE_ACCELERATORS.get(name)
        return None if item is None else (item, 1.0)
    if name in SKYPILOT_ACCELERATORS:
        return SKYPILOT_ACCELERATORS[name], 1.0
    tpu = _TPU_NAME.match(name)
    if tpu and tpu.group(1) in SKYPILOT_TPUS:
        item, per_chip = SKYPILOT_TPUS[tpu.group(1)]
        return item, int(tpu.group(2)) / per_chip
    return None


def _skypilot_row_offers(
    row: dict[str, str], file: str, n: int, catalog_ids: Collection[str], meta: dict[str, str], today: dt.date | None
) -> list[Record]:
    """The on-demand and spot offers of one SkyPilot row (none if its accelerator is not mapped)."""
    mapped = skypilot_item(row["AcceleratorName"], row["InstanceType"])
    if mapped is None or mapped[0] not in catalog_ids:
        return []
    item, per_unit = mapped
    devices = per_unit * require_number(row["AcceleratorCount"], file=file, row=n, field="AcceleratorCount", expected="a count > 0")
    if not (math.isfinite(devices) and devices > 0):
        raise CatalogError(f"expected a count > 0, got {excerpt(row['AcceleratorCount'])}", file=file, row=n, field="AcceleratorCount")
    out: list[Record] = []
    for mode, column in (("on-demand", "Price"), ("spot", "SpotPrice")):
        if row[column] == "":
            continue
        usd = require_number(row[column], file=file, row=n, field=column, expected="a price in USD per hour")
        rec: Record = {**meta, "item": item, "mode": mode, "region": row["Region"], "max_devices": None}
        rec["usd_per_device_hour"] = check_usd_per_device_hour(usd / devices, file=file, row=n, field=column)
        rec["note"] = f"{row['InstanceType'] or row['AcceleratorName']} {column} USD {row[column]}/h / {devices:g} devices"
        out.append({**validate_offer(rec, catalog_ids, file=file, row=n, today=today), "origin": file})
    return out


# --------------------------------------------------------------------------------------------
# merging


def load_offers(
    paths: Sequence[str | Path], catalog_ids: Collection[str], *, include_bundled: bool = True, today: dt.date | None = None
) -> pd.DataFrame:
    """The bundled offers (unless ``include_bundled`` is false) and every file's, in order.

    A later row with the same ``(provider, item, mode, region)`` replaces an earlier one (in the
    earlier one's place).
    """
    merged: dict[tuple[Any, ...], Record] = {}
    frames = [bundled_offers()] if include_bundled else []
    frames += [read_offers(p, catalog_ids, today=today) for p in paths]
    for frame in frames:
        for rec in frame.to_dict("records"):
            merged[tuple(rec[k] for k in OFFER_KEY)] = rec
    return offers_frame(merged.values())


__all__ = [
    "MODES",
    "OFFER_COLUMNS",
    "SKYPILOT_ACCELERATORS",
    "SKYPILOT_PCIE_ACCELERATORS",
    "SKYPILOT_TPUS",
    "bundled_offers",
    "is_skypilot_header",
    "load_offers",
    "read_offers",
    "skypilot_item",
    "skypilot_offers",
    "validate_offer",
]
