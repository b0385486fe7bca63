"""Command line: ``plan`` with subcommands; ``run`` is the default (``plan --budget 5B``).

Each command parses its flags, calls the library and maps typed errors to one-line messages and
exit codes (0 plan found, 1 bad input, 2 usage, 3 infeasible, 4 solver failure). The root group
takes no planning options, so an option is either a subcommand's (and applies) or a usage error.
"""

from __future__ import annotations

from typing import ClassVar

import click
from click_default_group import DefaultGroup

from .. import __version__
from .catalog_cmd import catalog_group
from .collapse_cmd import collapse_command
from .common import PlanError
from .compare_cmd import compare_command, whatif_command
from .plan_cmd import run_command


class PlanGroup(DefaultGroup):
    """The default-command group, refusing options written before another subcommand.

    ``plan --budget 5B catalog show X`` would otherwise hand ``catalog show X`` to ``run`` as
    stray arguments; the message names the options and where they belong.
    """

    lazy: ClassVar[dict[str, tuple[str, str]]] = {  # loaded on first use
        "alpha": ("planner.alpha.commands", "alpha"),
        "montecarlo": ("planner.cli.montecarlo_cmd", "montecarlo_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, attr = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, cmd, rest = super().resolve_command(ctx, args)
        if name == self.default_cmd_name and rest and rest[0].startswith("-"):
            later = [a for a in rest if (a in self.commands or a in self.lazy) and a != self.default_cmd_name]
            if later:
                given = " ".join(a for a in rest[: rest.index(later[0])] if a.startswith("-"))
                raise click.UsageError(
                    f"{given} given before the subcommand {later[0]!r}; options go after the command they belong to "
                    f"(plan {later[0]} --help lists its options)",
                    ctx,
                )
        return name, cmd, rest


@click.group(cls=PlanGroup, default="run", default_if_no_args=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full trace of an unexpected error.")
@click.version_option(__version__, prog_name="plan")
def cli(debug: bool) -> None:
    """Turn a budget into a grounded AI-hardware plan.

    \b
    plan --budget 5e9                          plan on the bundled defaults (the run command)
    plan --scenario examples/mid-size-lab.yaml --output plan.html
    plan catalog list --category accelerator   what the catalog holds
    plan whatif --vary alpha_floor=0,0.1,0.2   a what-if grid
    plan montecarlo --scenario examples/uncertain-mid-size-lab.yaml   the plan in sampled worlds
    """


cli.add_command(run_command)
cli.add_command(catalog_group)
cli.add_command(compare_command)
cli.add_command(whatif_command)
cli.add_command(collapse_command)


def main() -> None:  # pragma: no cover - console entry point
    """The console entry point. SIGTERM exits through Python, so half-written files are removed."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cli(prog_name="plan")


__all__ = ["PlanError", "cli", "main"]
