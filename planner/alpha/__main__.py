"""``python -m planner.alpha measure ...``: the ``plan alpha`` group, runnable before the root CLI registers it."""

from .commands import alpha

alpha(prog_name="plan alpha")
