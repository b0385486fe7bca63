"""Writing reports and exports to files atomically (never a half-written or clobbered file).

Rules for a target path, checked before any work starts:

* ``-`` means standard output (reports only);
* empty, ending in a path separator, or naming a directory: refused;
* an existing target must be a regular file (not a symlink, FIFO, device or socket), and is
  replaced only with ``force``;
* its folder must exist and be a directory.

The content goes to a temporary file in the same folder (a short name, so it fits NAME_MAX
whatever the target's length), which then replaces the target in one rename. Any failure
(disk full, permission denied, an interrupt) removes the temporary file and raises
:class:`OutputError` with one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from .errors import PlannerError

STDOUT = "-"


class OutputError(PlannerError):
    """An output target is unusable or could not be written (exit 1)."""


OutputExistsError = OutputError  # the name of this error before it covered every output problem


def _describe(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def check_writable(path: str | Path, *, force: bool) -> Path:
    """Fail early (before solving) unless ``path`` is a new path or, with ``force``, a regular file."""
    text = str(path)
    if not text.strip():
        raise OutputError("output path is empty; give a file name, or '-' for standard output")
    if text.endswith((os.sep, "/")):
        raise OutputError(f"{text}: expected a file name, got a folder path")
    p = Path(text)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{p}: cannot inspect the path ({exc.strerror})") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{p}: is {_describe(st.st_mode)}; only a regular file or a new path can be written")
        if not force:
            raise OutputError(f"{p}: file exists; use --force to overwrite it")
    parent = p.parent
    if not parent.exists():
        raise OutputError(f"{p}: folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{p}: {parent} is not a folder")
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _os_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or exc.__class__.__name__


def write_atomic(path: str | Path, data: str | bytes | Callable[[Path], None], *, force: bool) -> Path:
    """Write ``data`` (text, bytes, or a function that writes a given temporary path) to ``path``.

    Readers see the old file or the complete new one, never a partial one; on any failure the
    temporary file is removed and :class:`OutputError` names the path and the cause.
    """
    p = check_writable(path, force=force)
    tmp = p.parent / f".plan-{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
        os.close(fd)
        if callable(data):
            data(tmp)
        elif isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        raise OutputError(f"{p}: cannot write ({_os_message(exc)}); nothing was written") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return p
