"""AI-hardware capacity planner: a budget in, a grounded hardware plan out.

>>> from planner import plan, load_scenario
>>> p = plan(load_scenario("examples/mid-size-lab.yaml"))   # doctest: +SKIP
>>> p.line_items                                              # doctest: +SKIP

Names are imported lazily (PEP 562), so ``import planner.collapse`` or a JSON plan loads only the
modules it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "InfeasiblePlan": "errors",
    "PlannerError": "errors",
    "ScenarioError": "errors",
    "SolverError": "errors",
    "plan": "planning",
    "Plan": "result",
    "PlanStatus": "result",
    "Scenario": "scenario",
    "build_scenario": "scenario",
    "load_scenario": "scenario",
    "with_changes": "scenario",
    "parse_money": "units",
    "parse_power_kw": "units",
}

__all__ = [
    "InfeasiblePlan",
    "Plan",
    "PlanStatus",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "__version__",
    "build_scenario",
    "load_scenario",
    "parse_money",
    "parse_power_kw",
    "plan",
    "with_changes",
]

if TYPE_CHECKING:
    from .errors import InfeasiblePlan, PlannerError, ScenarioError, SolverError
    from .planning import plan
    from .result import Plan, PlanStatus
    from .scenario import Scenario, build_scenario, load_scenario, with_changes
    from .units import parse_money, parse_power_kw


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
