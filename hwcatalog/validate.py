"""Validation helpers shared by the bundled tables and the overlays.

Each helper checks one thing and raises :class:`CatalogError` naming the file, the row, the field
(as the file being read names it) and what is expected; names that are almost right get a "did
you mean" suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CatalogError, UnknownItemError
from .safeio import excerpt
from .schema import Attribute, Schema, parse_date

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NON_EMPTY_ITEM_FIELDS = ("id", "name", "vendor", "category", "kind")

Items = dict[str, dict[str, Any]]
Figures = dict[tuple[str, str], dict[str, Any]]


def did_you_mean(name: str, known: Iterable[str], n: int = 1) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or an empty string."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    if not close:  # a substring helps for short names like "h100"
        close = [k for k in known if name.lower() in k.lower()][:n] if len(name) >= 3 else []
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def unknown_item(item_id: str, known: Iterable[str], *, file: str | None = None, row: Any = None) -> UnknownItemError:
    """The error for an id that is not in ``known``, suggesting up to three close ids."""
    return UnknownItemError(f"unknown item id {excerpt(item_id)}{did_you_mean(item_id, known, n=3)}", file=file, row=row, field="id")


def check_columns(header: Sequence[str], allowed: Iterable[str], required: Iterable[str], file: str) -> None:
    """Every column of ``header`` is in ``allowed`` (else "did you mean"); every ``required`` one is present."""
    allowed = list(allowed)
    for col in header:
        if col not in allowed:
            hint = did_you_mean(col, allowed)
            raise CatalogError(f"unknown column{hint}; expected one of {', '.join(allowed)}", file=file, row=1, field=col)
    for col in required:
        if col not in header:
            raise CatalogError("missing required column", file=file, row=1, field=col)


def check_enum(raw: str, allowed: Sequence[str], *, file: str, row: Any, field: str) -> None:
    """``raw`` is one of ``allowed`` (with "did you mean")."""
    if raw not in allowed:
        raise CatalogError(
            f"expected one of {', '.join(allowed)}, got {excerpt(raw)}{did_you_mean(raw, allowed)}", file=file, row=row, field=field
        )


def _parse_bool(raw: str, *, file: str, row: Any, field: str) -> bool:
    """An item's boolean cell: empty/false/0/no, or true/1/yes."""
    if raw.lower() in ("", "false", "0", "no"):
        return False
    if raw.lower() in ("true", "1", "yes"):
        return True
    raise CatalogError(f"expected true or false, got {excerpt(raw)}", file=file, row=row, field=field)


def validate_item_row(rec: dict[str, str], schema: Schema, file: str, row: Any) -> dict[str, Any]:
    """Check one item record (non-empty id/name/vendor/category/kind, enums, booleans, id pattern)."""
    out: dict[str, Any] = {}
    for name, spec in schema.item_fields.items():
        raw = rec.get(name, "")
        if name in NON_EMPTY_ITEM_FIELDS and raw == "":
            raise CatalogError(f"expected a non-empty {spec.description.lower()}", file=file, row=row, field=name)
        if spec.enum and raw != "":
            check_enum(raw, spec.enum, file=file, row=row, field=name)
        out[name] = _parse_bool(raw, file=file, row=row, field=name) if spec.type == "bool" else raw
    if not ID_PATTERN.match(out["id"]):
        raise CatalogError(f"expected lowercase letters, digits and dashes, got {excerpt(out['id'])}", file=file, row=row, field="id")
    out["availability"] = out["availability"] or "purchase"
    return out


@dataclass(frozen=True)
class FigureSource:
    """Where a figure is read from, and how that file names the value and date columns.

    Bundled ``figures.csv`` has ``value`` and ``source_date``; an overlay names the value after
    its attribute (``price_usd``) and the date ``date``. With ``strict_ranges`` off, a value
    outside the schema's plausible range is a warning instead of an error.
    """

    file: str
    row: Any
    origin: str
    value_field: str = "value"
    date_field: str = "source_date"
    strict_ranges: bool = True


