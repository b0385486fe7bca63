"""The effective hardware catalog: the bundled tables with overlays applied.

The bundled catalog is two CSV files shipped as package data (read by :mod:`hwcatalog.bundled`):

* ``items.csv``: one row per unit (id, name, vendor, category, kind, availability, ...);
* ``figures.csv``: one row per figure of an item (attribute, value, basis, source, date, ...).

Overlays (a user's quotes, in CSV or YAML; :mod:`hwcatalog.overlay`) are merged on top; every
effective figure keeps its ``origin`` (``bundled`` or ``overlay:<file>``). Validation happens
before anything is returned: an invalid file raises :class:`CatalogError` naming the file, the
row, the field and what is expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .bundled import load_bundled
from .offers import load_offers
from .overlay import OverlayState, apply_overlay, read_overlay
from .queries import stale_prices
from .schema import Schema, load_schema
from .validate import Figures, Items, unknown_item

DEFAULT_MAX_PRICE_AGE_DAYS = 730

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

__all__ = ["DEFAULT_MAX_PRICE_AGE_DAYS", "FIGURE_COLUMNS", "Catalog", "load_catalog", "read_overlay", "unknown_item", "validate_file"]


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
    offers: pd.DataFrame | None = None  # rental offers (hwcatalog.offers), None for none

    @property
    def ids(self) -> list[str]:
        return list(self.items.index)

    def item(self, item_id: str) -> pd.Series:
        """The row of one item; unknown ids raise :class:`UnknownItemError` with suggestions."""
        if item_id not in self.items.index:
            raise unknown_item(item_id, self.ids)
        return self.items.loc[item_id]

    def sources(self, item_id: str) -> dict[str, dict[str, Any]]:
        """``attribute -> {value, unit, basis, source, source_date, currency_year, note, origin}``
        (a fresh copy; the figures are grouped by item once per catalog)."""
        self.item(item_id)
        by_item = self.__dict__.get("_sources_by_item")
        if by_item is None:
            by_item = {}
            for rec in self.figures.to_dict("records"):
                fields = {k: _plain(rec[k]) for k in FIGURE_COLUMNS if k not in ("item_id", "attribute")}
                by_item.setdefault(rec["item_id"], {})[rec["attribute"]] = fields
            self.__dict__["_sources_by_item"] = by_item
        return {a: dict(f) for a, f in by_item.get(item_id, {}).items()}


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


def _frames(items: Items, figures: Figures, schema: Schema, disabled: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide item frame and the long figure frame, without disabled items."""
    keep = [i for i in items if i not in disabled]
    fig_df = pd.DataFrame([f for (i, _), f in figures.items() if i not in disabled], columns=list(FIGURE_COLUMNS))
    wide = pd.DataFrame([items[i] for i in keep], columns=list(schema.item_fields)).set_index("id", drop=False)
    for name, attr in schema.attributes.items():
        values = {f["item_id"]: f["value"] for (i, a), f in figures.items() if a == name and i not in disabled}
        wide[name] = pd.Series([values.get(i) for i in keep], index=wide.index, dtype="object" if attr.type == "date" else "float64")
    wide.index.name = None
    return wide, fig_df


def _staleness_warnings(figures: pd.DataFrame, max_age_days: int, today: dt.date) -> list[str]:
    """One warning per item with a stale price figure, naming its oldest (purchase or hourly)."""
    stale = stale_prices(figures, max_age_days, today).sort_values("age_days", ascending=False, kind="stable")
    return [
        f"price of {rec['item_id']} is {rec['age_days']} days old ({rec['attribute']}, source dated {rec['source_date']}, "
        f"limit {max_age_days} days)"
        for rec in stale.drop_duplicates("item_id").sort_index().to_dict("records")
    ]


def load_catalog(
    overlays: Sequence[str | Path] = (),
    *,
    today: dt.date | None = None,
    max_price_age_days: int | None = DEFAULT_MAX_PRICE_AGE_DAYS,
    strict_ranges: bool = True,
    offers: Sequence[str | Path] = (),
    bundled_offers: bool = True,
) -> Catalog:
    """Load the bundled catalog and apply overlays in order; attach the rental offers.

    Parameters
    ----------
    overlays:
        CSV or YAML overlay files (see :func:`read_overlay`), applied left to right.
    today:
        Reference date for staleness warnings (default: today's date).
    max_price_age_days:
        A price whose source is older than this many days produces a warning in
        ``Catalog.warnings``; ``None`` disables the check.
    strict_ranges:
        An overlay figure outside the schema's plausible range for its category is an error
        (default); with ``False`` it is accepted with a warning in ``Catalog.warnings``.
    offers:
        Offers files (CSV, YAML or a SkyPilot ``vms.csv``; :mod:`hwcatalog.offers`) read after
        the bundled offers (unless ``bundled_offers`` is false); a later row replaces an earlier
        one with the same provider, item, mode and region.
    """
    schema = load_schema()
    items, figures = load_bundled(schema)
    state = OverlayState(items, figures, schema, strict_ranges=strict_ranges)
    for path in overlays:
        apply_overlay(path, state)
    wide, fig_df = _frames(state.items, state.figures, schema, state.disabled)
    catalog = Catalog(
        items=wide,
        figures=fig_df,
        schema=schema,
        overlays=tuple(str(p) for p in overlays),
        disabled=tuple(sorted(state.disabled)),
        warnings=list(state.warnings),
        offers=load_offers(offers, list(wide.index), include_bundled=bundled_offers, today=today),
    )
    if max_price_age_days is not None:
        catalog.warnings.extend(_staleness_warnings(catalog.figures, max_price_age_days, today or dt.date.today()))
    return catalog


def validate_file(path: str | Path, *, strict_ranges: bool = True) -> int:
    """Validate an overlay file against the bundled catalog; return the number of records.

    Raises :class:`CatalogError` on the first problem.
    """
    schema = load_schema()
    items, figures = load_bundled(schema)
    return apply_overlay(path, OverlayState(items, figures, schema, strict_ranges=strict_ranges))
