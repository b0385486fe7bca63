"""Constraint families, one ``define_*`` function each (MODEL.md numbering in brackets).

Every constraint gets a deterministic name, a family, a description and a unit, so reports can
say which constraints bind and the LP file is stable across runs.
"""

from __future__ import annotations

from typing import Any

import pulp

from ..physics import kv_gb_per_agent
from .types import GTOK, MUSD, BuiltModel


def _sum(terms: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(v, c) for v, c in terms if c != 0])


def define_budget(m: BuiltModel) -> None:
    """[1] capex + opex <= B  (MUSD). Opex = energy + maintenance + audit labour, per unit."""
    if m.inp.budget_usd is None:
        return
    m.add("budget", "budget", m.cost_musd, "<=", m.inp.budget_usd / MUSD, "capex + opex <= budget", "MUSD")


def define_power(m: BuiltModel) -> None:
    """[2] sum n * power_kw * PUE <= facility cap (kW), when a cap is set."""
    if m.inp.power_cap_kw is None:
        return
    m.add("power", "power", m.power_kw, "<=", m.inp.power_cap_kw, "facility power <= cap", "kW")


def define_training(m: BuiltModel) -> None:
    """[3] E + G <= sum n_train * train_tokens  (Gtok), the 6ND rule folded into train_tokens."""
    rows, f = m.inp.rows, m.flow
    supply = _sum([(m.count[(s, "training")], rows[s]["train_tokens"] / GTOK) for s, r in m.count if r == "training"])
    m.add("training_compute", "training", f.trained, "<=", supply, "tokens trained <= training compute", "Gtok")


def define_exogenous(m: BuiltModel) -> None:
    """[4] E_ver <= sum n_ver * checks * tokens_per_check;  E_ext <= D  (Gtok).

    FPGA checks are streaming kernels that only part of the check workload admits:
    E_fpga <= sum n_fpga * verified_tokens, E_ver - E_fpga <= sum n_other * verified_tokens and
    E_fpga <= fpga_checkable_fraction * E_ver.
    """
    rows, f = m.inp.rows, m.flow
    fpga = [(m.count[(s, r)], rows[s]["verified_tokens"] / GTOK) for s, r in m.count if r == "verification" and rows[s]["kind"] == "fpga"]
    other = [(m.count[(s, r)], rows[s]["verified_tokens"] / GTOK) for s, r in m.count if r == "verification" and rows[s]["kind"] != "fpga"]
    m.add(
        "verification_supply",
        "exogenous",
        f.E_ver - f.E_fpga,
        "<=",
        _sum(other),
        "CPU and audit verified tokens <= checks x tokens/check",
        "Gtok",
    )
    m.add("fpga_supply", "exogenous", f.E_fpga, "<=", _sum(fpga), "FPGA verified tokens <= checks x tokens/check", "Gtok")
    frac = m.inp.scenario.data.fpga_checkable_fraction
    m.add("fpga_share", "exogenous", f.E_fpga, "<=", frac * f.E_ver, "FPGA checks <= checkable share of verified tokens", "Gtok")
    m.add(
        "external_data",
        "exogenous",
        f.E_ext,
        "<=",
        m.inp.scenario.data.external_tokens / GTOK,
        "external tokens used <= external tokens available",
        "Gtok",
    )


