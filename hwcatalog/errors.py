"""Typed errors of the catalog layer.

Every error names where the problem is (file, row, field) and what was expected, so the CLI can
print it on one line without a traceback.
"""

from __future__ import annotations


class CatalogError(ValueError):
    """A catalog or overlay file is invalid, or a query names something that does not exist."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: str | int | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.line = line
        self.detail = message
        where = []
        if file:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if row is not None:
            where.append(f"row {row}")
        if field:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownItemError(CatalogError, KeyError):
    """An item id is not in the catalog; the message suggests the closest ids."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class InputFileError(CatalogError):
    """An input file cannot be read safely.

    Not a regular file, too large, not UTF-8 text, or malformed or hostile CSV/YAML (duplicate
    keys, alias bombs, deep nesting, over-long cells, NUL characters).

    Raised by the generic helpers of :mod:`hwcatalog.safeio`; a subclass of :class:`CatalogError`
    so a caller can catch both with one ``except``.
    """
