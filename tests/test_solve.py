"""Solver adapters (planner.solve): the cached MPS writer of the staged solve writes PuLP's own file."""

from __future__ import annotations

import pulp
import pytest

from planner.solve import CachedMPS, cached_mps, solve


def _model() -> tuple[pulp.LpProblem, dict[str, pulp.LpVariable]]:
    """Every kind of row and bound PuLP writes: <=, >=, == rows with constants, integer, binary,
    free, bounded-below, fixed and unbounded variables, and a variable outside the objective."""
    p = pulp.LpProblem("cached", pulp.LpMaximize)
    v = {
        "n": pulp.LpVariable("n", lowBound=0, upBound=40, cat=pulp.LpInteger),
        "z": pulp.LpVariable("z", lowBound=0, upBound=1, cat=pulp.LpBinary),
        "x": pulp.LpVariable("x", lowBound=0),
        "f": pulp.LpVariable("f"),
        "m": pulp.LpVariable("m", upBound=3),
        "k": pulp.LpVariable("k", lowBound=2, cat=pulp.LpInteger),
        "s": pulp.LpVariable("s", lowBound=0),
    }
    p += 3 * v["n"] + 2.5 * v["x"] + 0.125 * v["f"] + v["m"] + 1e-7 * v["k"] - 5 * v["z"]
    p += (v["n"] + v["x"] + v["k"] <= 50.5, "cap")
    p += (v["n"] - 40 * v["z"] <= 0, "bought")
    p += (v["x"] - v["f"] + 1.5 >= 0.25, "floor")
    p += (v["f"] + v["m"] + v["s"] == 7, "balance")
    return p, v


def _pulp_file(p: pulp.LpProblem, path) -> tuple[bytes, tuple]:
    out = pulp.LpProblem.writeMPS(p, str(path), rename=1)
    return path.read_bytes(), out


def test_cached_writer_writes_pulps_file_byte_for_byte(tmp_path):
    p, v = _model()
    cached = CachedMPS(p)
    states = [
        {},
        {"n": {"cat": pulp.LpContinuous}},  # relaxed
        {"n": {"cat": pulp.LpInteger, "lowBound": 7, "upBound": 7}, "x": {"upBound": 9.5}},  # fixed, then bounded
        {"z": {"lowBound": 1, "upBound": 1}, "f": {"lowBound": -3}},
    ]
    for k, changes in enumerate(states):
        for name, attrs in changes.items():
            for attr, value in attrs.items():
                setattr(v[name], attr, value)
        expected, (vs, names, rows, obj) = _pulp_file(p, tmp_path / f"pulp{k}.mps")
        got = cached.write(str(tmp_path / f"cached{k}.mps"), rename=1)
        assert (tmp_path / f"cached{k}.mps").read_bytes() == expected, k
        assert [x.name for x in got[0]] == [x.name for x in vs] and got[1:] == (names, rows, obj)


def test_solves_through_the_cached_writer_match(tmp_path):
    plain, _ = _model()
    r = solve(plain, "cbc")
    cached, v = _model()
    with cached_mps(cached):
        assert cached.writeMPS.__self__.__class__ is CachedMPS
        assert cached.variablesDict() == pulp.LpProblem.variablesDict(cached)
        first = solve(cached, "cbc")
        v["n"].lowBound = v["n"].upBound = 10  # a stage fixes a decision
        second = solve(cached, "cbc")
    assert "writeMPS" not in vars(cached) and "variablesDict" not in vars(cached)  # the block leaves PuLP's own in place
    # by hand: m = 3, f = 4, s = 0 (0.125 f + m = 3.5); k = 2; n = 40 (z = 1), x = 8.5: 139.75 + 2e-7
    assert r.objective == pytest.approx(139.75 + 2e-7, rel=1e-12) and first.objective == pytest.approx(r.objective, rel=1e-12)
    assert v["n"].varValue == 10 and second.objective == pytest.approx(30 + 2.5 * 38.5 - 5 + 3.5 + 2e-7, rel=1e-12)


def test_cached_writer_needs_an_objective():
    p = pulp.LpProblem("empty", pulp.LpMinimize)
    p += pulp.LpVariable("y", lowBound=0) >= 1
    with pytest.raises(ValueError, match="objective"):
        CachedMPS(p)


def test_a_row_added_in_the_block_falls_back_to_pulps_writer(tmp_path):
    p, v = _model()
    cached = CachedMPS(p)
    p += (v["x"] <= 4, "later")  # a new row: the cached text would miss it
    v["t"] = pulp.LpVariable("t", lowBound=0, upBound=2)
    p += (v["t"] + v["m"] <= 4, "newer")  # and a new variable
    assert cached.stale()
    expected, _ = _pulp_file(p, tmp_path / "pulp.mps")
    cached.write(str(tmp_path / "cached.mps"), rename=1)
    assert (tmp_path / "cached.mps").read_bytes() == expected
    assert "t" in cached.variables_dict()
    with cached_mps(p):
        r = solve(p, "cbc")
    assert r.objective == pytest.approx(3 * 40 + 2.5 * 4 - 5 + 3.5 + 6e-7, rel=1e-12)  # x <= 4 leaves room for k = 6