def define_inference(m: BuiltModel) -> None:
    """[5] Inference is bought in whole replicas: sum_w r[s, w] * devices_per_replica[s, w] <=
    devices_per_unit * n[s, inference] (devices; replica sizes divide a rack's devices or are whole
    multiples of it, so this is exact). Then G <= sum r[s, syn] * synthetic_replica_tokens and
    A * agent_tokens_per_agent <= sum r[s, agents] * agents_replica_tokens (Gtok)."""
    rows, f, s = m.inp.rows, m.flow, m.inp.scenario
    replicas: dict[str, list[tuple[str, pulp.LpVariable]]] = {}  # item -> its (workload, replicas)
    for (i, w), v in m.replicas.items():
        replicas.setdefault(i, []).append((w, v))
    for item_id, role in list(m.count):
        if role != "inference":
            continue
        dpu = float(rows[item_id]["devices_per_unit"])
        used = [(v, float(rows[item_id][f"{w}_units_per_replica"]) * dpu) for w, v in replicas.get(item_id, [])]
        m.add(
            f"inference_replicas_{_key(item_id)}",
            "inference_split",
            _sum(used),
            "<=",
            dpu * m.count[(item_id, "inference")],
            f"{item_id}: devices in replicas <= devices bought for inference",
            "devices",
        )
    syn = _sum([(v, rows[i]["synthetic_replica_tokens"] / GTOK) for (i, w), v in m.replicas.items() if w == "synthetic"])
    agt = _sum([(v, rows[i]["agents_replica_tokens"] / GTOK) for (i, w), v in m.replicas.items() if w == "agents"])
    per_agent = s.agents.tokens_per_s * s.productive_seconds / GTOK
    m.add("synthetic_supply", "inference", f.G, "<=", syn, "synthetic tokens <= synthetic replicas' capacity", "Gtok")
    m.add("agent_throughput", "inference", per_agent * f.A, "<=", agt, "agent tokens <= agent replicas' capacity", "Gtok")


ALPHA_MARGIN = 1e-6  # absolute; see define_grounding


def define_grounding(m: BuiltModel) -> None:
    """[6] E >= alpha' (E + G)  (Gtok), with alpha' = min(1, alpha_floor + ALPHA_MARGIN) for a
    positive floor.

    The margin (1e-6) is far below any floor a user sets and far above the error of solver
    output (CBC reports values to about 8 significant digits, a relative error near 1e-8 in E and
    G), so the alpha a report computes from the solved flows is never below the floor.
    """
    a, f = m.inp.alpha_floor, m.flow
    a_model = min(1.0, a + ALPHA_MARGIN) if a > 0 else 0.0
    exo = f.exogenous
    m.add("alpha_floor", "grounding", exo, ">=", a_model * (exo + f.G), "exogenous tokens >= alpha floor x all tokens", "Gtok")


def define_memory(m: BuiltModel) -> None:
    """[7] A * L * kv <= free HBM of agent replicas (usable memory after weights, holding the batch
    being decoded and parked contexts) + capacity of memory items (GB)."""
    rows, f, s = m.inp.rows, m.flow, m.inp.scenario
    need = kv_gb_per_agent(s.agents.context_tokens, s.model.kv_bytes_per_token)
    hbm = [(v, rows[i]["agents_replica_kv_free_gb"]) for (i, w), v in m.replicas.items() if w == "agents"]
    tier = [(m.count[(i, r)], rows[i]["capacity_gb"]) for i, r in m.count if r == "memory"]
    m.add("memory", "memory", need * f.A, "<=", _sum(hbm + tier), "agent contexts <= free HBM + capacity tier", "GB")


def define_scaling(m: BuiltModel) -> None:
    """[8] Z <= intercept_k + slope_k * A for each segment of the speedup curve; A <= max_agents."""
    c, f = m.inp.curve, m.flow
    for k, (b, a) in enumerate(zip(c.slopes, c.intercepts, strict=True)):
        m.add(f"speedup_{k:03d}", "speedup", f.Z, "<=", float(a) + float(b) * f.A, f"speedup segment {k}", "x")
    m.add("agents_max", "speedup", f.A, "<=", float(c.breakpoints[-1]), "agents <= end of the speedup curve", "agents")


def define_targets(m: BuiltModel) -> None:
    """Targets (min-cost, and floors under max-progress): tokens (Gtok), agents, speedup (x)."""
    t, f = m.inp.scenario.targets, m.flow
    if t.training_tokens:
        m.add(
            "target_training_tokens",
            "targets",
            f.trained,
            ">=",
            t.training_tokens / GTOK,
            "training tokens >= target",
            "Gtok",
        )
    if t.agents:
        m.add("target_agents", "targets", f.A, ">=", t.agents, "agents >= target", "agents")
    if t.speedup:
        m.add("target_speedup", "targets", f.Z, ">=", t.speedup, "speedup >= target", "x")


