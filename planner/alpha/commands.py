"""``plan alpha``: a click group the root CLI registers with ``cli.add_command(alpha)``.

Exit codes (contract): 0 ok, 1 bad input (ManifestError and every PlannerError), 2 usage.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import PlannerError
from ..output import check_writable, write_atomic
from .cards import ROW_KEYS, card_rows
from .measure import DEFAULT_LEVEL, UNKNOWN_POLICIES, measure
from .render import FORMATS, render_measurement

F = TypeVar("F", bound=Callable[..., Any])


def _errors(fn: F) -> F:
    """Typed errors -> one-line messages with their exit code (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PlannerError as exc:
            err = click.ClickException(str(exc))
            err.exit_code = exc.exit_code  # type: ignore[misc]  # click reads it per instance
            raise err from None

    return wrapper  # type: ignore[return-value]


def _emit(text: str, output: str | None, force: bool) -> None:
    if output:
        click.echo(f"wrote {write_atomic(output, text, force=force)}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("alpha")
def alpha() -> None:
    """Measure alpha_t, the exogenous share of training tokens, from data manifests (docs/alpha.md)."""


@alpha.command("measure")
@click.argument("manifests", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option(
    "--unknown", type=click.Choice(UNKNOWN_POLICIES), default="synthetic", show_default=True, help="How unknown-origin shards count."
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_LEVEL,
    show_default=True,
    help="Confidence level (estimate).",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Classifier error rate on p_synthetic (estimate).",
)
@click.option("--floor", type=click.FloatRange(0, 1), default=None, help="Alpha floor to compare against and draw.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Write to this file (atomically).")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@_errors
def measure_command(
    manifests: tuple[str, ...],
    unknown: str,
    level: float,
    error_rate: float,
    floor: float | None,
    fmt: str,
    output: str | None,
    force: bool,
) -> None:
    """Measure alpha_strict and alpha_grounded of MANIFEST... (CSV, JSON Lines or Croissant wrappers).

    \b
    plan alpha measure examples/manifests/mixed-quarters.croissant.json --floor 0.3
    plan alpha measure shards.csv --unknown estimate --error-rate 0.05 --format json
    """
    if output:
        check_writable(output, force=force)
    m = measure(list(manifests), unknown=unknown, level=level, error_rate=error_rate, floor=floor)
    _emit(render_measurement(m, fmt), output, force)


@alpha.command("card")
@click.argument("card", type=click.Path(dir_okay=True))
@click.option("--kind", type=click.Choice(["dpi", "hf"]), required=True, help="Data Provenance Initiative JSON or Hugging Face README.md.")
@click.option("--tokens", type=click.FloatRange(min=0), default=None, help="Token count (else estimated from the card).")
@click.option("--name", default=None, help="Shard and source name (hf).")
@click.option("--period", default="", help="Period cell (hf; DPI uses its HF Date).")
@click.option("--output", type=click.Path(dir_okay=False), default=None)
@click.option("--force", is_flag=True)
@_errors
def card_command(card: str, kind: str, tokens: float | None, name: str | None, period: str, output: str | None, force: bool) -> None:
    """Turn a dataset card into manifest rows (CSV) to measure or merge.

    \b
    plan alpha card "data_summaries/Alpaca.json" --kind dpi --output alpaca.csv
    """
    if output:
        check_writable(output, force=force)
    rows = card_rows(card, kind, tokens=tokens, name=name, period=period)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_KEYS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    _emit(buf.getvalue(), output, force)
