"""AI-hardware capacity planner: a budget in, a grounded hardware plan out.

>>> from planner import plan, load_scenario
>>> p = plan(load_scenario("examples/mid-size-lab.yaml"))   # doctest: +SKIP
>>> p.line_items                                              # doctest: +SKIP
"""

__version__ = "0.1.0"

from .errors import InfeasiblePlan, PlannerError, ScenarioError, SolverError  # noqa: E402
from .plan import plan  # noqa: E402
from .results import Plan, PlanStatus  # noqa: E402
from .scenario import Scenario, build_scenario, load_scenario, parse_money, with_changes  # noqa: E402

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