def define_progress(m: BuiltModel) -> None:
    """Leontief progress (max-progress): P <= Z and P <= (E + G) / tokens_per_unit."""
    if not m.inp.models_progress:
        return
    f, s = m.flow, m.inp.scenario
    if m.inp.progress_floor is not None:
        m.add("progress_lexicographic", "objective", f.P, ">=", m.inp.progress_floor, "progress >= stage-1 optimum (cost stage)", "x")
    m.add("progress_ideas", "progress", f.P, "<=", f.Z, "progress <= speedup from agents", "x")
    m.add(
        "progress_experiments",
        "progress",
        f.P * (s.progress.tokens_per_unit / GTOK),
        "<=",
        f.trained,
        "progress <= grounded training tokens / tokens per unit",
        "Gtok",
    )


def define_order_multiples(m: BuiltModel) -> None:
    """Units come in whole orders: count = order_multiple x lots, lots integer (units)."""
    rows = m.inp.rows
    for (item_id, role), lots in m.lots.items():
        multiple = int(rows[item_id]["order_multiple"])
        name = f"order_multiple_{_key(item_id)}_{role}"
        m.add(name, "purchase", m.count[(item_id, role)], "==", multiple * lots, f"{item_id} {role}: units = {multiple} x lots", "units")


def define_minimum_orders(m: BuiltModel) -> None:
    """A line exists or not: count <= big_M x bought, and count >= min_order_quantity x bought
    where the minimum exceeds the order multiple (units; big_M is planner.model.variables.big_m: the
    budget over the unit cost or the power cap over the unit's kW, whichever is less)."""
    rows = m.inp.rows
    for (item_id, role), z in m.bought.items():
        count, key = m.count[(item_id, role)], f"{_key(item_id)}_{role}"
        m.add(f"bought_{key}", "purchase", count, "<=", m.count_ub[(item_id, role)] * z, f"{item_id} {role}: units only if bought", "units")
        least = int(rows[item_id]["min_order_quantity"])
        if least > int(rows[item_id]["order_multiple"]):
            m.add(f"min_order_{key}", "purchase", count, ">=", least * z, f"{item_id} {role}: at least {least} units if bought", "units")


def define_models_per_role(m: BuiltModel) -> None:
    """Catalog models used in a role, owned or rented: bought(line) <= used(model) for each line of
    a model with several lines, and sum over models of used(model, role) <=
    procurement.max_models_per_role, per role (models)."""
    most = m.inp.scenario.procurement.max_models_per_role
    rows = m.inp.rows
    for (item_id, role), z in m.bought.items():
        flag = m.model_used[(str(rows[item_id]["base_id"]), role)]
        if flag is not z:
            m.add(f"model_line_{_key(item_id)}_{role}", "purchase", z, "<=", flag, f"{item_id} {role}: a line of its model", "models")
    for role in ("training", "inference", "verification", "memory"):
        flags = [z for (_, r), z in m.model_used.items() if r == role]
        if len(flags) > most:
            m.add(f"models_{role}", "procurement", pulp.lpSum(flags), "<=", most, f"distinct {role} models <= {most}", "models")


def define_training_family(m: BuiltModel) -> None:
    """One accelerator family per training cluster: used(model, training) <= family(model's
    vendor), and sum of families <= 1 (procurement.one_training_family)."""
    if not m.family:
        return
    rows = m.inp.rows
    for (model, role), z in m.model_used.items():
        if role == "training":
            fam = str(rows[model]["family"]) if model in rows else _family_of(m, model)
            m.add(f"family_{_key(model)}", "purchase", z, "<=", m.family[fam], f"{model} trains only in a {fam} cluster", "models")
    m.add("training_family", "procurement", pulp.lpSum(m.family.values()), "<=", 1, "accelerator families in training <= 1", "families")


def _family_of(m: BuiltModel, model: str) -> str:
    """The family of a catalog model known only through its rented lines."""
    return next(str(row["family"]) for row in m.inp.rows.values() if row["base_id"] == model)


