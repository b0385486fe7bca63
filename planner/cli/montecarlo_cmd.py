"""``plan montecarlo``: a fixed plan in sampled worlds, or a re-plan per world (``--replan``)."""

from __future__ import annotations

from typing import Any

import click

from .common import (
    age_option,
    catalog_option,
    check_outputs,
    emit,
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
from .compare_cmd import executor_options, progress_bar

MC_FORMATS = ("table", "md", "html", "json")


@click.command("montecarlo")
@options(
    click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Scenario YAML file with an uncertainty block."),
    click.option(
        "--plan",
        "plan_file",
        type=click.Path(dir_okay=False),
        help="A plan's JSON (plan --format json) to hold fixed (default: plan the scenario first).",
    ),
    click.option("--samples", type=click.IntRange(min=1, max=10_000_000), default=1000, show_default=True, help="Sampled worlds."),
    click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the sampling (same seed, same worlds)."),
    click.option(
        "--operation",
        type=click.Choice(["planned", "adapt"]),
        default="planned",
        show_default=True,
        help="planned: the plan's volumes capped by each world's supply; adapt: the same hardware re-run to keep the floor.",
    ),
    click.option("--replan", is_flag=True, help="Also plan each world from scratch and show how often each item is chosen."),
    scenario_flags,
    executor_options,
    catalog_option,
    offers_option,
    format_option(MC_FORMATS),
    output_option,
    force_option,
    age_option,
    quiet_option,
)
@translate_errors
def montecarlo_command(**o: Any) -> None:
    """Evaluate a fixed plan in worlds sampled from the scenario's uncertainty block.

    \b
    plan montecarlo --scenario examples/uncertain-mid-size-lab.yaml --samples 10000
    plan montecarlo --scenario examples/uncertain-mid-size-lab.yaml --plan plan.json --format html --output mc.html
    plan montecarlo --scenario examples/uncertain-mid-size-lab.yaml --samples 50 --replan --results worlds.parquet
    """
    from ..executor import make_executor
    from ..montecarlo import checked_draws, montecarlo, write_samples
    from ..report import render_montecarlo
    from ..scenario import load_scenario

    check_outputs(o["output"], [], o["force"])
    if o["retry_failed"] and not o["replan"]:
        raise click.UsageError("--retry-failed re-plans worlds recorded as errors: it needs --replan and --results")
    scenario = load_scenario(o["scenario_file"], flag_overrides(o))
    catalog = load_catalog_quietly(o["catalogs"], o["max_price_age_days"], o["quiet"], o["offers"])
    checked_draws(scenario, catalog, o["samples"], o["seed"])  # a bad block fails before any planning
    fixed = _fixed_plan(o["plan_file"], scenario, catalog)
    executor = make_executor(o["scheduler"], o["jobs"])
    try:
        res = montecarlo(scenario, catalog, fixed, samples=o["samples"], seed=o["seed"], operation=o["operation"], executor=executor)
        if o["replan"]:
            res.replan = _replan(scenario, catalog, executor, o)
        elif o["results"]:
            click.echo(f"wrote {write_samples(res, o['results'], force=o['force'])}", err=True)
    finally:
        executor.close()
    emit(render_montecarlo(res, infer_format(o["fmt"], o["output"], MC_FORMATS)), o["output"], o["force"])


def _fixed_plan(plan_file: str | None, scenario: Any, catalog: Any) -> Any:
    """The plan to hold fixed: the --plan JSON file, or the scenario's own plan."""
    from ..montecarlo import FixedPlan

    if plan_file is None:
        from ..planning import plan

        return FixedPlan.from_plan(plan(scenario, catalog, marginals=False))
    import json

    from hwcatalog.safeio import read_text

    from ..errors import ScenarioError
    from ..limits import MAX_SCENARIO_BYTES

    text = read_text(plan_file, what="a plan's JSON file", max_bytes=50 * MAX_SCENARIO_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not JSON: {exc.msg} (line {exc.lineno})", file=plan_file) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a plan's JSON object (plan --format json)", file=plan_file)
    return FixedPlan.from_dict(data, file=plan_file)


def _replan(scenario: Any, catalog: Any, executor: Any, o: dict[str, Any]) -> dict[str, Any]:
    """Plan every world (streamed to --results when given) and tally the items chosen."""
    from ..replan import replan
    from ..results_store import ResultStore

    store = ResultStore(o["results"], retry_failed=o["retry_failed"]) if o["results"] else None
    with progress_bar(o["samples"], enabled=not o["quiet"]) as advance:
        return replan(scenario, catalog, o["samples"], o["seed"], executor=executor, store=store, progress=advance)
