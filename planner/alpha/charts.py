"""SVG charts of a measurement (matplotlib, Agg backend): alpha_t against the floor, composition by source."""

from __future__ import annotations

import io
from typing import Any

from markupsafe import Markup

from .measure import Measurement

COLOURS = {"human": "#55A868", "synthetic_verified": "#4C72B0", "synthetic_unverified": "#C44E52", "unknown": "#999999"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "figure.dpi": 100})
    return plt


def _to_svg(plt: Any, fig: Any) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return Markup(text[text.find("<svg") :])  # our own matplotlib output; labels are escaped by matplotlib


def chart_alpha_over_time(m: Measurement) -> Markup:
    """alpha_strict and alpha_grounded per period, the interval band when estimated, and the floor."""
    plt = _pyplot()
    periods = [p for p in m.periods if p.total > 0]
    x = list(range(len(periods)))
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.plot(x, [p.alpha_grounded for p in periods], "o-", color="#4C72B0", label="alpha_grounded")
    ax.plot(x, [p.alpha_strict for p in periods], "s--", color="#55A868", label="alpha_strict (human only)")
    if m.estimated:
        bands = [p.grounded_interval(m.level) or (0.0, 0.0) for p in periods]
        ax.fill_between(x, [b[0] for b in bands], [b[1] for b in bands], color="#4C72B0", alpha=0.2, label=f"{m.level:.0%} interval")
    if m.floor is not None:
        ax.axhline(m.floor, color="#C44E52", ls=":", label=f"floor {m.floor:.3f}")
    ax.set_xticks(x, [p.label for p in periods], rotation=30 if len(x) > 6 else 0)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("exogenous share of training tokens")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("alpha_t by period")
    return _to_svg(plt, fig)


def chart_by_source(m: Measurement) -> Markup:
    """Stacked horizontal bars: effective tokens by source and kind."""
    plt = _pyplot()
    sources = sorted(m.by_source, key=lambda s: -(s.human + s.synthetic_verified + s.synthetic_unverified + s.unknown))[:20]
    fig, ax = plt.subplots(figsize=(6.4, 0.6 + 0.32 * max(1, len(sources))))
    left = [0.0] * len(sources)
    for key, colour in COLOURS.items():
        vals = [s.tokens()[key] for s in sources]
        ax.barh([s.label for s in sources], vals, left=left, color=colour, label=key.replace("_", " "))
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("effective tokens (tokens x epochs x weight)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_title("Composition by source")
    return _to_svg(plt, fig)
