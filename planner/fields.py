"""Short names for scenario fields, shared by CLI flags and ``--vary``.

One table maps an alias to its dotted scenario field, so ``--power-cap 20MW``,
``--vary power_cap=20MW`` and ``facility.power_cap_kw: 20MW`` in a file name the same field and
go through the same unit parser (:mod:`planner.units`, chosen by the field's unit suffix).
"""

from __future__ import annotations

from typing import Any

from .units import parser_for

ALIASES: dict[str, str] = {
    "budget": "budget_usd",
    "horizon": "horizon_years",
    "power_cap": "facility.power_cap_kw",
    "alpha": "alpha_floor",
    "alpha_floor": "alpha_floor",
    "objective": "objective",
    "solver": "solver",
    "only": "catalog.only",
    "exclude": "catalog.exclude",
    "allow_late": "procurement.allow_late",
}


def resolve(name: str) -> str:
    """The dotted scenario field for an alias or a dotted name (``power_cap`` -> ``facility.power_cap_kw``)."""
    key = name.strip().replace("-", "_")
    return ALIASES.get(key, name.strip())


def parse_value(field: str, raw: Any) -> Any:
    """``raw`` parsed by the unit parser of ``field`` when it is text and the field carries a unit.

    Other values pass through unchanged (the scenario schema validates them).
    """
    parser = parser_for(field.rsplit(".", 1)[-1])
    if parser is not None and isinstance(raw, str):
        return parser(raw)
    return raw


def nested(changes: dict[str, Any]) -> dict[str, Any]:
    """Dotted changes as a nested dict: ``{"facility.pue": 1.2}`` -> ``{"facility": {"pue": 1.2}}``."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"field {key!r} conflicts with {part!r} given as a value")
            node = child
        node[parts[-1]] = value
    return out


def overrides(values: dict[str, Any]) -> dict[str, Any]:
    """Flag values by alias (None = not given) as a nested scenario override dict.

    ``{"budget": 5e9, "power_cap": "20MW", "only": ["a", "b"]}`` ->
    ``{"budget_usd": 5e9, "facility": {"power_cap_kw": 20000.0}, "catalog": {"only": ["a", "b"]}}``.
    Empty lists count as not given. Raises ``ValueError`` from the unit parsers.
    """
    flat: dict[str, Any] = {}
    for alias, raw in values.items():
        if raw is None or (isinstance(raw, (list, tuple)) and not raw):
            continue
        field = resolve(alias)
        flat[field] = parse_value(field, raw)
    return nested(flat)


def split_ids(values: Any) -> list[str]:
    """Ids given repeatedly and/or comma-separated: ``("a,b", "c")`` -> ``["a", "b", "c"]``."""
    out: list[str] = []
    for v in values or ():
        out.extend(x.strip() for x in str(v).split(",") if x.strip())
    return out
