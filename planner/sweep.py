"""Sweeps of many scenarios streamed to a Parquet results file (resumable; see
:mod:`planner.results_store`), on any executor (:mod:`planner.executor`).

A sweep never holds the plans: each worker plans one scenario and returns one row (headline
figures and the plan's JSON), which the store writes out in small parts. Memory stays flat in the
number of scenarios; a rerun with the same file skips what is done.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwcatalog import Catalog

from . import __version__
from .errors import InfeasiblePlan, PlannerError
from .executor import Executor
from .results_store import ResultStore, fingerprint, result_row
from .scenario import Scenario

Point = tuple[str, Scenario, dict[str, Any]]


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did: scenarios asked for, planned now, skipped as already done, rows in the file."""

    scenarios: int
    ran: int
    skipped: int
    rows: int
    results: str
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("scenarios", "ran", "skipped", "rows", "results", "statuses")}


def catalog_fingerprint(catalog: Catalog) -> str:
    """A hash of every catalog figure and item field (overlays included) and of the offers."""
    offers = "" if catalog.offers is None else catalog.offers.to_csv()
    return fingerprint(catalog.items.to_csv(), catalog.figures.to_csv(), offers)


def scenario_key(scenario: Scenario, catalog_fp: str, marginals: bool) -> str:
    """The key of one planned scenario: its every field, the catalog, the tool version, the options."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return fingerprint(text, catalog_fp, __version__, str(marginals))


def sweep_task(task: tuple[str, Point], shared: tuple[Catalog, bool]) -> dict[str, Any]:
    """Plan one point and return its row; every failure is recorded, never raised."""
    from .planning import plan

    key, (name, scenario, varied) = task
    catalog, marginals = shared
    try:
        p = plan(scenario, catalog, marginals=marginals)
        return result_row(key, name, varied, p, p.status.value, None)
    except InfeasiblePlan as exc:
        return result_row(key, name, varied, None, "infeasible", str(exc)[:2000])
    except PlannerError as exc:
        return result_row(key, name, varied, None, "error", str(exc)[:2000])
    except Exception as exc:  # a sweep records a failure and goes on
        return result_row(key, name, varied, None, "error", f"{type(exc).__name__}: {str(exc)[:2000]}")


def sweep(
    points: Sequence[Point],
    catalog: Catalog,
    store: ResultStore,
    *,
    executor: Executor | None = None,
    marginals: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Plan every point not already in ``store`` and stream the rows to it.

    Sweeps skip marginal values unless ``marginals`` (each costs four more solves per scenario);
    the key includes that choice, since the rows differ."""
    fp = catalog_fingerprint(catalog)
    done = store.done_keys()
    keyed = [(scenario_key(p[1], fp, marginals), p) for p in points]
    todo = [t for t in keyed if t[0] not in done]
    statuses: Counter[str] = Counter()
    for n, (_, row) in enumerate((executor or Executor()).map(sweep_task, todo, (catalog, marginals)), start=1):
        store.add(row)
        statuses[row["status"]] += 1
        if progress is not None:
            progress(n, len(todo))
    rows = store.finish()
    return SweepSummary(len(points), len(todo), len(points) - len(todo), rows, str(store.path), dict(statuses))
