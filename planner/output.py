"""Writing reports and exports to files atomically (never a half-written file)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import PlannerError


class OutputExistsError(PlannerError):
    """The output file exists and ``force`` was not given."""


def check_writable(path: str | Path, *, force: bool) -> Path:
    """Fail early (before solving) if ``path`` exists without ``force`` or its folder is missing."""
    p = Path(path)
    if p.exists() and not force:
        raise OutputExistsError(f"{p}: file exists; use --force to overwrite it")
    if not p.parent.exists():
        raise OutputExistsError(f"{p}: folder {p.parent} does not exist")
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes | Callable[[Path], None], *, force: bool) -> Path:
    """Write ``data`` (text, bytes, or a function that writes a given temporary path) to ``path``.

    The content goes to a temporary file in the same folder, which then replaces ``path`` in one
    rename, so readers see the old file or the complete new one, never a partial one.
    """
    p = check_writable(path, force=force)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        if callable(data):
            data(tmp_path)
        elif isinstance(data, bytes):
            tmp_path.write_bytes(data)
        else:
            tmp_path.write_text(data, encoding="utf-8")
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp_path, p)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
    return p
