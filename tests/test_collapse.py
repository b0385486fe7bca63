"""Collapse simulator: closed forms checked with tolerances from the Monte-Carlo standard error."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tracemalloc
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.collapse import expected_variance, long_run_loss, parse_schedule, recommend_floor, simulate, zipf
from planner.collapse.limits import RECOMMEND_SAMPLES_MAX, SAMPLES_MAX, estimate_peak_bytes
from planner.collapse.simulate import exogenous_counts, simulate_categorical, simulate_gaussian
from planner.collapse.stats import order_statistics

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


# ---------------------------------------------------------------------------------------- streaming (issue 12)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 10, 21, 1000, 20001])
def test_order_statistics_bitwise_equal_numpy(n):
    rng = np.random.default_rng(n)
    for x in (rng.normal(size=n), np.round(rng.normal(size=n), 1), rng.chisquare(3, size=n) / 7):
        got = order_statistics(x, (0.05, 0.95), median=True)
        assert got == [*np.quantile(x, (0.05, 0.95)).tolist(), float(np.median(x))]
        assert order_statistics(x, (0.05, 0.95)) == np.quantile(x, (0.05, 0.95)).tolist()
    x = rng.normal(size=n)
    x[n // 2] = np.nan
    assert all(math.isnan(v) for v in order_statistics(x, (0.05, 0.95), median=True))


def _old_gaussian_summary(mu, var):
    """The previous implementation's statistics of whole histories (rows = generations)."""
    lo, hi = np.quantile(var, (0.05, 0.95), axis=1)
    mlo, mhi = np.quantile(mu, (0.05, 0.95), axis=1)
    with np.errstate(divide="ignore"):
        series = {
            "variance_mean": var.mean(axis=1).tolist(),
            "variance_median": np.median(var, axis=1).tolist(),
            "log_variance_mean": np.log(var).mean(axis=1).tolist(),
            "mean_sq_drift": (mu**2).mean(axis=1).tolist(),
        }
    return series, {"variance": {"p05": lo.tolist(), "p95": hi.tolist()}, "mean": {"p05": mlo.tolist(), "p95": mhi.tolist()}}


@pytest.mark.parametrize("mode,estimator,runs", [("replace", "mle", 1), ("replace", "mle", 1001), ("accumulate", "unbiased", 400)])
def test_streamed_gaussian_equals_statistics_of_history(mode, estimator, runs):
    alphas = parse_schedule("exp:0.5,0.8", 30)
    r = simulate("gaussian", alphas, samples=40, runs=runs, mode=mode, estimator=estimator, seed=5, history=True)
    mu, var, _ = simulate_gaussian(alphas, samples=40, runs=runs, mode=mode, estimator=estimator, seed=5)
    assert np.array_equal(r.history["mu"], mu) and np.array_equal(r.history["var"], var)
    assert (r.series, r.bands) == _old_gaussian_summary(mu, var)
    assert simulate("gaussian", alphas, samples=40, runs=runs, mode=mode, estimator=estimator, seed=5).history is None


@pytest.mark.parametrize("mode", ["replace", "accumulate"])
def test_streamed_categorical_equals_statistics_of_history(mode):
    r = simulate("categorical", [0.1] * 15, samples=60, runs=301, zipf_k=12, mode=mode, seed=6)
    hist, _, _ = simulate_categorical([0.1] * 15, samples=60, runs=301, p=zipf(12, 1.1), mode=mode, seed=6)
    assert r.series == {f"{k}_mean": v.mean(axis=1).tolist() for k, v in hist.items()}
    for name in ("support", "entropy"):
        lo, hi = np.quantile(hist[name], (0.05, 0.95), axis=1)
        assert r.bands[name] == {"p05": lo.tolist(), "p95": hi.tolist()}


def test_same_numbers_as_before_streaming():
    # values of the previous (whole-history) implementation for the same seeds: same draws, same order
    g = simulate("gaussian", [0.1] * 20, samples=50, runs=1000, seed=3)
    assert g.series["variance_median"][-1] == 0.8144956592877121
    assert g.series["variance_mean"][-1] == 0.897225567978128
    assert g.bands["variance"]["p05"][-1] == 0.43405289587630147
    assert g.bands["mean"]["p95"][-1] == 0.4515415503132669
    c = simulate("categorical", [0.1] * 20, samples=50, runs=1000, mode="accumulate", seed=3, zipf_k=12)
    assert c.series["entropy_mean"][-1] == 1.9496991426562404
    assert c.bands["support"]["p05"][-1] == 11.0
    assert c.bands["entropy"]["p95"][-1] == 2.1573286452751677


