"""``python -m planner.cli`` runs the ``plan`` command."""

from . import main

main()
