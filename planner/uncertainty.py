"""Uncertainty as data: distributions on scenario fields and catalog figures, sampled jointly.

A scenario's ``uncertainty:`` block maps a dotted field to a distribution::

    uncertainty:
      training.mfu: {dist: uniform, low: 0.30, high: 0.45, note: "range of published MFUs"}
      catalog.nvidia-h100-sxm.price_usd: {dist: triangular, low: 22000, mode: 27500, high: 40000}
      catalog.nvidia-*.price_usd: {dist: lognormal, median: 1.0, sigma: 0.1, relative: true}
      correlations:
        - {fields: [catalog.nvidia-*.price_usd, facility.electricity_usd_per_kwh], rho: 0.5}

* A **scenario field** is any numeric field of the scenario (``data.external_tokens``,
  ``facility.electricity_usd_per_kwh``, ``training.mfu``...).
* A **catalog figure** is ``catalog.<id>.<column>`` for a numeric catalog column; the id may be a
  glob (``nvidia-*``), and then one draw applies to every matching item (they move together).
* ``relative: true`` makes the draw a factor on each base value (a price x 1.1) instead of the value.
* Distributions (inverse CDFs from SciPy): ``normal`` {mean, sd, optional low/high truncation},
  ``lognormal`` {median, sigma of the log}, ``uniform`` {low, high}, ``triangular`` {low, mode,
  high}, ``empirical`` {values: equally likely observations}. Each takes a ``note`` on its basis.
* ``correlations`` sets the rank correlation-like coupling ``rho`` between every pair of the listed
  fields through a Gaussian copula: ``z = L e`` with ``L L' = R`` (Cholesky), ``u = Phi(z)``,
  ``x = F^-1(u)``. Uncorrelated fields are independent.

Sampling is reproducible: :func:`sample` with the same seed draws the same worlds.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import ScenarioError


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    note: str = Field(default="", description="The basis of the distribution (text)")
    relative: bool = Field(default=False, description="The draw multiplies the base value (true/false)")

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def describe(self) -> str:
        """``triangular(low=1, mode=2, high=3)``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.model_dump(exclude={"dist", "note", "relative", "values"}).items() if v is not None)
        return f"{self.dist}({args}){' x base' if self.relative else ''}"  # type: ignore[attr-defined]


class Normal(_Dist):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = Field(default=None, description="Truncate below this value")
    high: float | None = Field(default=None, description="Truncate above this value")

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        from scipy.special import ndtr

        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError("expected low < high")
        a = 0.0 if self.low is None else float(ndtr((self.low - self.mean) / self.sd))
        b = 1.0 if self.high is None else float(ndtr((self.high - self.mean) / self.sd))
        if b - a < 1e-9:
            raise ValueError("the truncation [low, high] leaves almost none of the normal's probability")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Normal quantile, truncated to [low, high] by mapping u into [Phi(a), Phi(b)]."""
        from scipy.special import ndtr, ndtri

        a = 0.0 if self.low is None else float(ndtr((self.low - self.mean) / self.sd))
        b = 1.0 if self.high is None else float(ndtr((self.high - self.mean) / self.sd))
        return np.asarray(self.mean + self.sd * ndtri(a + (b - a) * u))


class LogNormal(_Dist):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0, description="Standard deviation of the log")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """``median * exp(sigma * Phi^-1(u))``."""
        from scipy.special import ndtri

        return np.asarray(self.median * np.exp(self.sigma * ndtri(u)))


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _bounds(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError("expected low < high")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self.low + (self.high - self.low) * u)


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _bounds(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("expected low <= mode <= high and low < high")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Triangular quantile: ``low + sqrt(u (high-low)(mode-low))`` below the mode's CDF
        ``c = (mode-low)/(high-low)``, ``high - sqrt((1-u)(high-low)(high-mode))`` above."""
        lo, m, hi = self.low, self.mode, self.high
        c = (m - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (m - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - m))
        return np.where(u < c, left, right)


class Empirical(_Dist):
    dist: Literal["empirical"]
    values: tuple[float, ...] = Field(min_length=1)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Each observation equally likely: the sorted values at ``floor(u n)``."""
        v = np.sort(np.asarray(self.values, dtype=float))
        return v[np.minimum((u * len(v)).astype(int), len(v) - 1)]

    def describe(self) -> str:
        return f"empirical({len(self.values)} values, {min(self.values):g} to {max(self.values):g}){' x base' if self.relative else ''}"


Distribution = Annotated[Normal | LogNormal | Uniform | Triangular | Empirical, Field(discriminator="dist")]


class Correlation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: tuple[str, ...] = Field(min_length=2, description="Fields of the uncertainty block that move together")
    rho: float = Field(gt=-1, lt=1, description="Correlation of every pair of them in the Gaussian copula")


class UncertaintySpec(BaseModel):
    """The ``uncertainty:`` block: ``fields`` (dotted name -> distribution) and ``correlations``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, Distribution] = Field(default_factory=dict)
    correlations: tuple[Correlation, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, data: Any) -> Any:
        """The file form maps fields directly (``training.mfu: {...}``) beside ``correlations``."""
        if isinstance(data, dict) and "fields" not in data:
            return {"fields": {k: v for k, v in data.items() if k != "correlations"}, "correlations": data.get("correlations", ())}
        return data

    @model_validator(mode="after")
    def _correlated_fields_known(self) -> UncertaintySpec:
        for c in self.correlations:
            unknown = [f for f in c.fields if f not in self.fields]
            if unknown:
                raise ValueError(f"correlations name {unknown[0]!r}, which has no distribution in the block")
        return self

    def __bool__(self) -> bool:
        return bool(self.fields)


