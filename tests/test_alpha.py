"""Alpha ledger (issue 13): exact alphas, policies, intervals, bad manifests, CLI, examples, links."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from planner.alpha import ManifestError, alpha, alpha_series, external_tokens_by_period, floor_check, history_regime, measure
from planner.alpha.cards import dpi_rows, hf_rows
from planner.alpha.manifest import load_shards, period_label
from planner.alpha.measure import measure_shards

MANIFESTS = Path(__file__).parent.parent / "examples" / "manifests"
HEADER = "shard,source,tokens,epochs,origin,human_fraction,generator,verification,verified_fraction,period"


def write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def three(tmp_path: Path) -> Path:
    """Human 100; synthetic 200 x 2 epochs, half cpu-checked; mixed 100 with 25% human, unverified."""
    return write(
        tmp_path,
        HEADER
        + "\na,web,100,1,human,,,,,2026-01-15\nb,distill,200,2,synthetic,,m1,cpu-check,0.5,2026-04-01\nc,forum,100,,mixed,0.25,m2,none,,2026-05-01\n",
    )


# -------------------------------------------------------------------------------------------- exact alphas


def test_three_shards_exact(tmp_path):
    m = measure([three(tmp_path)])
    # H = 100 + 25 = 125; SV = 400 * 0.5 = 200; SU = 200 + 75 = 275; T = 600
    assert m.overall.tokens() == {"human": 125.0, "synthetic_verified": 200.0, "synthetic_unverified": 275.0, "unknown": 0.0}
    assert m.alpha_strict == pytest.approx(125 / 600)
    assert m.alpha_grounded == pytest.approx(325 / 600)
    d = m.to_dict()
    assert [p["period"] for p in d["periods"]] == ["2026Q1", "2026Q2"]
    assert d["periods"][0]["alpha_strict"] == 1.0
    assert d["periods"][1]["alpha_grounded"] == pytest.approx(225 / 500)
    assert {s["source"]: s["alpha_grounded"] for s in d["by_source"]} == pytest.approx({"web": 1.0, "distill": 0.5, "forum": 0.25})
    assert d["top_synthetic_shards"][0]["shard"] == "b"
    assert set(d) >= {"alpha_strict", "alpha_grounded", "tokens", "periods", "by_source"}
    assert "alpha_grounded_interval" not in d


def test_epochs_and_weights_apply(tmp_path):
    p = write(tmp_path, "shard,source,tokens,epochs,weight,origin\nh,a,100,3,0.5,human\ns,b,100,1,2,synthetic\n")
    m = measure([p])
    assert m.overall.human == 150.0 and m.overall.synthetic_unverified == 200.0
    assert m.alpha_strict == pytest.approx(150 / 350)


def test_verification_default_fraction_is_one(tmp_path):
    p = write(tmp_path, "shard,source,tokens,origin,verification\ns,b,100,synthetic,fpga-check\n")
    assert measure([p]).alpha_grounded == 1.0


def test_unknown_policies(tmp_path):
    p = write(tmp_path, "shard,source,tokens,origin,p_synthetic\nh,a,100,human,\nu,b,100,unknown,0.25\n")
    assert measure([p], unknown="synthetic").alpha_grounded == pytest.approx(0.5)
    assert measure([p], unknown="exclude").alpha_grounded == pytest.approx(1.0)
    est = measure([p], unknown="estimate")
    assert est.alpha_grounded == pytest.approx((100 + 75) / 200)
    low, high = est.alpha_grounded_interval()
    assert low <= est.alpha_grounded <= high
    assert est.to_dict()["alpha_grounded_interval"] == [low, high] and est.to_dict()["level"] == 0.95


def test_estimate_needs_p_synthetic(tmp_path):
    p = write(tmp_path, "shard,source,tokens,origin\nu,b,100,unknown\n")
    with pytest.raises(ManifestError, match=r"row 1, field 'p_synthetic'"):
        measure([p], unknown="estimate")


def test_interval_coverage_at_95_percent():
    """Simulated manifests: the 95% interval covers the true grounded share in >= 95% of them."""
    rng = np.random.default_rng(20261122)
    trials, covered = 400, 0
    for _ in range(trials):
        n = int(rng.integers(20, 200))
        tokens = rng.lognormal(10, 1.0, n)
        p = rng.beta(2, 2, n)
        eps = 0.05
        truth_q = np.clip(p + rng.uniform(-eps, eps), 0, 1)  # calibration off by at most eps, unknown sign
        synthetic = rng.random(n) < truth_q
        human_known = rng.lognormal(11, 0.5)
        true_alpha = (human_known + tokens[~synthetic].sum()) / (human_known + tokens.sum())
        s = _shards(tokens, p, human_known)
        low, high = measure_shards(s, unknown="estimate", error_rate=eps).alpha_grounded_interval()
        covered += low <= true_alpha <= high
    assert covered / trials >= 0.95


def _shards(tokens, p, human_known):
    from planner.alpha.manifest import HUMAN, UNKNOWN, Labels, Shards

    n = len(tokens) + 1
    import pyarrow as pa

    zero = np.zeros(n, np.int32)
    return Shards(
        files=("sim",),
        file_index=zero,
        row=np.arange(1, n + 1),
        shard=pa.chunked_array([pa.array([str(i) for i in range(n)])]),
        source=Labels(zero, ("s",)),
        generator=Labels(zero, ("",)),
        period=Labels(zero, ("",)),
        period_is_quarter=False,
        tokens=np.append(tokens, human_known),
        epochs=np.ones(n),
        weight=np.ones(n),
        origin=np.append(np.full(n - 1, UNKNOWN), HUMAN).astype(np.int8),
        human_fraction=np.append(np.full(n - 1, np.nan), 1.0),
        verification=np.zeros(n, np.int8),
        verified_fraction=np.zeros(n),
        p_synthetic=np.append(p, np.nan),
    )


# -------------------------------------------------------------------------------------------- bad manifests


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shard,source,origin\na,b,human\n", r"m.csv, field 'tokens': required column is missing"),
        ("shard,source,tokens,origin\na,b,,human\n", r"m.csv, row 1, field 'tokens': missing value"),
        (
            "shard,source,tokens,origin\na,b,1,human\nc,d,-5,human\n",
            r"m.csv, row 2, field 'tokens': expected a non-negative number, got -5",
        ),
        ("shard,source,tokens,origin\na,b,lots,human\n", r"m.csv, row 1, field 'tokens': expected a number, got 'lots'"),
        ("shard,source,tokens,origin\na,b,1,mixed\n", r"row 1, field 'human_fraction': missing value"),
        ("shard,source,tokens,origin\na,b,1,robot\n", r"row 1, field 'origin': unknown value 'robot'"),
        ("shard,source,tokens,origin,verification\na,b,1,synthetic,gpu-check\n", r"field 'verification': unknown value"),
        ("shard,source,tokens,origin,tokenz\na,b,1,human,2\n", r"field 'tokenz': unknown column; did you mean 'tokens'"),
        ("shard,source,tokens,origin\na,b,1,human\na,c,1,human\n", r"row 2, field 'shard': shard id 'a' appears twice"),
        ("shard,source,tokens,origin,human_fraction\na,b,1,human,0.5\n", r"field 'human_fraction': got 0.5; expected 1"),
        ("shard,source,tokens,origin,verified_fraction\na,b,1,synthetic,0.5\n", r"verification is none"),
        ("shard,source,tokens,origin\na,b,1,human,extra\n", r"row 1: 5 cells; the header has 4 columns"),
    ],
)
def test_bad_csv_one_line_errors(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(ManifestError, match=expected) as info:
        measure([p])
    assert "\n" not in str(info.value)


def test_bad_jsonl(tmp_path):
    p = write(tmp_path, '{"shard": "a", "source": "b", "tokens": 1, "origin": "human"}\n\n{"shard": "b", oops}\n', "m.jsonl")
    with pytest.raises(ManifestError, match=r"m.jsonl, row 2: malformed JSON"):
        measure([p])
    p = write(tmp_path, '{"shard": "a", "source": "b", "tokens": "ten", "origin": "human"}\n', "n.jsonl")
    with pytest.raises(ManifestError, match=r"n.jsonl, row 1, field 'tokens': expected a number"):
        measure([p])


def test_jsonl_numeric_ids_are_text(tmp_path):
    p = write(tmp_path, '{"shard": 7, "source": "b", "tokens": 10, "origin": "human", "period": 2026}\n', "m.jsonl")
    assert measure([p]).periods[0].label == "2026"


def test_cell_over_csv_field_limit(tmp_path):
    import csv

    p = write(tmp_path, "shard,source,tokens,origin\na," + "x" * (csv.field_size_limit() + 1) + ",1,human\n")
    with pytest.raises(ManifestError, match=r"row 1, field 'source': cell of .* exceeds the CSV field limit"):
        measure([p])


def test_not_a_regular_file(tmp_path):
    with pytest.raises(ManifestError, match="not a regular file"):
        measure([tmp_path])
    with pytest.raises(ManifestError, match="cannot read"):
        measure([tmp_path / "missing.csv"])


def test_broken_croissant(tmp_path):
    p = write(tmp_path, '{"@type": "sc:Dataset", "conformsTo": ', "w.croissant.json")
    with pytest.raises(ManifestError, match=r"w.croissant.json: malformed JSON-LD at line 1"):
        measure([p])
    p = write(tmp_path, '{"@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.1", "distribution": []}', "v.json")
    with pytest.raises(ManifestError, match=r"v.json, field 'distribution': no cr:FileObject"):
        measure([p])
    doc = json.loads((MANIFESTS / "mixed-quarters.croissant.json").read_text())
    doc["distribution"][0]["sha256"] = "0" * 64
    (tmp_path / "mixed-quarters.jsonl").write_bytes((MANIFESTS / "mixed-quarters.jsonl").read_bytes())
    p = write(tmp_path, json.dumps(doc), "bad-sha.json")
    with pytest.raises(ManifestError, match=r"field 'distribution\[0\].sha256'"):
        measure([p])


# -------------------------------------------------------------------------------------------- periods


def test_periods_quarters_and_labels(tmp_path):
    assert period_label("2026-05-03") == ("2026Q2", True)
    assert period_label("pretrain-v2") == ("pretrain-v2", False)
    p = write(tmp_path, "shard,source,tokens,origin,period\na,s,1,human,late\nb,s,1,human,early\nc,s,1,human,late\n")
    assert [x.label for x in measure([p]).periods] == ["late", "early"]
    q = write(tmp_path, "shard,source,tokens,origin,period\na,s,1,human,2026-07-01\nb,s,1,human,2025-12-31\n", "q.csv")
    assert [x.label for x in measure([q]).periods] == ["2025Q4", "2026Q3"]


# -------------------------------------------------------------------------------------------- CLI and examples


@pytest.mark.parametrize("name", ["human-only.csv", "mixed-quarters.jsonl", "mixed-quarters.croissant.json", "alpaca-dpi.csv"])
@pytest.mark.parametrize("fmt", ["table", "json", "csv", "html"])
def test_examples_measure(name, fmt):
    result = CliRunner().invoke(alpha, ["measure", str(MANIFESTS / name), "--format", fmt, "--floor", "0.3"])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        d = json.loads(result.output)
        assert 0 <= d["alpha_grounded"] <= 1


def test_example_values():
    assert measure([MANIFESTS / "human-only.csv"]).alpha_strict == 1.0
    assert measure([MANIFESTS / "alpaca-dpi.csv"]).alpha_grounded == 0.0
    m = measure([MANIFESTS / "mixed-quarters.croissant.json"], unknown="estimate", error_rate=0.05)
    assert [p.label for p in m.periods] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    series = alpha_series(m)
    assert series == sorted(series, reverse=True)  # the example's grounding erodes quarter by quarter
    assert m.wrappers[0].has_synthetic_data is True


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    bad = write(tmp_path, "shard,source,tokens,origin\na,b,-1,human\n")
    r = runner.invoke(alpha, ["measure", str(bad)])
    assert r.exit_code == 1 and "row 1, field 'tokens'" in r.output and "Traceback" not in r.output
    assert runner.invoke(alpha, ["measure", str(bad), "--unknown", "maybe"]).exit_code == 2
    assert runner.invoke(alpha, ["measure"]).exit_code == 2
    out = tmp_path / "a.json"
    ok = runner.invoke(alpha, ["measure", str(three(tmp_path)), "--format", "json", "--output", str(out)])
    assert ok.exit_code == 0 and json.loads(out.read_text())["alpha_grounded"] == pytest.approx(325 / 600)
    again = runner.invoke(alpha, ["measure", str(three(tmp_path)), "--output", str(out)])
    assert again.exit_code == 1 and "exists" in again.output


def test_csv_output_is_formula_safe(tmp_path):
    p = write(tmp_path, "shard,source,tokens,origin,period\na,s,1,human,=cmd()\n")
    r = CliRunner().invoke(alpha, ["measure", str(p), "--format", "csv"])
    assert "'=cmd()" in r.output


# -------------------------------------------------------------------------------------------- cards


def test_dpi_mapping():
    rec = {
        "alpaca": {
            "Unique Dataset Identifier": "alpaca",
            "Collection": "Alpaca",
            "Text Metrics": {"Num Dialogs": 52002, "Mean Inputs Length": 505.852, "Mean Targets Length": 270.3123},
            "Model Generated": ["OpenAI GPT-3"],
            "Human Annotation": "No",
            "Licenses": [{"License": "OpenAI"}, {"License": "CC BY-NC 4.0"}],
            "Inferred Metadata": {"HF Date": "2023-03-13"},
        }
    }
    (row,) = dpi_rows(rec)
    assert row["origin"] == "synthetic" and row["generator"] == "OpenAI GPT-3" and row["tokens"] == 10090524
    rec["alpaca"]["Model Generated"] = []
    assert dpi_rows(rec)[0]["origin"] == "human"


def test_hf_mapping():
    card = "---\nlanguage_creators:\n- machine-generated\nlicense: cc-by-4.0\n---\n# card\n"
    assert hf_rows(card, name="x", tokens=10)[0]["origin"] == "synthetic"
    assert hf_rows(card.replace("machine-generated", "found"), name="x", tokens=10)[0]["origin"] == "human"
    both = "---\nlanguage_creators:\n- found\n- machine-generated\n---\n"
    assert hf_rows(both, name="x", tokens=10)[0]["origin"] == "unknown"
    with pytest.raises(ManifestError, match="give tokens"):
        hf_rows(card, name="x")


# -------------------------------------------------------------------------------------------- links


def test_floor_check_and_external_tokens(tmp_path):
    m = measure([three(tmp_path)])
    ok = floor_check(m, 0.5)
    assert ok.meets and ok.gap == pytest.approx(325 / 600 - 0.5) and ok.uncertainty == 0
    short = floor_check(m, 0.6)
    assert not short.meets and "short" in short.sentence
    assert external_tokens_by_period(m) == {"2026Q1": 100.0, "2026Q2": 25.0}
    p = write(tmp_path, "shard,source,tokens,origin,p_synthetic\nh,a,1000,human,\nu,b,1000,unknown,0.5\n", "u.csv")
    est = measure([p], unknown="estimate")
    check = floor_check(est, 0.5)
    assert check.bound < est.alpha_grounded and check.level == 0.95
    assert check.uncertainty_cost_usd(2e6) == pytest.approx(check.uncertainty / 0.01 * 2e6)
    assert external_tokens_by_period(est, level=0.95)["unspecified"] < external_tokens_by_period(est)["unspecified"]


def test_history_regime():
    anchored = history_regime([0.5, 0.4, 0.3], samples_per_refit=100, tolerance=0.05)
    assert anchored.regime == "anchored"
    eroding = history_regime([0.3, 0.1, 0.0], samples_per_refit=100, tolerance=0.05)
    assert eroding.regime == "collapse-prone" and "Collapse-prone" in eroding.sentence
    with pytest.raises(ValueError):
        history_regime([], 100)


def test_load_shards_many_files(tmp_path):
    a = write(tmp_path, "shard,source,tokens,origin\na,s,1,human\n", "a.csv")
    b = write(tmp_path, '{"shard": "b", "source": "s", "tokens": 3, "origin": "synthetic"}\n', "b.jsonl")
    s = load_shards([a, b])
    assert len(s) == 2 and s.where(1) == (str(b), 1)


def test_mlcroissant_round_trip():
    """The example wrapper loads in mlcroissant (when installed) and keeps the fields this reader uses."""
    mlc = pytest.importorskip("mlcroissant")
    from mlcroissant._src.core.context import Context

    ctx = Context()
    out = mlc.Metadata.from_file(ctx, str(MANIFESTS / "mixed-quarters.croissant.json")).to_json()
    assert not ctx.issues.errors
    out.pop("@context", None)
    assert out["hasSyntheticData"] is True and out["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    fo = out["distribution"][0]
    assert fo["contentUrl"] == "mixed-quarters.jsonl" and fo["encodingFormat"] == "application/jsonlines" and "wasDerivedFrom" in fo
    assert "wasGeneratedBy" in out
