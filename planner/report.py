"""Rendering: the one Jinja2 environment, its filters, and the charts.

Templates live in the repository's ``templates/`` folder and ship inside the package as
``planner.templates``. Undefined variables are errors (StrictUndefined); HTML is autoescaped.
Reports compute nothing the LP did not decide: they format a :class:`Plan` (or its dict).
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    import jinja2

from .charts import (
    ROLE_COLOURS,
    SERIES_LABELS,
    chart_alpha,
    chart_alpha_by_period,
    chart_fleet_by_period,
    chart_grounding,
    chart_series,
    chart_speedup,
    chart_spend_across,
    chart_spend_by_period,
    chart_spend_by_role,
)
from .escape import markdown, terminal
from .present import FILTERS, count, num, plan_tables, tokens, usd, usd_short
from .serialize import clean

FORMATS = ("table", "md", "html", "json")
_EXT = {"table": "txt", "md": "md", "html": "html"}


def _templates_dir() -> Path:
    """The templates folder: the installed ``planner.templates`` package, or the checkout's."""
    try:
        path = Path(str(resources.files("planner.templates")))
        if (path / "plan.md.j2").exists():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def terminal_width(default: int = 140) -> int:
    """Columns of the terminal (``COLUMNS`` or the tty), ``default`` when unknown."""
    import shutil

    return max(60, shutil.get_terminal_size((default, 24)).columns)


def natural_width(rows: list[dict[str, Any]], columns: list[tuple[str, str]], last_column_max: int = 60) -> int:
    """Columns a table needs without breaking a cell (the last, free-text column counted up to
    ``last_column_max``), borders and padding included."""
    need = [max([len(label)] + [len(terminal(r.get(k, ""))) for r in rows]) for k, label in columns]
    if need:
        need[-1] = min(need[-1], last_column_max)
    return sum(need) + 3 * len(need) + 1


def texttable(
    rows: list[dict[str, Any]], columns: list[tuple[str, str]] | None = None, title: str | None = None, width: int | None = None
) -> str:
    """Render rows as an aligned terminal table (rich). Cells never break mid-word nor get cut: only
    the last column wraps (at spaces); a table wider than the terminal keeps its natural width.
    Cells are plain text: control characters are removed and rich markup is never interpreted
    (:func:`planner.escape.terminal`)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    columns = columns or [(k, k) for k in (rows[0].keys() if rows else [])]
    table = Table(title=None if title is None else Text(terminal(title)), show_lines=False, header_style="bold", title_justify="left")
    for i, (_, label) in enumerate(columns):
        last = i == len(columns) - 1
        table.add_column(Text(terminal(label)), overflow="fold" if last else "ignore", no_wrap=not last)
    for r in rows:
        table.add_row(*[Text(terminal(r.get(k, ""))) for k, _ in columns])
    buf = io.StringIO()
    width = max(width or terminal_width(), natural_width(rows, columns))
    Console(file=buf, width=width, force_terminal=False, color_system=None).print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().rstrip("\n").splitlines())


def _finalizer(kind: str) -> Any:
    """Jinja2 ``finalize`` per format: every expression printed passes the format's escaping."""
    if kind == "md":
        return lambda v: markdown(v) if isinstance(v, str) and not isinstance(v, Markup) else v
    if kind == "txt":
        return lambda v: terminal(v) if isinstance(v, str) else v
    return None


