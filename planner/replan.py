"""Re-planning per sampled world (``plan montecarlo --replan``): how often each item is chosen.

Each world (the scenario and catalog with the uncertainty block's draws, :mod:`planner.uncertainty`)
is planned from scratch on any executor; rows stream to a resumable Parquet store
(:mod:`planner.results_store`) when one is given, keyed by the world's inputs, so a killed run
resumes. Only counts are kept in memory.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from hwcatalog import Catalog

from . import __version__
from .errors import InfeasiblePlan, PlannerError
from .executor import Executor
from .results_store import ResultStore, fingerprint, result_row
from .scenario import Scenario, with_changes
from .sweep import catalog_fingerprint
from .uncertainty import catalog_changes, numeric_scenario_fields, resolve_targets, sample, scenario_changes

World = tuple[int, dict[str, float], dict[tuple[str, str], float]]  # index, scenario changes, catalog changes


def worlds(scenario: Scenario, catalog: Catalog, samples: int, seed: int) -> list[World]:
    """The changes of each sampled world (the same draws as the fixed-plan Monte Carlo)."""
    targets = resolve_targets(scenario.uncertainty, scenario, catalog.items)
    draws = sample(scenario.uncertainty, samples, seed)
    base, rows = numeric_scenario_fields(scenario), catalog.items.to_dict("index")
    return [(k, scenario_changes(targets, draws, k, base), catalog_changes(targets, draws, k, rows)) for k in range(samples)]


def replan_task(world: tuple[str, World], shared: tuple[Scenario, Catalog]) -> dict[str, Any]:
    """Plan one world; every failure is recorded in its row, never raised."""
    from .planning import plan

    key, (k, s_changes, c_changes) = world
    scenario, catalog = shared
    varied: dict[str, Any] = {**s_changes, **{f"catalog.{i}.{c}": v for (i, c), v in c_changes.items()}}
    try:
        items = catalog.items.copy()
        for (item_id, column), value in c_changes.items():
            items.at[item_id, column] = value
        p = plan(with_changes(scenario, s_changes), dataclasses.replace(catalog, items=items), marginals=False)
        return result_row(key, f"world {k}", varied, p, p.status.value, None)
    except InfeasiblePlan as exc:
        return result_row(key, f"world {k}", varied, None, "infeasible", str(exc)[:2000])
    except PlannerError as exc:
        return result_row(key, f"world {k}", varied, None, "error", str(exc)[:2000])
    except Exception as exc:  # one world's failure is recorded and the run goes on
        return result_row(key, f"world {k}", varied, None, "error", f"{type(exc).__name__}: {str(exc)[:2000]}")


@dataclasses.dataclass
class ReplanTally:
    """Running counts over re-planned worlds (memory flat in the number of worlds)."""

    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    chosen: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    units: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    objective: list[float] = dataclasses.field(default_factory=list)
    cost_usd: list[float] = dataclasses.field(default_factory=list)

    def add(self, row: dict[str, Any]) -> None:
        self.statuses[row["status"]] += 1
        if not row.get("plan_json"):
            return
        lines = {(str(i.get("offer_id") or i["id"]), str(i["role"])): int(i["quantity"]) for i in json.loads(row["plan_json"])["items"]}
        for key, qty in lines.items():
            self.chosen[key] += 1
            self.units[key] += qty
        self.objective.append(float(row["objective_value"]))
        self.cost_usd.append(float(row["total_usd"]))

    def to_dict(self, samples: int) -> dict[str, Any]:
        """``statuses``, ``chosen`` [{id, role, share of worlds, mean units when chosen}], objective and cost stats."""
        from .montecarlo import stats

        planned = sum(v for k, v in self.statuses.items() if k in ("optimal", "feasible"))
        chosen = [
            {"id": i, "role": r, "share": n / samples, "mean_quantity": self.units[(i, r)] / n} for (i, r), n in self.chosen.most_common()
        ]
        return {
            "samples": samples,
            "planned": planned,
            "statuses": dict(self.statuses),
            "chosen": chosen,
            "objective": stats(np.asarray(self.objective)),
            "cost_usd": stats(np.asarray(self.cost_usd)),
        }


def replan(
    scenario: Scenario,
    catalog: Catalog,
    samples: int,
    seed: int,
    *,
    executor: Executor | None = None,
    store: ResultStore | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Plan every sampled world (skipping those already in ``store``) and tally the choices."""
    fp = catalog_fingerprint(catalog)
    keyed = [
        (fingerprint(json.dumps([w[1], sorted(map(str, w[2].items()))], sort_keys=True), fp, __version__, scenario.model_dump_json()), w)
        for w in worlds(scenario, catalog, samples, seed)
    ]
    tally = ReplanTally()
    done = store.done_keys() if store is not None else set()
    todo = [t for t in keyed if t[0] not in done]
    for n, (_, row) in enumerate((executor or Executor()).map(replan_task, todo, (scenario, catalog)), start=1):
        tally.add(row)
        if store is not None:
            store.add(row)
        if progress is not None:
            progress(n, len(todo))
    if store is not None:
        store.finish()
        _tally_done(store, done & {k for k, _ in keyed}, tally)
    return tally.to_dict(samples)


def _tally_done(store: ResultStore, keys: set[str], tally: ReplanTally) -> None:
    """Add the rows a previous run finished (resumed runs count every world once)."""
    if not keys:
        return
    import pyarrow.parquet as pq

    table = pq.read_table(store.path)
    for row in table.to_pylist():
        if row["key"] in keys:
            tally.add(row)
