"""Safe reading of user input files: text, YAML and CSV, with limits and one-line errors.

Shared by the catalog (overlay files) and the planner (scenario files). Every helper raises
:class:`~hwcatalog.errors.InputFileError` (a :class:`~hwcatalog.errors.CatalogError`) naming the
file and, where known, the line or row; a bad value is quoted through :func:`excerpt`, never in
full. The limits are module constants (documented in docs/catalog.md, "Limits and input safety"):

* :data:`DEFAULT_MAX_INPUT_BYTES`: largest file :func:`read_text` reads (1 MiB);
* :data:`MAX_YAML_DEPTH`: levels of nested collections in a YAML document (32);
* :data:`MAX_YAML_ALIASES`: alias uses (``*name``) in a YAML document (100);
* :data:`MAX_YAML_ALIAS_NODES`: nodes that aliases may add when expanded (10 000);
* CSV cells: at most ``csv.field_size_limit()`` characters (131 072 unless a caller changed it).

Typical use::

    text = read_text(path, what="a scenario file (YAML)")
    raw = load_yaml(text, file=str(path))
    budget = require_number(raw["budget_usd"], file=str(path), field="budget_usd")
"""

from __future__ import annotations

import csv
import io
import math
import os
import reprlib
import stat
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .errors import InputFileError

DEFAULT_MAX_INPUT_BYTES = 1024 * 1024
MAX_YAML_DEPTH = 32
MAX_YAML_ALIASES = 100
MAX_YAML_ALIAS_NODES = 10_000
EXCERPT_CHARS = 60

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "EXCERPT_CHARS",
    "MAX_YAML_ALIASES",
    "MAX_YAML_ALIAS_NODES",
    "MAX_YAML_DEPTH",
    "excerpt",
    "load_yaml",
    "read_csv",
    "read_text",
    "require_number",
]


# --------------------------------------------------------------------------------------------
# excerpts of bad values


_MAX_SHOWN = 4  # elements of a container shown in an excerpt


def _short_repr(limit: int) -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel = 2
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdict = _MAX_SHOWN
    r.maxstring, r.maxother, r.maxlong = limit, limit, limit
    return r


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short one-line ``repr`` of a possibly huge or hostile value, for error messages.

    Never builds a full repr: strings and bytes are cut before ``repr``; a container of at most
    four elements is shown two levels deep if that fits in ``limit``, any other as
    ``<list of N items>``; integers too long to print become ``<integer of about N digits>``.
    """
    if isinstance(value, str | bytes):
        text = repr(value[:limit])
        if len(text) > limit + 3:  # escapes made it longer
            text = text[:limit] + "..."
        return text if len(value) <= limit else f"{text}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 160:
        return f"<integer of about {int(value.bit_length() * math.log10(2)) + 1} digits>"
    container = isinstance(value, list | tuple | set | frozenset | dict)
    text = "" if container and len(value) > _MAX_SHOWN else _short_repr(limit).repr(value).replace("\n", " ")
    if text and len(text) <= limit:
        return text
    if container:
        return f"<{type(value).__name__} of {len(value)} items>"
    return text[:limit] + "..."


def _clip(message: str, limit: int = 120) -> str:
    """A library's message on one line and at most ``limit`` characters."""
    line = " ".join(message.split())
    return line if len(line) <= limit else line[:limit] + "..."


def require_number(value: Any, *, file: str, field: str, row: str | int | None = None, expected: str = "a number") -> float:
    """Return ``value`` (a number or a numeric string) as a finite float.

    Refuses booleans: YAML 1.1 reads yes/no/on/off/true/false as booleans and Python would count
    them as 1 and 0 (``budget_usd: true`` is not USD 1). Refuses non-numbers, NaN and infinities.
    """
    if isinstance(value, bool):
        raise InputFileError(
            f"expected {expected}, got the boolean {str(value).lower()} (yes/no/on/off/true/false)", file=file, row=row, field=field
        )
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputFileError(f"expected {expected}, got {excerpt(value)}", file=file, row=row, field=field) from None
    if not math.isfinite(number):
        raise InputFileError(f"expected {expected} (finite), got {excerpt(value)}", file=file, row=row, field=field)
    return number


# --------------------------------------------------------------------------------------------
# text files


