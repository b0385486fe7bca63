"""Physics: hand-checked formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner import with_changes
from planner.physics import (
    amdahl,
    capabilities,
    device_of,
    speedup_curve,
    training_tokens,
    usl,
)
from planner.serving import Device, best_shape, expected_experts_touched, replica_sizes, shape_at, weight_bytes_read, workloads


def test_training_tokens_6nd():
    # 1 PFLOP/s at 50% for 1e6 s on a 1e9-parameter model: 5e20 / 6e9 tokens
    assert training_tokens(1e15, 0.5, 1e6, 1e9) == pytest.approx(5e20 / 6e9)


TOY_DEVICE = Device(flops_per_s=1e15, bandwidth_bytes_per_s=1e12, memory_gb=100, scale_up_devices=1, interconnect_bytes_per_s=32e9)


def test_replica_decode_memory_bound(toy_scenario):
    # one toy GPU, batch 10 (the cap; 88 GB free fits 88 contexts of 1 GB), context 1e4 tokens:
    # bytes per step 2e9 + 10 x 1e4 x 1e5 = 1.2e10 at 1 TB/s = 0.012 s -> 10 / 0.012 tokens/s
    shape = shape_at(toy_scenario, TOY_DEVICE, workloads(toy_scenario)["agents"], 1)
    assert shape.batch == 10 and shape.batch_limit == "batch cap"
    assert shape.tokens_per_s == pytest.approx(10 / 0.012)
    assert shape.kv_free_gb == pytest.approx(90 - 2)
    assert shape.bound == "decode memory (KV)"


def test_batch_capped_by_memory(toy_scenario):
    # 1e5-token contexts: 10 GB each, 88 GB free -> batch 8; bytes 2e9 + 8e10 -> 8 / 0.082 tokens/s
    s = with_changes(toy_scenario, {"agents.context_tokens": 1e5})
    shape = shape_at(s, TOY_DEVICE, workloads(s)["agents"], 1)
    assert shape.batch == 8 and shape.batch_limit == "memory"
    assert shape.kv_gb == pytest.approx(80) and shape.kv_gb <= shape.kv_free_gb
    assert shape.tokens_per_s == pytest.approx(8 / 0.082)


def test_prefill_is_compute_bound(toy_scenario):
    # 4 input tokens per output token at 2e9 FLOP each on 0.5 PFLOP/s: 1.6e-5 s per output token
    s = with_changes(toy_scenario, {"agents.input_tokens_per_output_token": 4})
    shape = shape_at(s, TOY_DEVICE, workloads(s)["agents"], 1)
    assert shape.tokens_per_s == pytest.approx(10 / (0.012 + 10 * 4 * 2e9 / 5e14))


def test_weights_need_whole_replica(toy_scenario):
    # 300 GB of weights on 100 GB devices at 90%: at least 4 devices (pipeline across 1-device domains)
    s = with_changes(toy_scenario, {"model.total_params": 1.5e11, "model.active_params": 1.5e11})
    shape = best_shape(s, TOY_DEVICE, workloads(s)["agents"])
    assert shape.devices >= 4 and shape.weights_gb <= shape.devices * 90
    assert replica_sizes(4, 1, 1024)[0] == 4
    assert replica_sizes(10, 8, 1024) == [16, 24, 32, 40]
    assert replica_sizes(1, 72, 1024)[:6] == [1, 2, 3, 4, 6, 8]


def test_moe_weight_traffic(toy_scenario):
    # 4 experts, 1 per token: 2 tokens touch 4 (1 - (3/4)^2) = 1.75 experts on average
    assert float(expected_experts_touched(4, 1, 2)) == pytest.approx(1.75)
    s = with_changes(toy_scenario, {"model.experts": 4, "model.experts_per_token": 1, "model.shared_params": 2e8})
    # shared 2e8 + 1.75 x 2e8 per expert, 2 bytes each
    assert float(weight_bytes_read(s.model, 2)) == pytest.approx((2e8 + 1.75 * 2e8) * 2)
    assert float(weight_bytes_read(s.model, 10_000)) == pytest.approx(2e9)  # a large batch reads every expert


def test_training_fp8_goodput_moe(catalog, toy_scenario):
    items = catalog.items.loc[["nvidia-a100-80gb-sxm", "nvidia-h100-sxm"]]
    base = with_changes(toy_scenario, {"training.goodput": 0.9, "training.fp8_speedup": 1.3})
    caps16 = capabilities(items, base)
    caps8 = capabilities(items, with_changes(base, {"training.precision": "fp8"}))
    # MFU is quoted against the BF16 peak: FP8 multiplies by fp8_speedup, not by the FP8/BF16 peak ratio
    assert caps8.at["nvidia-h100-sxm", "train_tokens"] == pytest.approx(caps16.at["nvidia-h100-sxm", "train_tokens"] * 1.3)
    assert caps8.at["nvidia-a100-80gb-sxm", "train_tokens"] == pytest.approx(caps16.at["nvidia-a100-80gb-sxm", "train_tokens"])
    assert caps16.at["nvidia-h100-sxm", "train_flops_per_s"] == pytest.approx(989e12 * 0.5 * 0.9)


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
    # agent replica: one device, batch 10, 10 / 0.012 tokens/s (test_replica_decode_memory_bound)
    assert caps.at["toy-gpu", "agents_replica_tokens"] == pytest.approx(10 / 0.012 * seconds)
    assert caps.at["toy-gpu", "agents_units_per_replica"] == 1
    # weights 2 GB on a 100 GB device at 90% usable: 88 GB free
    assert caps.at["toy-gpu", "agents_replica_kv_free_gb"] == pytest.approx(88)
    assert device_of(toy_catalog.items.loc["toy-gpu"], toy_scenario).scale_up_devices == 1  # no interconnect: PCIe class


def test_rack_unit_is_72_devices(catalog, toy_scenario):
    items = catalog.items.loc[["nvidia-gb200", "nvidia-gb200-nvl72"]]
    caps = capabilities(items, toy_scenario)
    for col in ("train_tokens", "synthetic_tokens", "agent_tokens"):
        assert caps.at["nvidia-gb200-nvl72", col] == pytest.approx(72 * caps.at["nvidia-gb200", col], rel=0.01)


# ------------------------------------------------------------------ serving properties (issue 9)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

H100 = Device(flops_per_s=1979e12, bandwidth_bytes_per_s=3.35e12, memory_gb=80, scale_up_devices=8, interconnect_bytes_per_s=450e9)
_sizes = st.floats(min_value=1e9, max_value=2e12)
_ctx = st.floats(min_value=100, max_value=200_000)


def _scenario(params: float, ctx: float, ratio: float = 0.0):
    from planner import load_scenario

    return with_changes(
        load_scenario(),
        {
            "model.total_params": params,
            "model.active_params": params,
            "agents.context_tokens": ctx,
            "agents.input_tokens_per_output_token": ratio,
            "agents.tokens_per_s": 1,
        },
    )


@settings(max_examples=40, deadline=None)
@given(params=_sizes, ctx=_ctx)
def test_property_weights_and_batch_fit(params, ctx):
    s = _scenario(params, ctx)
    for w in workloads(s).values():
        shape = best_shape(s, H100, w)
        if shape is None:
            continue
        usable = shape.devices * H100.memory_gb * s.inference.weight_fill
        assert shape.weights_gb <= usable + 1e-6
        assert shape.weights_gb + shape.kv_gb <= usable + 1e-6


@settings(max_examples=40, deadline=None)
@given(params=_sizes, ctx=_ctx, ratio=st.floats(min_value=0, max_value=50), more=st.floats(min_value=0, max_value=50))
def test_property_more_input_never_faster(params, ctx, ratio, more):
    a = best_shape(_scenario(params, ctx, ratio), H100, workloads(_scenario(params, ctx, ratio))["agents"])
    b = best_shape(_scenario(params, ctx, ratio + more), H100, workloads(_scenario(params, ctx, ratio + more))["agents"])
    if a is not None and b is not None:
        assert b.tokens_per_s_per_device <= a.tokens_per_s_per_device * (1 + 1e-9)


@settings(max_examples=40, deadline=None)
@given(params=st.floats(min_value=1e9, max_value=1e12), ctx=_ctx)
def test_property_twice_the_model_never_fewer_devices(params, ctx):
    def least_fit(p: float) -> int:
        s = _scenario(p, ctx)
        w = workloads(s)["agents"]
        need = max(1, math.ceil(p * 2 / 1e9 / (80 * 0.9)))
        return next((k for k in replica_sizes(need, 8, 1024) if shape_at(s, H100, w, k) is not None), 10**9)

    small, big = least_fit(params), least_fit(2 * params)
    assert big >= small
    s2 = _scenario(2 * params, ctx)
    shape = best_shape(s2, H100, workloads(s2)["agents"])
    assert shape is None or shape.devices >= small


@pytest.mark.parametrize("params", [7e9, 70e9, 405e9])
def test_sizes_in_turns_match_sizes_together(monkeypatch, params):
    """shapes_at evaluates replica sizes together in arrays of at most ARRAY_CELLS cells; one size
    at a time (ARRAY_CELLS = 1) gives the same shapes, field for field."""
    from planner import serving

    s = _scenario(params, 8192)
    sizes = replica_sizes(1, H100.scale_up_devices, 64)
    for w in workloads(s).values():
        together = serving.shapes_at(s, H100, w, sizes)
        monkeypatch.setattr(serving, "ARRAY_CELLS", 1)
        assert serving.shapes_at(s, H100, w, sizes) == together
        assert any(x is not None for x in together)
        monkeypatch.undo()
