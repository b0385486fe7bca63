"""Charts as inline SVG (matplotlib, Agg): offline, no JavaScript, reproducible byte for byte.

Every label that carries user text goes through :func:`label`, so a ``$`` in a scenario name is
shown as typed, never read as math text. SVG output has no date and fixed element ids.
"""

from __future__ import annotations

import io
from typing import Any

from markupsafe import Markup

from .escape import math_text

LEGEND_SIZE = 9  # points: legends as large as the axis labels
SPAN_FOR_LOG = 100.0  # values spanning more than this factor get a log scale or small multiples
ROLE_COLOURS = {"training": "#4C72B0", "inference": "#DD8452", "verification": "#55A868", "memory": "#8172B3"}


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


def label(text: Any) -> str:
    """User text for a chart: never parsed as math text (see :func:`planner.escape.math_text`)."""
    return math_text(text)


def _svg(fig: Any) -> Markup:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    return Markup(text[start:])  # our own matplotlib output, no user text unescaped


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"svg.fonttype": "none", "font.size": 9, "legend.fontsize": LEGEND_SIZE, "figure.dpi": 100, "svg.hashsalt": "planner"}
    )
    return plt


def chart_spend_by_role(spend: dict[str, float]) -> Markup:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 2.4))
    roles = list(spend)
    vals = [spend[r] / 1e6 for r in roles]
    ax.barh(roles, vals, color=[ROLE_COLOURS.get(r, "#999") for r in roles])
    for i, v in enumerate(vals):
        ax.text(v, i, f" {round(v, 1) + 0.0:,.1f}", va="center")  # + 0.0: no "-0.0" for a float residue
    ax.set_xlabel("USD million (capex + opex)")
    ax.set_ylabel("role")
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
    ax.set_ylim(bottom=0)
    ax.set_xlabel("parallel agents A (agents, log scale)")
    ax.set_ylabel("research speedup S(A) (x)")
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
    ax.set_xlabel("exogenous share of training tokens, alpha (fraction)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower right", ncol=2)
    ax.set_title("Grounding: alpha against the floor")
    return _svg(fig)


def _label(res: Any) -> str:
    return res.schedule if res.schedule else f"alpha = {res.alpha:g}"


def chart_series(results: list[Any], key: str) -> Markup:
    import numpy as np

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.4, 3.0))
    for res in results:
        y = np.asarray(res.series[key], dtype=float)
        x = np.arange(len(y))
        (line,) = ax.plot(x, y, label=label(_label(res)), lw=1.4)
        band = res.bands.get(BAND_OF.get(key, ""))
        if band and key != "variance_mean":
            ax.fill_between(x, band["p05"], band["p95"], color=line.get_color(), alpha=0.12, lw=0)
    ax.set_xlabel("generation (count)")
    ax.set_ylabel(SERIES_LABELS.get(key, key))
    ax.set_title(SERIES_LABELS.get(key, key))
    value_axis(ax, [np.asarray(r.series[key], dtype=float) for r in results])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return _svg(fig)


def spans_decades(values: Any) -> bool:
    """True when positive ``values`` span more than :data:`SPAN_FOR_LOG` (largest / smallest)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return bool(v.size) and float(v.max()) > SPAN_FOR_LOG * float(v.min())


def value_axis(ax: Any, series: list[Any], axis: str = "y") -> None:
    """A value axis that starts at zero, or a log scale when the positive values span more than
    100x; axes with negative values keep matplotlib's range."""
    import numpy as np

    values = np.concatenate([np.ravel(s) for s in series]) if series else np.zeros(1)
    values = values[np.isfinite(values)]
    if values.size and (values < 0).any():
        return
    if values.size and (values > 0).all() and spans_decades(values):
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
        return
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, None)


