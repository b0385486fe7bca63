"""The typed error of the alpha ledger: a bad manifest, Croissant wrapper or dataset card."""

from __future__ import annotations

from ..errors import PlannerError


class ManifestError(PlannerError, ValueError):
    """A manifest problem, named by file, row (1-based data row) and field, in one line.

    ``str(err)`` reads ``FILE, row N, field 'F': message``; parts that do not apply are left out.
    Exit code 1 (bad input), like every :class:`PlannerError`.
    """

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.detail = " ".join(message.split())  # one line, whatever the cause said
        parts = [p for p in (file, f"row {row}" if row is not None else None, f"field '{field}'" if field else None) if p]
        super().__init__(f"{', '.join(parts)}: {self.detail}" if parts else self.detail)
