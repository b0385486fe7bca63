"""Physics: hand-checked formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner import with_changes
from planner.physics import (
    amdahl,
    capabilities,
    decode_tokens_per_s,
    devices_per_replica,
    kv_free_gb,
    kv_gb_per_agent,
    speedup_curve,
    training_tokens,
    usl,
)


def test_training_tokens_6nd():
    # 1 PFLOP/s at 50% for 1e6 s on a 1e9-parameter model: 5e20 / 6e9 tokens
    assert training_tokens(1e15, 0.5, 1e6, 1e9) == pytest.approx(5e20 / 6e9)


def test_decode_roofline_memory_bound():
    # 1 TB/s, weights 2e9 bytes over batch 10 = 2e8 B/token + 1000 tokens x 1e5 B = 1e8 -> 3e8 B/token
    r = decode_tokens_per_s(
        flops_per_s=1e15,
        bandwidth_bytes_per_s=1e12,
        active_params=1e9,
        weight_bytes=2e9,
        batch=10,
        context_tokens=1000,
        kv_bytes_per_token=1e5,
        compute_utilization=0.5,
        bandwidth_utilization=1.0,
    )
    assert r == pytest.approx(1e12 / 3e8)


def test_decode_roofline_compute_bound():
    # tiny model: compute bound at F u / (2 N) = 1e15 * 0.5 / 2e9 = 250,000 tokens/s
    r = decode_tokens_per_s(
        flops_per_s=1e15,
        bandwidth_bytes_per_s=1e15,
        active_params=1e9,
        weight_bytes=2e9,
        batch=1000,
        context_tokens=10,
        kv_bytes_per_token=10,
        compute_utilization=0.5,
        bandwidth_utilization=1.0,
    )
    assert r == pytest.approx(250_000)


def test_sharding_and_free_memory():
    # 141.2 GB of weights on 80 GB devices at 90% fill -> 2 devices, 70.6 GB each, 9.4 GB free
    assert devices_per_replica(141.2, 80, 0.9) == 2
    assert kv_free_gb(141.2, 80, 0.9) == pytest.approx(9.4)
    assert devices_per_replica(140, 192, 0.9) == 1
    assert kv_free_gb(140, 192, 0.9) == pytest.approx(52)
    assert kv_gb_per_agent(32768, 327680) == pytest.approx(32768 * 327680 / 1e9)


def test_amdahl_values():
    assert float(amdahl(1, 0.9)) == pytest.approx(1.0)
    assert float(amdahl(10, 0.9)) == pytest.approx(1 / (0.1 + 0.09))
    assert float(amdahl(0, 0.9)) == 0.0
    assert float(amdahl(1e12, 0.9)) == pytest.approx(10, rel=1e-6)


def test_usl_values():
    assert float(usl(1, 0.1, 0.01)) == pytest.approx(1.0)
    assert float(usl(10, 0.1, 0.0)) == pytest.approx(10 / (1 + 0.9))
    assert float(usl(0.5, 0.1, 0.01)) == pytest.approx(0.5)


def test_curve_exact_at_breakpoints_and_below_between(toy_scenario):
    c = speedup_curve(toy_scenario)
    assert c.breakpoints[0] == 0 and c.breakpoints[1] == 1 and c.breakpoints[-1] == pytest.approx(1000)
    assert np.allclose(c.interpolated(c.breakpoints), c.exact(c.breakpoints))
    grid = np.linspace(0, 1000, 5000)
    assert np.all(c.interpolated(grid) <= c.exact(grid) + 1e-12)
    assert 0 < c.max_error() < 1.0
    assert np.all(np.diff(c.slopes) <= 1e-12)  # concave: slopes fall
    # the min over the secant lines equals the interpolant (what the LP encodes)
    lines = np.min(c.intercepts[:, None] + c.slopes[:, None] * grid[None, :], axis=0)
    assert np.allclose(lines, c.interpolated(grid))


def test_more_breakpoints_smaller_error(toy_scenario):
    coarse = speedup_curve(with_changes(toy_scenario, {"agents.breakpoints": 6})).max_error()
    fine = speedup_curve(with_changes(toy_scenario, {"agents.breakpoints": 64})).max_error()
    assert fine < coarse


def test_usl_curve(toy_scenario):
    s = with_changes(toy_scenario, {"agents.scaling": "usl", "agents.usl_sigma": 0.05, "agents.usl_kappa": 0.001})
    c = speedup_curve(s)
    peak = math.sqrt((1 - 0.05) / 0.001)  # USL peak at N* = sqrt((1 - sigma) / kappa)
    assert c.exact(peak) > c.exact(4 * peak)  # retrograde
    assert c.breakpoints[-1] == pytest.approx(peak)  # the axis stops at the peak
    assert np.all(np.diff(c.slopes) <= 1e-12)


def test_capabilities_toy(toy_scenario, toy_catalog):
    items = toy_catalog.items.loc[["toy-gpu", "toy-cpu", "toy-cxl"]]
    caps = capabilities(items, toy_scenario)
    seconds = 8760 * 3600
    assert caps.at["toy-gpu", "train_tokens"] == pytest.approx(1e15 * 0.5 * seconds / 6e9)
    assert caps.at["toy-gpu", "unit_cost_usd"] == pytest.approx(10000 + 1 * 8760 * 0.1)
    assert caps.at["toy-cpu", "verified_tokens"] == pytest.approx(1000 * 8760 * 1000)
    assert caps.at["toy-cpu", "unit_cost_usd"] == pytest.approx(1000 + 0.5 * 8760 * 0.1)
    assert caps.at["toy-cxl", "capacity_gb"] == 100
    # agent decode: B / (W / b + L kv) = 1e12 / (2e9 / 10 + 1e4 * 1e5) = 1e12 / 1.2e9
    assert caps.at["toy-gpu", "agent_tokens_per_s"] == pytest.approx(1e12 / 1.2e9)
    # weights 2 GB on a 100 GB device: 98 GB free
    assert caps.at["toy-gpu", "kv_free_gb"] == pytest.approx(98)


def test_fp8_falls_back_to_bf16(catalog, toy_scenario):
    s = with_changes(toy_scenario, {"training.precision": "fp8"})
    items = catalog.items.loc[["nvidia-a100-80gb-sxm", "nvidia-h100-sxm"]]
    caps8 = capabilities(items, s)
    caps16 = capabilities(items, toy_scenario)
    assert caps8.at["nvidia-a100-80gb-sxm", "train_tokens"] == pytest.approx(caps16.at["nvidia-a100-80gb-sxm", "train_tokens"])
    assert caps8.at["nvidia-h100-sxm", "train_tokens"] == pytest.approx(caps16.at["nvidia-h100-sxm", "train_tokens"] * 1979 / 989)


def test_rack_unit_is_72_devices(catalog, toy_scenario):
    items = catalog.items.loc[["nvidia-gb200", "nvidia-gb200-nvl72"]]
    caps = capabilities(items, toy_scenario)
    for col in ("train_tokens", "synthetic_tokens", "agent_tokens"):
        assert caps.at["nvidia-gb200-nvl72", col] == pytest.approx(72 * caps.at["nvidia-gb200", col], rel=0.01)
