"""Running many independent tasks: in this process, in local processes, or on a Dask cluster.

One interface for every backend: :meth:`Executor.map` takes a picklable top-level function, the
items, and one ``shared`` object (the catalog and options) sent once per worker rather than once
per task, and yields ``(index, result)`` pairs as tasks finish (in any order). At most a few
tasks per worker are in flight, so memory stays flat in the number of items.

Backends (``--scheduler``):

* ``local``: this process, one core;
* ``processes`` (default): ``concurrent.futures`` process pool, one worker per core;
* ``dask-local``: a Dask ``LocalCluster`` of single-threaded worker processes;
* ``tcp://HOST:PORT``: an existing Dask scheduler, so the same command scales out to a cluster.

Solvers run single-threaded in every worker (CBC is; HiGHS is configured with one thread), so
``jobs`` workers use ``jobs`` cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .errors import PlannerError

IN_FLIGHT_PER_WORKER = 4
SCHEDULERS = ("local", "processes", "dask-local")

_SHARED: Any = None  # the shared object inside a worker process


class ExecutorError(PlannerError):
    """A scheduler cannot be reached or started (exit 1)."""


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(item, _SHARED)


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    """Runs ``fn(item, shared)`` for every item (see the module docstring)."""

    name = "local"
    workers = 1

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], shared: Any) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            yield i, fn(item, shared)

    def close(self) -> None:
        """Release workers and connections (nothing to do in-process)."""


class ProcessExecutor(Executor):
    """A local process pool; ``shared`` is sent once to each worker by its initializer."""

    name = "processes"

    def __init__(self, jobs: int) -> None:
        self.workers = jobs

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], shared: Any) -> Iterator[tuple[int, Any]]:
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker, initargs=(shared,)) as pool:
            pending: dict[Future[Any], int] = {}
            source = enumerate(items)
            for i, item in source:
                pending[pool.submit(_call, fn, item)] = i
                if len(pending) >= IN_FLIGHT_PER_WORKER * self.workers:
                    yield from _drain(pending, block_until_one=True)
            while pending:
                yield from _drain(pending, block_until_one=True)


def _drain(pending: dict[Future[Any], int], *, block_until_one: bool) -> Iterator[tuple[int, Any]]:
    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for fut in done:
        yield pending.pop(fut), fut.result()


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: an existing scheduler (``tcp://...``) or a new ``LocalCluster``."""

    def __init__(self, address: str | None, jobs: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a declared dependency
            raise ExecutorError("Dask is not installed (pip install 'dask[distributed]')") from None
        self.cluster = None
        try:
            if address is None:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="10s")
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
        self.name = address or "dask-local"
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or jobs)

    def map(self, fn: Callable[[Any, Any], Any], items: Iterable[Any], shared: Any) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        shared_future = self.client.scatter(shared, broadcast=True)
        index: dict[Any, int] = {}
        queue = as_completed()
        for i, item in enumerate(items):
            fut = self.client.submit(fn, item, shared_future, pure=False)
            index[fut] = i
            queue.add(fut)
            if queue.count() >= IN_FLIGHT_PER_WORKER * self.workers:
                done = next(queue)
                yield index.pop(done), done.result()
        for done in queue:
            yield index.pop(done), done.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(scheduler: str | None, jobs: int | None) -> Executor:
    """The executor for a ``--scheduler`` value (default ``processes``) and ``--jobs`` (default: all cores)."""
    n = jobs or default_jobs()
    scheduler = scheduler or "processes"
    if scheduler == "local" or (scheduler == "processes" and n == 1):
        return Executor()
    if scheduler == "processes":
        return ProcessExecutor(n)
    if scheduler == "dask-local":
        return DaskExecutor(None, n)
    if scheduler.startswith("tcp://"):
        return DaskExecutor(scheduler, n)
    raise ExecutorError(f"unknown scheduler {scheduler[:60]!r}; expected local, processes, dask-local or tcp://HOST:PORT")
