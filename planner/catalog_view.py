"""What ``plan catalog list`` and ``plan catalog show`` print, shaped as records and text rows."""

from __future__ import annotations

from typing import Any

from hwcatalog import Catalog

from .present import num, usd
from .serialize import clean

CATALOG_JSON_KEYS = ("id", "name", "vendor", "category", "kind", "availability", "experimental", "description")
ACCELERATOR_ONLY = ("bf16_tflops", "fp8_tflops", "hbm_gb", "hbm_tbps")
PROVENANCE_KEYS = ("source", "source_date", "basis", "origin", "currency_year", "note")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def catalog_records(cat: Catalog, items: Any) -> list[dict[str, Any]]:
    """JSON objects for ``catalog list``: item fields, every non-missing attribute, sources."""
    out = []
    for item_id, row in items.iterrows():
        rec: dict[str, Any] = {k: row[k] for k in CATALOG_JSON_KEYS}
        rec.update({a: row.get(a) for a in cat.schema.attributes if not _missing(row.get(a))})
        for a in ("price_usd", "power_kw", *ACCELERATOR_ONLY):
            if a not in ACCELERATOR_ONLY or row["category"] == "accelerator":
                rec.setdefault(a, None)
        rec["sources"] = {a: {k: s[k] for k in PROVENANCE_KEYS} for a, s in cat.sources(str(item_id)).items()}
        out.append(clean(rec))
    return out


def _cell(v: Any, digits: int = 4) -> str:
    return "" if _missing(v) else num(v, digits) if isinstance(v, (int, float)) else str(v)


LIST_COLUMNS = [
    ("id", "id"),
    ("vendor", "vendor"),
    ("category", "category"),
    ("kind", "kind"),
    ("bf16", "BF16 TFLOPS"),
    ("fp8", "FP8 TFLOPS"),
    ("hbm", "HBM GB"),
    ("tbps", "HBM TB/s"),
    ("kw", "power kW"),
    ("price", "price USD"),
    ("est", "estimates"),
    ("avail", "availability"),
]


def catalog_rows(cat: Catalog, items: Any) -> list[dict[str, str]]:
    """Text rows for ``catalog list`` (dense FLOP/s; ``est`` counts figures without a public source)."""
    fig = cat.figures
    rows = []
    for item_id, r in items.iterrows():
        estimates = int(((fig["item_id"] == item_id) & (fig["basis"] == "estimate")).sum())
        price = r.get("price_usd")
        rows.append(
            {
                "id": str(item_id),
                "vendor": str(r["vendor"]),
                "category": str(r["category"]),
                "kind": str(r["kind"]),
                "bf16": _cell(r.get("bf16_tflops")),
                "fp8": _cell(r.get("fp8_tflops")),
                "hbm": _cell(r.get("hbm_gb")),
                "tbps": _cell(r.get("hbm_tbps")),
                "kw": _cell(r.get("power_kw")),
                "price": "" if _missing(price) else usd(price).removeprefix("USD "),
                "est": str(estimates),
                "avail": str(r["availability"]),
            }
        )
    return rows


SHOW_COLUMNS = [
    ("attr", "attribute"),
    ("value", "value"),
    ("unit", "unit"),
    ("basis", "basis"),
    ("date", "date"),
    ("origin", "origin"),
    ("source", "source / note"),
]


def figure_rows(cat: Catalog, item_id: str) -> list[dict[str, str]]:
    """One text row per figure of ``item_id`` with unit, basis, date, origin and source."""
    return [
        {
            "attr": a,
            "value": s["value"] if isinstance(s["value"], str) else _cell(s["value"], 6),
            "unit": s["unit"] or "",
            "basis": s["basis"] or "",
            "date": s["source_date"] or "",
            "origin": s["origin"] or "",
            "source": (s["source"] or "") + (f" | {s['note']}" if s["note"] else ""),
        }
        for a, s in cat.sources(item_id).items()
    ]


def item_record(cat: Catalog, item_id: str) -> dict[str, Any]:
    """JSON for ``catalog show``: the item's fields and every figure with its provenance."""
    row = cat.item(item_id)
    return clean({**{k: row[k] for k in CATALOG_JSON_KEYS}, "figures": cat.sources(item_id)})
