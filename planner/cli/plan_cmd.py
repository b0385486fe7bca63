"""``plan run`` (the default command): plan one scenario and report or export it."""

from __future__ import annotations

from typing import Any

import click

from .common import (
    FiniteFloatRange,
    age_option,
    alpha_unknown_option,
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
    warn,
)

PLAN_FORMATS = ("table", "md", "html", "json")


@click.command("run")
@options(
    click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Scenario YAML file (defaults fill what it omits)."),
    scenario_flags,
    click.option("--objective", type=click.Choice(["min-cost", "max-progress"]), help="Objective (default from the scenario)."),
    click.option("--horizon", type=FiniteFloatRange(min=0, min_open=True, max=10), metavar="YEARS", help="Planning horizon in years."),
    catalog_option,
    offers_option,
    format_option(PLAN_FORMATS),
    output_option,
    export_option,
    force_option,
    click.option(
        "--alpha-from",
        "alpha_from",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Training-data manifest(s) (CSV, JSON Lines or Croissant): check the floor against the measured alpha.",
    ),
    alpha_unknown_option,
    click.option(
        "--alpha-level", type=FiniteFloatRange(0.5, 0.999), default=0.95, show_default=True, help="With --alpha-from: confidence level."
    ),
    click.option(
        "--external-from-manifest",
        is_flag=True,
        help="With --alpha-from: the manifests' human tokens (lower bound when estimated) stand in for data.external_tokens.",
    ),
    click.option(
        "--robust",
        type=click.IntRange(min=1, max=500),
        metavar="S",
        help="One purchase for S worlds sampled from the scenario's uncertainty block (sample average approximation).",
    ),
    click.option(
        "--robust-alpha",
        type=click.Choice(["every", "expected"]),
        default="every",
        show_default=True,
        help="With --robust: the alpha floor in every world, or on the tokens summed over the worlds.",
    ),
    click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="With --robust: seed of the sampled worlds."),
    click.option("--timings", is_flag=True, help="Add wall-clock timings to JSON output (not reproducible run to run)."),
    age_option,
    quiet_option,
)
@translate_errors
def run_command(**o: Any) -> None:
    """Plan one scenario (the default command: `plan --budget 5B` is `plan run --budget 5B`).

    \b
    plan --budget 5e9                          plan on the bundled defaults
    plan --scenario examples/mid-size-lab.yaml --output plan.html
    plan --budget 1e9 --export plan.xlsx --export plan.csv
    plan --scenario examples/uncertain-mid-size-lab.yaml --robust 20
    """
    from ..planning import plan
    from ..report import render_plan
    from ..scenario import load_scenario

    check_outputs(o["output"], o["exports"], o["force"])
    over = flag_overrides(o)
    measurement = _measure(o)
    if measurement is not None and o["external_from_manifest"]:
        from ..alpha import external_tokens_by_period

        over.setdefault("data", {})["external_tokens"] = sum(external_tokens_by_period(measurement, o["alpha_level"]).values())
    scenario = load_scenario(o["scenario_file"], over)
    catalog = load_catalog_quietly(o["catalogs"], o["max_price_age_days"], quiet=True, offers=o["offers"])
    if o["robust"]:
        from ..robust import robust_plan

        result, _ = robust_plan(scenario, catalog, o["robust"], seed=o["seed"], alpha_rule=o["robust_alpha"])
    else:
        result = plan(scenario, catalog)
    warn(result.warnings, o["quiet"])  # only the items this plan considered, once
    if measurement is not None:
        import dataclasses

        from ..alpha.link import measured_alpha_section

        result = dataclasses.replace(result, measured_alpha=measured_alpha_section(result, measurement, o["alpha_level"]))
    if o["exports"]:
        from ..export import write_export

        for path in o["exports"]:
            click.echo(f"wrote {write_export(result, path, force=o['force'])}", err=True)
    fmt = infer_format(o["fmt"], o["output"], PLAN_FORMATS)
    emit(render_plan(result, fmt, timings=o["timings"]), o["output"], o["force"])


def _measure(o: dict[str, Any]) -> Any:
    """The manifests' measurement for --alpha-from, or None."""
    if not o["alpha_from"]:
        if o["external_from_manifest"]:
            raise click.UsageError("--external-from-manifest needs --alpha-from MANIFEST")
        return None
    from ..alpha import measure

    return measure(list(o["alpha_from"]), unknown=o["alpha_unknown"], level=o["alpha_level"])
