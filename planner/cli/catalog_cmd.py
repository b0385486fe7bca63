"""``plan catalog list|show|validate|offers``."""

from __future__ import annotations

import json

import click

from hwcatalog.offers import MODES

from .common import age_option, catalog_option, load_catalog_quietly, options, quiet_option, translate_errors


@click.group("catalog")
def catalog_group() -> None:
    """Inspect and validate the hardware catalog."""


@catalog_group.command("list")
@options(
    click.option(
        "--category",
        type=click.Choice(["accelerator", "verification", "memory", "audit"]),
        multiple=True,
        help="Filter by category (repeatable).",
    ),
    click.option("--vendor", multiple=True, help="Filter by vendor, case-insensitive (repeatable)."),
    click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True),
    catalog_option,
    age_option,
    quiet_option,
)
@translate_errors
def catalog_list(
    category: tuple[str, ...], vendor: tuple[str, ...], fmt: str, catalogs: tuple[str, ...], max_price_age_days: int, quiet: bool
) -> None:
    """List catalog items (dense FLOP/s, no sparsity)."""
    from hwcatalog import select

    from ..catalog_view import LIST_COLUMNS, catalog_records, catalog_rows
    from ..escape import CSV_LINE_END
    from ..export import safe_text
    from ..report import texttable

    cat = load_catalog_quietly(catalogs, max_price_age_days, quiet)
    items = select(cat.items, category=category or None, vendor=vendor or None)
    if fmt == "json":
        click.echo(json.dumps(catalog_records(cat, items), indent=2))
    elif fmt == "csv":
        click.echo(items.map(safe_text).to_csv(index=False, lineterminator=CSV_LINE_END), nl=False)
    else:
        title = f"{len(items)} items (dense FLOP/s; 'estimates' = figures without a public source)"
        click.echo(texttable(catalog_rows(cat, items), LIST_COLUMNS, title))


@catalog_group.command("show")
@click.argument("item_id")
@options(
    click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True),
    catalog_option,
    age_option,
    quiet_option,
)
@translate_errors
def catalog_show(item_id: str, fmt: str, catalogs: tuple[str, ...], max_price_age_days: int, quiet: bool) -> None:
    """Every figure of one item with its unit, basis, source, date and origin."""
    from hwcatalog import load_catalog

    from ..catalog_view import SHOW_COLUMNS, figure_rows, item_record
    from ..report import texttable
    from .common import warn

    cat = load_catalog(list(catalogs), max_price_age_days=max_price_age_days)
    warn([w for w in cat.warnings if item_id in w], quiet)
    if fmt == "json":
        click.echo(json.dumps(item_record(cat, item_id), indent=2))
        return
    row = cat.item(item_id)
    click.echo(f"{row['name']} ({item_id}) | {row['vendor']} | {row['category']}/{row['kind']} | {row['availability']}")
    click.echo(row["description"])
    click.echo(texttable(figure_rows(cat, item_id), SHOW_COLUMNS))


@catalog_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@translate_errors
def catalog_validate(file: str) -> None:
    """Validate an overlay file (CSV or YAML) against the bundled catalog."""
    from hwcatalog import validate_file

    click.echo(f"{file}: ok ({validate_file(file)} records)")


OFFER_TABLE_COLUMNS = [
    ("item", "item"),
    ("mode", "mode"),
    ("usd_per_device_hour", "USD/device-h"),
    ("provider", "provider"),
    ("region", "region"),
    ("max_devices", "max devices"),
    ("date", "date"),
    ("origin", "origin"),
    ("source", "source"),
]


@catalog_group.command("offers")
@options(
    click.option(
        "--offers",
        "offer_files",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Offers file (CSV, YAML or a SkyPilot vms.csv) read after the bundled table; repeatable.",
    ),
    click.option("--item", "items", multiple=True, metavar="ID", help="Only offers of this catalog id (repeatable)."),
    click.option("--mode", "modes", multiple=True, type=click.Choice(MODES), help="Only this mode (repeatable)."),
    click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True),
    catalog_option,
)
@translate_errors
def catalog_offers(
    offer_files: tuple[str, ...], items: tuple[str, ...], modes: tuple[str, ...], fmt: str, catalogs: tuple[str, ...]
) -> None:
    """Rental offers: USD per device-hour by provider, mode and region (bundled and --offers files)."""
    from hwcatalog import CatalogError, load_catalog, load_offers
    from hwcatalog.validate import unknown_item

    from ..escape import CSV_LINE_END
    from ..export import safe_text
    from ..report import texttable

    ids = load_catalog(list(catalogs), max_price_age_days=None).ids
    for item_id in items:
        if item_id not in ids:
            raise CatalogError(f"--item: {unknown_item(item_id, ids).detail}")
    offers = load_offers(list(offer_files), ids)
    for column, wanted in (("item", items), ("mode", modes)):
        offers = offers[offers[column].isin(wanted)] if wanted else offers
    offers = offers.sort_values(["item", "mode", "usd_per_device_hour", "provider", "region"], kind="stable")
    records = json.loads(offers.to_json(orient="records"))
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
    elif fmt == "csv":
        click.echo(offers.map(safe_text).to_csv(index=False, lineterminator=CSV_LINE_END), nl=False)
    else:
        rows = [{**r, "usd_per_device_hour": _usd(r["usd_per_device_hour"]), "max_devices": r["max_devices"] or ""} for r in records]
        click.echo(texttable(rows, OFFER_TABLE_COLUMNS, f"{len(rows)} offers (USD per device-hour; sorted by item, mode, price)"))


def _usd(usd_per_device_hour: float) -> str:
    """A price for the table: cents, or a tenth of a cent below USD 1."""
    return f"{usd_per_device_hour:,.2f}" if usd_per_device_hour >= 1 else f"{usd_per_device_hour:.3f}"
