"""Fuzzing the boundary: random scenario files, overlay files and CLI values, plus a fixed corpus
of nasty files. Whatever comes in, the CLI answers with a plan (0), a one-line error naming the
problem (1 bad input, 2 usage, 3 infeasible), never a traceback or a solver failure.
"""

from __future__ import annotations

import json
import math

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import cli
from tests.conftest import DATA

TOY_OVERLAY = str(DATA / "toy-overlay.yaml")
BASE = yaml.safe_load((DATA / "toy-scenario.yaml").read_text())
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1e-300, 1e308, 0.5, 2, 1e6]),
)
text_values = st.one_of(st.text(max_size=20), st.sampled_from(["5B", "20MW", "yes", "1 billion", "25%", "", "~", "$$"]))
values = st.one_of(numbers, text_values, st.booleans(), st.none(), st.lists(numbers, max_size=3))


def _leaves(d: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in d.items():
        out += _leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]
    return out


LEAVES = _leaves(BASE)


def _with(path: str, value) -> dict:
    data = json.loads(json.dumps(BASE))
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    return data


def _check(r) -> None:
    assert r.exit_code in (0, 1, 2, 3), (r.exit_code, r.output)
    if r.exit_code == 0:
        d = json.loads(r.stdout)
        plans = [p for p in d["scenarios"] if p["status"] != "infeasible"] if "scenarios" in d else [d]
        for p in plans:
            assert p["cost_usd"]["total"] <= p["budget_usd"] * (1 + 1e-9)
            assert p["alpha"] is None or p["alpha"] >= p["alpha_floor"]
    else:
        err = r.stderr.strip()
        assert "Traceback" not in err and len(err) < 2000
        if r.exit_code in (1, 3):
            assert err.count("\n") == 0, err


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@FUZZ
@given(path=st.sampled_from(LEAVES), value=values)
def test_fuzz_one_scenario_field(tmp_path_factory, path, value):
    f = tmp_path_factory.mktemp("fz") / "s.yaml"
    try:
        f.write_text(yaml.safe_dump(_with(path, value)))
    except (ValueError, OverflowError):
        return
    _check(_run("--scenario", str(f), "--catalog", TOY_OVERLAY, "--format", "json", "-q"))


@FUZZ
@given(flag=st.sampled_from(["--budget", "--power-cap", "--alpha-floor", "--only", "--exclude", "--horizon"]), value=st.text(max_size=30))
def test_fuzz_cli_values(flag, value):
    _check(_run("--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", TOY_OVERLAY, flag, value, "--format", "json", "-q"))


@FUZZ
@given(
    field=st.sampled_from(["budget", "alpha_floor", "power_cap", "facility.pue", "horizon"]),
    raw=st.lists(st.text(max_size=12), min_size=1, max_size=3),
)
def test_fuzz_vary(field, raw):
    spec = f"{field}=" + ",".join(v.replace(",", "") for v in raw)
    _check(
        _run("whatif", "--scenario", str(DATA / "toy-scenario.yaml"), "--catalog", TOY_OVERLAY, "--vary", spec, "--format", "json", "-q")
    )


@FUZZ
@given(cells=st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=15), min_size=3, max_size=6))
def test_fuzz_overlay_csv(tmp_path_factory, cells):
    f = tmp_path_factory.mktemp("ov") / "q.csv"
    f.write_text("id,price_usd,date,source\n" + ",".join(json.dumps(c) for c in cells[:4]) + "\n", encoding="utf-8")
    r = _run("catalog", "validate", str(f))
    assert r.exit_code in (0, 1) and "Traceback" not in r.stderr


NASTY = {
    "alias-bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + "name: *i\n",
    "deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "duplicate-keys.yaml": "budget_usd: 1e6\nbudget_usd: 2e6\n",
    "huge-int.yaml": "budget_usd: " + "9" * 5000 + "\n",
    "bad-date.yaml": "start_date: 2026-13-45\n",
    "binary.yaml": "\x00\x01\x02\xff",
    "list.yaml": "- 1\n- 2\n",
    "tabs.yaml": "budget_usd:\t\t1e6\n\tfacility: {}\n",
    "bom.yaml": "\ufeffbudget_usd: 1e6\n",
    "bool-budget.yaml": "budget_usd: true\n",
    "nan-floor.yaml": "alpha_floor: .nan\n",
}


def test_nasty_corpus(tmp_path):
    for name, text in NASTY.items():
        f = tmp_path / name
        f.write_bytes(text.encode("utf-8", "surrogatepass") if "\x00" not in text else text.encode("latin-1"))
        r = _run("--scenario", str(f), "--format", "json", "-q")
        assert r.exit_code in (0, 1), (name, r.exit_code, r.output[:300])
        assert "Traceback" not in r.stderr and len(r.stderr) < 500, (name, r.stderr[:300])
        if name in ("duplicate-keys.yaml", "bool-budget.yaml", "nan-floor.yaml", "alias-bomb.yaml", "deep.yaml", "huge-int.yaml"):
            assert r.exit_code == 1, name


def test_math():  # a sanity check that the fuzz bounds are what they claim
    assert not math.isfinite(float("inf"))