def chart_spend_across(comp: Any) -> Markup:
    """Stacked spend by role per scenario (USD million, axis from zero); small multiples with one
    axis each when the totals span more than 100x, so a small scenario's bar stays visible."""
    runs = [r for r in comp.runs if r.plan is not None]
    totals = [sum(r.plan.spend_by_role_usd.values()) for r in runs]
    if spans_decades(totals):
        return _spend_small_multiples(runs)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.45 * max(1, len(runs))))
    _stacked_spend(ax, runs)
    ax.invert_yaxis()
    ax.set_xlabel("USD million (capex + opex)")
    ax.set_ylabel("scenario")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35 - 0.1 / max(1, len(runs))))
    ax.set_title("Spend by role across scenarios")
    return _svg(fig)


def _stacked_spend(ax: Any, runs: list[Any]) -> None:
    left = [0.0] * len(runs)
    names = [label(r.name) for r in runs]
    for role, colour in ROLE_COLOURS.items():
        vals = [r.plan.spend_by_role_usd[role] / 1e6 for r in runs]
        ax.barh(names, vals, left=left, color=colour, label=role)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlim(0, None)


def _spend_small_multiples(runs: list[Any]) -> Markup:
    """One panel per scenario, each with its own USD-million axis from zero."""
    plt = _plt()
    fig, axes = plt.subplots(len(runs), 1, figsize=(6.4, 1.2 + 1.0 * len(runs)), squeeze=False, layout="constrained")
    for ax, run in zip(axes[:, 0], runs, strict=True):
        _stacked_spend(ax, [run])
        ax.set_title(f"{label(run.name)}: USD {sum(run.plan.spend_by_role_usd.values()) / 1e6:,.1f} million", fontsize=9, loc="left")
        ax.set_yticks([])
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1, 0].set_xlabel("USD million (capex + opex), own scale per scenario")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), frameon=False, ncol=4, loc="outside lower center")
    fig.suptitle("Spend by role across scenarios (totals differ more than 100x)", fontsize=10)
    return _svg(fig)


def chart_grounding(frame: Any) -> Markup:
    plt = _plt()
    ok = frame[frame["status"] != "infeasible"] if "status" in frame else frame
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    if len(ok):
        minimise = ok["objective"].iloc[0] == "min-cost"
        y = ok["cost_usd"] / 1e6 if minimise else ok["objective_value"]
        (main,) = ax.plot(ok["alpha_floor"], y, "o-", color="#C44E52", label="total cost" if minimise else "progress")
        ax.set_ylabel("total cost (USD million)" if minimise else "progress (x baseline research speed)")
        ax.set_ylim(0, None)
        ax2 = ax.twinx()
        (share,) = ax2.plot(ok["alpha_floor"], 100 * ok["verification_share"], "s--", color="#55A868", ms=4, label="verification share")
        ax2.set_ylabel("verification share of spend (%)", color="#55A868")
        ax2.set_ylim(0, 100)
        ax.legend(handles=[main, share], frameon=False, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax.set_xlabel("alpha floor (fraction)")
    ax.set_title("Price of grounding")
    ax.spines[["top"]].set_visible(False)
    return _svg(fig)


def chart_tornado(rows: list[dict[str, Any]], output: str) -> Markup:
    """Rank correlation of each sampled input with ``output`` (cost_usd, progress or alpha),
    largest magnitude on top: a tornado chart."""
    plt = _plt()
    ranked = sorted((r for r in rows if r.get(output) is not None), key=lambda r: abs(r[output]))
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max(2, len(ranked)) + 0.8))
    values = [r[output] for r in ranked]
    ax.barh([label(r["input"]) for r in ranked], values, color=["#4C72B0" if v >= 0 else "#C44E52" for v in values])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"Spearman rank correlation with {label(output)}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"What drives the spread of {label(output)}")
    return _svg(fig)


def chart_histogram(values: Any, title: str, xlabel: str, marker: float | None = None, marker_label: str = "") -> Markup:
    """A histogram of one Monte Carlo output, with an optional vertical marker (the plan's figure, a floor)."""
    import numpy as np

    plt = _plt()
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    fig, ax = plt.subplots(figsize=(5.6, 2.4))
    ax.hist(x, bins=40, color="#8172B3")
    if marker is not None:
        ax.axvline(marker, color="#C44E52", ls="--", label=label(marker_label))
        ax.legend(frameon=False)
    ax.set_xlabel(label(xlabel))
    ax.set_ylabel("worlds")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(label(title))
    return _svg(fig)


