"""Sweep results streamed to Parquet as they finish, keyed so that a rerun resumes.

Each finished scenario is one row: its key (a hash of the scenario, the catalog and the tool
version), name, varied inputs, status (``optimal``, ``feasible``, ``infeasible`` or ``error``),
the error text, headline figures and the plan's JSON. Rows are buffered and written as small part
files beside the target (``FILE.parquet.parts/``) every :data:`FLUSH_ROWS` rows, each part written
atomically, so a run killed halfway keeps what it finished; :meth:`ResultStore.finish` merges the
target and the parts into the target (the latest row per key wins) and removes the parts. A rerun
skips keys already done (and, with ``retry_failed``, re-runs those whose status is ``error``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .output import OutputError, write_atomic

FLUSH_ROWS = 64
ROW_COLUMNS = (
    ("key", "string"),
    ("name", "string"),
    ("varied", "string"),
    ("status", "string"),
    ("error", "string"),
    ("objective", "string"),
    ("objective_value", "float64"),
    ("total_usd", "float64"),
    ("capex_usd", "float64"),
    ("opex_usd", "float64"),
    ("budget_usd", "float64"),
    ("alpha_floor", "float64"),
    ("alpha", "float64"),
    ("agents", "float64"),
    ("speedup", "float64"),
    ("training_usd", "float64"),
    ("inference_usd", "float64"),
    ("verification_usd", "float64"),
    ("memory_usd", "float64"),
    ("plan_json", "string"),
)


def fingerprint(*parts: str) -> str:
    """A short stable hash of text parts (sha256, 20 hex digits)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in ROW_COLUMNS])


class ResultStore:
    """Rows of a sweep in ``path`` (Parquet); see the module docstring."""

    def __init__(self, path: str | Path, *, retry_failed: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".parquet":
            raise OutputError(f"{self.path}: expected a .parquet file for --results")
        self.parts = self.path.with_name(self.path.name + ".parts")
        self.retry_failed = retry_failed
        self.buffer: list[dict[str, Any]] = []
        self.written = 0

    def _tables(self) -> list[Any]:
        import pyarrow.parquet as pq

        files = ([self.path] if self.path.exists() else []) + (sorted(self.parts.glob("*.parquet")) if self.parts.is_dir() else [])
        try:
            return [pq.read_table(f, schema=_schema()) for f in files]
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise OutputError(
                f"{self.path}: cannot read earlier results ({type(exc).__name__}); move the file away to start over"
            ) from None

    def done_keys(self) -> set[str]:
        """Keys already finished (errors excluded when retrying failures)."""
        keys: set[str] = set()
        for table in self._tables():
            for key, status in zip(table.column("key").to_pylist(), table.column("status").to_pylist(), strict=True):
                if not (self.retry_failed and status == "error"):
                    keys.add(key)
        return keys

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one part file (atomically)."""
        if not self.buffer:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(self.buffer, schema=_schema())
        self.parts.mkdir(exist_ok=True)
        target = self.parts / f"part-{self.written:08d}-{fingerprint(*(r['key'] for r in self.buffer))}.parquet"
        write_atomic(target, lambda tmp: pq.write_table(table, tmp), force=True)
        self.written += len(self.buffer)
        self.buffer = []

    def finish(self) -> int:
        """Merge everything into ``path``; returns the number of rows it holds."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.flush()
        tables = self._tables()
        merged = pa.concat_tables(tables) if tables else _schema().empty_table()
        rows = {r["key"]: r for r in merged.to_pylist()}  # the latest row per key wins
        final = pa.Table.from_pylist(list(rows.values()), schema=_schema())
        write_atomic(self.path, lambda tmp: pq.write_table(final, tmp), force=True)
        for part in self.parts.glob("*.parquet") if self.parts.is_dir() else []:
            part.unlink()
        if self.parts.is_dir():
            self.parts.rmdir()
        return final.num_rows


def result_row(key: str, name: str, varied: dict[str, Any], plan: Any, status: str, error: str | None) -> dict[str, Any]:
    """One row: headline figures from ``plan`` (None when there is none) and its JSON."""
    row: dict[str, Any] = dict.fromkeys(name for name, _ in ROW_COLUMNS)
    row.update(key=key, name=name, varied=json.dumps(varied, default=str, sort_keys=True), status=status, error=error)
    if plan is None:
        return row
    row.update(
        objective=plan.objective.name,
        objective_value=plan.objective.value,
        total_usd=plan.cost_usd.total,
        capex_usd=plan.cost_usd.capex,
        opex_usd=plan.cost_usd.opex,
        budget_usd=plan.budget_usd,
        alpha_floor=plan.alpha_floor,
        alpha=plan.alpha,
        agents=plan.agents,
        speedup=plan.speedup,
        plan_json=json.dumps(plan.to_dict(), sort_keys=False),
        **{f"{role}_usd": plan.spend_by_role_usd[role] for role in ("training", "inference", "verification", "memory")},
    )
    return row
