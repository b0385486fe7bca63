"""Rendering: the one Jinja2 environment, its filters, and the charts.

Templates live in the repository's ``templates/`` folder and ship inside the package as
``planner.templates``. Undefined variables are errors (StrictUndefined); HTML is autoescaped.
Reports compute nothing the LP did not decide: they format a :class:`Plan` (or its dict).
"""

from __future__ import annotations

import io
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .scenario import scenario_parameters

FORMATS = ("table", "md", "html", "json")
_EXT = {"table": "txt", "md": "md", "html": "html"}
ROLE_COLOURS = {"training": "#4C72B0", "inference": "#DD8452", "verification": "#55A868", "memory": "#8172B3"}


def _templates_dir() -> Path:
    """The templates folder: the installed ``planner.templates`` package, or the checkout's."""
    try:
        path = Path(str(resources.files("planner.templates")))
        if (path / "plan.md.j2").exists():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"


# -------------------------------------------------------------------------------------------- filters


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def usd(x: Any) -> str:
    """``USD 1,234,567`` (whole dollars); ``n/a`` for missing."""
    return f"USD {x:,.0f}" if _finite(x) else "n/a"


def usd_short(x: Any) -> str:
    """``USD 1.23 B`` / ``USD 750.0 M`` / ``USD 12.5 k``."""
    if not _finite(x):
        return "n/a"
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"USD {x / div:,.2f} {suf}"
    return f"USD {x:,.0f}"


