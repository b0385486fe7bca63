"""Dataset cards to manifest rows: Data Provenance Initiative records and Hugging Face card YAML.

Mappings (docs/alpha.md cites the fields):

* DPI record (``data_summaries/*.json``, keyed by dataset id): ``Model Generated`` non-empty ->
  synthetic with generator = the listed models, unless ``Human Annotation`` is ``Yes`` (model text
  with human annotation, share unknown -> ``unknown``); empty -> human. Tokens = ``Num Dialogs`` x
  (``Mean Inputs Length`` + ``Mean Targets Length``) / chars_per_token, an estimate (override with
  ``tokens``). Period = ``Inferred Metadata.HF Date``; licence = the ``Licenses`` entries.
* Hugging Face card YAML: ``language_creators`` only ``machine-generated`` -> synthetic; only
  ``found``, ``crowdsourced``, ``expert-generated`` -> human; a mix with ``machine-generated`` or
  anything else -> unknown. Cards carry no token count: ``tokens`` must be given, or
  ``dataset_info.dataset_size`` (bytes) / bytes_per_token is used as an estimate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import ManifestError
from .manifest import check_input_file

CHARS_PER_TOKEN = 4.0  # common rule of thumb for English BPE tokenisers (an estimate; override with tokens)
HUMAN_CREATORS = {"found", "crowdsourced", "expert-generated"}
MAX_CARD_BYTES = 16 << 20
ROW_KEYS = (
    "shard",
    "source",
    "tokens",
    "epochs",
    "origin",
    "human_fraction",
    "generator",
    "verification",
    "verified_fraction",
    "license",
    "period",
)


def _row(**cells: Any) -> dict[str, Any]:
    return {k: cells.get(k, "") for k in ROW_KEYS}


def dpi_rows(
    record: dict[str, Any], *, file: str = "DPI record", tokens: float | None = None, chars_per_token: float = CHARS_PER_TOKEN
) -> list[dict[str, Any]]:
    """Manifest rows from a DPI collection JSON (``{id: record}``) or one record."""
    records = [record] if "Unique Dataset Identifier" in record else list(record.values())
    rows = []
    for rec in records:
        if not isinstance(rec, dict) or "Unique Dataset Identifier" not in rec:
            raise ManifestError("not a Data Provenance Initiative record", file=file, field="Unique Dataset Identifier")
        models = [str(m) for m in rec.get("Model Generated") or [] if str(m).strip()]
        annotated = str(rec.get("Human Annotation", "")).strip().lower() == "yes"
        origin = "human" if not models else "unknown" if annotated else "synthetic"
        metrics = rec.get("Text Metrics") or {}
        try:
            est = (
                float(metrics["Num Dialogs"])
                * (float(metrics["Mean Inputs Length"]) + float(metrics["Mean Targets Length"]))
                / chars_per_token
            )
        except (KeyError, TypeError, ValueError):
            est = None
        if tokens is None and est is None:
            raise ManifestError("no Text Metrics to estimate tokens from; give tokens", file=file, field="Text Metrics")
        licences = "; ".join(str(x.get("License", "")) for x in rec.get("Licenses") or [] if isinstance(x, dict))
        rows.append(
            _row(
                shard=rec["Unique Dataset Identifier"],
                source=rec.get("Collection") or rec["Unique Dataset Identifier"],
                tokens=round(tokens if tokens is not None else est or 0.0),
                epochs=1,
                origin=origin,
                generator="; ".join(models),
                verification="none",
                license=licences,
                period=(rec.get("Inferred Metadata") or {}).get("HF Date", ""),
            )
        )
    return rows


def _front_matter(text: str, file: str) -> dict[str, Any]:
    if not text.startswith("---"):
        raise ManifestError("no YAML front matter (a card starts with ---)", file=file)
    parts = text.split("\n---", 1)
    try:
        meta = yaml.safe_load(parts[0].lstrip("-\n"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"malformed YAML front matter: {' '.join(str(exc).split())}", file=file) from None
    if not isinstance(meta, dict):
        raise ManifestError("YAML front matter is not a mapping", file=file)
    return meta


def hf_rows(
    text: str, *, name: str, file: str = "card", tokens: float | None = None, period: str = "", bytes_per_token: float = CHARS_PER_TOKEN
) -> list[dict[str, Any]]:
    """One manifest row from a Hugging Face dataset card (README.md with YAML front matter)."""
    meta = _front_matter(text, file)
    creators = {str(c).strip().lower() for c in meta.get("language_creators") or []}
    origin = "synthetic" if creators == {"machine-generated"} else "human" if creators and creators <= HUMAN_CREATORS else "unknown"
    if tokens is None:
        size = (meta.get("dataset_info") or {}).get("dataset_size") if isinstance(meta.get("dataset_info"), dict) else None
        if not isinstance(size, (int, float)):
            raise ManifestError("the card gives no token count or dataset_info.dataset_size; give tokens", file=file, field="dataset_info")
        tokens = float(size) / bytes_per_token
    licence = meta.get("license")
    return [
        _row(
            shard=name,
            source=name,
            tokens=round(tokens),
            epochs=1,
            origin=origin,
            verification="none",
            license="; ".join(licence) if isinstance(licence, list) else licence or "",
            period=period,
        )
    ]


def card_rows(path: str | Path, kind: str, **kw: Any) -> list[dict[str, Any]]:
    """Read a DPI JSON (``kind='dpi'``) or Hugging Face card (``kind='hf'``) file into manifest rows."""
    p = check_input_file(path, MAX_CARD_BYTES)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 text ({exc.reason})", file=str(p)) from None
    if kind == "hf":
        return hf_rows(text, name=kw.pop("name", None) or p.parent.name or p.stem, file=str(p), **kw)
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=str(p)) from None
    if not isinstance(record, dict):
        raise ManifestError("expected a JSON object", file=str(p))
    kw.pop("name", None)
    kw.pop("period", None)
    return dpi_rows(record, file=str(p), **kw)
