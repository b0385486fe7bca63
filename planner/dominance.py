"""Dominance between rows of the capabilities table: whole items (``planner.stages.dominated``)
and single purchase lines, an accelerator in one role (:func:`dominated_lines`).

Both drop only what an optimal plan never needs: any plan using a dominated row stays feasible and
no worse with the dominating one instead, so the optimum is unchanged and the MILP is smaller.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOL = 1e-12

# Per role, what an accelerator's line delivers (at least the dropped line's) and what it uses up
# (at most the dropped line's): units per replica are a cost, since the replicas of the dropped line
# move replica for replica; owned devices and their three-tier uplift count toward the fabric.
LINE_GOOD = {
    "training": ("train_tokens",),
    "inference": ("agents_replica_tokens", "agents_replica_kv_free_gb", "synthetic_replica_tokens"),
}
LINE_BAD = {
    "training": ("unit_cost_usd", "facility_kw", "fabric_uplift_usd", "fabric_devices"),
    "inference": (
        "unit_cost_usd",
        "facility_kw",
        "fabric_uplift_usd",
        "fabric_devices",
        "agents_units_per_replica",
        "synthetic_units_per_replica",
    ),
}


def dominators(cls: np.ndarray, good: np.ndarray, bad: np.ndarray, ids: np.ndarray, leads: np.ndarray) -> dict[int, str]:
    """``{row: dominating id}`` for rows another row of the same class beats or equals on every
    column of ``good`` (more is better) and ``bad`` (less is better); only rows where ``leads``
    is true may dominate (a capped offer cannot take another row's units), exact ties keep the
    smaller id, and a dominated row stands in for none. Rows are compared within their class only."""
    found: dict[int, str] = {}
    for c in np.unique(cls):
        rows = np.flatnonzero(cls == c)
        g, b, k, free = good[rows], bad[rows], ids[rows], leads[rows]
        for i, a in enumerate(k):
            ge = free & (g >= g[i] - TOL).all(axis=1) & (b <= b[i] + TOL).all(axis=1)
            strictly = (g > g[i] + TOL).any(axis=1) | (b < b[i] - TOL).any(axis=1)
            better = ge & (strictly | (k < a))
            better[i] = False
            for j in np.flatnonzero(better):
                if rows[j] not in found:
                    found[int(rows[i])] = str(k[j])
                    break
    return found


def dominated_lines(
    caps: pd.DataFrame, *, by_family: bool = False, roles: tuple[str, ...] = ("training", "inference")
) -> frozenset[tuple[str, str]]:
    """Accelerator lines ``(item id, role)`` another accelerator's line in the same role makes
    redundant, for training and inference apart (an item can be beaten in one role and not the
    other).

    B's line replaces A's when B delivers at least A's figures of the role (:data:`LINE_GOOD`)
    at no more cost, power, owned devices and three-tier uplift (:data:`LINE_BAD`), without a
    cap on its units, on the same purchase terms (order multiple, minimum order), of the same
    family in training with ``by_family``; and, so that the models counted per role never grow,
    A and B are each the only line of their catalog model, or lines of one model. Moving A's
    units (and replicas) onto B keeps every constraint and costs no more. Only the MILP drops
    these lines: LP relaxations (marginal values) keep them, their values unchanged.

    ``roles`` limits the roles looked at; the planner drops training lines only, since every
    inference line has its own replicas constraint, which the report lists as binding when the
    line is unused (0 <= 0), so dropping inference lines would change the report.
    """
    acc = caps[caps["category"] == "accelerator"]
    if acc.empty:
        return frozenset()
    own = (acc["mode"] == "own").to_numpy()
    figures = acc.assign(
        fabric_devices=np.where(own, acc["devices_per_unit"].to_numpy(dtype=float), 0.0),
        fabric_uplift_usd=np.where(own, acc["network_tier3_usd"].to_numpy(dtype=float), 0.0),
    )
    base = acc["base_id"].astype(str)
    alone = (base.map(caps["base_id"].astype(str).value_counts()) == 1).to_numpy()
    ids = np.asarray(acc.index, dtype=object)
    leads = np.isinf(acc["max_units"].to_numpy(dtype=float))
    out: set[tuple[str, str]] = set()
    for role, good_cols in LINE_GOOD.items():
        if role not in roles:
            continue
        cls = acc["order_multiple"].astype(str) + ":" + acc["min_order_quantity"].astype(str)
        if role == "training" and by_family:
            cls = cls + ":" + acc["family"].astype(str)
        # a line of a model with several lines is compared with its own model's lines only
        cls = (cls + ":" + np.where(alone, "", base)).to_numpy()
        good = figures[list(good_cols)].to_numpy(dtype=float)
        bad = figures[list(LINE_BAD[role])].to_numpy(dtype=float)
        out.update((str(ids[i]), role) for i in dominators(cls, good, bad, ids, leads))
    return frozenset(out)
