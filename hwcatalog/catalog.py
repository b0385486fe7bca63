"""Loading, validating and merging the hardware catalog.

The bundled catalog is two CSV files shipped as package data:

* ``items.csv``: one row per unit (id, name, vendor, category, kind, availability, ...);
* ``figures.csv``: one row per figure of an item (attribute, value, basis, source, date, ...).

Overlays (a user's quotes, in CSV or YAML) are merged on top; every effective figure keeps its
``origin`` (``bundled`` or ``overlay:<file>``). Validation happens before anything is returned:
an invalid file raises :class:`CatalogError` naming the file, the row, the field and what is
expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import CatalogError, UnknownItemError
from .schema import DATA_PACKAGE, Schema, load_schema, parse_date

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SOURCED_BASES = ("datasheet", "list", "reported", "quote")
BUNDLED = "bundled"
DEFAULT_MAX_PRICE_AGE_DAYS = 730

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


@dataclass
class Catalog:
    """The effective catalog: bundled data with overlays applied.

    ``items`` is the wide view (one row per item, one column per attribute, units in the
    column names); ``figures`` is the long view with provenance (one row per effective figure).
    Queries in :mod:`hwcatalog.queries` are pure functions of these frames.
    """

    items: pd.DataFrame
    figures: pd.DataFrame
    schema: Schema
    overlays: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        """The wide DataFrame view (alias of ``items``)."""
        return self.items

    @property
    def ids(self) -> list[str]:
        return list(self.items.index)

    def item(self, item_id: str) -> pd.Series:
        """The row of one item; unknown ids raise :class:`UnknownItemError` with suggestions."""
        if item_id not in self.items.index:
            raise unknown_item(item_id, self.ids)
        return self.items.loc[item_id]

    def sources(self, item_id: str) -> dict[str, dict[str, Any]]:
        """``attribute -> {value, unit, basis, source, source_date, currency_year, note, origin}``."""
        self.item(item_id)
        rows = self.figures[self.figures["item_id"] == item_id]
        out: dict[str, dict[str, Any]] = {}
        for rec in rows.to_dict("records"):
            attr = rec["attribute"]
            out[attr] = {k: _plain(rec[k]) for k in FIGURE_COLUMNS if k not in ("item_id", "attribute")}
        return out


FIGURE_COLUMNS = (
    "item_id",
    "attribute",
    "value",
    "unit",
    "basis",
    "source",
    "source_date",
    "currency_year",
    "note",
    "origin",
)


def _plain(value: Any) -> Any:
    """Convert numpy/pandas scalars and NaN to plain Python values for JSON."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if value is pd.NA:
        return None
    return value


def unknown_item(item_id: str, known: Iterable[str], *, file: str | None = None, row: Any = None) -> UnknownItemError:
    known = list(known)
    close = difflib.get_close_matches(item_id, known, n=3, cutoff=0.5)
    if not close:  # substring match helps for short names like "h100"
        close = [k for k in known if item_id.lower() in k][:3]
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return UnknownItemError(f"unknown item id {item_id!r}{hint}", file=file, row=row, field="id")


# --------------------------------------------------------------------------------------------
# reading


