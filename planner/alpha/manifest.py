"""Training-data manifests: one row per shard, read with pyarrow and validated column by column.

Format (docs/alpha.md): CSV with a header row, or JSON Lines with one object per line. Columns
(CSV) or keys (JSON Lines):

    shard, source, tokens                       required
    epochs (default 1), weight (default 1)      passes over the shard / its sampling weight in the mix
    origin                                      human | synthetic | mixed | unknown (required)
    human_fraction                              required for mixed shards, in [0, 1]
    generator                                   model that produced the synthetic part
    verification                                none | cpu-check | fpga-check | human-audit (default none)
    verified_fraction                           share of the synthetic part verified (default 1 with a method)
    p_synthetic                                 classifier probability that an unknown shard is synthetic
    license, period                             SPDX id or text; ISO date (grouped by quarter) or a label

Rows are numbered from 1, the header of a CSV file not counted (in JSON Lines, the n-th non-blank
line). Validation is vectorised: the first bad row of a column is found with one mask, and every
problem becomes a one-line :class:`ManifestError` naming the file, row and field. Inputs must be
regular files of at most :data:`MAX_MANIFEST_BYTES`; CSV cells longer than Python's
``csv.field_size_limit()`` are refused like the csv module would refuse them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from .errors import ManifestError

MAX_MANIFEST_BYTES = 1 << 30  # 1 GiB per manifest file (a million shards take about 100 MB)
BLOCK_BYTES = 16 << 20  # pyarrow read block; a row longer than this is refused with its row number
TEXT_COLUMNS = ("shard", "source", "origin", "generator", "verification", "license", "period")
NUMBER_COLUMNS = ("tokens", "epochs", "weight", "human_fraction", "verified_fraction", "p_synthetic")
COLUMNS = TEXT_COLUMNS + NUMBER_COLUMNS
REQUIRED = ("shard", "source", "tokens", "origin")
UNUSED = ("license",)  # documented and allowed, not needed for alpha: CSV readers skip it
ORIGINS = ("human", "synthetic", "mixed", "unknown")
HUMAN, SYNTHETIC, MIXED, UNKNOWN = range(4)
VERIFICATIONS = ("none", "cpu-check", "fpga-check", "human-audit")
NO_LABEL = ""  # empty source, generator or period


@dataclass(frozen=True)
class Labels:
    """A text column as integer codes into ``names`` (dictionary encoding)."""

    codes: np.ndarray  # int32, one per shard
    names: tuple[str, ...]


@dataclass(frozen=True)
class Shards:
    """Validated shards of one or more manifests, as columns (one entry per shard)."""

    files: tuple[str, ...]
    file_index: np.ndarray  # int32: which of ``files`` the shard came from
    row: np.ndarray  # int64: 1-based data row in its file
    shard: pa.ChunkedArray  # shard ids (strings), kept in Arrow: only a few are ever looked at
    source: Labels
    generator: Labels
    period: Labels  # already grouped: ISO dates -> calendar quarter labels such as 2026Q1
    period_is_quarter: bool  # every period cell was an ISO date (periods then sort chronologically)
    tokens: np.ndarray  # float64, tokens per epoch (tokens)
    epochs: np.ndarray  # float64, passes (dimensionless)
    weight: np.ndarray  # float64, sampling weight (dimensionless)
    origin: np.ndarray  # int8: HUMAN, SYNTHETIC, MIXED, UNKNOWN
    human_fraction: np.ndarray  # float64: 1, 0 or the mixed fraction; NaN for unknown
    verification: np.ndarray  # int8 index into VERIFICATIONS
    verified_fraction: np.ndarray  # float64 in [0, 1]; 0 when verification is none
    p_synthetic: np.ndarray  # float64, NaN where not given

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def effective_tokens(self) -> np.ndarray:
        """tokens x epochs x weight (tokens seen in training)."""
        return self.tokens * self.epochs * self.weight

    def where(self, index: int) -> tuple[str, int]:
        """(file, row) of the shard at position ``index``."""
        return self.files[int(self.file_index[index])], int(self.row[index])


# -------------------------------------------------------------------------------------------- files


def check_input_file(path: str | Path, limit: int = MAX_MANIFEST_BYTES) -> Path:
    """The path as a regular file of at most ``limit`` bytes, or a one-line ManifestError."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", file=str(p)) from None
    if not stat.S_ISREG(st.st_mode):
        raise ManifestError("not a regular file", file=str(p))
    if st.st_size > limit:
        raise ManifestError(f"file is {st.st_size:,} bytes; the limit is {limit:,} bytes", file=str(p))
    if not os.access(p, os.R_OK):
        raise ManifestError("file is not readable", file=str(p))
    return p