def num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits and thousands separators."""
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return str(x)
    if not _finite(x):
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 10**digits or float(x).is_integer():
        return f"{x:,.0f}" if abs(x) < 1e15 else f"{x:.{digits}g}"
    return f"{x:,.{max(0, digits - 1 - math.floor(math.log10(abs(x))))}f}"


def pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if _finite(x) else "n/a"


def tokens(x: Any) -> str:
    """``1.23e12 (1.23 T)`` style token counts."""
    if not _finite(x):
        return "n/a"
    for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.3g} {suf}"
    return f"{x:,.0f}"


def texttable(rows: list[dict[str, Any]], columns: list[tuple[str, str]] | None = None, title: str | None = None, width: int = 140) -> str:
    """Render rows as an aligned terminal table (rich), for the ``table`` format."""
    from rich.console import Console
    from rich.table import Table

    columns = columns or [(k, k) for k in (rows[0].keys() if rows else [])]
    table = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for i, (_, label) in enumerate(columns):
        table.add_column(label, overflow="fold", no_wrap=i == 0)
    for r in rows:
        table.add_row(*[str(r.get(k, "")) for k, _ in columns])
    buf = io.StringIO()
    Console(file=buf, width=width, force_terminal=False, color_system=None).print(table)
    return buf.getvalue().rstrip("\n")


@lru_cache(maxsize=2)
def environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(usd=usd, usd_short=usd_short, num=num, pct=pct, tokens=tokens, texttable=texttable)
    return env


def render_template(name: str, **context: Any) -> str:
    env = environment(name.endswith(".html.j2"))
    return env.get_template(name).render(**context)


# -------------------------------------------------------------------------------------------- charts


def _svg(fig: Any) -> Markup:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    return Markup(text[start:])  # our own matplotlib output, no user text unescaped


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100})
    return plt


def chart_spend_by_role(spend: dict[str, float]) -> Markup:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 2.4))
    roles = list(spend)
    vals = [spend[r] / 1e6 for r in roles]
    ax.barh(roles, vals, color=[ROLE_COLOURS.get(r, "#999") for r in roles])
    for i, v in enumerate(vals):
        ax.text(v, i, f" {v:,.1f}", va="center")
    ax.set_xlabel("USD million (capex + opex)")
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Spend by role")
    return _svg(fig)


def chart_speedup(curve: dict[str, Any], agents: float, counted: float) -> Markup:
    import numpy as np

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    bps = np.asarray(curve["breakpoints"], dtype=float)
    hi = max(bps[-1], agents * 1.5, 2.0)
    grid = np.geomspace(0.5, hi, 300)
    ax.plot(grid, curve["exact"](grid), label=f"{curve['law']} law", color="#4C72B0")
    ax.plot(bps[1:], np.asarray(curve["values"])[1:], "o", ms=2.5, color="#999", label="LP breakpoints")
    ax.plot([max(agents, 0.5)], [counted], "o", color="#C44E52", ms=7, label=f"plan: {agents:,.0f} agents, {counted:,.1f}x")
    ax.set_xscale("log")
    ax.set_xlabel("parallel agents A (log)")
    ax.set_ylabel("research speedup S(A)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower right")
    ax.set_title("Diminishing returns on agents")
    return _svg(fig)


def chart_alpha(alpha: float | None, floor: float) -> Markup:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 1.5))
    a = 0.0 if alpha is None else alpha
    ax.barh(["alpha"], [a], color="#55A868", label=f"achieved {a:.3f}")
    ax.axvline(floor, color="#C44E52", ls="--", label=f"floor {floor:.3f}")
    ax.set_xlim(0, 1)
    ax.set_xlabel("exogenous share of training tokens")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower right", ncol=2)
    ax.set_title("Grounding: alpha against the floor")
    return _svg(fig)


# -------------------------------------------------------------------------------------------- plans


def plan_context(plan: Any) -> dict[str, Any]:
    """Template context for a plan: the JSON dict (the contract) plus its frames as records."""
    data = plan.to_dict()
    caps = plan.capabilities.reset_index(drop=True)
    return {
        "p": data,
        "items": data["items"],
        "symbols": [{k: v for k, v in r.items()} for r in plan.symbols.to_dict("records")],
        "capabilities": [r for r in caps.to_dict("records")],
        "binding": [r for r in data["constraints"] if r["binding"]],
        "scenario": plan.scenario,
        "parameters": scenario_parameters(plan.scenario),
    }


def render_plan(plan: Any, fmt: str) -> str:
    """Render a plan as ``table``, ``md``, ``html`` or ``json``."""
    if fmt == "json":
        return json.dumps(plan.to_dict(), indent=2, sort_keys=False) + "\n"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx = plan_context(plan)
    if fmt == "html":
        c = plan.curve
        ctx["charts"] = {
            "spend": chart_spend_by_role(ctx["p"]["spend_by_role_usd"]),
            "speedup": chart_speedup(
                {"breakpoints": c.breakpoints, "values": c.values, "exact": c.exact, "law": c.law}, plan.agents, plan.speedup["counted"]
            ),
            "alpha": chart_alpha(plan.alpha, plan.alpha_floor),
        }
    return render_template(f"plan.{_EXT[fmt]}.j2", **ctx)


# -------------------------------------------------------------------------------------------- collapse

SERIES_LABELS = {
    "variance_mean": "mean fitted variance",
    "variance_median": "median fitted variance",
    "log_variance_mean": "mean log variance",
    "mean_sq_drift": "mean squared drift of the mean",
    "support_mean": "surviving support (symbols)",
    "entropy_mean": "entropy (nats)",
    "gini_mean": "Gini-Simpson index",
    "missing_mass_mean": "missing true mass",
    "l2_sq_mean": "squared L2 distance to the truth",
}
BAND_OF = {"variance_mean": "variance", "variance_median": "variance", "support_mean": "support", "entropy_mean": "entropy"}


def _label(res: Any) -> str:
    return res.schedule if res.schedule else f"alpha = {res.alpha:g}"


def chart_series(results: list[Any], key: str) -> Markup:
    import numpy as np

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.4, 3.0))
    for res in results:
        y = np.asarray(res.series[key], dtype=float)
        x = np.arange(len(y))
        (line,) = ax.plot(x, y, label=_label(res), lw=1.4)
        band = res.bands.get(BAND_OF.get(key, ""))
        if band and key != "variance_mean":
            ax.fill_between(x, band["p05"], band["p95"], color=line.get_color(), alpha=0.12, lw=0)
    ax.set_xlabel("generation")
    ax.set_title(SERIES_LABELS.get(key, key))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=7)
    return _svg(fig)


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


def chart_spend_across(comp: Any) -> Markup:
    plt = _plt()
    runs = [r for r in comp.runs if r.plan is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * max(1, len(runs))))
    left = [0.0] * len(runs)
    names = [r.name for r in runs]
    for role, colour in ROLE_COLOURS.items():
        vals = [float(r.plan.spend_by_role.set_index("role").at[role, "total_usd"]) / 1e6 for r in runs]
        ax.barh(names, vals, left=left, color=colour, label=role)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("USD million (capex + opex)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, ncol=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.25 - 0.1 / max(1, len(runs))))
    ax.set_title("Spend by role across scenarios")
    return _svg(fig)


def chart_grounding(frame: Any) -> Markup:
    plt = _plt()
    ok = frame[frame["status"] != "infeasible"] if "status" in frame else frame
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    if len(ok):
        minimise = ok["objective"].iloc[0] == "min-cost"
        y = ok["cost_usd"] / 1e6 if minimise else ok["objective_value"]
        ax.plot(ok["alpha_floor"], y, "o-", color="#C44E52")
        ax.set_ylabel("total cost, USD million" if minimise else "progress")
        ax2 = ax.twinx()
        ax2.plot(ok["alpha_floor"], 100 * ok["verification_share"], "s--", color="#55A868", ms=4)
        ax2.set_ylabel("verification share of spend, %", color="#55A868")
    ax.set_xlabel("alpha floor")
    ax.set_title("Price of grounding")
    ax.spines[["top"]].set_visible(False)
    return _svg(fig)


def comparison_rows(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Formatted cells per scenario for the text and Markdown comparison tables."""
    out = []
    for r in rows:
        ok = r.get("status") != "infeasible"
        cell = {
            "name": r["name"] + (" (baseline)" if r.get("baseline") else ""),
            "status": r.get("status") or "",
            "objective": num(r.get("objective_value"), 5) if ok else "",
            "total": usd(r.get("total_usd")) if ok else "",
            "delta": usd(r.get("delta_total_usd")) if ok and r.get("delta_total_usd") is not None else "",
            "alpha": num(r.get("alpha"), 4) if ok else "",
            "agents": num(r.get("agents"), 5) if ok else "",
            "speedup": num(r.get("speedup"), 4) if ok else "",
        }
        for role in ROLE_COLOURS:
            cell[role] = usd_short(r.get(f"{role}_usd")) if ok else ""
        out.append(cell)
    return out


def comparison_context(comp: Any) -> dict[str, Any]:
    data = comp.to_dict()
    rows = [clean_row(r) for r in comp.table().to_dict("records")]
    return {
        "c": data,
        "rows": rows,
        "table_rows": comparison_rows(rows),
        "grounding": data["price_of_grounding"],
        "roles": list(ROLE_COLOURS),
    }


def clean_row(r: dict[str, Any]) -> dict[str, Any]:
    from .serialize import clean

    return clean(r)


def render_comparison(comp: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(comp.to_dict(), indent=2) + "\n"
    if fmt not in _EXT:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx = comparison_context(comp)
    if fmt == "html":
        ctx["charts"] = {"spend": chart_spend_across(comp), "grounding": chart_grounding(comp.grounding)}
    return render_template(f"compare.{_EXT[fmt]}.j2", **ctx)
