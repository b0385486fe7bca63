"""Shared pieces of the command line: error translation, option decorators, output.

Exit codes (contract): 0 plan found, 1 bad input, 2 usage, 3 infeasible, 4 solver failure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from hwcatalog import CatalogError

from ..errors import InfeasiblePlan, PlannerError, ScenarioError, SolverError
from ..units import parse_money, parse_power_kw, parse_share

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
F = TypeVar("F", bound=Callable[..., Any])


class PlanError(click.ClickException):
    """A library error as a one-line CLI message with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().params.get("debug") or False))


def translate_errors(fn: F) -> F:
    """Map the library's typed errors to one-line messages and exit codes; anything unexpected
    becomes a one-line error (exit 1) with a hint, or its traceback under ``--debug``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InfeasiblePlan as exc:
            raise PlanError(f"infeasible: {exc}", EXIT_INFEASIBLE) from None
        except SolverError as exc:
            raise PlanError(f"solver failure: {exc}", EXIT_SOLVER) from None
        except (ScenarioError, CatalogError) as exc:
            if (
                isinstance(exc, ScenarioError)
                and exc.file is None
                and (exc.field or "").startswith("periods.")
                and kwargs.get("scenario_file")
            ):
                # found while planning it (periods keys checked against the catalog); no flag sets them
                exc = ScenarioError(exc.detail, file=str(kwargs["scenario_file"]), field=exc.field)
            raise PlanError(str(exc), EXIT_INPUT) from None
        except PlannerError as exc:
            raise PlanError(str(exc), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _debug():
                raise
            text = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise PlanError(f"unexpected error: {type(exc).__name__}: {text} (rerun with --debug for the trace)", EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses NaN and infinities (click's own range lets NaN through)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"expected a finite number, got {value!r}", param, ctx)
        return rv


def _parsed(parser: Callable[[str], float]) -> Callable[[click.Context, click.Parameter, str | None], float | None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def _alpha(ctx: click.Context, param: click.Parameter, value: str | None) -> float | str | None:
    from ..floor import is_auto

    if value is None or is_auto(value):
        return value if value is None else "auto"
    try:
        return parse_share(value)
    except ValueError:
        raise click.BadParameter(f"expected a number in [0, 1] or 'auto', got {value[:40]!r}") from None


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Apply ``decorators`` in reading order (the first is the first in --help)."""

    def apply(fn: F) -> F:
        for deco in reversed(decorators):
            fn = deco(fn)
        return fn

    return apply


budget_option = click.option(
    "--budget", callback=_parsed(parse_money), metavar="USD", help="Budget cap on capex + opex: 5e9, 5B, $750M, '1 billion'."
)
alpha_option = click.option(
    "--alpha-floor", callback=_alpha, metavar="FLOAT", help="Least exogenous share of training tokens, in [0, 1], or 'auto'."
)
power_option = click.option("--power-cap", callback=_parsed(parse_power_kw), metavar="POWER", help="Facility power cap: 20MW, 500kW or kW.")
only_option = click.option("--only", multiple=True, metavar="ID", help="Plan only with these catalog ids (repeat or comma-separate).")
exclude_option = click.option("--exclude", multiple=True, metavar="ID", help="Never buy these catalog ids (repeat or comma-separate).")
solver_option = click.option("--solver", type=click.Choice(["cbc", "highs"]), help="MILP solver (default cbc).")
catalog_option = click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Overlay file (CSV or YAML) merged over the bundled catalog; repeatable.",
)
alpha_unknown_option = click.option(
    "--alpha-unknown",
    type=click.Choice(["synthetic", "exclude", "estimate"]),  # planner.alpha.UNKNOWN_POLICIES, kept here for a light start-up
    default="synthetic",
    show_default=True,
    help="With --alpha-from: how shards of unknown origin count.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr.")
force_option = click.option("--force", is_flag=True, help="Overwrite --output and --export files if they exist.")
output_option = click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file (atomically).")
export_option = click.option(
    "--export", "exports", multiple=True, type=click.Path(dir_okay=False), help="Procurement export: FILE.xlsx or FILE.csv (repeatable)."
)


def age_option(fn: F) -> F:
    from hwcatalog.catalog import DEFAULT_MAX_PRICE_AGE_DAYS

    return click.option(
        "--max-price-age-days",
        type=click.IntRange(min=0),
        default=DEFAULT_MAX_PRICE_AGE_DAYS,
        show_default=True,
        help="Warn about prices older than this.",
    )(fn)


