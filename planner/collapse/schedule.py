"""alpha_t schedules: constant, decaying to zero, cyclic, explicit.

Syntax (``--schedule``):

* ``const:A``                alpha_t = A
* ``exp:A0,R``               alpha_t = A0 * R^(t-1)            (decays to 0 for R < 1)
* ``linear:A0,T0``           alpha_t = A0 * max(0, 1 - (t-1)/T0)   (reaches 0 at t = T0 + 1)
* ``harmonic:A0``            alpha_t = A0 / t                  (sum diverges, inf = 0)
* ``cyclic:A,P,ON``          alpha_t = A for the first ON generations of every period P, else 0
* ``list:A1,A2,...``         explicit values; the last one repeats

Generations are numbered t = 1..T (generation 0 is the truth). Every number must be finite, every
alpha_t must lie in [0, 1], P and ON must be whole numbers, and 1 <= T <= 10^7; anything else raises
``ValueError`` naming the schedule.
"""

from __future__ import annotations

import math

import numpy as np

from .limits import SCHEDULE_GENERATIONS_MAX, as_int

KINDS = ("const", "exp", "linear", "harmonic", "cyclic", "list")


def parse_schedule(text: str, generations: int) -> list[float]:
    """alpha_1..alpha_T for a schedule string; raises ``ValueError`` naming what is expected."""
    generations = as_int("generations", generations, 1, SCHEDULE_GENERATIONS_MAX)
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    try:
        args = [float(x) for x in rest.split(",") if x.strip()] if rest.strip() else []
    except ValueError:
        raise ValueError(f"schedule {text!r}: expected numbers after '{kind}:', got {rest!r}") from None
    if not all(math.isfinite(x) for x in args):
        raise ValueError(f"schedule {text!r}: every number must be finite (no nan or inf)")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = _values(kind, args, text, generations)
    if not np.all(np.isfinite(a) & (a >= 0) & (a <= 1)):
        raise ValueError(f"schedule {text!r} leaves [0, 1]")
    return [float(x) for x in a]


def _values(kind: str, args: list[float], text: str, generations: int) -> np.ndarray:
    """alpha_1..alpha_T of one schedule kind (unchecked); see the module docstring for the forms."""
    t = np.arange(1, generations + 1, dtype=float)

    def need(k: int, form: str) -> None:
        if len(args) != k:
            raise ValueError(f"expected {form}, got {text!r}")

    if kind == "const":
        need(1, "const:A")
        a = np.full(generations, args[0])
    elif kind == "exp":
        need(2, "exp:A0,R")
        a = args[0] * args[1] ** (t - 1)
    elif kind == "linear":
        need(2, "linear:A0,T0")
        if args[1] <= 0:
            raise ValueError(f"schedule {text!r}: linear:A0,T0 needs T0 > 0")
        a = args[0] * np.maximum(0.0, 1.0 - (t - 1) / args[1])
    elif kind == "harmonic":
        need(1, "harmonic:A0")
        a = args[0] / t
    elif kind == "cyclic":
        need(3, "cyclic:A,P,ON")
        period, on = int(args[1]), int(args[2])
        if period != args[1] or on != args[2] or period < 1 or not 0 <= on <= period:
            raise ValueError(f"schedule {text!r}: cyclic:A,P,ON needs whole numbers P >= 1 and 0 <= ON <= P")
        a = np.where(((t - 1) % period) < on, args[0], 0.0)
    elif kind == "list":
        if not args:
            raise ValueError(f"schedule {text!r}: expected list:A1,A2,...")
        vals = args + [args[-1]] * max(0, generations - len(args))
        a = np.asarray(vals[:generations])
    else:
        raise ValueError(f"unknown schedule {kind!r}; expected one of {', '.join(KINDS)}")
    return a
