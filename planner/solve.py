"""Solver adapters (CBC through PuLP's bundled binary, HiGHS through highspy).

Never asserts on a status: the caller gets a :class:`SolveResult` with a :class:`SolveStatus`.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulp

from .errors import SolverError

DEFAULT_GAP_REL = 1e-4
TIME_LIMIT_S = 120
# CBC's default integrality tolerance (1e-6) let a near-zero purchase binary (n <= M z, M up to
# budget / unit cost) carry part of a unit, so CBC proved wrong bounds and claimed "optimal" short of
# plans it accepts (long-context-agents at USD 12B: 2.3e-4 over; with cuts on, the default scenario
# at USD 27.9M and floor 0.3: 1.46e-4 short). With 1e-9 CBC agrees with HiGHS within the gap on
# every example (tests/test_optimality.py) and keeps its cut generators: without them the frontier
# example took 70 s and stopped at a worse plan (docs/model.md, "Solving").
CBC_OPTIONS = ("integerTolerance 1e-9",)
# HiGHS with its default integrality tolerance (1e-6) reported "optimal" within a 1e-6 gap at a
# plan 0.2% short of one CBC found and HiGHS itself accepts with the integers fixed (frontier lab,
# USD 2.7M); a 1e-9 tolerance, as presolve off did, finds it. Checked by tests/test_optimality.py.
HIGHS_MIP_FEASIBILITY_TOLERANCE = 1e-9


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # integer solution found, optimality not proven (time limit)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    FAILED = "failed"


@dataclass(frozen=True)
class SolveResult:
    status: SolveStatus
    solver: str
    seconds: float
    objective: float | None


def make_solver(name: str, *, gap_rel: float = DEFAULT_GAP_REL, time_limit_s: float = TIME_LIMIT_S) -> pulp.LpSolver:
    """A configured PuLP solver: ``cbc`` or ``highs``. Raises :class:`SolverError` if missing.

    ``gap_rel`` is the relative MIP gap at which the solver may stop: the plan's objective is
    then proven within that fraction of the best possible.
    """
    if name == "cbc":
        solver = pulp.PULP_CBC_CMD(msg=False, gapRel=gap_rel, timeLimit=time_limit_s, options=list(CBC_OPTIONS))
    elif name == "highs":
        solver = pulp.HiGHS(
            msg=False, gapRel=gap_rel, timeLimit=time_limit_s, threads=1, mip_feasibility_tolerance=HIGHS_MIP_FEASIBILITY_TOLERANCE
        )
    else:
        raise SolverError(f"unknown solver {name!r}; expected cbc or highs")
    if not solver.available():
        raise SolverError(f"solver {name!r} is not available on this machine (pip install pulp highspy)")
    return solver


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null: highspy prints its banner from C++ when a solver is
    created, even with output off, and it would corrupt ``plan --format json`` on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve(problem: pulp.LpProblem, solver_name: str, *, gap_rel: float = DEFAULT_GAP_REL) -> SolveResult:
    solver = make_solver(solver_name, gap_rel=gap_rel)
    start = time.perf_counter()
    try:
        with quiet_stdout() if solver_name == "highs" else contextlib.nullcontext():
            problem.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"solver {solver_name} failed: {exc}") from None
    seconds = time.perf_counter() - start
    sol = problem.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = SolveStatus.OPTIMAL
    elif sol == pulp.LpSolutionIntegerFeasible:
        status = SolveStatus.FEASIBLE
    elif sol == pulp.LpSolutionInfeasible or problem.status == pulp.LpStatusInfeasible:
        status = SolveStatus.INFEASIBLE
    elif sol == pulp.LpSolutionUnbounded or problem.status == pulp.LpStatusUnbounded:
        status = SolveStatus.UNBOUNDED
    else:
        status = SolveStatus.FAILED
    objective = pulp.value(problem.objective) if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) else None
    return SolveResult(status, solver_name, seconds, None if objective is None else float(objective))


def solved_value(expr: Any) -> float:
    """A solved variable's or expression's value: 0 for none, an empty expression or a non-finite value."""
    if expr is None:
        return 0.0
    x = pulp.value(expr) if not isinstance(expr, int | float) else expr
    return 0.0 if x is None or not math.isfinite(float(x)) else float(x)
