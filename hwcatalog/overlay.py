"""Overlays: a user's quotes in CSV or YAML, read safely and applied on top of the catalog.

:func:`read_overlay` turns a file into ``(row label, record)`` pairs; :func:`apply_overlay`
applies them in order, one function per action: :func:`apply_set`, :func:`apply_add`,
:func:`apply_disable` and :func:`apply_discount` (discounts last, so they see the file's
other rows). Column names in messages are the overlay's own (``date``, ``price_usd``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CatalogError
from .safeio import DEFAULT_MAX_INPUT_BYTES, excerpt, load_yaml, read_csv, read_text, require_number
from .schema import Schema, load_schema
from .validate import (
    Figures,
    FigureSource,
    Items,
    check_columns,
    check_enum,
    did_you_mean,
    unknown_item,
    validate_figure,
    validate_item_row,
)

# Overlay columns that are not schema attributes.
OVERLAY_META = (
    "id",
    "action",
    "vendor",
    "discount",
    "name",
    "category",
    "kind",
    "availability",
    "experimental",
    "description",
    "source",
    "date",
    "basis",
    "note",
    "currency_year",
)
OVERLAY_ACTIONS = ("set", "add", "disable", "discount")
YAML_KEYS = ("items", "disable", "discounts")
SET_OVERRIDES = ("name", "vendor", "description")  # item fields a 'set' row may change
ADD_ONLY = ("category", "kind", "availability", "experimental")
OVERLAY_WHAT = "a CSV or YAML overlay (.csv, .yaml or .yml)"
SCALARS = (str, int, float, dt.date)

Record = tuple[Any, dict[str, Any]]


# --------------------------------------------------------------------------------------------
# reading


def read_overlay(path: str | Path, schema: Schema | None = None, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> list[Record]:
    """Read an overlay file into ``(row label, record)`` pairs, one per action.

    CSV overlays have a header of overlay columns (``id, action, vendor, discount, name, ...,
    source, date, basis, note``) plus any schema attribute; empty cells are ignored. YAML
    overlays have ``items`` (a list of such records), ``disable`` (a list of ids) and
    ``discounts`` (``vendor: fraction``). Checks the file type, safe reading (see
    :mod:`hwcatalog.safeio`), known columns and keys, and that every value is a single value.
    """
    schema = schema or load_schema()
    file = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise CatalogError(f"unsupported file type {excerpt(Path(path).suffix)}; expected .csv, .yaml or .yml", file=file)
    text = read_text(path, what=OVERLAY_WHAT, max_bytes=max_bytes)
    allowed = [*OVERLAY_META, *schema.attributes]
    if suffix == ".csv":
        return _csv_records(text, file, allowed)
    return _yaml_records(load_yaml(text, file=file), file, allowed)


def _csv_records(text: str, file: str, allowed: list[str]) -> list[Record]:
    """Rows of a CSV overlay: known columns, ``id`` unless it is a vendor (discount) table."""
    header, rows = read_csv(text, file=file)
    check_columns(header, allowed, ["id"] if "vendor" not in header else [], file)
    return [(n, {k: v for k, v in rec.items() if v != ""}) for n, rec in enumerate(rows, start=2)]


def _key_name(key: Any) -> str:
    return key if isinstance(key, str) and len(key) <= 60 else excerpt(key)


def _yaml_records(raw: Any, file: str, allowed: list[str]) -> list[Record]:
    """Records of a YAML overlay: a mapping with only ``items``, ``disable`` and ``discounts``."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise CatalogError(f"expected a mapping with keys {', '.join(YAML_KEYS)}, got {excerpt(raw)}", file=file)
    for key in raw:
        if key not in YAML_KEYS:
            hint = did_you_mean(str(key), YAML_KEYS) if isinstance(key, str) else ""
            raise CatalogError(f"unknown key{hint}; expected items, disable or discounts", file=file, field=_key_name(key))
    return (
        _yaml_items(raw.get("items"), file, allowed) + _yaml_disable(raw.get("disable"), file) + _yaml_discounts(raw.get("discounts"), file)
    )