# -------------------------------------------------------------------------------------------- periods

IDLE_COLOUR = "#BBBBBB"  # owned units in service serving no role


def _period_ticks(ax: Any, periods: list[Any]) -> list[int]:
    """Period positions 1..T on the x axis, labelled with the number and the start date."""
    xs = [s.index + 1 for s in periods]
    ax.set_xticks(xs, [f"{x}\n{s.start}" for x, s in zip(xs, periods, strict=True)])
    ax.set_xlabel("period (number and start date)")
    return xs


def _stacked_bars(ax: Any, xs: list[int], layers: dict[str, list[float]], colours: dict[str, str]) -> None:
    """Bars at ``xs`` stacked layer by layer (layers all zero are left out of the legend)."""
    bottom = [0.0] * len(xs)
    for name, vals in layers.items():
        if not any(vals):
            continue
        ax.bar(xs, vals, bottom=bottom, color=colours.get(name, "#999999"), label=name, width=0.6)
        bottom = [a + b for a, b in zip(bottom, vals, strict=True)]
    ax.set_ylim(0, max(bottom, default=0.0) * 1.12 or 1.0)


def _legend_right(ax: Any) -> None:
    """The legend outside the axes, on the right, so it never covers a bar."""
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def chart_fleet_by_period(periods: list[Any]) -> Markup:
    """Owned and rented units in service per period, stacked by role (idle units in grey)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.4, 3.0))
    xs = _period_ticks(ax, periods)
    roles = [*ROLE_COLOURS, "idle"]
    layers = {r: [float(sum(f.quantity for f in s.fleet if f.role == r)) for s in periods] for r in roles}
    _stacked_bars(ax, xs, layers, {**ROLE_COLOURS, "idle": IDLE_COLOUR})
    ax.set_ylabel("units in service (count)")
    ax.spines[["top", "right"]].set_visible(False)
    _legend_right(ax)
    ax.set_title("Fleet by period (units of every item, by role)")
    return _svg(fig)


def chart_spend_by_period(periods: list[Any], view: str) -> Markup:
    """Spend per period stacked by role (USD million, the scenario's cost view), each period's own
    budget marked when the budget is per period."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.4, 3.0))
    xs = _period_ticks(ax, periods)
    layers = {r: [s.spend_by_role_usd.get(r, 0.0) / 1e6 for s in periods] for r in ROLE_COLOURS}
    _stacked_bars(ax, xs, layers, ROLE_COLOURS)
    budgets = [(x, s.budget_usd / 1e6) for x, s in zip(xs, periods, strict=True) if s.budget_usd is not None]
    if budgets:
        ax.plot(*zip(*budgets, strict=True), "_", color="#C44E52", ms=28, mew=2, label="period budget")
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.12 * max(b for _, b in budgets)))
    ax.set_ylabel(f"USD million ({label(view)} view, capex + opex)")
    ax.spines[["top", "right"]].set_visible(False)
    _legend_right(ax)
    ax.set_title("Spend per period by role")
    return _svg(fig)


def chart_alpha_by_period(periods: list[Any]) -> Markup:
    """alpha_t per period as bars against its floor floor_t as a step line."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.4, 3.0))
    xs = _period_ticks(ax, periods)
    alphas = [0.0 if s.alpha is None else s.alpha for s in periods]
    floors = [s.alpha_floor for s in periods]
    ax.bar(xs, alphas, color="#55A868", width=0.6, label="alpha_t achieved")
    edges = [xs[0] - 0.5, *[x + 0.5 for x in xs]]
    ax.stairs(floors, edges, color="#C44E52", ls="--", lw=1.6, baseline=None, label="floor_t")
    ax.set_ylim(0, min(1.0, 1.25 * max([*alphas, *floors, 0.01])))
    ax.set_ylabel("alpha_t, exogenous share (fraction)")
    ax.spines[["top", "right"]].set_visible(False)
    _legend_right(ax)
    ax.set_title("Grounding per period: alpha_t against its floor")
    return _svg(fig)
