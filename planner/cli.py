"""Command line: parse, call the library, map typed errors to messages and exit codes.

Exit codes (contract): 0 plan found, 1 bad input, 2 usage, 3 infeasible, 4 solver failure.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from hwcatalog import CatalogError, load_catalog, select, validate_file
from hwcatalog.catalog import DEFAULT_MAX_PRICE_AGE_DAYS, Catalog

from . import __version__
from .collapse import parse_schedule, recommend_floor, simulate
from .compare import compare, grid, parse_vary
from .errors import InfeasiblePlan, PlannerError, ScenarioError, SolverError
from .export import write_comparison_export, write_export
from .output import check_writable, write_atomic
from .plan import plan as run_plan
from .report import FORMATS, render_collapse, render_comparison, render_plan, render_recommendation, texttable
from .scenario import Scenario, load_scenario, parse_money
from .serialize import clean

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
DEFAULT_COLLAPSE_SAMPLES = 100
DEFAULT_COLLAPSE_TOLERANCE = 0.05
DEFAULT_COLLAPSE_ALPHAS = (0.0, 0.01, 0.1, 0.5)

F = TypeVar("F", bound=Callable[..., Any])


class PlanError(click.ClickException):
    """A library error as a one-line CLI message with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it per instance


def translate_errors(fn: F) -> F:
    """Map the library's typed errors to one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InfeasiblePlan as exc:
            raise PlanError(f"infeasible: {exc}", EXIT_INFEASIBLE) from None
        except SolverError as exc:
            raise PlanError(f"solver failure: {exc}", EXIT_SOLVER) from None
        except (ScenarioError, CatalogError) as exc:
            raise PlanError(str(exc), EXIT_INPUT) from None
        except PlannerError as exc:
            raise PlanError(str(exc), exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _split_ids(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


_POWER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(kw|mw|gw)?\s*$", re.IGNORECASE)


def parse_power_kw(text: str) -> float:
    """``20000``, ``20000kW``, ``20MW``, ``1.5GW`` -> kW."""
    m = _POWER.match(text)
    if not m:
        raise click.BadParameter(f"expected a power like 20000, 20MW or 500kW, got {text!r}")
    unit = (m.group(2) or "kw").lower()
    value = float(m.group(1)) * {"kw": 1.0, "mw": 1e3, "gw": 1e6}[unit]
    if value <= 0:
        raise click.BadParameter(f"expected a positive power, got {text!r}")
    return value


def _budget(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_money(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _power(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    return None if value is None else parse_power_kw(value)


def _alpha(ctx: click.Context, param: click.Parameter, value: str | None) -> float | str | None:
    if value is None or value == "auto":
        return value
    try:
        a = float(value)
    except ValueError:
        raise click.BadParameter(f"expected a number in [0, 1] or 'auto', got {value!r}") from None
    if not 0.0 <= a <= 1.0:
        raise click.BadParameter(f"expected a number in [0, 1], got {value!r}")
    return a


def _load_catalog(paths: Iterable[str], max_age: int | None) -> Catalog:
    return load_catalog(list(paths), max_price_age_days=max_age)


def _warn(messages: Iterable[str], quiet: bool) -> None:
    if quiet:
        return
    for m in messages:
        click.echo(f"warning: {m}", err=True)


def _emit(text: str, output: str | None, force: bool) -> None:
    if output:
        path = write_atomic(output, text, force=force)
        click.echo(f"wrote {path}", err=True)
    else:
        click.echo(text, nl=False)


catalog_option = click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Overlay file (CSV or YAML) merged over the bundled catalog; repeatable.",
)
age_option = click.option(
    "--max-price-age-days",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_PRICE_AGE_DAYS,
    show_default=True,
    help="Warn about prices older than this.",
)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--budget", callback=_budget, metavar="USD", help="Budget cap on capex + opex: 5e9, 5B, $750M.")
@click.option("--alpha-floor", callback=_alpha, metavar="FLOAT", help="Least exogenous share of training tokens, in [0, 1].")
@click.option("--objective", type=click.Choice(["min-cost", "max-progress"]), help="Objective (default from the scenario).")
@click.option("--horizon", type=click.FloatRange(min=0, min_open=True, max=10), metavar="YEARS", help="Planning horizon in years.")
@click.option("--power-cap", callback=_power, metavar="POWER", help="Facility power cap: 20MW, 500kW or a number of kW.")
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Scenario YAML file (defaults fill what it omits).")
@catalog_option
@click.option("--only", multiple=True, metavar="ID", help="Plan only with these catalog ids (repeat or comma-separate).")
@click.option("--exclude", multiple=True, metavar="ID", help="Never buy these catalog ids (repeat or comma-separate).")
@click.option("--solver", type=click.Choice(["cbc", "highs"]), help="MILP solver (default cbc).")
@click.option(
    "--collapse-samples",
    type=click.IntRange(min=2),
    default=DEFAULT_COLLAPSE_SAMPLES,
    show_default=True,
    help="With --alpha-floor auto: samples per refit n.",
)
@click.option(
    "--collapse-tolerance",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=DEFAULT_COLLAPSE_TOLERANCE,
    show_default=True,
    help="With --alpha-floor auto: tolerated long-run loss of diversity D.",
)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True, help="Report format.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file (atomically).")
@click.option(
    "--export", "exports", multiple=True, type=click.Path(dir_okay=False), help="Procurement export: FILE.xlsx or FILE.csv (repeatable)."
)
@click.option("--force", is_flag=True, help="Overwrite --output and --export files if they exist.")
@age_option
@click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr.")
@click.version_option(__version__, prog_name="plan")
@click.pass_context
@translate_errors
def cli(ctx: click.Context, **opts: Any) -> None:
    """Turn a budget into a grounded AI-hardware plan.

    \b
    plan --budget 5e9                          plan on the bundled defaults
    plan --scenario examples/mid-size-lab.yaml --format html --output plan.html
    plan catalog list --category accelerator   what the catalog holds
    """
    if ctx.invoked_subcommand is not None:
        return
    run_plan_command(**opts)


def scenario_overrides(
    *,
    budget: float | None = None,
    alpha_floor: float | str | None = None,
    objective: str | None = None,
    horizon: float | None = None,
    power_cap: float | None = None,
    only: Iterable[str] = (),
    exclude: Iterable[str] = (),
    solver: str | None = None,
) -> dict[str, Any]:
    """CLI flags as a nested scenario override dict (only flags that were given)."""
    o: dict[str, Any] = {}
    if budget is not None:
        o["budget_usd"] = budget
    if alpha_floor is not None and alpha_floor != "auto":
        o["alpha_floor"] = alpha_floor
        o["alpha_floor_basis"] = "--alpha-floor"
    if objective is not None:
        o["objective"] = objective
    if horizon is not None:
        o["horizon_years"] = horizon
    if power_cap is not None:
        o.setdefault("facility", {})["power_cap_kw"] = power_cap
    only_ids, exclude_ids = _split_ids(only), _split_ids(exclude)
    if only_ids:
        o.setdefault("catalog", {})["only"] = only_ids
    if exclude_ids:
        o.setdefault("catalog", {})["exclude"] = exclude_ids
    if solver is not None:
        o["solver"] = solver
    return o


def run_plan_command(**opts: Any) -> None:
    _check_outputs(opts)
    recommendation = None
    if opts["alpha_floor"] == "auto":
        recommendation = recommend_floor(opts["collapse_samples"], opts["collapse_tolerance"])
        if recommendation.alpha_floor is None:
            raise ScenarioError(
                f"--alpha-floor auto: no alpha <= 1 keeps the long-run loss of diversity at or below "
                f"{opts['collapse_tolerance']:g} with {opts['collapse_samples']} samples per refit "
                f"(least possible {recommendation.min_loss:.4g}); raise --collapse-tolerance or --collapse-samples",
                field="alpha_floor",
            )
    overrides = scenario_overrides(
        budget=opts["budget"],
        alpha_floor=opts["alpha_floor"],
        objective=opts["objective"],
        horizon=opts["horizon"],
        power_cap=opts["power_cap"],
        only=opts["only"],
        exclude=opts["exclude"],
        solver=opts["solver"],
    )
    if recommendation is not None:
        overrides["alpha_floor"] = recommendation.alpha_floor
        overrides["alpha_floor_basis"] = recommendation.basis
    scenario = load_scenario(opts["scenario_file"], overrides)
    catalog = _load_catalog(opts["catalogs"], opts["max_price_age_days"])
    _warn(catalog.warnings, opts["quiet"])
    result = run_plan(scenario, catalog)
    for path in opts["exports"]:
        click.echo(f"wrote {write_export(result, path, force=opts['force'])}", err=True)
    _emit(render_plan(result, opts["fmt"]), opts["output"], opts["force"])


# -------------------------------------------------------------------------------------------- catalog


@cli.group()
def catalog() -> None:
    """Inspect and validate the hardware catalog."""


CATALOG_JSON_KEYS = ("id", "name", "vendor", "category", "kind", "availability", "experimental", "description")


def catalog_records(cat: Catalog, items: Any) -> list[dict[str, Any]]:
    """JSON objects for ``catalog list``: item fields, every non-missing attribute, sources."""
    out = []
    attrs = list(cat.schema.attributes)
    for item_id, row in items.iterrows():
        rec: dict[str, Any] = {k: row[k] for k in CATALOG_JSON_KEYS}
        for a in attrs:
            v = row.get(a)
            if v is not None and not (isinstance(v, float) and v != v):
                rec[a] = v
        for a in ("price_usd", "power_kw", "bf16_tflops", "fp8_tflops", "hbm_gb", "hbm_tbps"):
            if a in ("bf16_tflops", "fp8_tflops", "hbm_gb", "hbm_tbps") and row["category"] != "accelerator":
                continue
            rec.setdefault(a, None)
        rec["sources"] = {
            a: {k: s[k] for k in ("source", "source_date", "basis", "origin", "currency_year", "note")}
            for a, s in cat.sources(str(item_id)).items()
        }
        out.append(clean(rec))
    return out


@catalog.command("list")
@click.option(
    "--category",
    type=click.Choice(["accelerator", "verification", "memory", "audit"]),
    multiple=True,
    help="Filter by category (repeatable).",
)
@click.option("--vendor", multiple=True, help="Filter by vendor, case-insensitive (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@catalog_option
@age_option
@click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr.")
@translate_errors
def catalog_list(
    category: tuple[str, ...], vendor: tuple[str, ...], fmt: str, catalogs: tuple[str, ...], max_price_age_days: int, quiet: bool
) -> None:
    """List catalog items (dense FLOP/s, no sparsity)."""
    cat = _load_catalog(catalogs, max_price_age_days)
    _warn(cat.warnings, quiet)
    items = select(cat.items, category=category or None, vendor=vendor or None)
    if fmt == "json":
        click.echo(json.dumps(catalog_records(cat, items), indent=2))
    elif fmt == "csv":
        click.echo(items.to_csv(index=False), nl=False)
    else:
        rows = []
        for item_id, r in items.iterrows():
            estimates = cat.figures[(cat.figures["item_id"] == item_id) & (cat.figures["basis"] == "estimate")]
            rows.append(
                {
                    "id": item_id,
                    "vendor": r["vendor"],
                    "category": r["category"],
                    "kind": r["kind"],
                    "bf16": _fmt(r.get("bf16_tflops")),
                    "fp8": _fmt(r.get("fp8_tflops")),
                    "hbm": _fmt(r.get("hbm_gb")),
                    "tbps": _fmt(r.get("hbm_tbps")),
                    "kw": _fmt(r.get("power_kw")),
                    "price": _fmt(r.get("price_usd")),
                    "est": f"{len(estimates)}",
                    "avail": r["availability"],
                }
            )
        cols = [
            ("id", "id"),
            ("vendor", "vendor"),
            ("category", "category"),
            ("kind", "kind"),
            ("bf16", "BF16 TFLOPS"),
            ("fp8", "FP8 TFLOPS"),
            ("hbm", "HBM GB"),
            ("tbps", "HBM TB/s"),
            ("kw", "power kW"),
            ("price", "price USD"),
            ("est", "estimates"),
            ("avail", "availability"),
        ]
        click.echo(texttable(rows, cols, f"{len(rows)} items (dense FLOP/s; 'estimates' = figures without a public source)"))


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{v:,.6g}" if isinstance(v, float) else str(v)


@catalog.command("show")
@click.argument("item_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@catalog_option
@age_option
@click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr.")
@translate_errors
def catalog_show(item_id: str, fmt: str, catalogs: tuple[str, ...], max_price_age_days: int, quiet: bool) -> None:
    """Every figure of one item with its unit, basis, source, date and origin."""
    cat = _load_catalog(catalogs, max_price_age_days)
    _warn([w for w in cat.warnings if item_id in w], quiet)
    row = cat.item(item_id)
    sources = cat.sources(item_id)
    if fmt == "json":
        rec = {k: row[k] for k in CATALOG_JSON_KEYS}
        rec["figures"] = sources
        click.echo(json.dumps(clean(rec), indent=2))
        return
    click.echo(f"{row['name']} ({item_id}) | {row['vendor']} | {row['category']}/{row['kind']} | {row['availability']}")
    click.echo(row["description"])
    rows = [
        {
            "attr": a,
            "value": _fmt(s["value"]) if not isinstance(s["value"], str) else s["value"],
            "unit": s["unit"],
            "basis": s["basis"],
            "date": s["source_date"],
            "origin": s["origin"],
            "source": s["source"] + (f" | {s['note']}" if s["note"] else ""),
        }
        for a, s in sources.items()
    ]
    click.echo(
        texttable(
            rows,
            [
                ("attr", "attribute"),
                ("value", "value"),
                ("unit", "unit"),
                ("basis", "basis"),
                ("date", "date"),
                ("origin", "origin"),
                ("source", "source / note"),
            ],
        )
    )


@catalog.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@translate_errors
def catalog_validate(file: str) -> None:
    """Validate an overlay file (CSV or YAML) against the bundled catalog."""
    n = validate_file(file)
    click.echo(f"{file}: ok ({n} records)")


# -------------------------------------------------------------------------------------------- comparisons


def _comparison_options(fn: F) -> F:
    for deco in reversed(
        [
            click.option("--baseline", help="Name of the baseline scenario (default: the first)."),
            catalog_option,
            click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True),
            click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file (atomically)."),
            click.option("--export", "exports", multiple=True, type=click.Path(dir_okay=False), help="Export, .xlsx or .csv (repeatable)."),
            click.option("--force", is_flag=True, help="Overwrite --output and --export files if they exist."),
            age_option,
            click.option("--quiet", "-q", is_flag=True, help="No warnings on stderr."),
        ]
    ):
        fn = deco(fn)
    return fn


def _finish_comparison(comp: Any, o: dict[str, Any]) -> None:
    for path in o["exports"]:
        for written in write_comparison_export(comp, path, force=o["force"]):
            click.echo(f"wrote {written}", err=True)
    _emit(render_comparison(comp, o["fmt"]), o["output"], o["force"])


def _check_outputs(o: dict[str, Any]) -> None:
    for path in [o["output"], *o["exports"]]:
        if path:
            check_writable(path, force=o["force"])
    for path in o["exports"]:
        if not path.lower().endswith((".xlsx", ".csv")):
            raise click.BadParameter(f"{path}: expected a .xlsx or .csv file", param_hint="--export")


@cli.command("compare")
@click.argument("scenario_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_comparison_options
@translate_errors
def compare_command(scenario_files: tuple[str, ...], **o: Any) -> None:
    """Plan several scenario files and compare them side by side.

    \b
    plan compare examples/mid-size-lab.yaml lab-b.yaml --format html --output cmp.html
    """
    _check_outputs(o)
    catalog = _load_catalog(o["catalogs"], o["max_price_age_days"])
    _warn(catalog.warnings, o["quiet"])
    scenarios: list[tuple[str, Scenario, dict[str, Any]]] = []
    for f in scenario_files:
        s = load_scenario(f)
        scenarios.append((s.name, s, {}))
    _finish_comparison(compare(scenarios, catalog, baseline=o["baseline"], kind="compare"), o)


@cli.command("whatif")
@click.option(
    "--vary", "varies", multiple=True, required=True, metavar="FIELD=V1,V2", help="Scenario field and its values; repeat for a grid."
)
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Base scenario (defaults fill what it omits).")
@_comparison_options
@translate_errors
def whatif_command(varies: tuple[str, ...], scenario_file: str | None, **o: Any) -> None:
    """Run a grid over scenario fields (any dotted field; aliases budget, horizon, power_cap, alpha).

    \b
    plan whatif --vary alpha_floor=0,0.1,0.2 --vary budget=1e9,5e9
    """
    _check_outputs(o)
    base = load_scenario(scenario_file)
    catalog = _load_catalog(o["catalogs"], o["max_price_age_days"])
    _warn(catalog.warnings, o["quiet"])
    points = grid(base, [parse_vary(v) for v in varies])
    _finish_comparison(compare(points, catalog, baseline=o["baseline"], kind="whatif"), o)


# -------------------------------------------------------------------------------------------- collapse


@cli.command()
@click.option("--family", type=click.Choice(["gaussian", "categorical"]), default="gaussian", show_default=True)
@click.option(
    "--alpha",
    "alphas",
    multiple=True,
    type=click.FloatRange(0, 1),
    help="Constant exogenous share; repeat to compare (default 0, 0.01, 0.1, 0.5).",
)
@click.option(
    "--schedule",
    "schedules",
    multiple=True,
    help="alpha_t schedule: const:A, exp:A0,R, linear:A0,T0, harmonic:A0, cyclic:A,P,ON, list:A1,A2,...",
)
@click.option("--samples", type=click.IntRange(min=2), default=DEFAULT_COLLAPSE_SAMPLES, show_default=True, help="Samples per refit n.")
@click.option("--generations", type=click.IntRange(min=1, max=100000), default=200, show_default=True)
@click.option("--runs", type=click.IntRange(min=1, max=10_000_000), default=2000, show_default=True, help="Independent runs.")
@click.option("--estimator", type=click.Choice(["mle", "unbiased"]), default="mle", show_default=True, help="Gaussian variance estimator.")
@click.option("--mode", type=click.Choice(["replace", "accumulate"]), default="replace", show_default=True)
@click.option("--zipf-k", type=click.IntRange(min=2, max=1_000_000), default=100, show_default=True, help="Categorical: symbols K.")
@click.option("--zipf-s", type=click.FloatRange(min=0), default=1.1, show_default=True, help="Categorical: Zipf exponent s.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--recommend", is_flag=True, help="Print the smallest alpha floor meeting --tolerance (gaussian, MLE, closed form).")
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    help="With --recommend: tolerated long-run loss of diversity D.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@translate_errors
def collapse(**o: Any) -> None:
    """Simulate recursive self-training and recommend an alpha floor.

    \b
    plan collapse --alpha 0 --alpha 0.1 --samples 100 --generations 200
    plan collapse --family categorical --schedule exp:0.5,0.95 --format html --output c.html
    plan collapse --recommend --samples 100 --tolerance 0.05
    """
    if o["output"]:
        check_writable(o["output"], force=o["force"])
    if o["recommend"]:
        if o["tolerance"] is None:
            raise click.UsageError("--recommend needs --tolerance D (the tolerated long-run loss of diversity, in (0, 1))")
        if o["fmt"] == "html":
            raise click.UsageError("--recommend prints table or json")
        _emit(render_recommendation(recommend_floor(o["samples"], o["tolerance"]), o["fmt"]), o["output"], o["force"])
        return
    plans: list[tuple[list[float], float | list[float], str | None]] = []
    for text in o["schedules"]:
        try:
            a = parse_schedule(text, o["generations"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--schedule") from None
        plans.append((a, a, text))
    alphas = o["alphas"] or (() if o["schedules"] else DEFAULT_COLLAPSE_ALPHAS)
    for alpha in alphas:
        plans.append(([alpha] * o["generations"], alpha, None))
    results = [
        simulate(
            o["family"],
            a,
            samples=o["samples"],
            runs=o["runs"],
            estimator=o["estimator"],
            mode=o["mode"],
            seed=o["seed"],
            zipf_k=o["zipf_k"],
            zipf_s=o["zipf_s"],
            alpha_label=label,
            schedule=sched,
        )
        for a, label, sched in plans
    ]
    _emit(render_collapse(results, o["fmt"]), o["output"], o["force"])


def main() -> None:  # pragma: no cover - console entry point
    cli(prog_name="plan")


if __name__ == "__main__":  # pragma: no cover
    main()
