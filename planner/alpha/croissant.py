"""Croissant 1.1 JSON-LD wrappers that point to shard manifests (docs/alpha.md, "Croissant").

A wrapper is a ``sc:Dataset`` that declares ``dct:conformsTo`` Croissant 1.0 or 1.1 and lists, in
``distribution``, one or more ``cr:FileObject`` whose ``encodingFormat`` is ``text/csv`` or
``application/jsonlines`` and whose ``contentUrl`` is a local path (relative to the wrapper). A
``sha256`` on the FileObject is checked. ``rai:hasSyntheticData`` (Croissant RAI vocabulary) and the
PROV-O properties ``prov:wasDerivedFrom``, ``prov:wasGeneratedBy`` and ``prov:wasAttributedTo`` are
read on the dataset and on each FileObject; a wrapper that declares no synthetic data over a manifest
with synthetic shards is reported as a warning by the measurement.

The wrapper is read as plain JSON with the compact keys of Croissant's recommended context (and their
prefixed or full-IRI spellings), not through a JSON-LD processor. mlcroissant 1.1.1 (the maintained
reader) loads the example wrapper offline and round-trips every field used here
(tests/test_alpha.py::test_mlcroissant_round_trip, run where mlcroissant is installed), but it is not a
dependency: it pulls in absl-py, etils, rdflib, scipy, networkx, requests and pandas-stubs (which
changes how mypy checks this project's pandas code) to read a dozen keys. See docs/alpha.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ManifestError
from .manifest import check_input_file

MAX_WRAPPER_BYTES = 16 << 20  # 16 MiB
CONFORMS = ("http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/1.1")
MANIFEST_FORMATS = {
    "text/csv": ".csv",
    "application/jsonlines": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/x-ndjson": ".jsonl",
    "application/x-jsonlines": ".jsonl",
}
_ALIASES = {
    "conformsTo": ("conformsTo", "dct:conformsTo", "http://purl.org/dc/terms/conformsTo"),
    "distribution": ("distribution", "sc:distribution", "http://schema.org/distribution", "https://schema.org/distribution"),
    "hasSyntheticData": ("hasSyntheticData", "rai:hasSyntheticData", "http://mlcommons.org/croissant/RAI/hasSyntheticData"),
    "contentUrl": ("contentUrl", "sc:contentUrl", "http://schema.org/contentUrl"),
    "encodingFormat": ("encodingFormat", "sc:encodingFormat", "http://schema.org/encodingFormat"),
    "sha256": ("sha256", "sc:sha256", "http://schema.org/sha256"),
    "license": ("license", "sc:license", "http://schema.org/license"),
    "name": ("name", "sc:name", "http://schema.org/name"),
}
PROV_KEYS = ("wasDerivedFrom", "wasGeneratedBy", "wasAttributedTo")


@dataclass(frozen=True)
class CroissantWrapper:
    """What a Croissant wrapper says about the manifests it points to."""

    path: str
    name: str
    conforms_to: tuple[str, ...]
    manifests: tuple[Path, ...]
    has_synthetic_data: bool | None  # rai:hasSyntheticData, None when absent
    license: tuple[str, ...]
    provenance: dict[str, tuple[str, ...]]  # PROV-O property -> labels or ids, dataset and FileObjects

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "conforms_to": list(self.conforms_to),
            "manifests": [str(p) for p in self.manifests],
            "has_synthetic_data": self.has_synthetic_data,
            "license": list(self.license),
            "provenance": {k: list(v) for k, v in self.provenance.items()},
        }


def is_wrapper(path: str | Path) -> bool:
    """A ``.json`` or ``.jsonld`` file (not JSON Lines) is read as a Croissant wrapper."""
    return str(path).lower().endswith((".json", ".jsonld"))


def _get(obj: dict[str, Any], key: str) -> Any:
    for alias in _ALIASES.get(key, (key, f"prov:{key}", f"http://www.w3.org/ns/prov#{key}")):
        if alias in obj:
            return obj[alias]
    return None


def _many(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


def _label(value: Any) -> str:
    """A readable label for a PROV-O value: its prov:label or name, else its @id, else the text."""
    if isinstance(value, dict):
        for key in ("prov:label", "label", "rdfs:label", "name", "sc:name", "@id"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return json.dumps(value, sort_keys=True)[:80]
    return str(value)


def _types(obj: dict[str, Any]) -> set[str]:
    return {str(t).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in _many(obj.get("@type"))}


def _load_json(p: Path) -> dict[str, Any]:
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ManifestError(f"malformed JSON-LD at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 text ({exc.reason})", file=str(p)) from None
    if not isinstance(doc, dict):
        raise ManifestError("expected a JSON-LD object (a Croissant sc:Dataset)", file=str(p))
    if "Dataset" not in _types(doc):
        raise ManifestError("not a Croissant dataset: @type must be sc:Dataset", file=str(p), field="@type")
    conforms = [str(c) for c in _many(_get(doc, "conformsTo"))]
    if not any(c.rstrip("/") in CONFORMS for c in conforms):
        raise ManifestError(f"conformsTo must name {' or '.join(CONFORMS)}; got {conforms or 'nothing'}", file=str(p), field="conformsTo")
    return doc


def _manifest_path(wrapper: Path, obj: dict[str, Any], index: int) -> Path | None:
    """The local manifest a FileObject points to, or None when it is not a manifest."""
    fmt = str(_get(obj, "encodingFormat") or "").split(";")[0].strip().lower()
    if "FileObject" not in _types(obj) or fmt not in MANIFEST_FORMATS:
        return None
    field = f"distribution[{index}].contentUrl"
    url = _get(obj, "contentUrl")
    if not isinstance(url, str) or not url.strip():
        raise ManifestError("a manifest FileObject needs a contentUrl", file=str(wrapper), field=field)
    if "://" in url:
        raise ManifestError(f"{url!r} is remote; manifests are read from local files only", file=str(wrapper), field=field)
    target = (wrapper.parent / url).resolve()
    if not target.name.lower().endswith(MANIFEST_FORMATS[fmt]) and not target.name.lower().endswith(".ndjson"):
        raise ManifestError(f"encodingFormat {fmt} but the file is named {target.name}", file=str(wrapper), field=field)
    _check_sha256(wrapper, check_input_file(target), _get(obj, "sha256"), index)
    return target


def _check_sha256(wrapper: Path, target: Path, expected: Any, index: int) -> None:
    if not expected:
        return
    digest = hashlib.sha256()
    with target.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != str(expected).lower():
        raise ManifestError(
            f"{target.name} has sha256 {digest.hexdigest()}, not {expected}", file=str(wrapper), field=f"distribution[{index}].sha256"
        )


def read_wrapper(path: str | Path) -> CroissantWrapper:
    """Read and check a Croissant wrapper; its manifests are checked as input files (size, kind)."""
    p = check_input_file(path, MAX_WRAPPER_BYTES)
    doc = _load_json(p)
    objects = [o for o in _many(_get(doc, "distribution")) if isinstance(o, dict)]
    manifests = [m for i, o in enumerate(objects) if (m := _manifest_path(p, o, i)) is not None]
    if not manifests:
        raise ManifestError("no cr:FileObject with encodingFormat text/csv or application/jsonlines", file=str(p), field="distribution")
    synthetic = _get(doc, "hasSyntheticData")
    if synthetic is not None and not isinstance(synthetic, bool):
        raise ManifestError(f"expected true or false, got {synthetic!r}", file=str(p), field="rai:hasSyntheticData")
    provenance = {k: tuple(_label(v) for o in [doc, *objects] for v in _many(_get(o, k))) for k in PROV_KEYS}
    return CroissantWrapper(
        path=str(p),
        name=str(_get(doc, "name") or p.stem),
        conforms_to=tuple(str(c) for c in _many(_get(doc, "conformsTo"))),
        manifests=tuple(manifests),
        has_synthetic_data=synthetic,
        license=tuple(_label(v) for v in _many(_get(doc, "license"))),
        provenance={k: v for k, v in provenance.items() if v},
    )


def expand(paths: list[str | Path]) -> tuple[list[Path], list[CroissantWrapper]]:
    """Manifest paths with every Croissant wrapper replaced by the manifests it points to."""
    out: list[Path] = []
    wrappers: list[CroissantWrapper] = []
    for path in paths:
        if is_wrapper(path):
            w = read_wrapper(path)
            wrappers.append(w)
            out.extend(w.manifests)
        else:
            out.append(Path(path))
    return out, wrappers
