"""The catalog schema, read from ``data/schema.yaml`` (the schema is data, with a version)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .safeio import excerpt, load_yaml

DATA_PACKAGE = "hwcatalog.data"


@dataclass(frozen=True)
class Attribute:
    """One numeric or date attribute an item can carry."""

    name: str
    type: str  # "float" | "int" | "date"
    unit: str
    description: str
    categories: tuple[str, ...]
    required: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    plausible: tuple[tuple[str, float, float], ...] = ()  # (category, low, high)

    def parse(self, raw: Any) -> float | int | str:
        """Convert a raw cell to the attribute's type and check the limits ``min``/``max``.

        Refuses booleans (YAML reads yes/no/on/off/true/false as booleans, which Python would count
        as 1 and 0), non-numbers, NaN, infinities and fractions for whole-number attributes.
        Raises ``ValueError`` with the expectation as its message.
        """
        if self.type == "date":
            return parse_date(raw).isoformat()
        if isinstance(raw, bool):
            raise ValueError(f"expected a number in {self.unit}, got the boolean {str(raw).lower()}")
        try:
            value = float(raw)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"expected a number in {self.unit}, got {excerpt(raw)}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number in {self.unit}, got {excerpt(raw)}")
        if self.type == "int" and value != int(value):
            raise ValueError(f"expected a whole number of {self.unit}, got {excerpt(raw)}")
        lo, hi = self.min, self.max
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected {self.unit} in [{lo:g}, {hi:g}], got {excerpt(raw)}")
        return int(value) if self.type == "int" else value

    def plausible_range(self, category: str) -> tuple[float, float] | None:
        """The range a value is expected in for ``category`` (``None`` when the schema gives none)."""
        for cat, lo, hi in self.plausible:
            if cat == category:
                return lo, hi
        return None


@dataclass(frozen=True)
class Field:
    """A column of items.csv or figures.csv."""

    name: str
    type: str
    description: str
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    version: str
    item_fields: dict[str, Field]
    figure_fields: dict[str, Field]
    attributes: dict[str, Attribute]

    def required_attributes(self, category: str) -> list[str]:
        return [a.name for a in self.attributes.values() if category in a.required]


def parse_date(raw: Any) -> dt.date:
    """Parse an ISO 8601 date (``YYYY-MM-DD``); raise ``ValueError`` naming the expectation."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(f"expected an ISO date YYYY-MM-DD, got {excerpt(raw)}") from None


def _fields(spec: dict[str, Any]) -> dict[str, Field]:
    return {name: Field(name, d["type"], d.get("description", ""), tuple(d.get("enum", ()))) for name, d in spec.items()}


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    """Read the bundled schema (cached: it is immutable package data)."""
    text = resources.files(DATA_PACKAGE).joinpath("schema.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text, file="schema.yaml")
    attrs = {
        name: Attribute(
            name=name,
            type=d["type"],
            unit=d["unit"],
            description=d.get("description", ""),
            categories=tuple(d.get("categories", ())),
            required=tuple(d.get("required", ())),
            min=d.get("min"),
            max=d.get("max"),
            plausible=tuple((cat, float(lo), float(hi)) for cat, (lo, hi) in d.get("plausible", {}).items()),
        )
        for name, d in raw["attributes"].items()
    }
    return Schema(
        version=str(raw["version"]),
        item_fields=_fields(raw["item_fields"]),
        figure_fields=_fields(raw["figure_fields"]),
        attributes=attrs,
    )