def validate_figure(
    item: dict[str, Any], attribute: str, raw_value: Any, meta: dict[str, Any], schema: Schema, src: FigureSource, warnings: list[str]
) -> dict[str, Any]:
    """Check one figure of ``item`` (attribute, value, plausible range, basis, source, date, currency year).

    Returns its long-form record; a value outside the plausible range is appended to ``warnings``
    when ``src.strict_ranges`` is off.
    """
    attr = _attribute(attribute, item, schema, src)
    value = _value(attr, raw_value, src)
    basis, source, note = _basis(meta, schema, src)
    source_date = _source_date(meta.get("source_date"), src)
    currency_year = _currency_year(meta.get("currency_year"), src)
    _check_plausible(attr, value, item["category"], src, warnings)  # last: the figure is otherwise valid
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
        "origin": src.origin,
    }


def _attribute(attribute: str, item: dict[str, Any], schema: Schema, src: FigureSource) -> Attribute:
    """The schema attribute, which must exist and apply to the item's category."""
    attr = schema.attributes.get(attribute)
    if attr is None:
        raise CatalogError(
            f"unknown attribute {excerpt(attribute)}{did_you_mean(attribute, schema.attributes)}",
            file=src.file,
            row=src.row,
            field="attribute",
        )
    if item["category"] not in attr.categories:
        raise CatalogError(
            f"attribute {attribute!r} does not apply to category {item['category']!r} (applies to {', '.join(attr.categories)})",
            file=src.file,
            row=src.row,
            field=src.value_field,
        )
    return attr


def _value(attr: Attribute, raw: Any, src: FigureSource) -> float | int | str:
    """The typed value within the attribute's limits (``min``/``max``, always an error)."""
    try:
        return attr.parse(raw)
    except ValueError as exc:
        raise CatalogError(str(exc), file=src.file, row=src.row, field=src.value_field) from None


def _check_plausible(attr: Attribute, value: float | int | str, category: str, src: FigureSource, warnings: list[str]) -> None:
    """The value is in the attribute's plausible range for ``category``: else an error, or a warning when not strict."""
    span = attr.plausible_range(category)
    if span is None or isinstance(value, str) or span[0] <= value <= span[1]:
        return
    err = CatalogError(
        f"expected {attr.unit} in the plausible range [{span[0]:g}, {span[1]:g}] for an {category}, got {value:g}",
        file=src.file,
        row=src.row,
        field=src.value_field,
    )
    if src.strict_ranges:
        raise err
    warnings.append(f"{err} (accepted: strict ranges are off)")


def _basis(meta: dict[str, Any], schema: Schema, src: FigureSource) -> tuple[str, str, str]:
    """``(basis, source, note)``: a known basis; a source for sourced figures, a note for estimates."""
    basis = str(meta.get("basis") or "")
    check_enum(basis, schema.figure_fields["basis"].enum, file=src.file, row=src.row, field="basis")
    source = str(meta.get("source") or "")
    note = str(meta.get("note") or "")
    if basis == "estimate" and not note:
        raise CatalogError("an estimate needs its reasoning in 'note'", file=src.file, row=src.row, field="note")
    if basis != "estimate" and not source:
        raise CatalogError(f"a {basis} figure needs a source (citation or URL)", file=src.file, row=src.row, field="source")
    return basis, source, note


def _source_date(raw: Any, src: FigureSource) -> str:
    """The ISO date of the source (required), reported under the file's own column name."""
    if raw in (None, ""):
        raise CatalogError("expected the date of the source, YYYY-MM-DD", file=src.file, row=src.row, field=src.date_field)
    try:
        return parse_date(raw).isoformat()
    except ValueError as exc:
        raise CatalogError(str(exc), file=src.file, row=src.row, field=src.date_field) from None


def _currency_year(raw: Any, src: FigureSource) -> int | None:
    """An optional year in [1990, 2100] (not a boolean)."""
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        year = int(str(raw))
    except ValueError:
        raise CatalogError(f"expected a year like 2025, got {excerpt(raw)}", file=src.file, row=src.row, field="currency_year") from None
    if not 1990 <= year <= 2100:
        raise CatalogError(f"expected a year in [1990, 2100], got {excerpt(raw)}", file=src.file, row=src.row, field="currency_year")
    return year


def check_required(items: Items, figures: Figures, schema: Schema, file: str) -> None:
    """Every item carries every attribute its category requires."""
    for item_id, item in items.items():
        needed = schema.required_attributes(item["category"])
        for attr in needed:
            if (item_id, attr) not in figures:
                raise CatalogError(
                    f"item {item_id!r} ({item['category']}) has no {attr!r}; every {item['category']} needs {', '.join(needed)}",
                    file=file,
                    field=attr,
                )
