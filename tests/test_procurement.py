"""Purchase granularity (issue 10): order multiples, minimum orders, models per role and one
accelerator family per training cluster are exact in the MILP and hold in every example plan."""

from __future__ import annotations

import dataclasses

import pytest

from planner import load_scenario, plan, with_changes
from planner.stages import purchase_terms
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def with_terms(catalog, multiples: dict[str, int], minimums: dict[str, int] | None = None):
    """The catalog with order_multiple / min_order_quantity columns (1 where not given)."""
    items = catalog.items.copy()
    items["order_multiple"] = [multiples.get(i, 1) for i in items.index]
    items["min_order_quantity"] = [(minimums or {}).get(i, 1) for i in items.index]
    return dataclasses.replace(catalog, items=items)


def models_by_role(p) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for li in p.items:
        out.setdefault(li.role, set()).add(li.id)
    return out


def test_purchase_terms_fall_back_to_one(catalog):
    terms = purchase_terms(catalog.items)
    assert (terms["order_multiple"] == 1).all() or "order_multiple" in catalog.items.columns
    assert terms.loc["nvidia-h100-sxm", "family"] == "nvidia"


def test_order_multiples_are_exact(catalog):
    # 8 GPUs per HGX/OAM server, 1 rack per NVL72 unit, CPU servers in 4s (a test value)
    multiples = {i: 8 for i in catalog.items.index if catalog.items.at[i, "category"] == "accelerator"}
    multiples["nvidia-gb200-nvl72"] = 1
    multiples["cpu-1x-altra-max-m128"] = 4
    cat = with_terms(catalog, multiples)
    for s in (load_scenario(), load_scenario(EXAMPLES / "small-research-group.yaml")):
        p = plan(s, cat, marginals=False)
        assert p.items
        for li in p.items:
            assert li.quantity % multiples.get(li.id, 1) == 0, (li.id, li.role, li.quantity)


def test_minimum_order_quantity(catalog):
    # at least 64 FPGA cards or none: the small group needs 2 at multiple 1, so it buys 64 or switches
    cat = with_terms(catalog, {}, {"fpga-alveo-u55c": 64, "fpga-alveo-u250": 64})
    p = plan(load_scenario(EXAMPLES / "small-research-group.yaml"), cat, marginals=False)
    for li in p.items:
        if li.kind == "fpga":
            assert li.quantity >= 64


@pytest.mark.parametrize("most", [1, 2])
def test_max_models_per_role(catalog, most):
    s = with_changes(load_scenario(EXAMPLES / "frontier-lab.yaml"), {"procurement.max_models_per_role": most})
    p = plan(s, catalog, marginals=False)
    assert all(len(ids) <= most for ids in models_by_role(p).values()), models_by_role(p)
    if most == 1:
        assert "models_training" in p.binding_constraints or len(models_by_role(p)["training"]) == 1


def test_one_training_family(catalog):
    s = load_scenario(EXAMPLES / "small-research-group.yaml")
    p = plan(s, catalog, marginals=False)
    vendors = {li.vendor for li in p.items if li.role == "training"}
    assert len(vendors) == 1
    loose = plan(
        with_changes(s, {"procurement.one_training_family": False, "procurement.max_models_per_role": 5}), catalog, marginals=False
    )
    assert loose.cost_usd.total <= p.cost_usd.total + 1e-6


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_examples_respect_purchase_terms(path, catalog):
    s = load_scenario(path)
    p = plan(s, catalog, marginals=False)
    terms = purchase_terms(catalog.items)
    for li in p.items:
        assert li.quantity % terms.at[li.id, "order_multiple"] == 0
        assert li.quantity >= terms.at[li.id, "min_order_quantity"]
    assert all(len(ids) <= s.procurement.max_models_per_role for ids in models_by_role(p).values())
    if s.procurement.one_training_family:
        assert len({li.vendor.lower() for li in p.items if li.role == "training"}) <= 1


def test_agents_are_whole(catalog):
    p = plan(load_scenario(), catalog, marginals=False)
    assert float(p.agents).is_integer()