# ------------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """Where one entry's draw lands: a scenario field, or a catalog column of some items."""

    key: str  # the entry as written
    dist: _Dist
    scenario_field: str | None  # dotted scenario field
    items: tuple[str, ...] = ()  # catalog ids (catalog figures)
    column: str | None = None  # catalog column


def numeric_scenario_fields(scenario: BaseModel, prefix: str = "") -> dict[str, float | None]:
    """Every numeric scenario field (dotted) and its value; booleans and text excluded."""
    out: dict[str, float | None] = {}
    for name, info in type(scenario).model_fields.items():
        value = getattr(scenario, name)
        if isinstance(value, BaseModel):
            out.update(numeric_scenario_fields(value, f"{prefix}{name}."))
        elif not isinstance(value, bool) and ("float" in str(info.annotation) or "int" in str(info.annotation)):
            if isinstance(value, int | float) or value is None:
                out[f"{prefix}{name}"] = value
    return out


def resolve_targets(spec: UncertaintySpec, scenario: BaseModel, items: pd.DataFrame) -> list[Target]:
    """Each entry checked against the scenario and the catalog (one-line errors name the entry)."""
    numeric = numeric_scenario_fields(scenario)
    targets: list[Target] = []
    for key, dist in spec.fields.items():
        parts = key.split(".")
        if parts[0] == "catalog" and len(parts) == 3:
            targets.append(_catalog_target(key, dist, parts[1], parts[2], items))
        elif key in numeric:
            if dist.relative and numeric[key] is None:
                raise ScenarioError(f"{key} has no value to scale: give an absolute distribution", field=f"uncertainty.{key}")
            targets.append(Target(key, dist, key))
        else:
            raise ScenarioError(
                "expected a numeric scenario field (e.g. training.mfu) or catalog.<id or glob>.<numeric column>",
                field=f"uncertainty.{key}",
            )
    _refuse_overlaps(targets)
    return targets


def _refuse_overlaps(targets: list[Target]) -> None:
    """Two entries may not set the same catalog figure of one item (a glob and an id, two globs)."""
    seen: dict[tuple[str, str], str] = {}
    for t in targets:
        for item_id in t.items:
            key = (item_id, str(t.column))
            if key in seen:
                raise ScenarioError(
                    f"{item_id}.{t.column} is also set by {seen[key]!r}; give each figure one distribution", field=f"uncertainty.{t.key}"
                )
            seen[key] = t.key


def _catalog_target(key: str, dist: _Dist, pattern: str, column: str, items: pd.DataFrame) -> Target:
    if column not in items.columns or not pd.api.types.is_numeric_dtype(items[column]):
        raise ScenarioError(f"{column!r} is not a numeric catalog column", field=f"uncertainty.{key}")
    ids = tuple(str(i) for i in items.index if fnmatch.fnmatchcase(str(i), pattern))
    if not ids:
        raise ScenarioError(f"no catalog item matches {pattern!r}", field=f"uncertainty.{key}")
    return Target(key, dist, None, ids, column)


# ------------------------------------------------------------------------------------ sampling


def correlation_matrix(spec: UncertaintySpec) -> np.ndarray:
    """The copula's correlation matrix over the block's fields (in their order)."""
    keys = list(spec.fields)
    r = np.eye(len(keys))
    given: set[tuple[int, int]] = set()
    for c in spec.correlations:
        idx = [keys.index(f) for f in c.fields]
        for i in idx:
            for j in idx:
                if i != j:
                    if (i, j) in given and r[i, j] != c.rho:
                        raise ScenarioError(f"{keys[i]} and {keys[j]} are given two correlations", field="uncertainty.correlations")
                    r[i, j] = c.rho
                    given.add((i, j))
    return r


def sample(spec: UncertaintySpec, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` joint draws of every entry (key -> array of n values), Gaussian copula (module doc)."""
    from scipy.special import ndtr

    keys = list(spec.fields)
    try:
        lower = np.linalg.cholesky(correlation_matrix(spec))
    except np.linalg.LinAlgError:
        raise ScenarioError(
            "the correlations are not consistent (the matrix is not positive definite)", field="uncertainty.correlations"
        ) from None
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(keys))) @ lower.T
    u = np.clip(ndtr(z), 1e-12, 1.0 - 1e-12)
    return {k: spec.fields[k].ppf(u[:, j]) for j, k in enumerate(keys)}


def scenario_changes(targets: list[Target], draws: dict[str, np.ndarray], k: int, base: dict[str, float | None]) -> dict[str, float]:
    """Dotted scenario changes of world ``k``; ``base`` holds the scenario's values
    (:func:`numeric_scenario_fields`), which relative draws multiply."""
    out: dict[str, float] = {}
    for t in targets:
        if t.scenario_field is not None:
            x = float(draws[t.key][k])
            value = base[t.scenario_field]
            x = x * float(value or 0.0) if t.dist.relative else x
            out[t.scenario_field] = round(x) if isinstance(value, int) else x  # an integer field takes the nearest integer
    return out


def restrict(targets: list[Target], ids: set[str]) -> list[Target]:
    """The targets with their catalog items limited to ``ids`` (the items a fixed plan holds)."""
    return [t if t.column is None else replace(t, items=tuple(i for i in t.items if i in ids)) for t in targets]


def catalog_changes(
    targets: list[Target], draws: dict[str, np.ndarray], k: int, items: Mapping[str, Mapping[str, Any]]
) -> dict[tuple[str, str], float]:
    """``(item id, column) -> value`` of world ``k``; ``items`` maps an id to its catalog row."""
    out = {}
    for t in targets:
        if t.column is None:
            continue
        x = float(draws[t.key][k])
        for item_id in t.items:
            out[(item_id, t.column)] = x * float(items[item_id][t.column]) if t.dist.relative else x
    return out