@lru_cache(maxsize=4)
def environment(kind: str) -> jinja2.Environment:
    """The Jinja2 environment for ``html`` (autoescape), ``md`` or ``txt`` templates (Jinja2 is
    imported here, so JSON output never loads it)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "html",
        finalize=_finalizer(kind),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS, texttable=texttable)
    return env


def render_template(name: str, **context: Any) -> str:
    env = environment(name.rsplit(".", 2)[-2])
    return env.get_template(name).render(**context)


# -------------------------------------------------------------------------------------------- plans


def plan_context(plan: Any) -> dict[str, Any]:
    """Template context for a plan: the JSON dict (the contract) and its tables as text rows."""
    return {"p": plan.to_dict(), **plan_tables(plan)}


def plan_charts(plan: Any) -> dict[str, Any]:
    """The plan report's three SVG charts: spend by role, speedup curve, alpha against the floor;
    a periodised plan adds three over its periods (:func:`period_charts`)."""
    c = plan.curve
    curve = {"breakpoints": c.breakpoints, "values": c.values, "exact": c.exact, "law": c.law}
    return {
        "spend": chart_spend_by_role(plan.spend_by_role_usd),
        "speedup": chart_speedup(curve, plan.agents, plan.speedup),
        "alpha": chart_alpha(plan.alpha, plan.alpha_floor),
        **period_charts(plan),
    }


def period_charts(plan: Any) -> dict[str, Any]:
    """Fleet, spend and alpha against the floor per period; none for a one-period plan."""
    if not plan.periods:
        return {}
    periods = list(plan.periods)
    return {
        "fleet_periods": chart_fleet_by_period(periods),
        "spend_periods": chart_spend_by_period(periods, plan.cost_usd.view),
        "alpha_periods": chart_alpha_by_period(periods),
    }


def render_plan(plan: Any, fmt: str, *, timings: bool = False) -> str:
    """Render a plan as ``table``, ``md``, ``html`` or ``json`` (``timings`` adds wall-clock seconds to JSON)."""
    if fmt == "json":
        return json.dumps(plan.to_dict(timings=timings), indent=2, sort_keys=False) + "\n"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx = plan_context(plan)
    if fmt == "html":
        ctx["charts"] = plan_charts(plan)
    return render_template(f"plan.{_EXT[fmt]}.j2", **ctx)


# -------------------------------------------------------------------------------------------- collapse


def collapse_rows(res: Any) -> list[dict[str, str]]:
    """Rows of selected generations (0, 1, 2, 5, 10, 20, 50, 100, ..., last) for the text table."""
    T = res.generations
    picks = sorted({g for g in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if g <= T} | {T})
    rows = []
    for g in picks:
        row = {"generation": str(g), "alpha_eff": "" if g == 0 else f"{res.effective_alpha[g - 1]:.4g}"}
        for key, values in res.series.items():
            row[key] = f"{values[g]:.5g}"
        rows.append(row)
    return rows


def render_collapse(results: list[Any], fmt: str) -> str:
    """Render simulations: ``json`` (object for one, array for several), ``table``, ``html``."""
    if fmt == "json":
        data = [r.to_dict() for r in results]
        return json.dumps(data[0] if len(data) == 1 else data, indent=2) + "\n"
    if fmt == "table":
        return render_template("collapse.txt.j2", results=results, rows=[collapse_rows(r) for r in results], labels=SERIES_LABELS)
    if fmt == "html":
        keys = list(results[0].series)
        charts = {k: chart_series(results, k) for k in keys}
        return render_template("collapse.html.j2", results=results, charts=charts, labels=SERIES_LABELS)
    raise ValueError(f"unknown format {fmt!r}; expected table, json or html")


def render_recommendation(rec: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rec.to_dict(), indent=2) + "\n"
    return render_template("recommend.txt.j2", r=rec.to_dict())


# -------------------------------------------------------------------------------------------- comparisons


def comparison_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Formatted cells per scenario for the text and Markdown comparison tables."""
    out = []
    for r in rows:
        ok = r.get("status") != "infeasible"
        cell = {
            "name": r["name"] + (" (baseline)" if r.get("baseline") else ""),
            "status": r.get("status") or "",
            "progress": num(r.get("objective_value"), 5) if ok and r.get("objective") == "max-progress" else "",
            "total": usd(r.get("total_usd")) if ok else "",
            "delta": usd(r.get("delta_total_usd")) if ok and r.get("delta_total_usd") is not None else "",
            "alpha": num(r.get("alpha"), 4) if ok else "",
            "agents": count(r.get("agents")) if ok else "",
            "speedup": num(r.get("speedup"), 4) if ok else "",
            "owned": usd_short(r.get("owned_usd")) if ok else "",
            "rented": usd_short(r.get("rented_usd")) if ok else "",
        }
        for role in ROLE_COLOURS:
            cell[role] = usd_short(r.get(f"{role}_usd")) if ok else ""
        out.append(cell)
    return out


def progress_unit_warning(comp: Any) -> str | None:
    """A warning when max-progress scenarios measure progress in different units
    (progress.tokens_per_unit differs), so their progress figures are not comparable."""
    units = {r.name: r.scenario.progress.tokens_per_unit for r in comp.runs if r.scenario.objective == "max-progress"}
    if len(set(units.values())) < 2:
        return None
    listed = ", ".join(f"{n}: {tokens(v)} tokens per unit" for n, v in units.items())
    return f"progress units differ (progress.tokens_per_unit: {listed}); progress figures are not comparable across these scenarios"


