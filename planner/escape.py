"""One escaping policy per output format, applied to every table any command prints.

* CSV and XLSX text: a cell a spreadsheet would read as a formula (starting with ``=``, ``+``,
  ``-``, ``@``, tab or carriage return) is written as text (OWASP CSV injection); CSV files use
  CRLF line ends so that any field holding a line break is quoted; XLSX drops the control
  characters the file format cannot hold.
* Markdown: pipes, backticks, brackets and line breaks escaped, raw HTML neutralised.
* Terminal: control characters (ESC, BEL, ...) removed; rich markup never interpreted.
* HTML: Jinja2 autoescape. Charts: ``$`` escaped so matplotlib never reads math text.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_LINE_END = "\r\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab, newline) and C1, DEL
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MD_SPECIAL = re.compile(r"([\\`|\[\]*])")


def spreadsheet_text(value: Any) -> Any:
    """A string a spreadsheet would treat as a formula gets a leading apostrophe (CSV cells)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_text(text: str) -> str:
    """Text without the control characters an XLSX file cannot store."""
    return _XLSX_ILLEGAL.sub("", text)


def terminal(text: Any) -> str:
    """Text safe for a terminal: control characters (ESC, BEL, C1) removed."""
    return _CONTROL.sub("", str(text))


def markdown(text: Any) -> str:
    """Text for a Markdown table cell or line: ``| ` [ ] * \\`` escaped, ``<`` and ``>`` as entities,
    line breaks as spaces, control characters removed (``_`` stays: GFM does not emphasise inside words)."""
    s = terminal(str(text)).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("<", "&lt;").replace(">", "&gt;")


def math_text(text: Any) -> str:
    """User text for a matplotlib label: ``$`` escaped, control characters removed."""
    return terminal(str(text)).replace("$", r"\$")
