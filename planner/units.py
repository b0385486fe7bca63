"""Quantities written with units: one parser for money, power, energy and shares.

The same text means the same number wherever it is written: a CLI flag (``--power-cap 20MW``), a
scenario file (``facility.power_cap_kw: 20MW``) or a what-if grid (``--vary power_cap=20MW``). Each
parser returns the value in the unit the field's name carries (USD, kW, kWh, fraction) and raises
``ValueError`` with a one-line message naming what it expected.

Accepted forms:

* money (USD): ``5e9``, ``5B``, ``$750M``, ``1.2k``, ``2T``, ``1,000,000``, ``750 million``,
  ``1 billion`` (``k``/``thousand`` 1e3, ``M``/``million`` 1e6, ``B``/``billion`` 1e9,
  ``T``/``trillion`` 1e12), optional ``$`` and ``USD``;
* power (kW): ``20000``, ``500kW``, ``20MW``, ``1.5GW`` (a bare number is kW);
* energy (kWh): ``100kWh``, ``2MWh``, ``1GWh`` (a bare number is kWh);
* share (fraction): ``0.25`` or ``25%``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)"
_MONEY = re.compile(rf"^\$?{_NUMBER}\s*([a-z]*)\s*(?:usd)?$")
_MONEY_SUFFIX = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
}
_POWER = re.compile(rf"^{_NUMBER}\s*(kw|mw|gw)?$")
_POWER_SCALE_KW = {"kw": 1.0, "mw": 1e3, "gw": 1e6}
_ENERGY = re.compile(rf"^{_NUMBER}\s*(kwh|mwh|gwh)?$")
_ENERGY_SCALE_KWH = {"kwh": 1.0, "mwh": 1e3, "gwh": 1e6}
_SHARE = re.compile(rf"^{_NUMBER}\s*(%)?$")


def _norm(text: str) -> str:
    """Lower case, no thousands separators or underscores, no inner spaces before 'usd'."""
    return str(text).strip().lower().replace(",", "").replace("_", "")


def _number(value: Any, what: str, example: str) -> float | None:
    """A plain int or float (not a bool) as float; None for text. Rejects non-finite values."""
    if isinstance(value, bool):
        raise ValueError(f"expected {what} like {example}, got a boolean ({value})")
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            raise ValueError(f"expected {what} like {example}, got a number too large to represent") from None
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number, got {value!r}")
        return x
    return None


def _positive(x: float, what: str, text: Any) -> float:
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"expected a positive {what}, got {str(text)[:40]!r}")
    return x


def parse_money(text: str | float | int) -> float:
    """Parse an amount of money into USD (see the module docstring). Raises ``ValueError``."""
    x = _number(text, "an amount", "5e9, 5B or $750M")
    if x is None:
        m = _MONEY.match(re.sub(r"^usd\s*", "", re.sub(r"\s+", " ", _norm(str(text)))).replace("$ ", "$"))
        if not m or m.group(2) not in _MONEY_SUFFIX:
            raise ValueError(f"expected an amount like 5e9, 5B, $750M or 1 billion, got {str(text)[:40]!r}")
        x = float(m.group(1)) * _MONEY_SUFFIX[m.group(2)]
    return _positive(x, "amount", text)


def _with_scale(text: Any, pattern: re.Pattern[str], scale: dict[str, float], default: str, what: str, example: str) -> float:
    x = _number(text, what, example)
    if x is None:
        m = pattern.match(_norm(str(text)).replace(" ", ""))
        if not m:
            raise ValueError(f"expected {what} like {example}, got {str(text)[:40]!r}")
        x = float(m.group(1)) * scale[m.group(2) or default]
    return _positive(x, what, text)


def parse_power_kw(text: str | float | int) -> float:
    """Parse a power into kW: ``20000``, ``500kW``, ``20MW``, ``1.5GW``. Raises ``ValueError``."""
    return _with_scale(text, _POWER, _POWER_SCALE_KW, "kw", "a power", "20000, 500kW or 20MW")


def parse_energy_kwh(text: str | float | int) -> float:
    """Parse an energy into kWh: ``100``, ``100kWh``, ``2MWh``, ``1GWh``. Raises ``ValueError``."""
    return _with_scale(text, _ENERGY, _ENERGY_SCALE_KWH, "kwh", "an energy", "100kWh or 2MWh")


def parse_share(text: str | float | int) -> float:
    """Parse a share into a fraction in [0, 1]: ``0.25`` or ``25%``. Raises ``ValueError``."""
    x = _number(text, "a share", "0.25 or 25%")
    if x is None:
        m = _SHARE.match(_norm(str(text)).replace(" ", ""))
        if not m:
            raise ValueError(f"expected a share like 0.25 or 25%, got {str(text)[:40]!r}")
        x = float(m.group(1)) / (100.0 if m.group(2) else 1.0)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"expected a share in [0, 1] (or 0% to 100%), got {str(text)[:40]!r}")
    return x


# Which parser a field's unit suffix calls for; used by the scenario schema and --vary alike.
PARSERS: dict[str, Callable[[Any], float]] = {
    "_usd": parse_money,
    "_kw": parse_power_kw,
    "_kwh": parse_energy_kwh,
}


def parser_for(field_name: str) -> Callable[[Any], float] | None:
    """The unit parser for a field named with a unit suffix (``budget_usd``, ``power_cap_kw``)."""
    if "_per_" in field_name:
        return None  # a rate such as electricity_usd_per_kwh is a plain number
    for suffix, parser in PARSERS.items():
        if field_name.endswith(suffix):
            return parser
    return None