def comparison_context(comp: Any) -> dict[str, Any]:
    data = comp.to_dict()
    rows = [clean(r) for r in comp.table().to_dict("records")]
    return {
        "c": data,
        "rows": rows,
        "table_rows": comparison_rows(rows),
        "grounding": data["price_of_grounding"],
        "roles": list(ROLE_COLOURS),
        "unit_warning": progress_unit_warning(comp),
        "period_rows": period_delta_rows(data.get("period_deltas", [])),
    }


def period_delta_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Formatted cells of the per-period deltas (planner.compare.period_deltas)."""

    def signed(v: Any, fmt: Any) -> str:
        if v is None:
            return ""
        text = fmt(v)
        return ("+" if v > 0 and any(ch in "123456789" for ch in text) else "") + text

    return [
        {
            "name": r["name"],
            "period": f"{r['period'] + 1} ({r['start']})",
            "alpha": f"{num(r['alpha'], 4)} / {num(r['alpha_floor'], 4)}",
            "cost": usd(r["cost_usd"]),
            "d_cost": signed(r["delta_cost_usd"], usd),
            "progress": num(r["progress"], 5) if r["progress"] is not None else "",
            "d_progress": signed(r["delta_progress"], lambda v: num(v, 4)),
            "units": count(r["units"]),
            "d_units": signed(r["delta_units"], count),
            "d_alpha": signed(r["delta_alpha"], lambda v: num(v, 4)),
        }
        for r in rows
    ]


def render_comparison(comp: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(comp.to_dict(), indent=2) + "\n"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx = comparison_context(comp)
    if fmt == "html":
        ctx["charts"] = {"spend": chart_spend_across(comp), "grounding": chart_grounding(comp.grounding)}
    return render_template(f"compare.{_EXT[fmt]}.j2", **ctx)


# -------------------------------------------------------------------------------------------- Monte Carlo


def montecarlo_rows(d: dict[str, Any]) -> list[dict[str, str]]:
    """Distribution rows (mean, p5, p50, p95) of cost, progress, alpha, training tokens and agents."""
    formats = {"cost_usd": usd, "progress": lambda v: num(v, 5), "alpha": lambda v: num(v, 4), "training_tokens": tokens, "agents": count}
    labels = {
        "cost_usd": "cost (USD)",
        "progress": "progress (x)",
        "alpha": "alpha",
        "training_tokens": "training tokens",
        "agents": "agents",
    }
    rows = []
    for key, fmt in formats.items():
        st = d[key]
        plan_value = d["plan"].get(key) if key in d["plan"] else None
        rows.append(
            {
                "output": labels[key],
                "plan": "" if plan_value is None else fmt(plan_value),
                **{k: "" if st[k] is None else fmt(st[k]) for k in ("mean", "p5", "p50", "p95")},
            }
        )
    return rows


def sensitivity_rows(d: dict[str, Any]) -> list[dict[str, str]]:
    def rho(v: Any) -> str:
        return "" if v is None else f"{v:+.2f}"

    return [
        {
            "input": s["input"],
            "distribution": s["dist"],
            "cost": rho(s["cost_usd"]),
            "progress": rho(s["progress"]),
            "alpha": rho(s["alpha"]),
            "basis": (s["note"] or "no basis given") + ("" if s["direct"] else " (acts on no item of the plan: through correlations only)"),
        }
        for s in d["sensitivity"]
    ]


def render_montecarlo(res: Any, fmt: str) -> str:
    """Render a Monte Carlo result as ``table``, ``md``, ``html`` or ``json``."""
    d = res.to_dict()
    if fmt == "json":
        return json.dumps(d, indent=2) + "\n"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx: dict[str, Any] = {"d": d, "rows": montecarlo_rows(d), "sens": sensitivity_rows(d)}
    if fmt == "html":
        from .charts import chart_histogram, chart_tornado

        o = res.outcomes
        headline = "progress" if res.plan.progress is not None and res.scenario_objective == "max-progress" else "cost_usd"
        ctx["charts"] = {
            "tornado": chart_tornado(d["sensitivity"], headline),
            "cost": chart_histogram(o.cost_usd, "Cost in the sampled worlds", "cost (USD)", d["budget_usd"], "budget"),
            "progress": chart_histogram(o.progress, "Progress in the sampled worlds", "progress (x)", res.plan.progress, "the plan"),
            "alpha": chart_histogram(o.alpha, "Alpha in the sampled worlds", "alpha (exogenous share)", d["alpha_floor"], "floor"),
        }
    return render_template(f"montecarlo.{_EXT[fmt]}.j2", **ctx)
