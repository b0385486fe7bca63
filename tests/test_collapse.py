"""Collapse simulator: closed forms checked with tolerances from the Monte-Carlo standard error."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.collapse import expected_variance, long_run_loss, parse_schedule, recommend_floor, simulate, zipf
from planner.collapse.simulate import exogenous_counts, simulate_categorical, simulate_gaussian

Z = 4.0  # tolerance in standard errors (a false failure has probability ~6e-5 per check)


def _check_mean(samples: np.ndarray, expected: float) -> None:
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - expected) <= Z * se + 1e-12, (samples.mean(), expected, se)


def test_rounding_half_up():
    assert exogenous_counts([0.0, 0.004, 0.005, 0.015, 0.5, 1.0], 100).tolist() == [0, 0, 1, 2, 50, 100]
    assert exogenous_counts([0.125], 10).tolist() == [1]  # 1.25 -> 1; effective alpha 0.1


@pytest.mark.parametrize("n", [5, 50])
def test_alpha0_mle_variance_decays_geometrically(n):
    # E[sigma_t^2] = sigma0^2 (1 - 1/n)^t at alpha = 0 with the MLE refit
    _mu, var, _ = simulate_gaussian([0.0] * 10, samples=n, runs=40000, seed=1)
    for t in (1, 3, 10):
        _check_mean(var[t], (1 - 1 / n) ** t)


def test_unbiased_mean_flat_median_falls():
    # unbiased: E[sigma_t^2] stays sigma0^2 while the median shrinks (mean hides collapse)
    _mu, var, _ = simulate_gaussian([0.0] * 50, samples=10, runs=40000, estimator="unbiased", seed=2)
    _check_mean(var[5], 1.0)
    assert np.median(var[50]) < 0.2
    assert np.log(var[50]).mean() < -1.0


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5])
def test_second_moment_conserved(alpha):
    # E[sigma_t^2 + (mu_t - mu_0)^2] = sigma0^2 for every t under the MLE refit (any deterministic alpha)
    mu, var, _ = simulate_gaussian([alpha] * 20, samples=20, runs=40000, seed=3)
    for t in (1, 5, 20):
        _check_mean(var[t] + mu[t] ** 2, 1.0)


def test_recursion_matches_simulation():
    alphas = [0.3] * 15
    v, d = expected_variance(alphas, 20)
    mu, var, _ = simulate_gaussian(alphas, samples=20, runs=40000, seed=4)
    for t in (1, 5, 15):
        _check_mean(var[t], v[t])
        _check_mean(mu[t] ** 2, d[t])
    assert np.allclose(v + d, 1.0)


def test_long_run_loss_fixed_point():
    for a, n in ((0.1, 100), (0.5, 10), (1.0, 30)):
        v, _ = expected_variance([a] * 3000, n)
        assert v[-1] == pytest.approx(1 - long_run_loss(a, n), rel=1e-9)
    assert long_run_loss(1.0, 50) == pytest.approx(1 / 50)
    assert long_run_loss(0.0, 50) == 1.0


def test_long_run_loss_simulated():
    a, n = 0.2, 50
    _mu, var, _ = simulate_gaussian([a] * 150, samples=n, runs=40000, seed=5)
    _check_mean(var[-1], 1 - long_run_loss(a, n))


def test_cost_does_not_depend_on_n():
    # sufficient statistics: n = 10^9 runs as fast as n = 100 and matches (1 - 1/n)^t
    _mu, var, _ = simulate_gaussian([0.0] * 5, samples=10**9, runs=2000, seed=6)
    assert var[5].mean() == pytest.approx((1 - 1e-9) ** 5, abs=1e-3)


def test_accumulate_mode_stays_anchored():
    # Gerstgrasser et al. 2024: accumulating data avoids collapse even at alpha = 0
    _, var_r, _ = simulate_gaussian([0.0] * 100, samples=20, runs=4000, mode="replace", seed=7)
    _, var_a, _ = simulate_gaussian([0.0] * 100, samples=20, runs=4000, mode="accumulate", seed=7)
    assert np.median(var_r[-1]) < 0.1
    assert np.median(var_a[-1]) > 0.5


def test_categorical_vanish_probability():
    # a symbol of mass p vanishes in one generation with probability (1 - p)^n at alpha = 0
    p = zipf(20, 1.2)
    n, runs = 40, 40000
    _, _, tracked = simulate_categorical([0.0], samples=n, runs=runs, p=p, seed=8, track=[0, 9, 19])
    for j, k in enumerate((0, 9, 19)):
        gone = (tracked[1, :, j] == 0).astype(float)
        expected = (1 - p[k]) ** n
        se = math.sqrt(expected * (1 - expected) / runs)
        assert abs(gone.mean() - expected) <= Z * se + 1e-12


def test_categorical_zeros_never_return_at_alpha0():
    p = zipf(30, 1.0)
    metrics, _, _ = simulate_categorical([0.0] * 60, samples=30, runs=500, p=p, seed=9)
    support = metrics["support"]
    assert np.all(np.diff(support, axis=0) <= 0)  # per run, support never grows
    assert support[-1].mean() < support[1].mean()


def test_categorical_floor_keeps_support():
    p = zipf(30, 1.0)
    low, _, _ = simulate_categorical([0.0] * 100, samples=200, runs=300, p=p, seed=10)
    high, _, _ = simulate_categorical([0.3] * 100, samples=200, runs=300, p=p, seed=10)
    assert high["entropy"][-1].mean() > low["entropy"][-1].mean()
    assert high["missing_mass"][-1].mean() < low["missing_mass"][-1].mean()


def test_categorical_one_generation_expectations():
    # E[sum q^2] after one multinomial refit from the truth: sum p^2 + (1 - sum p^2) / n
    p = zipf(10, 1.0)
    n, runs = 25, 40000
    metrics, _, _ = simulate_categorical([0.0], samples=n, runs=runs, p=p, seed=11)
    s2 = float((p**2).sum())
    _check_mean(1 - metrics["gini"][1], s2 + (1 - s2) / n)
    _check_mean(metrics["l2_sq"][1], (1 - s2) / n)  # E||q - p||^2 = (1 - sum p^2) / n


def test_series_contract():
    r = simulate("gaussian", [0.1] * 7, samples=50, runs=100, seed=0)
    d = r.to_dict()
    for key in ("family", "alpha", "samples", "generations", "runs", "series"):
        assert key in d
    assert set(d["series"]) == {"variance_mean", "variance_median", "log_variance_mean", "mean_sq_drift"}
    assert all(len(v) == 8 for v in d["series"].values())
    assert d["series"]["variance_mean"][0] == 1.0
    c = simulate("categorical", [0.1] * 3, samples=50, runs=10, seed=0, zipf_k=5).to_dict()
    assert set(c["series"]) == {"support_mean", "entropy_mean", "gini_mean", "missing_mass_mean", "l2_sq_mean"}
    assert c["series"]["support_mean"][0] == 5


def test_seeded_reproducible():
    a = simulate("gaussian", [0.0] * 5, samples=10, runs=50, seed=42).series
    b = simulate("gaussian", [0.0] * 5, samples=10, runs=50, seed=42).series
    assert a == b


def test_schedules():
    assert parse_schedule("const:0.2", 3) == [0.2, 0.2, 0.2]
    assert parse_schedule("exp:0.5,0.5", 3) == [0.5, 0.25, 0.125]
    assert parse_schedule("linear:0.4,2", 4) == [0.4, 0.2, 0.0, 0.0]
    assert parse_schedule("harmonic:0.6", 3) == pytest.approx([0.6, 0.3, 0.2])
    assert parse_schedule("cyclic:0.3,4,1", 6) == [0.3, 0, 0, 0, 0.3, 0]
    assert parse_schedule("list:0.1,0.2", 4) == [0.1, 0.2, 0.2, 0.2]
    for bad in ("exp:0.5", "wave:1", "const:2", "list:", "cyclic:0.1,0,1", "const:x"):
        with pytest.raises(ValueError):
            parse_schedule(bad, 5)


def test_decaying_schedule_collapses_constant_anchors():
    decay = simulate("gaussian", parse_schedule("exp:0.5,0.9", 300), samples=20, runs=4000, seed=12)
    const = simulate("gaussian", [0.2] * 300, samples=20, runs=4000, seed=12)
    assert decay.series["variance_median"][-1] < 0.05
    assert const.series["variance_median"][-1] > 0.5


def test_recommend_floor():
    r = recommend_floor(100, 0.05)
    assert r.alpha_floor == pytest.approx(0.11)
    assert long_run_loss(r.alpha_floor, 100) <= 0.05 < long_run_loss(r.alpha_floor - 0.01, 100)
    assert long_run_loss(r.alpha_continuous, 100) == pytest.approx(0.05)
    none = recommend_floor(100, 0.005)
    assert none.alpha_floor is None and "no root" in none.derivation
    with pytest.raises(ValueError):
        recommend_floor(1, 0.1)


# ---------------------------------------------------------------------------------------- CLI


def test_cli_collapse_json_contract():
    r = CliRunner().invoke(
        cli, ["collapse", "--alpha", "0.1", "--samples", "50", "--generations", "10", "--runs", "200", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["family"] == "gaussian" and d["alpha"] == 0.1 and d["samples"] == 50 and d["generations"] == 10 and d["runs"] == 200
    assert len(d["series"]["variance_mean"]) == 11


def test_cli_collapse_formats(tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        cli, ["collapse", "--family", "categorical", "--zipf-k", "20", "--samples", "100", "--generations", "10", "--runs", "50"]
    )
    assert r.exit_code == 0 and "support_mean" in r.stdout
    out = tmp_path / "c.html"
    r = runner.invoke(
        cli,
        [
            "collapse",
            "--schedule",
            "exp:0.5,0.9",
            "--alpha",
            "0.2",
            "--generations",
            "20",
            "--runs",
            "50",
            "--format",
            "html",
            "--output",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert html.count("<svg") == 4 and "<script" not in html
    r = runner.invoke(
        cli,
        [
            "collapse",
            "--estimator",
            "unbiased",
            "--mode",
            "accumulate",
            "--seed",
            "3",
            "--runs",
            "20",
            "--generations",
            "5",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0 and isinstance(json.loads(r.stdout), list)


def test_cli_recommend():
    runner = CliRunner()
    r = runner.invoke(cli, ["collapse", "--recommend", "--samples", "100", "--tolerance", "0.05", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["alpha_floor"] == pytest.approx(0.11)
    r = runner.invoke(cli, ["collapse", "--recommend", "--samples", "100", "--tolerance", "0.001"])
    assert r.exit_code == 0 and "No alpha <= 1" in r.stdout
    r = runner.invoke(cli, ["collapse", "--recommend"])
    assert r.exit_code == 2 and "--tolerance" in r.stderr
    r = runner.invoke(cli, ["collapse", "--schedule", "wave:1"])
    assert r.exit_code == 2 and "unknown schedule" in r.stderr


def test_plan_alpha_floor_auto():
    runner = CliRunner()
    r = runner.invoke(cli, ["--alpha-floor", "auto", "--collapse-samples", "100", "--collapse-tolerance", "0.05", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["alpha_floor"] == pytest.approx(0.11)
    assert d["alpha_floor_basis"].startswith("collapse recommendation")
    assert d["regime"] == "anchored" and "anchored" in d["regime_note"]
    r = runner.invoke(cli, ["--alpha-floor", "auto", "--collapse-tolerance", "0.001", "-q"])
    assert r.exit_code == 1 and "no alpha <= 1" in r.stderr
