"""Alpha ledger: measure alpha_t, the exogenous share of training tokens, from shard manifests (docs/alpha.md)."""

from .commands import alpha
from .croissant import CroissantWrapper, read_wrapper
from .errors import ManifestError
from .link import FloorCheck, HistoryVerdict, alpha_series, external_tokens_by_period, floor_check, history_regime
from .manifest import MAX_MANIFEST_BYTES, Shards, load_shards
from .measure import UNKNOWN_POLICIES, Measurement, Scope, measure, measure_shards
from .render import render_measurement

__all__ = [
    "MAX_MANIFEST_BYTES",
    "UNKNOWN_POLICIES",
    "CroissantWrapper",
    "FloorCheck",
    "HistoryVerdict",
    "ManifestError",
    "Measurement",
    "Scope",
    "Shards",
    "alpha",
    "alpha_series",
    "external_tokens_by_period",
    "floor_check",
    "history_regime",
    "load_shards",
    "measure",
    "measure_shards",
    "read_wrapper",
    "render_measurement",
]
