"""Architecture checks: no import cycle between modules (module-level or lazy imports alike),
the collapse simulator and a JSON plan load only what they use, and the CLI stays thin."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("planner", "hwcatalog")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> list[str]:
    base = mod if is_pkg else mod.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        base = base.rsplit(".", 1)[0]
    target = node.module if node.level == 0 else ".".join(p for p in (base, node.module) if p)
    return [target or base] + [f"{target}.{a.name}" for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """module -> internal modules it imports anywhere in its body (TYPE_CHECKING blocks excluded)."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    names = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for mod, path in names.items():
        tree = ast.parse(path.read_text())
        skip = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                deps |= set(_resolve(mod, path.name == "__init__.py", node))
        graph[mod] = {d for d in deps if d in names and d != mod and not mod.startswith(d + ".")}
    return graph


def test_no_import_cycle():
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(dep) :], dep]))
            if dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])


def _loaded(code: str) -> list[str]:
    heavy = ("pandas", "pulp", "jinja2", "matplotlib", "openpyxl")
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(m for m in {heavy!r} if m in sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return out.stdout.split()


def test_collapse_simulator_loads_no_planner_stack():
    assert _loaded("import planner.collapse") == []


def test_json_plan_loads_no_rendering_stack():
    loaded = _loaded("from planner import plan, load_scenario; plan(load_scenario(), marginals=False).to_dict()")
    assert "jinja2" not in loaded and "matplotlib" not in loaded and "openpyxl" not in loaded


def test_cli_modules_stay_thin():
    for path in (ROOT / "planner" / "cli").glob("*.py"):
        assert len(path.read_text().splitlines()) <= 300, path.name


def test_no_function_over_60_lines():
    long = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long
