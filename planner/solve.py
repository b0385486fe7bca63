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


class CachedMPS:
    """PuLP's MPS writer (``writeMPS(rename=1)``, what its CBC adapter calls) for a model solved
    again and again with only bounds and integrality changing, as in relax-and-fix: names, rows,
    coefficients, the objective and right-hand sides are formatted once; each write adds that
    solve's integer markers and bounds. The file is PuLP's own, byte for byte
    (tests/test_solve.py); a call PuLP's adapter does not make, or a model with a new objective,
    another number of rows or another sense, falls back to PuLP's writer."""

    def __init__(self, problem: pulp.LpProblem) -> None:
        if problem.objective is None or problem.objective.isNumericalConstant():
            raise ValueError("CachedMPS needs a model with a non-constant objective")
        self.problem = problem
        self.sense = problem.sense
        self.shape = self._shape()  # a new objective, row or sense: PuLP's writer
        self.constraint_names, self.variable_names, self.objective_name = problem.normalisedNames()
        self.variables = problem.variables()
        self.by_name = {v.name: v for v in self.variables}
        names, objective = self.variable_names, problem.objective
        coefs: dict[str, dict[str, float]] = {names[v.name]: {} for v in self.variables}
        for key, c in problem.constraints.items():
            for v, value in c.items():
                coefs[names[v.name]][self.constraint_names[key]] = value
        self.bodies = []
        for v in self.variables:
            name = names[v.name]
            lines = [f"    {name:<8s}  {row:<8s}  {value: .12e}\n" for row, value in coefs[name].items()]
            if v in objective:
                lines.append(f"    {name:<8s}  {self.objective_name:<8s}  {objective[v]: .12e}\n")
            self.bodies.append("".join(lines))
        mps_type = pulp.const.LpConstraintTypeToMps
        rows = "".join(f" {mps_type[c.sense]}  {self.constraint_names[k]}\n" for k, c in problem.constraints.items())
        self.head = f"*SENSE:{pulp.const.LpSenses[self.sense]}\nNAME          MODEL\nROWS\n N  {self.objective_name}\n{rows}COLUMNS\n"
        self.rhs = "RHS\n" + "".join(
            f"    RHS       {self.constraint_names[k]:<8s}  {(-c.constant if c.constant != 0 else 0): .12e}\n"
            for k, c in problem.constraints.items()
        )

    def _shape(self) -> tuple[int, int, int]:
        return id(self.problem.objective), len(self.problem.constraints), self.problem.sense

    def stale(self) -> bool:
        """Whether the model has a new objective, another row count or another sense since."""
        return self._shape() != self.shape

    def variables_dict(self) -> dict[str, pulp.LpVariable]:
        """``problem.variablesDict()``: the variables found on entry by name, unless :meth:`stale`."""
        if self.stale():
            return dict(pulp.LpProblem.variablesDict(self.problem))
        return self.by_name

    def write(self, filename: str, mpsSense: int = 0, rename: int = 0, mip: int = 1, with_objsense: bool = False) -> Any:
        """Write the file as ``problem.writeMPS`` would and return what it returns (PuLP's argument names)."""
        if not rename or mpsSense not in (0, self.sense) or with_objsense or self.stale():
            return pulp.LpProblem.writeMPS(self.problem, filename, mpsSense, rename, mip, with_objsense)
        marker_start, marker_end = "    MARK      'MARKER'                 'INTORG'\n", "    MARK      'MARKER'                 'INTEND'\n"
        columns, bounds = [], []
        for v, body in zip(self.variables, self.bodies, strict=True):
            integer = mip and v.cat == pulp.LpInteger
            columns.append(f"{marker_start}{body}{marker_end}" if integer else body)
            bounds.extend(pulp.mps_lp.writeMPSBoundLines(self.variable_names[v.name], v, mip))
        with open(filename, "w") as f:
            f.write(self.head + "".join(columns) + self.rhs + "BOUNDS\n" + "".join(bounds) + "ENDATA\n")
        self.problem.objective.name = self.objective_name
        return self.variables, self.variable_names, self.constraint_names, self.objective_name


@contextlib.contextmanager
def cached_mps(problem: pulp.LpProblem) -> Iterator[None]:
    """Within the block, ``problem`` is written through :class:`CachedMPS` and its variables by name
    (``variablesDict``, which PuLP rebuilds from every row twice per solve to read the solution
    back) are the ones found on entry: change only bounds and integrality inside it."""
    cached = CachedMPS(problem)
    problem.writeMPS = cached.write  # type: ignore[method-assign]
    problem.variablesDict = cached.variables_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        del problem.writeMPS, problem.variablesDict
