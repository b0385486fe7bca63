"""Every README command works exactly as written (issue 10): each line of a ``bash`` block that
starts with ``plan `` runs through the CLI (``--output``/``--export`` targets moved to a temp
folder), and the Python snippet runs as shown, from the repository root."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
COMMANDS = [line.strip() for lang, body in BLOCKS if lang == "bash" for line in body.splitlines() if line.strip().startswith("plan ")]
TARGET_FLAGS = ("--output", "--export")


def _args(line: str, tmp_path) -> list[str]:
    """The command's arguments (comment dropped), output targets moved into ``tmp_path``."""
    args = shlex.split(line, comments=True)[1:]
    return [str(tmp_path / a) if i and args[i - 1] in TARGET_FLAGS else a for i, a in enumerate(args)]


def test_readme_has_commands():
    assert len(COMMANDS) >= 10 and any("examples/quotes.csv" in c for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_runs(line, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    r = CliRunner().invoke(cli, _args(line, tmp_path), catch_exceptions=False)
    assert r.exit_code == 0, (line, r.stderr[-500:])


def test_readme_python_snippet_runs():
    [code] = [body for lang, body in BLOCKS if lang == "python"]
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-1000:]
