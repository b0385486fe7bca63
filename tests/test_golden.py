"""Golden files for the example scenarios: the plan a user gets from each example is pinned.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and
review the diff (docs/testing.md).
"""

from __future__ import annotations

import json
import os

import pytest

from planner import load_scenario, plan
from tests.conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def summary(p) -> dict:
    d = p.to_dict()
    return {
        "status": d["status"],
        "objective": {"name": d["objective"]["name"], "value": d["objective"]["value"]},
        "alpha": d["alpha"],
        "agents": d["agents"],
        "cost_usd": {k: d["cost_usd"][k] for k in ("capex", "opex", "total")},
        "spend_by_role_usd": d["spend_by_role_usd"],
        "items": [{k: i[k] for k in ("id", "role", "quantity", "unit_price_usd")} for i in d["items"]],
        "binding_constraints": d["binding_constraints"],
    }


def test_examples_exist():
    assert {f.stem for f in EXAMPLE_FILES} >= {"frontier-lab", "mid-size-lab", "small-research-group"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_matches_golden(path, catalog):
    got = summary(plan(load_scenario(path), catalog, marginals=False))
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(json.dumps(got, indent=2) + "\n")
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"golden file {golden.name} was missing and has been written; review and commit it")
    want = json.loads(golden.read_text())
    assert got["status"] == want["status"]
    key = ("id", "role", "quantity")
    assert [{k: i[k] for k in key} for i in got["items"]] == [{k: i[k] for k in key} for i in want["items"]]
    # prices to 1e-9: a periodised line's unit price is its money over its units, summed over periods in float
    assert [i["unit_price_usd"] for i in got["items"]] == pytest.approx([i["unit_price_usd"] for i in want["items"]], rel=1e-9)
    assert got["binding_constraints"] == want["binding_constraints"]
    assert got["objective"]["value"] == pytest.approx(want["objective"]["value"], rel=1e-6)
    for k in ("capex", "opex", "total"):
        assert got["cost_usd"][k] == pytest.approx(want["cost_usd"][k], rel=1e-9)
    assert got["alpha"] == pytest.approx(want["alpha"], abs=1e-9)
    assert got["agents"] == pytest.approx(want["agents"], rel=1e-6)


def test_default_floor_moves_spend_to_verification(catalog):
    """The bundled defaults describe a case where the floor matters (issue: 0.05 vs 0.5)."""
    from planner import with_changes

    low = plan(with_changes(load_scenario(), {"alpha_floor": 0.05}), catalog, marginals=False)
    high = plan(with_changes(load_scenario(), {"alpha_floor": 0.5}), catalog, marginals=False)
    share = lambda p: float(p.spend_by_role.set_index("role").at["verification", "share"])  # noqa: E731
    assert share(high) > share(low) + 0.3
    assert high.progress.value < low.progress.value
    assert high.alpha >= 0.5 - 1e-9 and low.alpha >= 0.05 - 1e-9