_IMPORTS = "import sys, {mod}; print(sorted(m for m in ('pandas','pulp','jinja2','matplotlib') if m in sys.modules))"
_STUB = "import sys, types; pkg = types.ModuleType('planner'); pkg.__path__ = [{path!r}]; sys.modules['planner'] = pkg; "


def _heavy_modules(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_collapse_modules_import_only_numpy_and_stdlib():
    # planner/__init__.py replaced by an empty package: what the collapse modules themselves pull in
    path = str(Path(__file__).resolve().parent.parent / "planner")
    for mod in ("planner.collapse.simulate", "planner.collapse"):
        assert _heavy_modules(_STUB.format(path=path) + _IMPORTS.format(mod=mod)) == "[]"


def test_import_collapse_is_lazy():
    assert _heavy_modules(_IMPORTS.format(mod="planner.collapse.simulate as s")) == "[]"


# ---------------------------------------------------------------------------------------- bounded work and numerics (issue 14)


@pytest.mark.parametrize(
    "text",
    [
        "const:nan",
        "const:inf",
        "exp:0.5,nan",
        "exp:0,inf",
        "linear:0.5,inf",
        "harmonic:-inf",
        "list:0.1,nan",
        "cyclic:0.1,inf,1",
        "cyclic:0.1,nan,1",
        "cyclic:0.1,2.5,1",
        "const:-0.1",
        "exp:0.5,2",
    ],
)
def test_schedule_rejects_non_finite_and_out_of_range(text):
    with pytest.raises(ValueError, match="schedule") as err:
        parse_schedule(text, 5)
    assert text in str(err.value) and "\n" not in str(err.value)


def test_schedule_rejects_bad_generations():
    for g in (0, -3, 1.5, math.nan):
        with pytest.raises(ValueError, match="generations"):
            parse_schedule("const:0.1", g)


def test_cli_schedule_nan_is_a_usage_error():
    r = CliRunner().invoke(cli, ["collapse", "--schedule", "const:nan", "--generations", "3", "--runs", "5"])
    assert r.exit_code == 2 and "finite" in r.stderr


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(seed=-1), "seed must be a non-negative integer"),
        (dict(seed=1.5), "seed"),
        (dict(samples=2**63 + 1), "samples"),
        (dict(samples=SAMPLES_MAX + 1), "samples"),
        (dict(samples=math.nan), "samples"),
        (dict(runs=0), "runs"),
        (dict(estimator="MLE"), "estimator"),
        (dict(mode="append"), "mode"),
        (dict(alphas=[0.1, math.nan]), "alpha_2"),
        (dict(alphas=[math.inf]), "alpha_1"),
        (dict(alphas=[]), "at least one generation"),
        (dict(family="categorical", zipf_s=math.nan), "zipf_s"),
        (dict(family="categorical", zipf_k=0), "zipf_k"),
        (dict(family="poisson"), "family"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs, match):
    args = dict(family="gaussian", alphas=[0.1] * 3, samples=50, runs=10, seed=0) | kwargs
    family, alphas = args.pop("family"), args.pop("alphas")
    with pytest.raises(ValueError, match=match) as err:
        simulate(family, alphas, **args)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "family,kwargs",
    [
        ("gaussian", dict(samples=100, runs=10**13)),
        ("categorical", dict(samples=10**9, runs=1000)),  # 5e8 exogenous draws per run and a c log c table of 1e9
        ("categorical", dict(samples=10**6, runs=1, mode="accumulate")),  # table of n T = 1e11 counts
        ("categorical", dict(samples=100, runs=10**6, zipf_k=10**5)),
    ],
)
def test_oversized_simulation_refused_before_allocating(family, kwargs):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"GiB .*above the limit of 2 GiB") as err:
            simulate(family, [0.5] * 100_000, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the alphas list and the checks; nothing of the simulation's size
    assert f"{kwargs['runs']} runs" in str(err.value) and "\n" not in str(err.value)


def test_memory_limit_is_overridable():
    with pytest.raises(ValueError, match="above the limit"):
        simulate("gaussian", [0.1] * 5, samples=20, runs=1000, max_memory_bytes=10_000)
    with pytest.raises(ValueError, match="above the limit"):
        simulate_gaussian([0.1] * 5, samples=20, runs=1000, max_memory_bytes=10_000)
    assert simulate("gaussian", [0.1] * 5, samples=20, runs=1000, max_memory_bytes=None).runs == 1000
    small = estimate_peak_bytes("gaussian", generations=200, samples=100, runs=20000)
    assert small < estimate_peak_bytes("gaussian", generations=200, samples=100, runs=20000, history=True)


def test_huge_samples_gaussian_within_limit():
    r = simulate("gaussian", [0.1] * 3, samples=SAMPLES_MAX, runs=50, seed=1)
    assert r.effective_alpha == pytest.approx([0.1] * 3, rel=1e-15) and r.samples == SAMPLES_MAX
    assert all(math.isfinite(v) for v in r.series["variance_mean"])


def _minimal(n: int, tol: float, m: int) -> bool:
    """Exact: L(m/n) <= D and L((m - 1)/n) > D, with L(m/n) = n / (m (2n - m) + n - m)."""

    def loss(k: int) -> Fraction:
        return Fraction(n, k * (2 * n - k) + n - k)

    return loss(m) <= Fraction(tol) and (m == 0 or loss(m - 1) > Fraction(tol))


@pytest.mark.parametrize(
    "n",
    [10**16, 10**18, 2**63 - 1, 2**63 + 5, 10**20, 1e18, 10**300],
    ids=["1e16", "1e18", "2^63-1", "2^63+5", "1e20", "float-1e18", "1e300"],
)
@pytest.mark.parametrize("tol", [0.05, 1e-3, 1e-6])
def test_recommend_floor_minimal_for_huge_n(n, tol):
    r = recommend_floor(n, tol)
    m, nn = r.exogenous_per_generation, int(n)
    assert m is not None and _minimal(nn, tol, m)
    assert r.alpha_floor == m / nn > 0
    assert long_run_loss(r.alpha_floor, nn) <= tol < long_run_loss((m - 1) / nn, nn)
    assert r.alpha_continuous == pytest.approx(m / nn, rel=1e-3, abs=1 / nn)


def test_recommend_floor_exact_for_small_n():
    for n in (2, 3, 7, 100, 12345):
        for tol in (0.9, 0.3, 0.05, 0.011, 1 / (n + 0.1)):
            r = recommend_floor(n, tol)
            if r.exogenous_per_generation is not None:
                assert _minimal(n, tol, r.exogenous_per_generation)
            else:  # no integer m in [0, n]
                assert all(not _minimal(n, tol, m) for m in range(n + 1))
    gap = recommend_floor(10, 1 / 10.01)  # a root below 1 but between integers: m = 9 and 10 both lose exactly 1/10
    assert gap.alpha_floor is None and gap.alpha_continuous is not None and "no integer" in gap.derivation


@pytest.mark.parametrize(
    "n", [RECOMMEND_SAMPLES_MAX + 1, 1, 1.5, math.nan, math.inf, -5], ids=["above-max", "1", "1.5", "nan", "inf", "-5"]
)
def test_recommend_floor_rejects_unrepresentable_samples(n):
    with pytest.raises(ValueError, match="samples"):
        recommend_floor(n, 0.05)


@pytest.mark.parametrize("tol", [math.nan, math.inf, 0.0, 1.0, -0.1])
def test_recommend_floor_rejects_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tolerance"):
        recommend_floor(100, tol)


def test_cli_recommend_huge_samples_minimal():
    args = ["collapse", "--recommend", "--samples", str(10**18), "--tolerance", "0.001", "--format", "json"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["exogenous_per_generation"] == 500 and d["alpha_floor"] == 5e-16


@pytest.mark.parametrize(
    "family,kwargs,alphas",
    [
        ("gaussian", dict(samples=100, runs=50_000, mode="accumulate"), [0.1] * 5),
        ("gaussian", dict(samples=100, runs=5_000, history=True), [0.1] * 40),
        ("categorical", dict(samples=400, runs=500, zipf_k=200), [0.9] * 3),
        ("categorical", dict(samples=50_000, runs=5, zipf_k=10, mode="accumulate"), [0.0] * 20),
        ("categorical", dict(samples=100, runs=1, zipf_k=200_000), [0.1] * 2),
    ],
)
def test_memory_estimate_bounds_measured_peak(family, kwargs, alphas):
    n = kwargs["samples"]
    estimate = estimate_peak_bytes(
        family,
        generations=len(alphas),
        samples=n,
        runs=kwargs["runs"],
        max_exogenous=int(exogenous_counts(alphas, n).max()),
        zipf_k=kwargs.get("zipf_k", 0),
        mode=kwargs.get("mode", "replace"),
        history=kwargs.get("history", False),
    )
    tracemalloc.start()
    try:
        simulate(family, alphas, seed=0, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= estimate <= 4 * peak + 2 * 2**20
