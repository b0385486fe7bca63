"""``plan compare FILE...`` and ``plan whatif --vary FIELD=V1,V2``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click
from rich.console import Console

from ..limits import MAX_GRID_POINTS
from .common import (
    age_option,
    catalog_option,
    check_outputs,
    emit,
    export_option,
    flag_overrides,
    force_option,
    format_option,
    infer_format,
    load_catalog_quietly,
    offers_option,
    options,
    output_option,
    quiet_option,
    scenario_flags,
    translate_errors,
)

COMPARE_FORMATS = ("table", "md", "html", "json")


@contextlib.contextmanager
def progress_bar(total: int, *, enabled: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar (rate, ETA) on stderr for runs of several plans, when stderr is a terminal."""
    if not enabled or total < 2 or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("planning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("plans", total=total)
        yield lambda done, total: bar.update(task, completed=done)


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..executor import SCHEDULERS

    if value is None or value in SCHEDULERS or value.startswith("tcp://"):
        return value
    raise click.BadParameter(f"expected one of {', '.join(SCHEDULERS)} or tcp://HOST:PORT, got {value[:60]!r}")


executor_options = options(
    click.option("--jobs", type=click.IntRange(min=1, max=4096), help="Workers (default: all cores)."),
    click.option(
        "--scheduler",
        callback=_scheduler,
        metavar="NAME",
        help="local (this process), processes (default), dask-local, or a Dask scheduler tcp://HOST:PORT.",
    ),
    click.option(
        "--results",
        type=click.Path(dir_okay=False),
        help="Stream one row per scenario (or re-planned world) to this Parquet file; a rerun resumes, skipping what is done. "
        "plan montecarlo without --replan writes one row per sampled world.",
    ),
    click.option("--retry-failed", is_flag=True, help="With --results: plan again the scenarios recorded as errors."),
)

comparison_options = options(
    scenario_flags,
    executor_options,
    click.option("--baseline", help="Name of the baseline scenario (default: the first)."),
    catalog_option,
    offers_option,
    format_option(COMPARE_FORMATS),
    output_option,
    export_option,
    force_option,
    age_option,
    quiet_option,
)


def _finish(points: list[tuple[str, Any, dict[str, Any]]], kind: str, o: dict[str, Any]) -> None:
    """Plan every point, then export and report the comparison (or stream it to --results)."""
    from ..compare import compare
    from ..executor import make_executor
    from ..export import write_comparison_export
    from ..report import render_comparison

    catalog = load_catalog_quietly(o["catalogs"], o["max_price_age_days"], o["quiet"], o["offers"])
    fmt = infer_format(o["fmt"], o["output"], COMPARE_FORMATS)
    executor = make_executor(o["scheduler"], o["jobs"])
    try:
        if o["results"]:
            _sweep(points, catalog, executor, fmt, o)
            return
        with progress_bar(len(points), enabled=not o["quiet"]) as advance:
            comp = compare(points, catalog, baseline=o["baseline"], kind=kind, executor=executor, marginals=fmt == "json", progress=advance)
    finally:
        executor.close()
    for path in o["exports"]:
        for written in write_comparison_export(comp, path, force=o["force"]):
            click.echo(f"wrote {written}", err=True)
    emit(render_comparison(comp, fmt), o["output"], o["force"])


def _sweep(points: list[tuple[str, Any, dict[str, Any]]], catalog: Any, executor: Any, fmt: str, o: dict[str, Any]) -> None:
    """Stream every point's row to the --results Parquet file and print what was done."""
    import json

    from ..results_store import ResultStore
    from ..sweep import sweep

    if o["exports"]:
        raise click.UsageError("--export writes a comparison report; with --results the rows are in the Parquet file")
    store = ResultStore(o["results"], retry_failed=o["retry_failed"])
    with progress_bar(len(points), enabled=not o["quiet"]) as advance:
        summary = sweep(points, catalog, store, executor=executor, progress=advance)
    if fmt == "json":
        text = json.dumps(summary.to_dict(), indent=2) + "\n"
    else:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items())) or "none planned"
        text = (
            f"{summary.scenarios} scenarios: {summary.ran} planned now ({statuses}), {summary.skipped} already done; "
            f"{summary.rows} rows in {summary.results}\n"
        )
    emit(text, o["output"], o["force"])


@click.command("compare")
@click.argument("scenario_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@comparison_options
@translate_errors
def compare_command(scenario_files: tuple[str, ...], **o: Any) -> None:
    """Plan several scenario files and compare them side by side (flags apply to every file).

    \b
    plan compare examples/mid-size-lab.yaml lab-b.yaml --format html --output cmp.html
    """
    from ..scenario import load_scenario

    check_outputs(o["output"], o["exports"], o["force"])
    over = flag_overrides(o)
    points: list[tuple[str, Any, dict[str, Any]]] = []
    for f in scenario_files:
        s = load_scenario(f, over)
        points.append((s.name, s, {}))
    _finish(points, "compare", o)


@click.command("whatif")
@click.option(
    "--vary", "varies", multiple=True, required=True, metavar="FIELD=V1,V2", help="Scenario field and its values; repeat for a grid."
)
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Base scenario (defaults fill what it omits).")
@click.option("--max-points", type=click.IntRange(min=1), default=MAX_GRID_POINTS, show_default=True, help="Largest grid to plan.")
@comparison_options
@translate_errors
def whatif_command(varies: tuple[str, ...], scenario_file: str | None, **o: Any) -> None:
    """Run a grid over scenario fields (any dotted field; aliases budget, horizon, power_cap, alpha).

    \b
    plan whatif --vary alpha_floor=0,0.1,0.2 --vary budget=1e9,5e9
    plan whatif --scenario examples/mid-size-lab.yaml --vary power_cap=20MW,40MW --only amd-mi355x
    """
    from ..compare import grid, parse_vary
    from ..scenario import load_scenario

    check_outputs(o["output"], o["exports"], o["force"])
    base = load_scenario(scenario_file, flag_overrides(o))
    _finish(grid(base, [parse_vary(v) for v in varies], max_points=o["max_points"]), "whatif", o)
