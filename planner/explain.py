"""Say why: the plan's limits as sentences a buyer reads.

:func:`explain` turns the binding constraints, the marginal values and the unspent budget of a
solved :class:`~planner.result.Plan` into sentences (``Plan.explanations``): what limits the plan,
in words, with the scenario field that would move it, and what the unspent budget would buy if
that limit moved. Nothing here re-optimises; every figure is read from the plan.
"""

from __future__ import annotations

from collections.abc import Callable

from .extract_costs import usable_offer_caps, why_not
from .present import count, num, tokens, usd_short
from .result import Plan

UNSPENT_SHARE = 0.01  # unspent budget worth a sentence: more than 1% of the budget
VERIFYING = ("verification", "audit")


def _marginal(p: Plan, key: str) -> float | None:
    mv = p.marginal_values.get(key)
    return None if mv is None or mv.value is None else float(mv.value)


def _rate(p: Plan, key: str, what: str) -> str:
    """``; one more X would add Y progress`` (or change cost by Y) from a marginal value."""
    value = _marginal(p, key)
    if value is None or abs(value) < 1e-9:
        return ""
    unit = "progress" if p.progress.value is not None else "USD of cost"
    return f"; {what} would {'add' if value > 0 else 'change the objective by'} {num(value, 3)} {unit}"


def _budget(p: Plan) -> str | None:
    return "The budget is spent" + _rate(p, "budget_per_musd", "one more USD 1M") + "."


def _power(p: Plan) -> str | None:
    cap = p.power_kw.cap_kw
    return f"The facility power cap ({count(cap)} kW) is reached" + _rate(p, "power_per_mw", "one more MW (facility.power_cap_kw)") + "."


def _agents_max(p: Plan) -> str | None:
    end = p.scenario.agents.max_agents
    return f"More agents add no speed past {count(end)} agents: the speedup curve ends there (agents.max_agents)."


def _alpha_floor(p: Plan) -> str | None:
    a, d = p.alpha_floor, p.tokens.external_available
    if a <= 0:
        return None
    if not (p.capabilities["category"].isin(VERIFYING)).any():
        return (
            f"Without a verification item the alpha floor ({num(a, 3)}) caps training at {tokens(d / a)} tokens: "
            f"the {tokens(d)} external tokens must be at least {num(a, 3)} of all tokens "
            "(allow a CPU, FPGA or reviewer item to go further)."
        )
    move = _marginal(p, "alpha_floor_per_point")
    gain = f"; a floor 0.01 lower would add {num(-move, 3)} progress" if move is not None and move < -1e-9 else ""
    return f"The alpha floor ({num(a, 3)}) binds: every synthetic token needs exogenous tokens beside it{gain}."


def _memory(p: Plan) -> str | None:
    return f"Agent contexts fill the free HBM and the capacity tier ({count(p.memory_gb.available_gb)} GB)."


def models_sentence(p: Plan) -> str | None:
    """One sentence for every role that uses the most models procurement.max_models_per_role allows."""
    roles = [n.removeprefix("models_") for n in p.binding_constraints if n.startswith("models_")]
    if not roles:
        return None
    most = p.scenario.procurement.max_models_per_role
    names = roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " and " + roles[-1]
    return (
        f"The {names} fleet{'s each use' if len(roles) > 1 else ' uses'} the most models allowed ({most}, procurement.max_models_per_role)."
    )


def _family(p: Plan) -> str | None:
    caps = p.capabilities
    families = set(caps.loc[caps["category"] == "accelerator", "family"]) if "family" in caps.columns else set()
    vendors = sorted({li.vendor for li in p.items if li.role == "training"})
    if len(families) < 2 or not vendors:
        return None
    return f"Training stays on one accelerator family ({', '.join(vendors)}; procurement.one_training_family)."


def _target(name: str) -> Callable[[Plan], str | None]:
    def sentence(p: Plan) -> str | None:
        return f"The plan meets targets.{name} exactly: min-cost buys no more than the targets need."

    return sentence


LIMITS: dict[str, Callable[[Plan], str | None]] = {
    "budget": _budget,
    "power": _power,
    "agents_max": _agents_max,
    "alpha_floor": _alpha_floor,
    "memory": _memory,
    "training_family": _family,
    **{f"target_{t}": _target(t) for t in ("training_tokens", "agents", "speedup")},
}


def limit_sentences(p: Plan) -> list[str]:
    """One sentence per binding constraint a buyer can move (budget, power, curve end, floor, ...)."""
    out = []
    for name in p.binding_constraints:
        text = LIMITS[name](p) if name in LIMITS else None
        if text:
            out.append(text)
    return [*out, *filter(None, [models_sentence(p)])]