def collapse_floor_options(fn: F) -> F:
    from ..floor import DEFAULT_COLLAPSE_SAMPLES, DEFAULT_COLLAPSE_TOLERANCE

    return options(
        click.option(
            "--collapse-samples",
            type=click.IntRange(min=2, max=10**15),
            default=None,
            help=f"With --alpha-floor auto: samples per refit n (collapse_floor.samples_per_refit, default {DEFAULT_COLLAPSE_SAMPLES}).",
        ),
        click.option(
            "--collapse-tolerance",
            type=FiniteFloatRange(min=0, max=1, min_open=True, max_open=True),
            default=None,
            help=f"With --alpha-floor auto: tolerated loss of diversity (collapse_floor.tolerance, default {DEFAULT_COLLAPSE_TOLERANCE}).",
        ),
    )(fn)


allow_late_option = click.option(
    "--allow-late",
    is_flag=True,
    default=None,
    help="Let items that cannot arrive by start_date (order-by date past) into the plan, with a warning.",
)

# The scenario flags every planning command takes (plan, compare, whatif).
scenario_flags = options(
    budget_option, alpha_option, power_option, only_option, exclude_option, solver_option, allow_late_option, collapse_floor_options
)


def flag_overrides(o: dict[str, Any]) -> dict[str, Any]:
    """Scenario overrides from the shared scenario flags in ``o`` (only flags that were given)."""
    from ..fields import overrides, split_ids
    from ..floor import floor_overrides

    over = overrides(
        {
            "budget": o.get("budget"),
            "power_cap": o.get("power_cap"),
            "solver": o.get("solver"),
            "objective": o.get("objective"),
            "horizon": o.get("horizon"),
            "only": split_ids(o.get("only")),
            "exclude": split_ids(o.get("exclude")),
            "allow_late": True if o.get("allow_late") else None,
        }
    )
    over.update(floor_overrides(o.get("alpha_floor"), samples=o.get("collapse_samples"), tolerance=o.get("collapse_tolerance")))
    return over


def warn(messages: Iterable[str], quiet: bool) -> None:
    """Each message once, on stderr, unless quiet."""
    if quiet:
        return
    for m in dict.fromkeys(messages):
        click.echo(f"warning: {m}", err=True)


def emit(text: str, output: str | None, force: bool) -> None:
    """Print ``text``, or write it atomically to ``output`` and say so on stderr."""
    from ..output import STDOUT, write_atomic

    if output and output != STDOUT:
        click.echo(f"wrote {write_atomic(output, text, force=force)}", err=True)
    else:
        click.echo(text, nl=False)


def check_outputs(output: str | None, exports: Iterable[str], force: bool) -> None:
    """Before any work: every target writable, exports of a known type, no target named twice."""
    import os

    from ..output import STDOUT, check_writable

    targets = [p for p in [output, *exports] if p is not None and p != STDOUT]
    if len({os.path.abspath(p) for p in targets}) != len(targets):
        raise click.BadParameter("the same file is named twice among --output and --export", param_hint="--output/--export")
    for path in exports:
        if not path.lower().endswith((".xlsx", ".csv")):
            raise click.BadParameter(f"{path[:80]}: expected a .xlsx or .csv file", param_hint="--export")
    for path in targets:
        check_writable(path, force=force)


offers_option = click.option(
    "--offers",
    "offers",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Rental offers file (CSV, YAML or a SkyPilot vms.csv) read beside the bundled offers; repeatable.",
)


def load_catalog_quietly(catalogs: Iterable[str], max_age: int | None, quiet: bool, offers: Iterable[str] = ()) -> Any:
    """The bundled catalog with overlays and offers files; its warnings printed once unless quiet."""
    from hwcatalog import load_catalog

    cat = load_catalog(list(catalogs), max_price_age_days=max_age, offers=list(offers))
    warn(cat.warnings, quiet)
    return cat


_EXT_FORMAT = {".html": "html", ".htm": "html", ".md": "md", ".json": "json", ".txt": "table", ".csv": "csv"}


def infer_format(fmt: str | None, output: str | None, allowed: Iterable[str]) -> str:
    """The format given, else the one the --output extension names, else ``table``."""
    allowed = tuple(allowed)
    if fmt is not None:
        return fmt
    if output:
        guess = _EXT_FORMAT.get(("." + output.rsplit(".", 1)[-1].lower()) if "." in output else "")
        if guess in allowed:
            return guess
    return "table"


def format_option(choices: Iterable[str]) -> Callable[[F], F]:
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), help="Report format (default: from the --output extension, else table)."
    )
