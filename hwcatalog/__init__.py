"""Hardware catalog: accelerators, verification nodes, memory and audit, every figure sourced.

>>> from hwcatalog import load_catalog
>>> cat = load_catalog()
>>> cat.item("nvidia-h100-sxm")["bf16_tflops"]
989.0
"""

from .catalog import Catalog, load_catalog, read_overlay, validate_file
from .errors import CatalogError, InputFileError, UnknownItemError
from .offers import MODES, OFFER_COLUMNS, bundled_offers, load_offers, read_offers
from .queries import select, stale_prices, unit_capex_usd
from .schema import Attribute, Schema, load_schema

__all__ = [
    "MODES",
    "OFFER_COLUMNS",
    "Attribute",
    "Catalog",
    "CatalogError",
    "InputFileError",
    "Schema",
    "UnknownItemError",
    "bundled_offers",
    "load_catalog",
    "load_offers",
    "load_schema",
    "read_offers",
    "read_overlay",
    "select",
    "stale_prices",
    "unit_capex_usd",
    "validate_file",
]