def _read_csv_text(text: str, file: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise CatalogError("expected a header row, got an empty file", file=file)
    header = [h.strip() for h in reader.fieldnames]
    rows = []
    for rec in reader:
        if None in rec:
            raise CatalogError(f"expected {len(header)} columns, got more", file=file, row=reader.line_num)
        rows.append({k.strip(): (v or "").strip() for k, v in rec.items()})
    return header, rows


def _check_columns(header: Sequence[str], allowed: Iterable[str], required: Iterable[str], file: str) -> None:
    allowed = list(allowed)
    for col in header:
        if col not in allowed:
            close = difflib.get_close_matches(col, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CatalogError(f"unknown column{hint}; expected one of {', '.join(allowed)}", file=file, row=1, field=col)
    for col in required:
        if col not in header:
            raise CatalogError("missing required column", file=file, row=1, field=col)


def _bundled_text(name: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _validate_item_row(rec: dict[str, str], schema: Schema, file: str, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in schema.item_fields.items():
        raw = rec.get(name, "")
        if name in ("id", "name", "vendor", "category", "kind") and raw == "":
            raise CatalogError(f"expected a non-empty {spec.description.lower()}", file=file, row=row, field=name)
        if spec.enum and raw != "" and raw not in spec.enum:
            raise CatalogError(f"expected one of {', '.join(spec.enum)}, got {raw!r}", file=file, row=row, field=name)
        if spec.type == "bool":
            if raw.lower() in ("", "false", "0", "no"):
                out[name] = False
            elif raw.lower() in ("true", "1", "yes"):
                out[name] = True
            else:
                raise CatalogError(f"expected true or false, got {raw!r}", file=file, row=row, field=name)
        else:
            out[name] = raw
    if not ID_PATTERN.match(out["id"]):
        raise CatalogError(f"expected lowercase letters, digits and dashes, got {out['id']!r}", file=file, row=row, field="id")
    out["availability"] = out["availability"] or "purchase"
    return out


def _validate_figure(
    item: dict[str, Any],
    attribute: str,
    raw_value: Any,
    meta: dict[str, Any],
    schema: Schema,
    file: str,
    row: Any,
    origin: str,
    value_field: str = "value",
) -> dict[str, Any]:
    """Validate one figure of ``item`` and return its long-form record."""
    attr = schema.attributes.get(attribute)
    if attr is None:
        close = difflib.get_close_matches(attribute, list(schema.attributes), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CatalogError(f"unknown attribute {attribute!r}{hint}", file=file, row=row, field="attribute")
    if item["category"] not in attr.categories:
        raise CatalogError(
            f"attribute {attribute!r} does not apply to category {item['category']!r} (applies to {', '.join(attr.categories)})",
            file=file,
            row=row,
            field=value_field,
        )
    try:
        value = attr.parse(raw_value)
    except ValueError as exc:
        raise CatalogError(str(exc), file=file, row=row, field=value_field) from None
    basis = meta.get("basis") or ""
    enum = schema.figure_fields["basis"].enum
    if basis not in enum:
        raise CatalogError(f"expected one of {', '.join(enum)}, got {basis!r}", file=file, row=row, field="basis")
    source = meta.get("source") or ""
    note = meta.get("note") or ""
    if basis == "estimate" and not note:
        raise CatalogError("an estimate needs its reasoning in 'note'", file=file, row=row, field="note")
    if basis != "estimate" and not source:
        raise CatalogError(f"a {basis} figure needs a source (citation or URL)", file=file, row=row, field="source")
    raw_date = meta.get("source_date")
    if raw_date in (None, ""):
        raise CatalogError("expected the date of the source, YYYY-MM-DD", file=file, row=row, field="source_date")
    try:
        source_date = parse_date(raw_date).isoformat()
    except ValueError as exc:
        raise CatalogError(str(exc), file=file, row=row, field="source_date") from None
    cy = meta.get("currency_year")
    currency_year: int | None = None
    if cy not in (None, ""):
        try:
            currency_year = int(str(cy))
        except ValueError:
            raise CatalogError(f"expected a year like 2025, got {cy!r}", file=file, row=row, field="currency_year") from None
        if not 1990 <= currency_year <= 2100:
            raise CatalogError(f"expected a year in [1990, 2100], got {cy!r}", file=file, row=row, field="currency_year")
    if attr.unit.startswith("USD") and currency_year is None:
        currency_year = parse_date(source_date).year
    return {
        "item_id": item["id"],
        "attribute": attribute,
        "value": value,
        "unit": attr.unit,
        "basis": basis,
        "source": source,
        "source_date": source_date,
        "currency_year": currency_year,
        "note": note,
        "origin": origin,
    }


def _load_bundled(schema: Schema) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    items_file, figures_file = "items.csv", "figures.csv"
    return _parse_catalog_tables(_bundled_text(items_file), _bundled_text(figures_file), schema, items_file, figures_file, BUNDLED)


def _parse_catalog_tables(
    items_text: str,
    figures_text: str,
    schema: Schema,
    items_file: str,
    figures_file: str,
    origin: str,
) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    header, rows = _read_csv_text(items_text, items_file)
    _check_columns(header, schema.item_fields, ["id", "name", "vendor", "category", "kind"], items_file)
    items: dict[str, dict[str, Any]] = {}
    for n, rec in enumerate(rows, start=2):
        item = _validate_item_row(rec, schema, items_file, n)
        if item["id"] in items:
            raise CatalogError(f"duplicate item id {item['id']!r}", file=items_file, row=n, field="id")
        items[item["id"]] = item
    header, rows = _read_csv_text(figures_text, figures_file)
    _check_columns(header, schema.figure_fields, ["item_id", "attribute", "value", "basis", "source_date"], figures_file)
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    for n, rec in enumerate(rows, start=2):
        item_id = rec["item_id"]
        if item_id not in items:
            raise unknown_item(item_id, items, file=figures_file, row=n)
        key = (item_id, rec["attribute"])
        if key in figures:
            raise CatalogError(f"duplicate figure {rec['attribute']!r} for item {item_id!r}", file=figures_file, row=n, field="attribute")
        figures[key] = _validate_figure(items[item_id], rec["attribute"], rec["value"], rec, schema, figures_file, n, origin)
    return items, figures


def _check_required(items: dict[str, dict[str, Any]], figures: dict[tuple[str, str], dict[str, Any]], schema: Schema, file: str) -> None:
    for item_id, item in items.items():
        for attr in schema.required_attributes(item["category"]):
            if (item_id, attr) not in figures:
                raise CatalogError(
                    f"item {item_id!r} ({item['category']}) has no {attr!r}; every {item['category']} needs "
                    f"{', '.join(schema.required_attributes(item['category']))}",
                    file=file,
                    field=attr,
                )


# --------------------------------------------------------------------------------------------
# overlays


def read_overlay(path: str | Path, schema: Schema | None = None) -> list[tuple[Any, dict[str, Any]]]:
    """Read an overlay file into ``(row label, record)`` pairs, one per action.

    CSV overlays have a header of overlay columns (``id, action, vendor, discount, name, ...,
    source, date, basis, note``) plus any schema attribute; empty cells are ignored. YAML
    overlays have ``items`` (a list of such records), ``disable`` (a list of ids) and
    ``discounts`` (``vendor: fraction``).
    """
    schema = schema or load_schema()
    p = Path(path)
    file = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError("file not found; expected a CSV or YAML overlay", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the file ({exc.__class__.__name__}); expected UTF-8 text", file=file) from None
    allowed = list(OVERLAY_META) + list(schema.attributes)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        header, rows = _read_csv_text(text, file)
        _check_columns(header, allowed, ["id"] if "vendor" not in header else [], file)
        return [(n, {k: v for k, v in rec.items() if v != ""}) for n, rec in enumerate(rows, start=2)]
    if suffix in (".yaml", ".yml"):
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            row = mark.line + 1 if mark is not None else None
            raise CatalogError(f"invalid YAML ({getattr(exc, 'problem', exc)})", file=file, row=row) from None
        if raw is None:
            return []
        if not isinstance(raw, dict):
            raise CatalogError("expected a mapping with keys items, disable, discounts", file=file)
        out: list[tuple[Any, dict[str, Any]]] = []
        for key in raw:
            if key not in ("items", "disable", "discounts"):
                raise CatalogError("unknown key; expected items, disable or discounts", file=file, field=str(key))
        items = raw.get("items") or []
        if not isinstance(items, list):
            raise CatalogError("expected a list of item records", file=file, field="items")
        for n, rec in enumerate(items):
            label = f"items[{n}]"
            if not isinstance(rec, dict):
                raise CatalogError("expected a mapping of field: value", file=file, row=label)
            for k in rec:
                if k not in allowed:
                    close = difflib.get_close_matches(str(k), allowed, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise CatalogError(f"unknown field{hint}", file=file, row=label, field=str(k))
            out.append((label, {k: v for k, v in rec.items() if v is not None and v != ""}))
        disable = raw.get("disable") or []
        if not isinstance(disable, list):
            raise CatalogError("expected a list of item ids", file=file, field="disable")
        for n, item_id in enumerate(disable):
            out.append((f"disable[{n}]", {"id": str(item_id), "action": "disable"}))
        discounts = raw.get("discounts") or {}
        if not isinstance(discounts, dict):
            raise CatalogError("expected a mapping vendor: fraction", file=file, field="discounts")
        for vendor, frac in discounts.items():
            out.append((f"discounts.{vendor}", {"vendor": str(vendor), "discount": frac, "action": "discount"}))
        return out
    raise CatalogError(f"unsupported file type {p.suffix!r}; expected .csv, .yaml or .yml", file=file)


def _apply_overlay(
    path: str | Path,
    items: dict[str, dict[str, Any]],
    figures: dict[tuple[str, str], dict[str, Any]],
    disabled: set[str],
    schema: Schema,
) -> None:
    file = str(path)
    origin = f"overlay:{Path(path).name}"
    records = read_overlay(path, schema)
    discounts: list[tuple[Any, str, float]] = []
    for row, rec in records:
        action = str(rec.get("action") or ("discount" if "discount" in rec and "id" not in rec else "set")).strip()
        if action not in OVERLAY_ACTIONS:
            raise CatalogError(f"expected one of {', '.join(OVERLAY_ACTIONS)}, got {action!r}", file=file, row=row, field="action")
        if action == "discount":
            vendor = str(rec.get("vendor") or "")
            vendors = sorted({i["vendor"] for i in items.values()})
            if vendor not in vendors:
                close = difflib.get_close_matches(vendor, vendors, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise CatalogError(f"unknown vendor {vendor!r}{hint}", file=file, row=row, field="vendor")
            try:
                frac = float(rec.get("discount", ""))
            except (TypeError, ValueError):
                raise CatalogError(
                    f"expected a fraction in [0, 1), got {rec.get('discount')!r}", file=file, row=row, field="discount"
                ) from None
            if not 0 <= frac < 1:
                raise CatalogError(f"expected a fraction in [0, 1), got {rec.get('discount')!r}", file=file, row=row, field="discount")
            discounts.append((row, vendor, frac))
            continue
        item_id = str(rec.get("id") or "")
        if not item_id:
            raise CatalogError("expected an item id", file=file, row=row, field="id")
        if action == "disable":
            if item_id not in items:
                raise unknown_item(item_id, items, file=file, row=row)
            disabled.add(item_id)
            continue
        attrs = {k: v for k, v in rec.items() if k in schema.attributes}
        meta = {
            "basis": str(rec.get("basis") or "quote"),
            "source": str(rec.get("source") or f"user overlay {Path(path).name}"),
            "source_date": rec.get("date"),
            "note": str(rec.get("note") or ""),
            "currency_year": rec.get("currency_year"),
        }
        if action == "add":
            if item_id in items:
                raise CatalogError(
                    f"item {item_id!r} already exists; use action 'set' to override its figures", file=file, row=row, field="id"
                )
            item_rec = {k: str(v) for k, v in rec.items() if k in schema.item_fields}
            item_rec["id"] = item_id
            item_rec.setdefault("experimental", "false")
            item = _validate_item_row(item_rec, schema, file, row)
            items[item_id] = item
        else:
            if item_id not in items:
                err = unknown_item(item_id, items, file=file, row=row)
                raise CatalogError(err.detail + "; to add a new item use action 'add'", file=file, row=row, field="id")
            for k in ("name", "vendor", "description"):
                if k in rec:
                    items[item_id][k] = str(rec[k])
            item = items[item_id]
        if not attrs and action == "set" and not any(k in rec for k in ("name", "vendor", "description")):
            raise CatalogError("a 'set' row must give at least one attribute to override", file=file, row=row)
        for attr, raw in attrs.items():
            figures[(item_id, attr)] = _validate_figure(item, attr, raw, meta, schema, file, row, origin, value_field=attr)
        if action == "add":
            missing = [a for a in schema.required_attributes(item["category"]) if (item_id, a) not in figures]
            if missing:
                raise CatalogError(f"a new {item['category']} needs {', '.join(missing)}", file=file, row=row, field=missing[0])
    for _row, vendor, frac in discounts:
        for item_id, item in items.items():
            fig = figures.get((item_id, "price_usd"))
            if item["vendor"] != vendor or fig is None or fig["basis"] == "quote":
                continue
            figures[(item_id, "price_usd")] = {
                **fig,
                "value": fig["value"] * (1 - frac),
                "note": (fig["note"] + "; " if fig["note"] else "") + f"x {1 - frac:g} for a {frac:.0%} {vendor} discount",
                "origin": f"{fig['origin']}; discount {origin}",
            }


# --------------------------------------------------------------------------------------------
# assembly


def _frames(
    items: dict[str, dict[str, Any]], figures: dict[tuple[str, str], dict[str, Any]], schema: Schema, disabled: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = [i for i in items if i not in disabled]
    fig_df = pd.DataFrame([f for (i, _), f in figures.items() if i not in disabled], columns=list(FIGURE_COLUMNS))
    wide = pd.DataFrame([items[i] for i in keep], columns=list(schema.item_fields)).set_index("id", drop=False)
    for name, attr in schema.attributes.items():
        values = {f["item_id"]: f["value"] for (i, a), f in figures.items() if a == name and i not in disabled}
        col = pd.Series([values.get(i) for i in keep], index=wide.index, dtype="object" if attr.type == "date" else "float64")
        wide[name] = col
    wide.index.name = None
    return wide, fig_df


def load_catalog(
    overlays: Sequence[str | Path] = (),
    *,
    today: dt.date | None = None,
    max_price_age_days: int | None = DEFAULT_MAX_PRICE_AGE_DAYS,
) -> Catalog:
    """Load the bundled catalog and apply overlays in order.

    Parameters
    ----------
    overlays:
        CSV or YAML overlay files (see :func:`read_overlay`), applied left to right.
    today:
        Reference date for staleness warnings (default: today's date).
    max_price_age_days:
        A price whose source is older than this many days produces a warning in
        ``Catalog.warnings``; ``None`` disables the check.
    """
    schema = load_schema()
    items, figures = _load_bundled(schema)
    _check_required(items, figures, schema, "figures.csv")
    disabled: set[str] = set()
    for path in overlays:
        _apply_overlay(path, items, figures, disabled, schema)
    wide, fig_df = _frames(items, figures, schema, disabled)
    catalog = Catalog(
        items=wide,
        figures=fig_df,
        schema=schema,
        overlays=tuple(str(p) for p in overlays),
        disabled=tuple(sorted(disabled)),
    )
    if max_price_age_days is not None:
        from .queries import stale_prices

        for rec in stale_prices(catalog.figures, max_price_age_days, today or dt.date.today()).to_dict("records"):
            catalog.warnings.append(
                f"price of {rec['item_id']} is {rec['age_days']} days old (source dated {rec['source_date']}, "
                f"limit {max_price_age_days} days)"
            )
    return catalog


def validate_file(path: str | Path) -> int:
    """Validate an overlay file against the bundled catalog; return the number of records.

    Raises :class:`CatalogError` on the first problem.
    """
    schema = load_schema()
    records = read_overlay(path, schema)
    items, figures = _load_bundled(schema)
    _apply_overlay(path, items, figures, set(), schema)
    return len(records)
