"""Plans over time: the ``periods`` block of a scenario and the time grid it defines.

A periodised scenario splits the plan into periods ``t = 0 .. T-1`` from ``periods.start``, each of
``length_years`` (or its own entry of ``lengths_years``). Fields that may change from one period
to the next (:data:`PERIODISED_FIELDS`) take one value (every period), a list of ``count`` values,
or ``{first: x, growth_per_year: g}``, the value ``x (1 + g)^y`` in a period starting ``y`` years
after the first. ``lifetime_years`` and ``price_decline_per_year`` are keyed by catalog id, kind
(``fpga``) or category (``verification``), the most specific winning; ``lead_time_weeks`` and
``quotes`` by catalog id.

Pure data and date arithmetic; the model over the periods is :mod:`planner.periodic`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .units import parser_for

DAYS_PER_YEAR = 365.25
MAX_PERIODS = 40

# Dotted scenario fields that may take a value per period (docs/scenario.md "Periods").
PERIODISED_FIELDS = (
    "budget_usd",
    "alpha_floor",
    "facility.power_cap_kw",
    "facility.electricity_usd_per_kwh",
    "data.external_tokens",
    "targets.training_tokens",
    "targets.agents",
    "targets.speedup",
)
NULLABLE_FIELDS = ("facility.power_cap_kw", "targets.training_tokens", "targets.agents", "targets.speedup")
# Per-item tables: (least, most, what) of each value.
PER_ITEM_RANGES = {
    "lifetime_years": (0.25, 20.0, "a lifetime (years)"),
    "lead_time_weeks": (0.0, 260.0, "a lead time (weeks)"),
    "price_decline_per_year": (-0.5, 0.9, "a yearly price decline"),
    "role_change_usd": (0.0, 1.0e7, "a role-change cost (USD per unit)"),
}


class Growth(BaseModel):
    """``first`` in the first period, growing by ``growth_per_year`` a year after."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    first: float = Field(ge=0, description="Value in the first period (the field's unit)")
    growth_per_year: float = Field(gt=-1, le=10, description="Growth a year; negative for a decline (fraction/year)")


PeriodValue = tuple[float | None, ...] | Growth


class PeriodsSpec(BaseModel):
    """The ``periods`` block. Without ``start`` the plan is one period (every other key is then unused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    start: dt.date | None = Field(default=None, description="First day of the first period; null = one period, no time grid (date)")
    as_of: dt.date | None = Field(
        default=None, description="The day the plan is made: orders whose order-by date is before it cannot be placed; null = today (date)"
    )
    count: int | None = Field(default=None, ge=1, le=MAX_PERIODS, description="Number of periods, with length_years (periods)")
    length_years: float | None = Field(default=None, ge=0.25, le=10, description="Length of every period, with count (years)")
    lengths_years: tuple[float, ...] | None = Field(
        default=None, description="Length of each period, instead of count and length_years (years)"
    )
    budget_scope: Literal["total", "per-period"] = Field(
        default="total",
        description=(
            "A single budget_usd caps the whole plan (total) or each period (per-period); "
            "a per-period list is always per period (total | per-period)"
        ),
    )
    carry_forward: bool = Field(default=False, description="Unspent per-period budget may be spent in later periods (true/false)")
    pay_at: Literal["delivery", "order"] = Field(
        default="delivery", description="Cash view: hardware is paid when delivered or when ordered (delivery | order)"
    )
    salvage: bool = Field(
        default=True, description="Cash view: credit the book value of units still in service at the end in the cost objective (true/false)"
    )
    lifetime_years: dict[str, float] = Field(
        default_factory=dict, description="Service life by catalog id or category; default costs.lifetime_years (years)"
    )
    lead_time_weeks: dict[str, float] = Field(default_factory=dict, description="Lead time by catalog id, replacing the catalog's (weeks)")
    price_decline_per_year: dict[str, float] = Field(
        default_factory=dict,
        description="Yearly fall of a unit's purchase price by catalog id or category; negative for a rise (fraction/year)",
    )
    role_change_usd: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Cost of moving one owned unit into a role it did not serve the period before (re-imaging, re-cabling), "
            "by catalog id, kind or category; none given = free (USD per unit)"
        ),
    )
    quotes: dict[str, dict[dt.date, float]] = Field(
        default_factory=dict,
        description="A buyer's quoted unit price by catalog id and date; wins over the price path from that date (USD)",
    )
    mip_gap: float = Field(
        default=0.01,
        ge=0,
        le=0.05,
        description=(
            "Relative MIP gap of each stage of a periodised plan's staged solve, in place of mip_gap; "
            "the plan's proven gap is reported in objective.weights.proven_gap (fraction)"
        ),
    )
    values: dict[str, PeriodValue] = Field(
        default_factory=dict, description="Per-period values of periodised fields (set by writing a list or a growth on the field itself)"
    )

    @field_validator("lengths_years")
    @classmethod
    def _lengths(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if not 1 <= len(v) <= MAX_PERIODS:
            raise ValueError(f"expected 1 to {MAX_PERIODS} period lengths, got {len(v)}")
        for x in v:
            if not 0.25 <= x <= 10:
                raise ValueError(f"expected each period length between 0.25 and 10 years, got {x}")
        return v

    @field_validator("lifetime_years", "lead_time_weeks", "price_decline_per_year", "role_change_usd", mode="before")
    @classmethod
    def _per_item_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        """Numbers only (YAML reads ``5e4`` without a dot as text: such text is read as the number); never a boolean."""
        if not isinstance(v, dict):
            return v
        return {k: _number(x, f"{PER_ITEM_RANGES[str(info.field_name)][2]} for {k!r}") for k, x in v.items()}

    @field_validator("lifetime_years", "lead_time_weeks", "price_decline_per_year", "role_change_usd")
    @classmethod
    def _per_item_ranges(cls, v: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        low, high, what = PER_ITEM_RANGES[str(info.field_name)]
        for k, x in v.items():
            if not low <= x <= high:
                raise ValueError(f"expected {what} between {low:g} and {high:g} for {k!r}, got {x}")
        return v

    @field_validator("quotes", mode="before")
    @classmethod
    def _quote_numbers(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        return {
            k: {d: _number(x, f"a quoted price (USD) for {k!r} on {d}", finite=False) for d, x in q.items()} if isinstance(q, dict) else q
            for k, q in v.items()
        }

    @field_validator("quotes")
    @classmethod
    def _quotes(cls, v: dict[str, dict[dt.date, float]]) -> dict[str, dict[dt.date, float]]:
        for k, by_date in v.items():
            for day, price in by_date.items():
                if not (math.isfinite(price) and price > 0):
                    raise ValueError(f"expected a positive quoted price for {k!r} on {day}, got {price}")
        return v

    @field_validator("values")
    @classmethod
    def _known_fields(cls, v: dict[str, PeriodValue]) -> dict[str, PeriodValue]:
        for name in v:
            if name not in PERIODISED_FIELDS:
                raise ValueError(f"{name!r} cannot vary by period; expected one of {', '.join(PERIODISED_FIELDS)}")
        return v

    @model_validator(mode="after")
    def _grid(self) -> PeriodsSpec:
        if self.start is None:
            return self
        if self.lengths_years is not None:
            if self.count is not None and self.count != len(self.lengths_years):
                raise ValueError(f"count {self.count} differs from the {len(self.lengths_years)} entries of lengths_years")
            if self.length_years is not None:
                raise ValueError("give length_years (with count) or lengths_years, not both")
        elif self.count is None or self.length_years is None:
            raise ValueError("a periods block with a start needs count and length_years, or lengths_years")
        n = self.period_count
        for name, value in self.values.items():
            if isinstance(value, tuple):
                if len(value) != n:
                    raise ValueError(f"{name} has {len(value)} per-period values; expected {n} (periods.count)")
                if any(x is None for x in value) and name not in NULLABLE_FIELDS:
                    raise ValueError(f"{name} needs a number in every period, got null")
        return self

    @property
    def active(self) -> bool:
        """The scenario has a time grid."""
        return self.start is not None

    @property
    def lengths(self) -> tuple[float, ...]:
        """Each period's length in years."""
        if self.lengths_years is not None:
            return self.lengths_years
        return (float(self.length_years or 1.0),) * int(self.count or 1)

    @property
    def period_count(self) -> int:
        return len(self.lengths)


def _number(x: Any, what: str, *, finite: bool = True) -> float:
    """``x`` as a number (finite unless ``finite`` is off: the schema then names the entry): an int
    or float, or text that reads as one (``5e4``); a boolean or other text is an error."""
    if isinstance(x, bool) or not isinstance(x, int | float | str):
        raise ValueError(f"expected {what} as a number, got {x!r}")
    try:
        value = float(x)
    except ValueError:
        raise ValueError(f"expected {what} as a number, got {x!r}") from None
    if finite and not math.isfinite(value):
        raise ValueError(f"expected {what} as a finite number, got {x!r}")
    return value


@dataclass(frozen=True)
class Period:
    """One period: ``index``, first day ``start``, day after the last ``end``, ``years`` long,
    beginning ``offset_years`` after the plan's start."""

    index: int
    start: dt.date
    end: dt.date
    years: float
    offset_years: float


def add_years(day: dt.date, years: float) -> dt.date:
    """``day`` plus ``years``: whole months on the calendar (a quarter is 3 months), else 365.25-day years."""
    months = years * 12.0
    if abs(months - round(months)) < 1e-9:
        m = day.month - 1 + round(months)
        y, m = day.year + m // 12, m % 12 + 1
        for d in (day.day, 30, 29, 28):
            try:
                return dt.date(y, m, min(day.day, d))
            except ValueError:
                continue
    return day + dt.timedelta(days=round(years * DAYS_PER_YEAR))


def grid(spec: PeriodsSpec) -> tuple[Period, ...]:
    """The periods of ``spec`` (see :class:`Period`); empty without a start."""
    if spec.start is None:
        return ()
    out, start, offset = [], spec.start, 0.0
    for i, years in enumerate(spec.lengths):
        end = add_years(spec.start, offset + years)
        out.append(Period(i, start, end, years, offset))
        start, offset = end, offset + years
    return tuple(out)


def value_in(value: PeriodValue, period: Period) -> float | None:
    """A periodised field's value in ``period``: the list's entry, or ``first (1 + g)^offset``."""
    if isinstance(value, Growth):
        return value.first * (1.0 + value.growth_per_year) ** period.offset_years
    return value[period.index]


def by_key(table: dict[str, float], default: float, *keys: str) -> float:
    """A per-item figure: the first of ``keys`` (catalog id, kind, category) in ``table``, else ``default``."""
    for k in keys:
        if k in table:
            return float(table[k])
    return default


def hoist(data: dict[str, Any]) -> dict[str, Any]:
    """Move per-period values written on the fields themselves (a list, or a mapping with
    ``growth_per_year``) into ``periods.values``, leaving the first period's value on the field so
    that the scenario stays a valid one-period scenario; units are parsed by the field's name.
    Raises ValueError (dotted field, message) when a per-period value appears without a time grid."""
    periods = data.get("periods")
    active = isinstance(periods, dict) and periods.get("start") is not None
    values: dict[str, Any] = dict(periods.get("values") or {}) if isinstance(periods, dict) else {}
    for name in PERIODISED_FIELDS:
        *parents, leaf = name.split(".")
        block: Any = data
        for p in parents:
            block = block.get(p) if isinstance(block, dict) else None
        if not isinstance(block, dict) or leaf not in block:
            continue
        raw = block[leaf]
        if not isinstance(raw, list | dict):
            continue
        if not active:
            raise ValueError(
                f"{name}: a per-period value needs a periods block with a start (periods.start, periods.count, periods.length_years)"
            )
        parsed = _parse_period_value(leaf, raw)
        if isinstance(parsed, list) and not parsed:
            raise ValueError(f"{name}: expected one value per period (periods.count of them), got an empty list")
        if isinstance(parsed, dict) and set(parsed) != {"first", "growth_per_year"}:
            raise ValueError(f"{name}: expected a list of per-period values or {{first: X, growth_per_year: G}}, got keys {sorted(parsed)}")
        values[name] = parsed
        block[leaf] = parsed["first"] if isinstance(parsed, dict) else parsed[0]
    if values:
        data["periods"] = {**periods, "values": values}  # type: ignore[dict-item]
    return data


def _parse_period_value(leaf: str, raw: list[Any] | dict[str, Any]) -> Any:
    parser = parser_for(leaf)

    def one(x: Any) -> Any:
        return parser(x) if parser is not None and isinstance(x, str) else x

    if isinstance(raw, list):
        return [one(x) for x in raw]
    return {k: (one(v) if k == "first" else v) for k, v in raw.items()}
