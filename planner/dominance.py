"""Dominance between rows of the capabilities table (``planner.stages.dominated``).

It drops only what an optimal plan never needs: any plan using a dominated row stays feasible and
no worse with the dominating one instead, so the optimum is unchanged and the MILP is smaller.
"""

from __future__ import annotations

import numpy as np

TOL = 1e-12


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
