"""alpha_floor: auto — the long-run floor of one period and the per-period schedule (planner.floor).

The schedule is checked against the collapse model's own two-moment recursion
(planner.collapse.theory.expected_variance), which planner.floor does not use.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import build_scenario
from planner.cli import cli
from planner.collapse import recommend_floor
from planner.collapse.theory import expected_variance
from planner.errors import ScenarioError
from planner.floor import refits_by_period, schedule_floors
from planner.periods import PeriodsSpec, grid


def periods(count: int, length_years: float):
    return grid(PeriodsSpec(start=dt.date(2027, 1, 1), count=count, length_years=length_years))


def losses_of(floors, refits, n):
    """Loss of diversity 1 - v_k after each refit, by the two-moment recursion of planner.collapse."""
    alphas = [a for a, g in zip(floors, refits, strict=True) for _ in range(g)]
    v, _ = expected_variance(alphas, n)
    return 1.0 - v[1:]


def test_refits_fall_in_the_period_that_holds_them():
    # refit k at k / r years: 4 a year on yearly periods; 1 a year on quarters lands in every 4th
    assert refits_by_period(periods(3, 1.0), 4) == (4, 4, 4)
    assert refits_by_period(periods(8, 0.25), 1) == (0, 0, 0, 1, 0, 0, 0, 1)
    assert refits_by_period(periods(4, 1.0), 0.5) == (0, 1, 0, 1)


def test_no_refit_within_the_plan_holds_the_long_run_floor():
    # 1 refit a year on three quarters: the first refit comes after the plan, fed by its data
    assert schedule_floors(periods(3, 0.25), 100, 0.05, 1.0).floors == (0.11, 0.11, 0.11)


def test_hand_checked_schedule_one_refit_a_year():
    # n = 10, D = 0.2, one refit a year. With alpha = 0 each refit keeps (1 - 1/n) of the variance:
    # loss 0.1 after one refit, 0.19 after two, 0.271 after three, so years 1 and 2 need no floor.
    # Year 3 is the last: the long-run floor for n = 10, D = 0.2 is m = 2 (L(0.2) = 1/(10 * 0.2 * 1.8 + 0.8) = 0.227 > 0.2,
    # L(0.3) = 1/(10 * 0.3 * 1.7 + 0.7) = 0.171), so alpha = 0.3 there; from v = 0.81 one refit at 0.3
    # gives v = 0.9 (0.3 + 0.7 x 0.81) + 0.3 x 0.7 x 0.19 = 0.820, a loss of 0.18 <= 0.2.
    rec = recommend_floor(10, 0.2)
    assert rec.alpha_floor == pytest.approx(0.3)
    sched = schedule_floors(periods(3, 1.0), 10, 0.2, 1.0)
    assert sched.floors == (0.0, 0.0, pytest.approx(0.3))
    assert sched.losses[:2] == (pytest.approx(0.1), pytest.approx(0.19))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=5, max_value=2000),
    tolerance=st.floats(min_value=0.02, max_value=0.5),
    refits_per_year=st.sampled_from([0.5, 1.0, 2.0, 4.0, 12.0]),
    count=st.integers(min_value=1, max_value=12),
    length=st.sampled_from([0.25, 0.5, 1.0]),
)
def test_schedule_is_least_nondecreasing_and_keeps_every_refit_within_tolerance(n, tolerance, refits_per_year, count, length):
    if recommend_floor(n, tolerance).alpha_floor is None:
        return
    grid_ = periods(count, length)
    sched = schedule_floors(grid_, n, tolerance, refits_per_year)
    floors, refits = np.array(sched.floors), sched.refits
    assert np.all(np.diff(floors) >= -1e-12)  # non-decreasing
    assert np.all((floors >= 0) & (floors <= 1))
    loss = losses_of(sched.floors, refits, n)
    assert loss.size == 0 or loss.max() <= tolerance + 1e-9  # within tolerance after every refit
    with_refits = [t for t, g in enumerate(refits) if g]
    assert floors[-1] >= recommend_floor(n, tolerance).alpha_floor - 1e-12  # the last floor holds the long-run one
    # least: one sample fewer in a period with refits either breaks the tolerance there or goes
    # below the previous period's floor or (in the last such period) below the long-run floor
    for k, t in enumerate(with_refits):
        m = round(floors[t] * n)
        if m == 0:
            continue
        lower = list(sched.floors)
        lower[t] = (m - 1) / n
        prev = floors[with_refits[k - 1]] if k else 0.0
        last = t == len(floors) - 1
        broke = losses_of(lower[: t + 1], refits[: t + 1], n).max() > tolerance + 1e-12
        assert broke or lower[t] < prev - 1e-12 or (last and lower[t] < recommend_floor(n, tolerance).alpha_floor - 1e-12)


def test_auto_in_a_periodised_scenario_sets_every_period_and_its_basis():
    s = build_scenario({"alpha_floor": "auto", "periods": {"start": "2027-01-01", "count": 4, "length_years": 1}})
    floors = s.periods.values["alpha_floor"]
    assert len(floors) == 4 and floors[0] == s.alpha_floor
    assert list(floors) == sorted(floors) and floors[-1] >= recommend_floor(100, 0.05).alpha_floor
    assert s.alpha_floor_basis.startswith("collapse schedule: n = 100 samples per refit, 4 refits a year")


def test_auto_in_a_one_period_scenario_is_the_long_run_floor():
    s = build_scenario({"alpha_floor": "auto", "collapse_floor": {"samples_per_refit": 1000}})
    assert s.alpha_floor == recommend_floor(1000, 0.05).alpha_floor
    assert s.alpha_floor_basis.startswith("collapse recommendation: n = 1000")


def test_unreachable_tolerance_is_a_one_line_error_naming_the_field():
    with pytest.raises(ScenarioError) as exc:
        build_scenario(
            {
                "alpha_floor": "auto",
                "collapse_floor": {"tolerance": 0.001},
                "periods": {"start": "2027-01-01", "count": 2, "length_years": 1},
            }
        )
    assert exc.value.field == "collapse_floor.tolerance" and "\n" not in str(exc.value)


def test_cli_auto_floor_plans_each_period_at_or_above_its_floor(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text(
        "budget_usd: [1.0e8, 1.0e8, 1.0e8]\n"
        "collapse_floor: {refits_per_year: 12}\n"
        "periods: {start: 2027-01-01, as_of: 2026-12-01, count: 3, length_years: 1, budget_scope: per-period}\n"
    )
    r = CliRunner().invoke(cli, ["--scenario", str(scen), "--alpha-floor", "auto", "--collapse-samples", "200", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    expected = schedule_floors(periods(3, 1.0), 200, 0.05, 12, 1e-4).floors
    assert [p["alpha_floor"] for p in d["periods"]] == pytest.approx(list(expected))
    assert all(p["alpha"] >= p["alpha_floor"] - 1e-6 for p in d["periods"])
    assert d["alpha_floor_basis"].startswith("collapse schedule: n = 200")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("automatic", "expected a share like 0.25 or 25%, or auto"),
        ([0.1, "auto"], "auto applies to the whole field"),
        ({"first": "auto", "growth_per_year": 0.1}, "auto applies to the whole field"),
    ],
)
def test_floor_text_errors_name_auto(value, expected):
    periods = {"start": "2027-01-01", "count": 2, "length_years": 1}
    with pytest.raises(ScenarioError) as exc:
        build_scenario({"alpha_floor": value, "periods": periods})
    assert exc.value.field == "alpha_floor" and expected in str(exc.value)


def test_auto_is_case_blind_in_files_and_flags(tmp_path):
    assert build_scenario({"alpha_floor": " AUTO "}).alpha_floor == recommend_floor(100, 0.05).alpha_floor
    r = CliRunner().invoke(cli, ["--alpha-floor", "Auto", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["alpha_floor_basis"].startswith("collapse recommendation")


def test_error_found_while_planning_names_the_scenario_file(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("periods: {start: 2027-01-01, count: 2, length_years: 1, role_change_usd: {gpuu: 5}}\n")
    r = CliRunner().invoke(cli, ["--scenario", str(scen), "-q"])
    assert r.exit_code == 1
    assert f"{scen}, field 'periods.role_change_usd': 'gpuu' is not an id, kind or category" in r.stderr


def test_settings_a_plan_cannot_use_are_warned(toy_catalog):
    from planner import plan
    from planner.scenario import unused_settings

    assert unused_settings(build_scenario()) == ()
    (w,) = unused_settings(build_scenario({"periods": {"count": 2, "role_change_usd": {"gpu": 100}}}))
    assert w.startswith("periods.count, periods.role_change_usd set without periods.start")
    (w,) = unused_settings(build_scenario({"collapse_floor": {"tolerance": 0.1}}))
    assert "collapse_floor is set but alpha_floor is not auto" in w
    assert unused_settings(build_scenario({"alpha_floor": "auto", "collapse_floor": {"tolerance": 0.1}})) == ()
    p = plan(build_scenario({"collapse_floor": {"tolerance": 0.1}, "catalog": {"only": ["toy-gpu", "toy-cpu"]}}), toy_catalog)
    assert any("collapse_floor is set" in x for x in p.warnings)


def test_regime_of_a_schedule_with_unfloored_periods_says_so():
    from planner import plan

    s = build_scenario(
        {
            "alpha_floor": "auto",
            "collapse_floor": {"refits_per_year": 0.5},
            "budget_usd": [1.0e8, 1.0e8, 1.0e8, 1.0e8],
            "periods": {"start": "2027-01-01", "as_of": "2026-12-01", "count": 4, "length_years": 1, "budget_scope": "per-period"},
        }
    )
    assert s.periods.values["alpha_floor"] == (0.0, 0.0, 0.11, 0.11)
    p = plan(s)
    assert p.regime == "anchored"
    assert p.regime_note.endswith("from the last period on; periods 1, 2 had no floor")


def test_changes_derive_an_auto_floor_again():
    from planner import with_changes

    base = {"alpha_floor": "auto", "periods": {"start": "2027-01-01", "count": 4, "length_years": 1}}
    s = build_scenario(base)
    changed = with_changes(s, {"collapse_floor.tolerance": 0.2})
    fresh = build_scenario({**base, "collapse_floor": {"tolerance": 0.2}})
    assert changed.periods.values["alpha_floor"] == fresh.periods.values["alpha_floor"] != s.periods.values["alpha_floor"]
    assert with_changes(s, {"alpha_floor": 0.2}).periods.values.get("alpha_floor") is None  # a set floor wins


def test_yaml_exponent_text_reads_as_a_number_in_per_item_tables():
    s = build_scenario(
        {
            "periods": {"start": "2027-01-01", "count": 2, "length_years": 1, "role_change_usd": {"accelerator": "5e4"}},
            "collapse_floor": {"samples_per_refit": "1e15"},
        }
    )
    assert s.periods.role_change_usd == {"accelerator": 50000.0} and s.collapse_floor.samples_per_refit == 10**15


def test_flag_errors_are_not_blamed_on_the_scenario_file(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("name: s\n")
    r = CliRunner().invoke(cli, ["--scenario", str(scen), "--only", "nosuch-item", "-q"])
    assert r.exit_code == 1 and str(scen) not in r.stderr and "field 'catalog.only'" in r.stderr


@pytest.mark.parametrize(
    "body",
    [
        "alpha_floor: auto\ncollapse_floor: {tolerance: 0.001}\n",
        "collapse_floor: {refits_per_year: .inf}\n",
        "periods: {start: 2027-01-01, count: 2, length_years: 1, role_change_usd: {gpu: yes}}\n",
    ],
)
def test_bad_new_fields_exit_1_and_write_nothing(tmp_path, body):
    scen, out = tmp_path / "s.yaml", tmp_path / "plan.json"
    scen.write_text(body)
    r = CliRunner().invoke(cli, ["--scenario", str(scen), "--format", "json", "--output", str(out), "-q"])
    assert r.exit_code == 1 and not out.exists()
    assert r.stderr.count("\n") == 1 and str(scen) in r.stderr
