"""JSON conversion of result trees (``plan --format json``; schema in schemas/plan.schema.json).

The conversion is plain: every dataclass field becomes the key of its name (or of the name in its
``json`` metadata), fields marked ``json: False`` are left out, enums become their value, dates
ISO text, tuples lists, and non-finite floats ``null``. Keys promised by the contract: status,
budget_usd, alpha_floor, alpha, cost_usd {capex, opex, total}, spend_by_role_usd {training,
inference, verification, memory}, items [{id, category, role, quantity, unit_price_usd,
extended_price_usd}], agents, speedup, marginal_values, objective {name, value}. Keys may be
added; none of these is renamed or removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from typing import Any


def clean(value: Any) -> Any:
    """JSON-safe, recursively: dataclasses -> dicts (see :func:`tree`), NaN/inf -> None, numpy
    scalars -> Python, tuples -> lists, dates -> ISO text, enums -> values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tree(value)
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, enum.Enum):
        return clean(value.value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and _is_missing(value):
        return None
    return value


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def tree(obj: Any, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A dataclass as a JSON dict: field metadata ``json`` renames (a string) or omits (False)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        key = f.metadata.get("json", f.name)
        if key is False or f.name in skip:
            continue
        out[key] = clean(getattr(obj, f.name))
    return out


PERIOD_KEYS = ("periods", "orders", "cost_views")


def to_dict(plan: Any, *, timings: bool = False) -> dict[str, Any]:
    """The plan's JSON dict; ``timings`` adds the wall-clock block (not reproducible run to run)."""
    out = tree(plan)
    if not out.get("periods"):  # only a periodised plan has them (planner.periodic), even when empty
        for key in PERIOD_KEYS:
            out.pop(key, None)
    if timings:
        out["timings"] = clean(vars(plan.timings))
    return out