MOVABLE = {
    "budget": "the budget",
    "power": "the power cap (facility.power_cap_kw)",
    "agents_max": "the end of the speedup curve (agents.max_agents)",
    "alpha_floor": "the alpha floor",
    "memory": "the memory for agent contexts",
}


def movable_limits(p: Plan) -> list[str]:
    """Binding limits a buyer could move, in words, most decisive first (power, curve end, floor)."""
    order = ("power", "agents_max", "alpha_floor", "memory", "budget")
    return [MOVABLE[n] for n in order if n in p.binding_constraints]


def progress_sentence(p: Plan) -> str | None:
    """Which Leontief term limits progress, in words (max-progress only)."""
    b = p.progress.bottleneck
    if p.progress.value is None or b in (None, "none"):
        return None
    if b == "balanced":
        return (
            f"Progress {num(p.progress.value, 4)} is balanced: the agents' speedup and the grounded training tokens "
            "both allow exactly this much, so more of either alone adds nothing."
        )
    return f"Progress {num(p.progress.value, 4)} is limited by {b}."


def _main_item(p: Plan) -> tuple[str, float] | None:
    """The plan's largest line by capex + opex: (id, unit capex + opex in USD)."""
    if not p.items:
        return None
    li = max(p.items, key=lambda x: x.extended_cost_usd)
    return li.id, li.unit_cost_usd


def unspent_sentence(p: Plan) -> str | None:
    """Why budget is left over and what it would buy if the binding limit moved."""
    left = p.cost_usd.remaining_budget
    if not left > UNSPENT_SHARE * p.budget_usd:
        return None
    rate = p.scenario.procurement.min_progress_per_musd
    if p.robust is not None and p.progress.value is not None:
        return (
            f"{usd_short(left)} of the {usd_short(p.budget_usd)} budget is unspent in the scenario's own world: the purchase "
            f"must stay within the budget in each of the {p.robust.worlds} sampled worlds, at their prices."
        )
    if p.progress.value is None:
        why = "min-cost buys the least that meets the targets"
    elif rate > 0:
        why = (
            f"buying stopped at {usd_short(p.cost_usd.total)}, where one more USD 1M adds less than "
            f"{num(rate, 3)} progress (procurement.min_progress_per_musd)"
        )
    else:
        limits = movable_limits(p)
        why = f"past {' and '.join(limits[:2])} nothing more adds progress" if limits else "nothing more adds progress"
    main, limits = _main_item(p), movable_limits(p)
    moved = f"if {limits[0]} moved" if limits and rate == 0 and p.progress.value is not None else "if a limit moved"
    buys = f"; it would buy about {count(left / main[1])} more {main[0]} {moved}" if main and main[1] > 0 else ""
    return f"{usd_short(left)} of the {usd_short(p.budget_usd)} budget is unspent: {why}{buys}."


RENT_GAP = 1.5  # flag owned lines that cost this many times the cheapest listed rental per device-hour


def rental_sentence(p: Plan) -> str | None:
    """Owned accelerators that cost well over a listed rental per busy device-hour (a part-time
    workload, or a cash plan over a short horizon), and why the plan did not rent."""
    worst = None
    for li in p.items:
        rows = [r for r in p.break_even if r.id == li.id and not r.own_cheaper]
        if li.mode != "own" or li.usd_per_device_hour is None or not rows:
            continue
        per_busy = {id(r): r.effective_usd_per_device_hour / (1.0 if r.own_wins == "above" else p.busy_fraction) for r in rows}
        best = min(rows, key=lambda r: per_busy[id(r)])
        gap = li.usd_per_device_hour / per_busy[id(best)]
        if gap >= RENT_GAP and (worst is None or gap > worst[0]):
            worst = (gap, li, best, per_busy[id(best)])
    if worst is None:
        return None
    gap, li, best, rate = worst
    return (
        f"Owning {li.id} costs USD {li.usd_per_device_hour:,.2f} per busy device-hour, {gap:,.1f}x "
        f"{best.mode} from {best.provider} at USD {rate:,.2f} (busy {p.busy_fraction:.0%} of the horizon, "
        f"{p.cost_usd.view} view); that offer is {why_not(best, usable_offer_caps(p.capabilities))}."
    )


def explain(p: Plan) -> tuple[str, ...]:
    """The plan's limits in a buyer's words: binding limits, the progress bottleneck, the unspent
    budget, and owned hardware that a listed rental undercuts."""
    parts = [*limit_sentences(p), progress_sentence(p), unspent_sentence(p), rental_sentence(p)]
    return tuple(dict.fromkeys(s for s in parts if s))