def _check_scalar(value: Any, *, file: str, row: Any, field: str) -> None:
    """A field holds one text, number, boolean or date: not a list or mapping (nor an alias bomb)."""
    if value is not None and not isinstance(value, SCALARS):
        raise CatalogError(f"expected a single value, got {excerpt(value)}", file=file, row=row, field=field)


def _yaml_items(items: Any, file: str, allowed: list[str]) -> list[Record]:
    """``items``: a list of mappings of known fields to single values."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise CatalogError(f"expected a list of item records, got {excerpt(items)}", file=file, field="items")
    out: list[Record] = []
    for n, rec in enumerate(items):
        label = f"items[{n}]"
        if not isinstance(rec, dict):
            raise CatalogError(f"expected a mapping of field: value, got {excerpt(rec)}", file=file, row=label)
        for k, v in rec.items():
            if k not in allowed:
                hint = did_you_mean(str(k), allowed) if isinstance(k, str) else ""
                raise CatalogError(f"unknown field{hint}", file=file, row=label, field=_key_name(k))
            _check_scalar(v, file=file, row=label, field=k)
        out.append((label, {k: v for k, v in rec.items() if v is not None and v != ""}))
    return out


def _yaml_disable(ids: Any, file: str) -> list[Record]:
    """``disable``: a list of item ids (texts)."""
    if ids is None:
        return []
    if not isinstance(ids, list):
        raise CatalogError(f"expected a list of item ids, got {excerpt(ids)}", file=file, field="disable")
    for n, item_id in enumerate(ids):
        if not isinstance(item_id, str):
            raise CatalogError(f"expected an item id, got {excerpt(item_id)}", file=file, row=f"disable[{n}]", field="disable")
    return [(f"disable[{n}]", {"id": item_id, "action": "disable"}) for n, item_id in enumerate(ids)]


def _yaml_discounts(discounts: Any, file: str) -> list[Record]:
    """``discounts``: a mapping of vendor names to single values (fractions, checked when applied)."""
    if discounts is None:
        return []
    if not isinstance(discounts, dict):
        raise CatalogError(f"expected a mapping vendor: fraction, got {excerpt(discounts)}", file=file, field="discounts")
    out: list[Record] = []
    for vendor, frac in discounts.items():
        label = f"discounts.{_key_name(vendor)}"
        _check_scalar(frac, file=file, row=label, field="discount")
        out.append((label, {"vendor": str(vendor), "discount": frac, "action": "discount"}))
    return out


# --------------------------------------------------------------------------------------------
# applying


@dataclass
class OverlayState:
    """The catalog being built: items and figures by key, disabled ids, warnings."""

    items: Items
    figures: Figures
    schema: Schema
    disabled: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    strict_ranges: bool = True


@dataclass(frozen=True)
class Row:
    """One overlay row: its file, its label in messages, its record."""

    file: str
    label: Any
    rec: dict[str, Any]

    @property
    def origin(self) -> str:
        return f"overlay:{Path(self.file).name}"


def apply_overlay(path: str | Path, state: OverlayState) -> int:
    """Apply one overlay file to ``state`` in row order (discounts last); return the number of records.

    Checks each row's action, and that no file gives two rows of one action for one item (or,
    for discounts, one vendor): the docs call duplicates errors, never last-one-wins.
    """
    file = str(path)
    discounts: list[tuple[Row, str, float]] = []
    first_row: dict[tuple[str, str], Any] = {}
    records = read_overlay(path, state.schema)
    for label, rec in records:
        row = Row(file, label, rec)
        action = _action(row)
        _check_duplicate(first_row, action, row)
        if action == "discount":
            discounts.append((row, *check_discount(state, row)))
        else:
            APPLY[action](state, row)
    for row, vendor, frac in discounts:
        apply_discount(state, row, vendor, frac)
    return len(records)


def _action(row: Row) -> str:
    """The row's action: given, or ``discount`` for a vendor row without an id, else ``set``."""
    default = "discount" if "discount" in row.rec and "id" not in row.rec else "set"
    action = str(row.rec.get("action") or default).strip()
    check_enum(action, OVERLAY_ACTIONS, file=row.file, row=row.label, field="action")
    return action