def read_text(path: str | os.PathLike[str], *, what: str, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> str:
    """Read a UTF-8 text file safely; ``what`` names the expected file in messages ("a scenario file").

    Checks, before reading a byte: the path exists and is a regular file (``os.stat``: FIFOs,
    devices, sockets and directories are refused, so a read can neither block nor run forever) of
    at most ``max_bytes``. The open is non-blocking and re-checked with ``fstat`` (the path may have
    been swapped), at most ``max_bytes + 1`` bytes are read (a growing file is refused), the bytes
    must be UTF-8 (the error gives the offset of the first bad byte) without NUL characters. A
    leading byte-order mark is dropped.
    """
    file = str(path)
    try:
        st = os.stat(file)
    except FileNotFoundError:
        raise InputFileError(f"file not found; expected {what}", file=file) from None
    except OSError as exc:
        raise InputFileError(f"cannot read the file ({exc.strerror}); expected {what}", file=file) from None
    _check_regular(st.st_mode, file, what)
    _check_size(st.st_size, max_bytes, file)
    data = _read_bytes(file, what, max_bytes)
    return _decode(data, file)


def _check_regular(mode: int, file: str, what: str) -> None:
    """Refuse anything but a regular file (a FIFO or device could block or never end)."""
    if stat.S_ISREG(mode):
        return
    kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"
    raise InputFileError(f"is {kind}, not a regular file; expected {what}", file=file)


def _check_size(size: int, max_bytes: int, file: str) -> None:
    if size > max_bytes:
        raise InputFileError(f"the file has {size:,} bytes or more; the limit is {max_bytes:,} bytes", file=file)


def _read_bytes(file: str, what: str, max_bytes: int) -> bytes:
    """Open without blocking, re-check the opened file is regular, read at most ``max_bytes + 1``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(file, flags)
    except OSError as exc:
        raise InputFileError(f"cannot open the file ({exc.strerror}); expected {what}", file=file) from None
    with os.fdopen(fd, "rb") as fh:
        _check_regular(os.fstat(fd).st_mode, file, what)
        data = fh.read(max_bytes + 1)
    _check_size(len(data), max_bytes, file)
    return data


def _decode(data: bytes, file: str) -> str:
    """UTF-8 without NUL characters; report the offset and line of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start}; expected UTF-8 text", file=file, line=line
        ) from None
    _check_no_nul(text, file)
    return text.removeprefix("\ufeff")


def _check_no_nul(text: str, file: str) -> None:
    at = text.find("\x00")
    if at >= 0:
        raise InputFileError(f"a NUL character at character offset {at}; expected text", file=file, line=text.count("\n", 0, at) + 1)


# --------------------------------------------------------------------------------------------
# CSV


def read_csv(text: str, *, file: str) -> tuple[list[str], list[dict[str, str]]]:
    """Parse CSV text with a header row into ``(header, rows)``; cells are stripped of spaces.

    Checks: a header row exists; column names are unique (no silent last-one-wins); no row has
    more cells than the header (missing cells are empty); no cell exceeds the csv module's field
    limit; no NUL characters. Blank lines are skipped; rows are numbered with the header as row 1.
    """
    _check_no_nul(text, file)
    reader = csv.reader(io.StringIO(text))
    first = _next_record(reader, file, 1)
    if first is None:
        raise InputFileError("expected a header row, got an empty file", file=file)
    header = [h.strip() for h in first]
    for n, name in enumerate(header):
        if name in header[:n]:
            raise InputFileError("duplicate column; expected each column once", file=file, row=1, field=name)
    rows: list[dict[str, str]] = []
    while (cells := _next_record(reader, file, len(rows) + 2)) is not None:
        if len(cells) > len(header):
            raise InputFileError(f"expected {len(header)} cells as in the header, got {len(cells)}", file=file, row=len(rows) + 2)
        rows.append({name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)})
    return header, rows


def _next_record(reader: Any, file: str, row: int) -> list[str] | None:
    """The next non-blank record, ``None`` at the end; csv errors become one-line errors."""
    try:
        while (cells := next(reader)) == []:
            pass
    except StopIteration:
        return None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise InputFileError(f"a cell is longer than {csv.field_size_limit():,} characters", file=file, row=row) from None
        raise InputFileError(f"malformed CSV ({_clip(str(exc))})", file=file, row=row) from None
    return cells


# --------------------------------------------------------------------------------------------
# YAML


