"""``plan collapse``: simulate recursive self-training and recommend an alpha floor."""

from __future__ import annotations

from typing import Any

import click

from .common import FiniteFloatRange, alpha_unknown_option, emit, force_option, options, output_option, translate_errors

DEFAULT_COLLAPSE_SAMPLES = 100
MAX_RUN_GENERATIONS = 2_000_000_000  # about 5 minutes of gaussian simulation on one core (4e6 took 0.5-0.9 s in bench/bench_collapse.py)


@click.command("collapse")
@options(
    click.option("--family", type=click.Choice(["gaussian", "categorical"]), default="gaussian", show_default=True),
    click.option(
        "--alpha",
        "alphas",
        multiple=True,
        type=FiniteFloatRange(0, 1),
        help="Constant exogenous share; repeat (default 0, 0.01, 0.1, 0.5).",
    ),
    click.option(
        "--schedule",
        "schedules",
        multiple=True,
        help="alpha_t schedule: const:A, exp:A0,R, linear:A0,T0, harmonic:A0, cyclic:A,P,ON, list:A1,...",
    ),
    click.option("--samples", type=click.IntRange(min=2), default=DEFAULT_COLLAPSE_SAMPLES, show_default=True, help="Samples per refit n."),
    click.option("--generations", type=click.IntRange(min=1, max=100000), default=200, show_default=True),
    click.option("--runs", type=click.IntRange(min=1, max=10_000_000), default=2000, show_default=True, help="Independent runs."),
    click.option(
        "--estimator", type=click.Choice(["mle", "unbiased"]), default="mle", show_default=True, help="Gaussian variance estimator."
    ),
    click.option("--mode", type=click.Choice(["replace", "accumulate"]), default="replace", show_default=True),
    click.option("--zipf-k", type=click.IntRange(min=2, max=1_000_000), default=100, show_default=True, help="Categorical: symbols K."),
    click.option("--zipf-s", type=FiniteFloatRange(min=0), default=1.1, show_default=True, help="Categorical: Zipf exponent s."),
    click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True),
    click.option(
        "--max-steps",
        type=click.IntRange(min=1),
        default=MAX_RUN_GENERATIONS,
        show_default=True,
        help="Largest runs x generations x simulations to start (bounds the time; memory is bounded separately).",
    ),
    click.option("--recommend", is_flag=True, help="Print the smallest alpha floor meeting --tolerance (gaussian, MLE, closed form)."),
    click.option(
        "--tolerance",
        type=FiniteFloatRange(min=0, max=1, min_open=True, max_open=True),
        help="With --recommend: tolerated long-run loss of diversity D.",
    ),
    click.option(
        "--format", "fmt", type=click.Choice(["table", "json", "html"]), help="Format (default: from the --output extension, else table)."
    ),
    click.option(
        "--alpha-from",
        "alpha_from",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Start from the alpha_t measured in training-data manifests (one generation per period; the last value repeats).",
    ),
    alpha_unknown_option,
    output_option,
    force_option,
)
@translate_errors
def collapse_command(**o: Any) -> None:
    """Simulate recursive self-training and recommend an alpha floor.

    \b
    plan collapse --alpha 0 --alpha 0.1 --samples 100 --generations 200
    plan collapse --family categorical --schedule exp:0.5,0.95 --output c.html
    plan collapse --recommend --samples 100 --tolerance 0.05
    """
    from ..report import render_collapse, render_recommendation
    from .common import check_outputs, infer_format

    check_outputs(o["output"], (), o["force"])
    fmt = infer_format(o["fmt"], o["output"], ("table", "json", "html"))
    if o["recommend"]:
        if o["tolerance"] is None:
            raise click.UsageError("--recommend needs --tolerance D (the tolerated long-run loss of diversity, in (0, 1))")
        if fmt == "html":
            raise click.UsageError("--recommend prints table or json")
        from ..collapse import recommend_floor

        try:
            rec = recommend_floor(o["samples"], o["tolerance"])
        except ValueError as exc:
            raise click.BadParameter(str(exc).splitlines()[0][:200]) from None
        emit(render_recommendation(rec, fmt), o["output"], o["force"])
        return
    if o["alpha_from"]:
        emit(_from_manifests(o, fmt), o["output"], o["force"])
        return
    emit(render_collapse(_simulations(o), fmt), o["output"], o["force"])


def _from_manifests(o: dict[str, Any], fmt: str) -> str:
    """Simulate the measured alpha_t history and say whether it is anchored or collapse-prone."""
    import json

    from ..alpha import alpha_series, history_regime, measure
    from ..collapse.runs import run_simulations
    from ..floor import DEFAULT_COLLAPSE_TOLERANCE
    from ..report import render_collapse

    series = alpha_series(measure(list(o["alpha_from"]), unknown=o["alpha_unknown"]))
    if not series:
        raise click.BadParameter("the manifests count no tokens in any period", param_hint="--alpha-from")
    verdict = history_regime(series, o["samples"], o["tolerance"] or DEFAULT_COLLAPSE_TOLERANCE)
    keys = ("samples", "runs", "estimator", "mode", "seed", "zipf_k", "zipf_s")
    sched = "list:" + ",".join(f"{a:.6g}" for a in series)
    results = run_simulations(o["family"], (), (sched,), max(o["generations"], len(series)), **{k: o[k] for k in keys})
    if fmt == "json":
        return json.dumps({"history": verdict.to_dict(), "simulations": [r.to_dict() for r in results]}, indent=2) + "\n"
    header = f"Measured alpha_t history ({len(series)} periods): {verdict.sentence}\n\n"
    body = render_collapse(results, fmt)
    return header + body if fmt == "table" else body.replace("<body>", f"<body><p>{_html(verdict.sentence)}</p>", 1)


def _html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _check_steps(o: dict[str, Any], simulations: int) -> None:
    """Refuse, before any work, more than --max-steps run-generations in all."""
    steps = o["runs"] * o["generations"] * max(1, simulations)
    if steps > o["max_steps"]:
        raise click.BadParameter(
            f"{o['runs']:,} runs x {o['generations']:,} generations x {simulations} simulation(s) = {steps:,} steps, "
            f"more than --max-steps {o['max_steps']:,}",
            param_hint="--runs/--generations",
        )


def _simulations(o: dict[str, Any]) -> list[Any]:
    from ..collapse.runs import DEFAULT_ALPHAS, run_simulations

    _check_steps(o, len(o["schedules"]) + len(o["alphas"] or (() if o["schedules"] else DEFAULT_ALPHAS)))
    keys = ("samples", "runs", "estimator", "mode", "seed", "zipf_k", "zipf_s")
    try:
        return run_simulations(o["family"], o["alphas"], o["schedules"], o["generations"], **{k: o[k] for k in keys})
    except ValueError as exc:
        raise click.BadParameter(str(exc).splitlines()[0][:200]) from None