def manifest_kind(path: Path) -> str:
    """``csv`` or ``jsonl`` from the file name."""
    name = path.name.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ManifestError("unknown manifest type; expected .csv, .jsonl or .ndjson (or a .croissant.json / .json wrapper)", file=str(path))


def _unknown_column(name: str, file: str) -> ManifestError:
    near = difflib.get_close_matches(name, COLUMNS, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f"; expected one of {', '.join(COLUMNS)}"
    return ManifestError(f"unknown column{hint}", file=file, field=name)


# -------------------------------------------------------------------------------------------- CSV


def _csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8", newline="") as f:
        try:
            header = next(csv.reader(f), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ManifestError(f"header: {exc}", file=str(path)) from None
    if not header:
        raise ManifestError("empty file; expected a header row naming the columns", file=str(path))
    names = [h.strip() for h in header]
    for n in names:
        if n not in COLUMNS:
            raise _unknown_column(n, str(path))
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ManifestError("column appears twice in the header", file=str(path), field=dup)
    return names


def _csv_scan_error(path: Path, width: int) -> ManifestError | None:
    """Slow path, only after pyarrow refused the file: the first row the csv module refuses."""
    row = 0
    try:
        with path.open("r", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            for row, cells in enumerate(reader, start=1):
                if len(cells) != width:
                    return ManifestError(f"{len(cells)} cells; the header has {width} columns", file=str(path), row=row)
    except csv.Error as exc:
        return ManifestError(str(exc), file=str(path), row=row + 1)
    except UnicodeDecodeError as exc:
        return ManifestError(f"not UTF-8 text ({exc.reason})", file=str(path), row=row + 1)
    return None


def read_csv_table(path: Path) -> pa.Table:
    """All columns as strings (conversion and checks come after, vectorised)."""
    names = _csv_header(path)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                include_columns=[n for n in names if n not in UNUSED],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise _csv_scan_error(path, len(names)) or ManifestError(str(exc).splitlines()[0], file=str(path)) from None
    limit = csv.field_size_limit()
    for name in table.column_names:
        lengths = pc.utf8_length(table[name])
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            first = int(np.argmax(lengths.to_numpy() > limit))
            raise ManifestError(
                f"cell of {longest:,} characters exceeds the CSV field limit ({limit:,})", file=str(path), row=first + 1, field=name
            )
    return table


# -------------------------------------------------------------------------------------------- JSON Lines

_SCHEMA = pa.schema([(n, pa.string()) for n in TEXT_COLUMNS] + [(n, pa.float64()) for n in NUMBER_COLUMNS])


def read_jsonl_table(path: Path) -> pa.Table:
    """Fast path: pyarrow with a fixed schema. Anything it refuses goes through :func:`_jsonl_slow`."""
    try:
        table = pajson.read_json(
            path,
            read_options=pajson.ReadOptions(block_size=BLOCK_BYTES, use_threads=True),
            parse_options=pajson.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="error", newlines_in_values=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return _jsonl_slow(path)
    present = [n for n in table.column_names if pc.any(pc.is_valid(table[n])).as_py()]
    return table.select(present)


def _jsonl_value(value: object, name: str, file: str, row: int) -> object:
    if value is None:
        return None
    if name in NUMBER_COLUMNS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ManifestError(f"expected a number, got {json.dumps(value)[:40]}", file=file, row=row, field=name)
        return float(value)
    if isinstance(value, (dict, list)):
        raise ManifestError("expected text, got a JSON object or array", file=file, row=row, field=name)
    return value if isinstance(value, str) else json.dumps(value)  # numbers as shard ids or labels are fine


def _jsonl_slow(path: Path) -> pa.Table:
    """Line by line with the json module: exact row numbers for errors, lenient text fields."""
    file = str(path)
    cols: dict[str, list[object]] = {n: [] for n in COLUMNS}
    row = 0
    with path.open("rb") as f:
        for raw in f:
            if not raw.strip():
                continue
            row += 1
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ManifestError(f"malformed JSON: {exc}", file=file, row=row) from None
            if not isinstance(obj, dict):
                raise ManifestError("expected a JSON object per line", file=file, row=row)
            for key in obj:
                if key not in cols:
                    raise _unknown_column(key, file)
            for name, values in cols.items():
                values.append(_jsonl_value(obj.get(name), name, file, row))
    arrays = {n: pa.array(v, type=_SCHEMA.field(n).type) for n, v in cols.items() if any(x is not None for x in v)}
    return pa.table(arrays) if arrays else pa.table({"shard": pa.array([], pa.string())})


# -------------------------------------------------------------------------------------------- validation


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _text(table: pa.Table, name: str) -> pa.ChunkedArray:
    """The column stripped of surrounding blanks, nulls as empty strings (missing column: all empty)."""
    if name not in table.column_names:
        return pa.chunked_array([pa.array([""] * table.num_rows, pa.string())])
    return pc.fill_null(pc.utf8_trim_whitespace(table[name]), "")


def _numbers(table: pa.Table, name: str, file: str) -> np.ndarray:
    """float64 values, NaN where the cell is empty or absent; text that is no number is an error."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = table[name]
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return np.asarray(pc.fill_null(pc.cast(col, pa.float64()), np.nan).to_numpy(), dtype=float)
    text = _text(table, name)
    blank = pc.equal(text, "")
    try:
        vals = pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        bad = [i for i, v in enumerate(text.to_pylist()) if v and not _is_number(v)]
        i = bad[0] if bad else 0
        raise ManifestError(f"expected a number, got {text[i].as_py()[:40]!r}", file=file, row=i + 1, field=name) from None
    return np.asarray(pc.fill_null(vals, np.nan).to_numpy(), dtype=float)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.IGNORECASE)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def _check_range(values: np.ndarray, name: str, file: str, *, lo: float, hi: float = np.inf, required: np.ndarray | None = None) -> None:
    """Finite values in [lo, hi]; NaN (empty) is an error where ``required`` is True."""
    missing = np.isnan(values) if required is None else np.isnan(values) & required
    if required is not None and missing.any():
        raise ManifestError("missing value", file=file, row=_first(missing) + 1, field=name)
    given = ~np.isnan(values)
    bad = given & ~((values >= lo) & (values <= hi) & np.isfinite(values))
    if bad.any():
        i = _first(bad)
        what = "a non-negative number" if hi == np.inf else f"a number in [{lo:g}, {hi:g}]"
        raise ManifestError(f"expected {what}, got {values[i]:g}", file=file, row=i + 1, field=name)


def _enum(table: pa.Table, name: str, allowed: tuple[str, ...], file: str, default: str | None) -> np.ndarray:
    """int8 index into ``allowed`` (case-insensitive); empty cells take ``default`` or are an error."""
    text = pc.utf8_lower(_text(table, name))
    if default is not None:
        text = pc.if_else(pc.equal(text, ""), default, text)
    idx = pc.index_in(text, value_set=pa.array(allowed))
    missing = pc.is_null(idx)
    if pc.any(missing).as_py():
        i = _first(missing.to_numpy(zero_copy_only=False))
        got = text[i].as_py()
        msg = "missing value" if got == "" else f"unknown value {got[:40]!r}"
        raise ManifestError(f"{msg}; expected one of {', '.join(allowed)}", file=file, row=i + 1, field=name)
    return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int8)


def _fraction_for_origin(origin: np.ndarray, given: np.ndarray, file: str) -> np.ndarray:
    """human_fraction per shard: 1 human, 0 synthetic, the cell for mixed, NaN for unknown.

    A cell on a human or synthetic shard must agree (1 or 0); unknown shards take none.
    """
    mixed = origin == MIXED
    _check_range(given, "human_fraction", file, lo=0.0, hi=1.0, required=mixed)
    implied = np.select([origin == HUMAN, origin == SYNTHETIC], [1.0, 0.0], default=np.nan)
    clash = ~np.isnan(given) & ~mixed & ~(given == implied)
    if clash.any():
        i = _first(clash)
        need = {HUMAN: "1 (or empty) for a human shard", SYNTHETIC: "0 (or empty) for a synthetic shard"}.get(
            int(origin[i]), "empty for an unknown shard"
        )
        raise ManifestError(f"got {given[i]:g}; expected {need}", file=file, row=i + 1, field="human_fraction")
    return np.where(mixed, given, implied)


def _verified(method: np.ndarray, given: np.ndarray, file: str) -> np.ndarray:
    """verified_fraction: 0 without a method (a positive cell is an error), default 1 with one."""
    _check_range(given, "verified_fraction", file, lo=0.0, hi=1.0)
    clash = (method == 0) & (given > 0)
    if clash.any():
        raise ManifestError(
            "verification is none, so verified_fraction must be 0 or empty", file=file, row=_first(clash) + 1, field="verified_fraction"
        )
    return np.where(method == 0, 0.0, np.where(np.isnan(given), 1.0, given))


def _required_text(col: pa.ChunkedArray, name: str, file: str) -> None:
    empty = pc.equal(col, "")
    if pc.any(empty).as_py():
        raise ManifestError("missing value", file=file, row=_first(empty.to_numpy(zero_copy_only=False)) + 1, field=name)


def validate_table(table: pa.Table, file: str) -> dict[str, object]:
    """Check one manifest's columns; return them converted (numpy numbers, Arrow text)."""
    for name in REQUIRED:
        if name not in table.column_names:
            raise ManifestError("required column is missing", file=file, field=name)
    shard, source = _text(table, "shard"), _text(table, "source")
    _required_text(shard, "shard", file)
    _required_text(source, "source", file)
    tokens = _numbers(table, "tokens", file)
    _check_range(tokens, "tokens", file, lo=0.0, required=np.ones(len(tokens), bool))
    out: dict[str, object] = {"shard": shard, "source": source, "tokens": tokens}
    for name in ("epochs", "weight"):
        values = _numbers(table, name, file)
        _check_range(values, name, file, lo=0.0)
        out[name] = np.where(np.isnan(values), 1.0, values)
    origin = _enum(table, "origin", ORIGINS, file, default=None)
    method = _enum(table, "verification", VERIFICATIONS, file, default="none")
    p_syn = _numbers(table, "p_synthetic", file)
    _check_range(p_syn, "p_synthetic", file, lo=0.0, hi=1.0)
    out.update(
        origin=origin,
        human_fraction=_fraction_for_origin(origin, _numbers(table, "human_fraction", file), file),
        verification=method,
        verified_fraction=_verified(method, _numbers(table, "verified_fraction", file), file),
        p_synthetic=p_syn,
        generator=_text(table, "generator"),
        period=_text(table, "period"),
    )
    return out


# -------------------------------------------------------------------------------------------- periods

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")


def period_label(text: str) -> tuple[str, bool]:
    """(group label, is_date): an ISO date becomes its calendar quarter (``2026-05-03`` -> ``2026Q2``)."""
    m = _ISO_DATE.match(text)
    if not m:
        return text, False
    year, month, day = (int(g) for g in m.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return text, False  # not a real date: a free label
    return f"{year}Q{(month - 1) // 3 + 1}", True


def _encode(col: pa.ChunkedArray) -> Labels:
    enc = pc.dictionary_encode(col).combine_chunks()
    return Labels(np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int32), tuple(enc.dictionary.to_pylist()))


def group_periods(raw: Labels) -> tuple[Labels, bool]:
    """Map raw period cells to groups; order chronologically if all are dates, else by first appearance."""
    mapped = [period_label(name) for name in raw.names]
    all_dates = bool(mapped) and all(is_date for _, is_date in mapped)
    labels = [label for label, _ in mapped]
    if all_dates:
        order = sorted(set(labels))
    else:
        codes_seen, first_rows = np.unique(raw.codes, return_index=True)
        order = []
        for code in codes_seen[np.argsort(first_rows)]:
            if labels[code] not in order:
                order.append(labels[code])
    position = {label: i for i, label in enumerate(order)}
    lookup = np.array([position[label] for label in labels], dtype=np.int32)
    return Labels(lookup[raw.codes] if len(raw.codes) else raw.codes, tuple(order)), all_dates


# -------------------------------------------------------------------------------------------- files -> shards


def read_table(path: Path) -> pa.Table:
    """One manifest file (CSV or JSON Lines) as an Arrow table, after the input checks."""
    p = check_input_file(path)
    return read_csv_table(p) if manifest_kind(p) == "csv" else read_jsonl_table(p)


def _check_unique(shard: pa.ChunkedArray, file_index: np.ndarray, rows: np.ndarray, files: list[str]) -> None:
    if pc.count_distinct(shard).as_py() == len(shard):
        return
    import pandas as pd

    dup = pd.Series(shard.to_numpy()).duplicated().to_numpy()
    i = _first(dup)
    name = shard[i].as_py()
    j = _first(shard.to_numpy(zero_copy_only=False) == name)
    first = f"{files[int(file_index[j])]} row {int(rows[j])}"
    raise ManifestError(
        f"shard id {name[:60]!r} appears twice (first at {first})", file=files[int(file_index[i])], row=int(rows[i]), field="shard"
    )


def load_shards(paths: list[str | Path]) -> Shards:
    """Read, validate and concatenate manifest files (CSV or JSON Lines) into :class:`Shards`."""
    if not paths:
        raise ManifestError("no manifest given")
    parts, files = [], []
    for path in paths:
        table = read_table(Path(path))
        parts.append(validate_table(table, str(path)))
        files.append(str(path))
        del table  # keep only the converted columns
    sizes = [len(p["tokens"]) for p in parts]  # type: ignore[arg-type]
    file_index = np.repeat(np.arange(len(parts), dtype=np.int32), sizes)
    rows = np.concatenate([np.arange(1, n + 1, dtype=np.int64) for n in sizes]) if sizes else np.zeros(0, np.int64)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in parts])  # type: ignore[misc]

    def text(name: str) -> pa.ChunkedArray:
        return pa.chunked_array([chunk for p in parts for chunk in p[name].chunks], pa.string())  # type: ignore[attr-defined]

    shard = text("shard")
    _check_unique(shard, file_index, rows, files)
    period, quarters = group_periods(_encode(text("period")))
    return Shards(
        files=tuple(files),
        file_index=file_index,
        row=rows,
        shard=shard,
        source=_encode(text("source")),
        generator=_encode(text("generator")),
        period=period,
        period_is_quarter=quarters,
        tokens=cat("tokens"),
        epochs=cat("epochs"),
        weight=cat("weight"),
        origin=cat("origin").astype(np.int8),
        human_fraction=cat("human_fraction"),
        verification=cat("verification").astype(np.int8),
        verified_fraction=cat("verified_fraction"),
        p_synthetic=cat("p_synthetic"),
    )
