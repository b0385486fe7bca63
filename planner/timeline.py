"""Lead times against the plan's start: order-by and delivery dates, and what cannot arrive in time.

An owned item with a lead time of ``w`` weeks ordered on day ``o`` is delivered on ``o + w``. With
``start_date`` set, the hardware is needed then: the order-by date is ``start_date - w`` and an item
whose order-by date is before today cannot arrive in time (it is late; its earliest delivery is
``today + w``). Without ``start_date`` the plan starts as soon as the hardware can come: each item is
ordered today and serves from ``today + w``, so nothing is late. Items without a lead time and
rented capacity are available at once.

Pure date arithmetic on the catalog's ``lead_time_weeks``; ``today`` is passed in so that results
are reproducible.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dates:
    """When one owned item must be ordered and when it arrives (ISO dates in the JSON)."""

    order_by: dt.date
    delivery: dt.date
    late: bool  # the order-by date is before today: it cannot arrive by the start date


def lead_weeks(value: Any) -> float:
    """The catalog's lead time in weeks, 0 when the item has none."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) and x > 0 else 0.0


def dates(lead_time_weeks: Any, start_date: dt.date | None, today: dt.date) -> Dates:
    """Order-by and delivery of an item (see module doc): with a start date, ``order_by = start - w``
    and delivery at the start (late when ``order_by < today``: delivery ``today + w``); without one,
    ``order_by = today`` and delivery ``today + w``."""
    lead = dt.timedelta(weeks=lead_weeks(lead_time_weeks))
    if start_date is None:
        return Dates(today, today + lead, False)
    order_by = start_date - lead
    if order_by < today:
        return Dates(order_by, today + lead, True)
    return Dates(order_by, start_date, False)


def served_share(lead_time_weeks: Any, start_date: dt.date | None, horizon_years: float, today: dt.date) -> float:
    """The share of the horizon an owned item serves when its delivery (:func:`dates`) comes after
    ``start_date``: ``1 - (delivery - start) / horizon``, at least 0; 1 without a start date."""
    if start_date is None:
        return 1.0
    d = dates(lead_time_weeks, start_date, today)
    return max(0.0, 1.0 - (d.delivery - start_date).days / (horizon_years * 365.25))