def _check_duplicate(first_row: dict[tuple[str, str], Any], action: str, row: Row) -> None:
    """One row per action and item (per vendor for discounts) in a file."""
    what = "vendor" if action == "discount" else "id"
    key = (action, str(row.rec.get(what) or ""))
    if key[1] and key in first_row:
        per = "vendor" if what == "vendor" else "item"
        raise CatalogError(
            f"duplicate {action!r} row for {excerpt(key[1])} (first in row {first_row[key]}); expected one {action!r} row per {per}",
            file=row.file,
            row=row.label,
            field=what,
        )
    first_row.setdefault(key, row.label)


def _item_id(row: Row) -> str:
    item_id = str(row.rec.get("id") or "")
    if not item_id:
        raise CatalogError("expected an item id", file=row.file, row=row.label, field="id")
    return item_id


def apply_set(state: OverlayState, row: Row) -> None:
    """``set``: override figures (and name, vendor, description) of an existing item."""
    item_id = _item_id(row)
    if item_id not in state.items:
        err = unknown_item(item_id, state.items, file=row.file, row=row.label)
        raise CatalogError(err.detail + "; to add a new item use action 'add'", file=row.file, row=row.label, field="id")
    for k in ADD_ONLY:
        if k in row.rec:
            raise CatalogError(f"{k} is given only when adding an item (action 'add')", file=row.file, row=row.label, field=k)
    overrides = {k: str(row.rec[k]) for k in SET_OVERRIDES if k in row.rec}
    attrs = {k: v for k, v in row.rec.items() if k in state.schema.attributes}
    if not attrs and not overrides:
        raise CatalogError("a 'set' row must give at least one attribute to override", file=row.file, row=row.label)
    state.items[item_id].update(overrides)
    _set_figures(state, state.items[item_id], attrs, row)


def apply_add(state: OverlayState, row: Row) -> None:
    """``add``: a new item with name, vendor, category, kind and its category's required attributes."""
    item_id = _item_id(row)
    if item_id in state.items:
        raise CatalogError(
            f"item {item_id!r} already exists; use action 'set' to override its figures", file=row.file, row=row.label, field="id"
        )
    fields = {k: str(v) for k, v in row.rec.items() if k in state.schema.item_fields}
    item = validate_item_row({"experimental": "false", **fields, "id": item_id}, state.schema, row.file, row.label)
    attrs = {k: v for k, v in row.rec.items() if k in state.schema.attributes}
    missing = [a for a in state.schema.required_attributes(item["category"]) if a not in attrs]
    if missing:
        raise CatalogError(f"a new {item['category']} needs {', '.join(missing)}", file=row.file, row=row.label, field=missing[0])
    state.items[item_id] = item
    _set_figures(state, item, attrs, row)
    if "host_share_usd" not in attrs and item["category"] in HOST_SHARE_CATEGORIES:
        _default_host_share(state, item, attrs, row)


HOST_SHARE_CATEGORIES = ("accelerator", "verification")