class _GuardedComposer(Composer):
    """Composer with limits on nesting depth, alias uses, alias expansion and recursive aliases."""

    def _init_guards(self, file: str) -> None:
        Composer.__init__(self)
        self.file = file
        self.depth = 0
        self.alias_uses = 0
        self.alias_nodes = 0
        self.stats: dict[int, tuple[int, int]] = {}  # id(node) -> (height, expanded node count)

    def fail(self, message: str, event: Any) -> None:
        raise InputFileError(message, file=self.file, line=event.start_mark.line + 1)

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # from the parser mixed in
        if isinstance(event, AliasEvent):
            return self._compose_alias(event, parent, index)
        collection = isinstance(event, SequenceStartEvent | MappingStartEvent)
        if collection:
            self.depth += 1
            if self.depth > MAX_YAML_DEPTH:
                self.fail(f"nested deeper than {MAX_YAML_DEPTH} levels", event)
        node = super().compose_node(parent, index)
        self.depth -= collection
        if node is not None:
            self.stats[id(node)] = self._node_stats(node)
        return node

    def _node_stats(self, node: Node) -> tuple[int, int]:
        if isinstance(node, ScalarNode):
            return 0, 1
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else node.value
        stats = [self.stats[id(c)] for c in children]
        return 1 + max((h for h, _ in stats), default=0), 1 + sum(s for _, s in stats)

    def _compose_alias(self, event: Any, parent: Node | None, index: Any) -> Node | None:
        self.alias_uses += 1
        if self.alias_uses > MAX_YAML_ALIASES:
            self.fail(f"more than {MAX_YAML_ALIASES} aliases (*name)", event)
        target = self.anchors.get(event.anchor)
        if target is not None and id(target) not in self.stats:
            self.fail(f"alias *{_clip(event.anchor, 40)} refers to a node that contains it (a recursive structure)", event)
        node = super().compose_node(parent, index)
        height, size = self.stats[id(node)]
        if self.depth + height > MAX_YAML_DEPTH:
            self.fail(f"alias *{_clip(event.anchor, 40)} nests deeper than {MAX_YAML_DEPTH} levels", event)
        self.alias_nodes += size
        if self.alias_nodes > MAX_YAML_ALIAS_NODES:
            self.fail(f"aliases expand to more than {MAX_YAML_ALIAS_NODES:,} nodes (an alias bomb?)", event)
        return node


class _GuardedConstructor(SafeConstructor):
    """Safe constructor that refuses duplicate mapping keys (YAML would let the last one win)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self._check_duplicate_keys(node)
        return super().construct_mapping(node, deep=deep)

    def _check_duplicate_keys(self, node: MappingNode) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # unhashable: the base constructor reports it
                continue
            if first is not None:
                raise InputFileError(
                    f"duplicate key {excerpt(key)} (first at line {first}); expected each key once",
                    file=getattr(self, "file", None),
                    line=line,
                )
            seen[key] = line


class _PyLoader(Reader, Scanner, Parser, _GuardedComposer, _GuardedConstructor, Resolver):
    """Pure-Python parser with the guards (used when PyYAML has no libyaml)."""

    def __init__(self, stream: str, file: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        self._init_guards(file)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _loader_class() -> Any:
    """The libyaml event parser under the guarded Python composer (about 3x faster), else pure Python."""
    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return _PyLoader

    class _CLoader(_GuardedComposer, _GuardedConstructor, Resolver, CParser):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str, file: str) -> None:
            CParser.__init__(self, stream)
            self._init_guards(file)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return _CLoader


_Loader = _loader_class()


def load_yaml(text: str, *, file: str) -> Any:
    """Parse one YAML document into plain Python data (``None`` for an empty document).

    Safe loading (no Python objects) that refuses, with a one-line error naming the file and line:
    syntax errors, more than one document, duplicate mapping keys, more than
    :data:`MAX_YAML_ALIASES` alias uses, aliases expanding to more than
    :data:`MAX_YAML_ALIAS_NODES` nodes, recursive aliases, nesting deeper than
    :data:`MAX_YAML_DEPTH`, and values Python cannot hold (integers over 4300 digits). YAML 1.1
    booleans (yes/no/on/off/true/false) stay booleans: check numbers with :func:`require_number`.
    """
    loader = _Loader(text, file)
    try:
        return loader.get_single_data()
    except InputFileError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputFileError(f"invalid YAML ({_clip(exc.problem or exc.context or 'syntax error')})", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"invalid YAML ({_clip(str(exc))})", file=file) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer over Python's 4300-digit limit
        raise InputFileError(f"invalid YAML value ({_clip(str(exc))})", file=file) from None
    finally:
        loader.dispose()
