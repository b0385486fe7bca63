"""Rendering a measurement: table (terminal), JSON, CSV (one row per period, then overall) and HTML."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..present import num, pct, tokens
from ..report import render_template
from .measure import Measurement, Scope

FORMATS = ("table", "json", "html", "csv")
CSV_COLUMNS = (
    "period",
    "alpha_strict",
    "alpha_grounded",
    "interval_low",
    "interval_high",
    "human",
    "synthetic_verified",
    "synthetic_unverified",
    "unknown",
    "total_tokens",
    "shards",
)


def _row(scope: Scope, m: Measurement) -> dict[str, Any]:
    iv = scope.grounded_interval(m.level) if m.estimated else None
    return {
        "period": scope.label,
        "alpha_strict": scope.alpha_strict,
        "alpha_grounded": scope.alpha_grounded,
        "interval_low": iv[0] if iv else None,
        "interval_high": iv[1] if iv else None,
        **scope.tokens(),
        "total_tokens": scope.total,
        "shards": scope.shards,
    }


def _safe_cell(value: Any) -> str:
    """CSV cell; text starting with = + - @ gets a leading quote so spreadsheets never run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(m: Measurement) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for scope in [*m.periods, m.overall]:
        row = _row(scope, m)
        w.writerow([_safe_cell(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def _table_rows(scopes: tuple[Scope, ...] | list[Scope], m: Measurement, key: str) -> list[dict[str, str]]:
    rows = []
    for s in scopes:
        iv = s.grounded_interval(m.level) if m.estimated else None
        rows.append(
            {
                key: s.label,
                "strict": pct(s.alpha_strict),
                "grounded": pct(s.alpha_grounded) + (f" [{pct(iv[0])}, {pct(iv[1])}]" if iv else ""),
                "human": tokens(s.human),
                "syn_verified": tokens(s.synthetic_verified),
                "syn_unverified": tokens(s.synthetic_unverified),
                "unknown": tokens(s.unknown),
                "shards": num(s.shards),
            }
        )
    return rows


def context(m: Measurement) -> dict[str, Any]:
    """Everything the templates show, computed here (templates only format)."""
    iv = m.alpha_grounded_interval() if m.estimated else None
    return {
        "m": m,
        "d": m.to_dict(),
        "interval": iv,
        "periods": _table_rows(m.periods, m, "period"),
        "overall": _table_rows([m.overall], m, "scope")[0],
        "sources": _table_rows(m.by_source, m, "source"),
        "generators": _table_rows(m.by_generator, m, "generator"),
        "top": [
            {
                **r,
                "generator": r["generator"] or "",
                "synthetic_tokens": tokens(r["synthetic_tokens"]),
                "share_of_synthetic": pct(r["share_of_synthetic"]),
            }
            for r in m.top_synthetic
        ],
        "gap": None if m.floor is None or m.alpha_grounded is None else (iv[0] if iv else m.alpha_grounded) - m.floor,
    }


def render_measurement(m: Measurement, fmt: str) -> str:
    """The measurement as ``table``, ``json``, ``csv`` or ``html`` text."""
    if fmt == "json":
        return json.dumps(m.to_dict(), indent=2) + "\n"
    if fmt == "csv":
        return render_csv(m)
    if fmt == "table":
        return render_template("alpha.txt.j2", **context(m))
    if fmt == "html":
        from .charts import chart_alpha_over_time, chart_by_source

        return render_template("alpha.html.j2", charts=[chart_alpha_over_time(m), chart_by_source(m)], **context(m))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
