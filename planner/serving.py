"""Serving physics: the replica as the unit of inference (docs/model.md, "Serving").

A replica is one copy of the model's weights sharded over ``k`` devices: tensor/expert parallel
inside one scale-up domain (8 GPUs of an HGX node, 72 of an NVL72 rack), pipeline stages across
domains at ``inference.pipeline_efficiency`` per extra stage. For each item and workload the
planner picks, before modelling, the shape (``k`` and the batch that fits the replica's free
memory) with the most tokens/s per device.

Per decode step a replica of ``k`` devices emits ``b`` tokens (its batch) and

* computes ``b (2 P_active + 4 A_w L)`` FLOP (weights, then attention over ``L`` context tokens;
  ``A_w`` = ``model.attention_width``), and reads ``W_read(b) + b L kv`` bytes (the weights the
  batch touches, then each sequence's KV cache), both spread over ``k`` devices;
* prefills ``b i`` new input tokens (``i`` input tokens per output token), compute-bound at
  ``2 P_active + 4 A_w L_prefill`` FLOP each.

    t_step = max(FLOP_dec / (k F u_c), bytes_dec / (k B u_b)) + FLOP_pre / (k F u_c)
    tokens/s per replica = b / t_step * e_pp ** (stages - 1)

Units: FLOP/s, bytes, GB (1e9 bytes), seconds, tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .scenario import ModelSpec, Scenario

GB = 1e9
WORKLOADS = ("agents", "synthetic")


@dataclass(frozen=True)
class Device:
    """One accelerator device (a rack unit's figures divided by its devices)."""

    flops_per_s: float  # dense, at the inference precision
    bandwidth_bytes_per_s: float
    memory_gb: float
    scale_up_devices: int  # devices in one scale-up (NVLink-class) domain
    interconnect_bytes_per_s: float  # scale-up bandwidth per device, one direction


@dataclass(frozen=True)
class Workload:
    """What one sequence of a workload needs.

    ``decode_context_tokens`` is the mean context each decode step attends over and reads KV for;
    ``held_tokens`` the context a sequence holds in memory at its peak; ``input_per_output`` the
    new input tokens prefilled per output token, each attending over ``prefill_context_tokens``;
    ``min_tokens_per_s`` the least decode speed of one sequence (an agent must reach its mean
    rate while decoding); ``max_batch`` the batch cap.
    """

    name: str
    decode_context_tokens: float
    held_tokens: float
    input_per_output: float
    prefill_context_tokens: float
    max_batch: int
    min_tokens_per_s: float = 0.0


@dataclass(frozen=True)
class ReplicaShape:
    """The chosen shape of one replica and what it delivers (per replica unless named)."""

    workload: str
    devices: int
    stages: int
    batch: int
    weights_gb: float
    kv_gb: float  # KV cache of the batch
    kv_free_gb: float  # usable memory left after the weights (holds the batch and parked contexts)
    tokens_per_s: float
    tokens_per_s_per_device: float
    bound: str  # which roofline term binds: decode compute, decode memory (weights|KV), prefill compute
    batch_limit: str  # what caps the batch: memory, batch cap, sequence speed


def workloads(s: Scenario) -> dict[str, Workload]:
    """The agent and synthetic-data workloads of a scenario."""
    inf, ag = s.inference, s.agents
    syn_in, syn_out = inf.synthetic_input_tokens, inf.synthetic_output_tokens
    return {
        "agents": Workload(
            "agents",
            decode_context_tokens=ag.context_tokens,
            held_tokens=ag.context_tokens,
            input_per_output=ag.input_tokens_per_output_token,
            prefill_context_tokens=ag.context_tokens,
            max_batch=inf.agent_batch,
            min_tokens_per_s=ag.tokens_per_s,
        ),
        "synthetic": Workload(
            "synthetic",
            decode_context_tokens=syn_in + syn_out / 2.0,
            held_tokens=syn_in + syn_out,
            input_per_output=syn_in / syn_out,
            prefill_context_tokens=syn_in / 2.0,
            max_batch=inf.synthetic_batch,
        ),
    }


def expected_experts_touched(experts: int, per_token: int, batch: np.ndarray | float) -> np.ndarray | float:
    """Expected distinct experts (per MoE layer) ``b`` tokens route to, each picking ``k_e`` of ``E``
    uniformly: ``E (1 - (1 - k_e / E) ** b)``."""
    return experts * (1.0 - (1.0 - per_token / experts) ** np.asarray(batch, dtype=float))


def weight_bytes_read(model: ModelSpec, batch: np.ndarray | float) -> np.ndarray | float:
    """Weight bytes one decode step reads. Dense: all of ``W``. MoE: shared parameters plus the
    experts the batch touches, ``(P_shared + E_touched(b) * (P_total - P_shared) / E) * bytes``."""
    b = np.asarray(batch, dtype=float)
    if model.experts is None or model.experts_per_token is None or model.shared_params is None:
        return np.full_like(b, model.total_params * model.bytes_per_param)
    per_expert = (model.total_params - model.shared_params) / model.experts
    touched = expected_experts_touched(model.experts, model.experts_per_token, b)
    return (model.shared_params + touched * per_expert) * model.bytes_per_param


def replica_sizes(min_devices: int, domain: int, max_devices: int) -> list[int]:
    """Candidate devices per replica: divisors of the scale-up domain from ``min_devices`` up
    (so replicas tile a rack exactly), then whole multiples of the domain up to ``max_devices``
    (pipeline stages across domains). At most 4 cross-domain sizes past the least one."""
    inside = [d for d in range(1, domain + 1) if domain % d == 0 and d >= min_devices]
    first = max(1, math.ceil(min_devices / domain))
    across = [m * domain for m in range(max(2, first), first + 4) if m * domain <= max_devices]
    return inside + across


def step_rates(s: Scenario, dev: Device, w: Workload, k: np.ndarray | int, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tokens/s of a replica of ``k`` devices at each batch, and the index of the binding term
    (0 decode compute, 1 decode memory weights, 2 decode memory KV, 3 prefill compute). ``k`` and
    ``batch`` broadcast: a column of sizes against a row of batches gives one row per size."""
    m, inf = s.model, s.inference
    b = np.asarray(batch, dtype=float)
    k = np.asarray(k, dtype=float)
    flops = k * dev.flops_per_s * inf.compute_utilization
    bw = k * dev.bandwidth_bytes_per_s * inf.bandwidth_utilization
    t_compute = b * (2.0 * m.active_params + 4.0 * m.attention_width * w.decode_context_tokens) / flops
    t_weights = weight_bytes_read(m, b) / bw
    t_kv = b * w.decode_context_tokens * m.kv_bytes_per_token / bw
    t_prefill = b * w.input_per_output * (2.0 * m.active_params + 4.0 * m.attention_width * w.prefill_context_tokens) / flops
    t_decode = np.maximum(t_compute, t_weights + t_kv)
    t_prefill = t_prefill + allreduce_seconds(s, dev, k, b * (1.0 + w.input_per_output))
    stages = np.ceil(k / dev.scale_up_devices)
    rate = b / (t_decode + t_prefill) * inf.pipeline_efficiency ** (stages - 1)
    decode_bound = np.where(t_compute >= t_weights + t_kv, 0, np.where(t_weights >= t_kv, 1, 2))
    return rate, np.where(t_prefill > t_decode, 3, decode_bound)


ACTIVATION_BYTES = 2.0  # BF16 activations in the tensor-parallel all-reduces


def allreduce_seconds(s: Scenario, dev: Device, k: np.ndarray | int, tokens: np.ndarray) -> np.ndarray:
    """Tensor-parallel all-reduce time for ``tokens`` tokens in a step: two all-reduces per layer of
    ``d_model`` activations each (Megatron-style TP; ``layers * d_model`` is ``attention_width``
    for standard attention), a ring moving ``2 (t-1)/t`` of the data per device, over the unit's
    scale-up bandwidth (``interconnect_gbps`` halved to one direction) at ``u_b``; none at
    ``t = min(k, scale-up domain) = 1``."""
    tp = np.minimum(np.asarray(k, dtype=float), dev.scale_up_devices)
    per_token = np.where(tp > 1, 2.0 * s.model.attention_width * ACTIVATION_BYTES * 2.0 * (tp - 1) / tp, 0.0)
    return tokens * per_token / (dev.interconnect_bytes_per_s * s.inference.bandwidth_utilization)


BOUND_NAMES = ("decode compute", "decode memory (weights)", "decode memory (KV)", "prefill compute")


ARRAY_CELLS = 1 << 21  # sizes x batches evaluated at once (16 MB a float array); more sizes go in turns


def shapes_at(s: Scenario, dev: Device, w: Workload, sizes: list[int]) -> list[ReplicaShape | None]:
    """The best batch for a replica of each size in ``sizes`` (devices): the largest that fits the
    free memory, the batch cap and (agents) the least per-sequence speed; ``None`` where not even
    one sequence fits. Sizes are evaluated together in arrays of sizes x batches, at most
    :data:`ARRAY_CELLS` cells at a time."""
    weights_gb = s.model.total_params * s.model.bytes_per_param / GB
    seq_gb = w.held_tokens * s.model.kv_bytes_per_token / GB
    free = [k * dev.memory_gb * s.inference.weight_fill - weights_gb for k in sizes]
    fit = [math.floor(f / seq_gb + 1e-9) if f > 0 else 0 for f in free]
    top = np.array([min(f, w.max_batch) for f in fit])
    out: list[ReplicaShape | None] = [None] * len(sizes)
    rows = np.flatnonzero(top >= 1)
    if not len(rows):
        return out
    per = max(1, ARRAY_CELLS // int(top[rows].max()))
    for chunk in (rows[i : i + per] for i in range(0, len(rows), per)):
        batch = np.arange(1, int(top[chunk].max()) + 1)
        rate, bound = step_rates(s, dev, w, np.array([sizes[r] for r in chunk])[:, None], batch[None, :])
        fast = (rate / batch >= w.min_tokens_per_s) & (batch[None, :] <= top[chunk][:, None])
        last = batch.size - 1 - np.argmax(fast[:, ::-1], axis=1)
        for j, r in enumerate(chunk):
            if not fast[j, 0]:
                continue
            i, k, b = int(last[j]), sizes[r], int(last[j]) + 1
            limit = "sequence speed" if b < top[r] else "memory" if fit[r] <= w.max_batch else "batch cap"
            out[r] = ReplicaShape(
                workload=w.name,
                devices=k,
                stages=math.ceil(k / dev.scale_up_devices),
                batch=b,
                weights_gb=weights_gb,
                kv_gb=b * seq_gb,
                kv_free_gb=free[r],
                tokens_per_s=float(rate[j, i]),
                tokens_per_s_per_device=float(rate[j, i]) / k,
                bound=BOUND_NAMES[int(bound[j, i])],
                batch_limit=limit,
            )
    return out


def shape_at(s: Scenario, dev: Device, w: Workload, k: int) -> ReplicaShape | None:
    """:func:`shapes_at` for one replica of ``k`` devices."""
    return shapes_at(s, dev, w, [k])[0]


def best_shape(s: Scenario, dev: Device, w: Workload) -> ReplicaShape | None:
    """The replica shape with the most tokens/s per device (ties: fewer devices), or ``None`` when
    the weights and one sequence fit in no replica up to ``inference.max_replica_devices``."""
    weights_gb = s.model.total_params * s.model.bytes_per_param / GB
    least = max(1, math.ceil(weights_gb / (dev.memory_gb * s.inference.weight_fill) - 1e-12))
    best: ReplicaShape | None = None
    for shape in shapes_at(s, dev, w, replica_sizes(least, dev.scale_up_devices, s.inference.max_replica_devices)):
        if shape is not None and (best is None or shape.tokens_per_s_per_device > best.tokens_per_s_per_device * (1 + 1e-9)):
            best = shape
    return best


_SHAPES: dict[tuple[str, str, Device, Workload], ReplicaShape | None] = {}
SHAPE_MEMO_SIZE = 4096


def best_shape_memo(s: Scenario, dev: Device, w: Workload) -> ReplicaShape | None:
    """:func:`best_shape`, remembered by everything it reads: the device, the workload and the
    scenario's ``model`` and ``inference`` sections (Monte Carlo worlds that sample prices or
    training figures reuse the shapes instead of searching again)."""
    key = (s.model.model_dump_json(), s.inference.model_dump_json(), dev, w)
    if key not in _SHAPES:
        if len(_SHAPES) >= SHAPE_MEMO_SIZE:
            _SHAPES.pop(next(iter(_SHAPES)))
        _SHAPES[key] = best_shape(s, dev, w)
    return _SHAPES[key]
