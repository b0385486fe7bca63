"""Typed errors of the planner. Only ``planner.cli`` turns them into text and exit codes.

Exit codes (a contract, see docs/cli.md): 0 plan found, 1 bad input, 2 usage, 3 infeasible,
4 solver failure.
"""

from __future__ import annotations

from hwcatalog.errors import CatalogError


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""

    exit_code = 1


class ScenarioError(PlannerError, ValueError):
    """A scenario file or option is invalid: names the file, the field and what is expected."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        self.detail = message
        where = ", ".join(p for p in (file, f"field '{field}'" if field else None) if p)
        super().__init__(f"{where}: {message}" if where else message)


class InfeasiblePlan(PlannerError):
    """No plan satisfies every constraint; ``conflicts`` names them, ``suggestions`` the way out."""

    exit_code = 3

    def __init__(self, message: str, *, conflicts: list[str], suggestions: dict[str, float]) -> None:
        self.conflicts = conflicts
        self.suggestions = suggestions
        super().__init__(message)


class SolverError(PlannerError):
    """The solver failed, is missing or stopped without a usable answer."""

    exit_code = 4


__all__ = ["CatalogError", "InfeasiblePlan", "PlannerError", "ScenarioError", "SolverError"]
