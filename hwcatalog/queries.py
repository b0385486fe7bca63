"""Pure queries over the catalog frames (no I/O, no mutation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from .schema import parse_date


def select(
    items: pd.DataFrame,
    *,
    category: str | Iterable[str] | None = None,
    vendor: str | Iterable[str] | None = None,
    availability: str | Iterable[str] | None = None,
    only: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows of the wide item frame matching every given filter.

    String filters are case-insensitive; iterables mean "any of". ``only`` keeps the listed ids,
    ``exclude`` drops them (unknown ids are the caller's to check).
    """
    mask = pd.Series(True, index=items.index)
    for col, want in (("category", category), ("vendor", vendor), ("availability", availability)):
        if want is None:
            continue
        wanted = {want.lower()} if isinstance(want, str) else {w.lower() for w in want}
        mask &= items[col].str.lower().isin(wanted)
    if only is not None:
        mask &= items.index.isin(list(only))
    if exclude is not None:
        mask &= ~items.index.isin(list(exclude))
    return items[mask]


def stale_prices(figures: pd.DataFrame, max_age_days: int, today: dt.date) -> pd.DataFrame:
    """Price figures whose source date is more than ``max_age_days`` before ``today``.

    Returns columns ``item_id, source_date, age_days, origin``.
    """
    prices = figures[figures["attribute"].isin(["price_usd", "usd_per_hour", "cloud_usd_per_hour"])]
    rows = []
    for rec in prices.to_dict("records"):
        age = (today - parse_date(rec["source_date"])).days
        if age > max_age_days:
            rows.append(
                {
                    "item_id": rec["item_id"],
                    "attribute": rec["attribute"],
                    "source_date": rec["source_date"],
                    "age_days": age,
                    "origin": rec["origin"],
                }
            )
    return pd.DataFrame(rows, columns=["item_id", "attribute", "source_date", "age_days", "origin"])


def unit_capex_usd(items: pd.DataFrame) -> pd.Series:
    """Installed capital cost per unit: ``price_usd + host_share_usd`` (missing host share = 0)."""
    return items["price_usd"].fillna(0.0) + items["host_share_usd"].fillna(0.0)