def _default_host_share(state: OverlayState, item: dict[str, Any], attrs: dict[str, Any], row: Row) -> None:
    """A new accelerator or verification item without ``host_share_usd`` gets the median host share
    of the catalog's items of its category and kind (single-device or multi-device alike), as an
    estimate that says so; a rack (devices_per_unit > 1) of a kind with no racks gets 0."""
    multi = _devices(attrs) > 1
    peers = [
        fig["value"]
        for (other, attr), fig in state.figures.items()
        if attr == "host_share_usd"
        and other != item["id"]
        and other in state.items
        and state.items[other]["category"] == item["category"]
        and state.items[other]["kind"] == item["kind"]
        and (_devices({"devices_per_unit": _figure_value(state, other, "devices_per_unit")}) > 1) == multi
    ]
    value = float(statistics.median(peers)) if peers else 0.0
    what = f"{item['category']} {item['kind']}{' racks' if multi else ''} items"
    state.figures[(item["id"], "host_share_usd")] = {
        "item_id": item["id"],
        "attribute": "host_share_usd",
        "value": value,
        "unit": "USD",
        "basis": "estimate",
        "source": "Planner default: median host share of the catalog's " + what,
        "source_date": str(row.rec.get("date") or dt.date.today().isoformat()),
        "currency_year": None,
        "note": f"The overlay gave no host_share_usd; median of {len(peers)} {what}. Set host_share_usd to override.",
        "origin": row.origin,
    }


def _figure_value(state: OverlayState, item_id: str, attr: str) -> Any:
    fig = state.figures.get((item_id, attr))
    return None if fig is None else fig["value"]


def _devices(attrs: dict[str, Any]) -> float:
    try:
        return float(attrs.get("devices_per_unit") or 1)
    except (TypeError, ValueError):
        return 1.0


def apply_disable(state: OverlayState, row: Row) -> None:
    """``disable``: leave an existing item out of planning."""
    item_id = _item_id(row)
    if item_id not in state.items:
        raise unknown_item(item_id, state.items, file=row.file, row=row.label)
    state.disabled.add(item_id)


def check_discount(state: OverlayState, row: Row) -> tuple[str, float]:
    """A ``discount`` row's known vendor (with "did you mean") and fraction in [0, 1) (not a boolean)."""
    vendor = str(row.rec.get("vendor") or "")
    vendors = sorted({i["vendor"] for i in state.items.values()})
    if vendor not in vendors:
        raise CatalogError(f"unknown vendor {excerpt(vendor)}{did_you_mean(vendor, vendors)}", file=row.file, row=row.label, field="vendor")
    expected = "a fraction in [0, 1)"
    frac = require_number(row.rec.get("discount", ""), file=row.file, row=row.label, field="discount", expected=expected)
    if not 0 <= frac < 1:
        raise CatalogError(f"expected {expected}, got {excerpt(row.rec.get('discount'))}", file=row.file, row=row.label, field="discount")
    return vendor, frac


def apply_discount(state: OverlayState, row: Row, vendor: str, frac: float) -> None:
    """``discount``: scale the vendor's non-quote ``price_usd`` by ``1 - frac``, noting it in the figure."""
    for item_id, item in state.items.items():
        fig = state.figures.get((item_id, "price_usd"))
        if item["vendor"] != vendor or fig is None or fig["basis"] == "quote":
            continue
        state.figures[(item_id, "price_usd")] = {
            **fig,
            "value": fig["value"] * (1 - frac),
            "note": (fig["note"] + "; " if fig["note"] else "") + f"x {1 - frac:g} for a {frac:.0%} {vendor} discount",
            "origin": f"{fig['origin']}; discount {row.origin}",
        }


def _set_figures(state: OverlayState, item: dict[str, Any], attrs: dict[str, Any], row: Row) -> None:
    """Validate and store the row's figures (basis ``quote`` and the file as source by default)."""
    meta = {
        "basis": str(row.rec.get("basis") or "quote"),
        "source": str(row.rec.get("source") or f"user overlay {Path(row.file).name}"),
        "source_date": row.rec.get("date"),
        "note": str(row.rec.get("note") or ""),
        "currency_year": row.rec.get("currency_year"),
    }
    for attr, raw in attrs.items():
        src = FigureSource(row.file, row.label, row.origin, value_field=attr, date_field="date", strict_ranges=state.strict_ranges)
        state.figures[(item["id"], attr)] = validate_figure(item, attr, raw, meta, state.schema, src, state.warnings)


APPLY = {"set": apply_set, "add": apply_add, "disable": apply_disable}
