"""Reading and validating the bundled tables (``items.csv`` and ``figures.csv``, package data)."""

from __future__ import annotations

from importlib import resources

from .errors import CatalogError
from .safeio import read_csv
from .schema import DATA_PACKAGE, Schema
from .validate import Figures, FigureSource, Items, check_columns, check_required, unknown_item, validate_figure, validate_item_row

BUNDLED = "bundled"
ITEMS_FILE = "items.csv"
FIGURES_FILE = "figures.csv"
ITEM_COLUMNS_REQUIRED = ("id", "name", "vendor", "category", "kind")
FIGURE_COLUMNS_REQUIRED = ("item_id", "attribute", "value", "basis", "source_date")


def bundled_text(name: str) -> str:
    """The text of a bundled data file (trusted package data, read through importlib.resources)."""
    return resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def load_bundled(schema: Schema) -> tuple[Items, Figures]:
    """The bundled items and figures, validated against ``schema`` (complete: every required attribute)."""
    items, figures = parse_tables(bundled_text(ITEMS_FILE), bundled_text(FIGURES_FILE), schema, ITEMS_FILE, FIGURES_FILE, BUNDLED)
    check_required(items, figures, schema, FIGURES_FILE)
    return items, figures


def parse_tables(
    items_text: str, figures_text: str, schema: Schema, items_file: str, figures_file: str, origin: str
) -> tuple[Items, Figures]:
    """Parse an items table and a figures table: columns, unique ids and figures, known items, valid figures."""
    items = parse_items(items_text, schema, items_file)
    return items, parse_figures(figures_text, items, schema, figures_file, origin)


def parse_items(text: str, schema: Schema, file: str) -> Items:
    """Items by id: known columns, valid rows, no id twice."""
    header, rows = read_csv(text, file=file)
    check_columns(header, schema.item_fields, ITEM_COLUMNS_REQUIRED, file)
    items: Items = {}
    for n, rec in enumerate(rows, start=2):
        item = validate_item_row(rec, schema, file, n)
        if item["id"] in items:
            raise CatalogError(f"duplicate item id {item['id']!r}", file=file, row=n, field="id")
        items[item["id"]] = item
    return items


def parse_figures(text: str, items: Items, schema: Schema, file: str, origin: str) -> Figures:
    """Figures by ``(item id, attribute)``: known columns and items, valid figures, none twice."""
    header, rows = read_csv(text, file=file)
    check_columns(header, schema.figure_fields, FIGURE_COLUMNS_REQUIRED, file)
    figures: Figures = {}
    warnings: list[str] = []  # bundled data is checked strictly: nothing lands here
    for n, rec in enumerate(rows, start=2):
        item_id = rec["item_id"]
        if item_id not in items:
            raise unknown_item(item_id, items, file=file, row=n)
        key = (item_id, rec["attribute"])
        if key in figures:
            raise CatalogError(f"duplicate figure {rec['attribute']!r} for item {item_id!r}", file=file, row=n, field="attribute")
        figures[key] = validate_figure(items[item_id], rec["attribute"], rec["value"], rec, schema, FigureSource(file, n, origin), warnings)
    return figures