def define_offer_caps(m: BuiltModel) -> None:
    """A rental offer supplies at most max_devices / devices_per_unit units over all roles (units)."""
    lines: dict[str, list[pulp.LpVariable]] = {}
    for (item_id, _), v in m.count.items():
        lines.setdefault(item_id, []).append(v)
    for item_id, row in m.inp.rows.items():
        cap = float(row["max_units"])
        if cap < float("inf"):
            units = pulp.lpSum(lines.get(item_id, []))
            m.add(f"offer_cap_{_key(item_id)}", "offers", units, "<=", cap, f"{item_id}: units <= the offer's devices", "units")


def define_fabric(m: BuiltModel) -> None:
    """The owned fleet's scale-out fabric: two tiers up to network_two_tier_max_accelerators
    devices, three beyond, which adds the uplift to every owned accelerator:
    sum n * d <= T + M_d * y;  X >= sum n * uplift - M_c * (1 - y)  (devices; MUSD), with y binary,
    M_d and M_c the most devices and uplift the budget can buy. With the tiers fixed (the LP
    relaxation for marginal values takes the MIP's): two tiers, sum n * d <= T; three, X >= sum n * uplift."""
    tiers = m.inp.fabric_tiers
    rows = m.inp.rows
    owned = [((i, r), v, float(rows[i]["devices_per_unit"])) for (i, r), v in m.count.items() if rows[i]["mode"] == "own"]
    owned = [(k, v, d) for k, v, d in owned if rows[k[0]]["category"] == "accelerator"]
    if not (m.fabric or (tiers == 2 and any(float(rows[k[0]]["network_tier3_usd"]) > 0 for k, _, _ in owned))):
        return
    devices = [(v, d) for _, v, d in owned]
    two_tier = float(m.inp.scenario.costs.network_two_tier_max_accelerators)
    if tiers == 2:
        m.add("fabric_size", "network", _sum(devices), "<=", two_tier, "owned devices <= two-tier size", "devices")
        return
    uplift = [(v, float(rows[k[0]]["network_tier3_usd"]) / MUSD) for k, v, _ in owned]
    x = m.fabric["network_extra"]
    if tiers == 3:
        m.add("fabric_uplift", "network", x, ">=", _sum(uplift), "three-tier uplift paid on every owned device", "MUSD")
        return
    y = m.fabric["three_tier"]
    most_devices, most_uplift = _fabric_bounds(m, owned)
    m.add(
        "fabric_size",
        "network",
        _sum(devices),
        "<=",
        two_tier + most_devices * y,
        "owned devices <= two-tier size unless three tiers",
        "devices",
    )
    m.add("fabric_uplift", "network", x, ">=", _sum(uplift) - most_uplift * (1 - y), "three-tier uplift paid on every owned device", "MUSD")


def _fabric_bounds(m: BuiltModel, owned: list[tuple[tuple[str, str], Any, float]]) -> tuple[float, float]:
    """Big-Ms of define_fabric: the most owned devices and uplift (MUSD) the lines' own bounds
    allow, sum of count_ub x devices and of count_ub x uplift. Tighter bounds from the budget over
    the least cost per device are valid too, but with them CBC returned plans 5e-4 short of
    HiGHS's while claiming optimality (mid-size example at USD 12B), so the looser ones stay."""
    rows = m.inp.rows
    devices = sum(m.count_ub[k] * d for k, _, d in owned)
    return devices, sum(m.count_ub[k] * float(rows[k[0]]["network_tier3_usd"]) / MUSD for k, _, _ in owned)


# A new constraint family is one define_* function above and one line here.
FAMILIES = (
    define_budget,
    define_power,
    define_training,
    define_exogenous,
    define_inference,
    define_grounding,
    define_memory,
    define_scaling,
    define_targets,
    define_progress,
    define_order_multiples,
    define_minimum_orders,
    define_models_per_role,
    define_training_family,
    define_offer_caps,
    define_fabric,
)


def define_constraints(m: BuiltModel) -> None:
    """Add every family in :data:`FAMILIES` to ``m``, in order (names are deterministic)."""
    for family in FAMILIES:
        family(m)


def _key(item_id: str) -> str:
    return item_id.replace("-", "_")
