"""AI-hardware capacity planner: a budget in, a grounded hardware plan out.

>>> from planner import plan, load_scenario
>>> p = plan(load_scenario("examples/mid-size-lab.yaml"))   # doctest: +SKIP
>>> p.line_items                                              # doctest: +SKIP
"""

__version__ = "0.1.0"

from .errors import InfeasiblePlan, PlannerError, ScenarioError, SolverError
from .plan import plan
from .results import Plan, PlanStatus
from .scenario import Scenario, build_scenario, load_scenario, parse_money, with_changes

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
    "plan",
    "with_changes",
]
