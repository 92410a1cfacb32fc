"""The package graph of drctl/ has no cycles, and only the CLI imports the CLI.

Every `import drctl.…` counts, at module level or inside a function (a function-level import
is still a dependency, only a later one); only imports under `if TYPE_CHECKING:` are exempt.
A package is the first name under drctl/ (`drctl.core.engine` -> `core`; `drctl/app.py` ->
`app`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "drctl"
CLI_MAY_IMPORT_CLI = ("cli", "__main__")


def imported_modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(`drctl.x.y`, line) for every drctl import outside `if TYPE_CHECKING:` blocks."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            node.body = []  # ast.walk has not descended yet: the exempt imports vanish
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names if _ours(a.name))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "drctl":
                yield from ((f"drctl.{a.name}", node.lineno) for a in node.names)
            elif _ours(node.module):
                yield node.module, node.lineno


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _ours(module: str) -> bool:
    return module == "drctl" or module.startswith("drctl.")


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1].removesuffix(".py") if len(parts) > 1 else ""


@functools.cache  # both checks read it: parse drctl/ once per process
def edges() -> dict[tuple[str, str], list[str]]:
    """(from package, to package) -> where (file:line), over every module of drctl/."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        source = package_of(".".join(relative.with_suffix("").parts))
        for module, line in imported_modules(ast.parse(path.read_text(), str(path))):
            target = package_of(module)
            if target and target != source:
                found.setdefault((source, target), []).append(f"{relative}:{line}")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_level_import_cycles() -> None:
    found = edges()
    graph: dict[str, set[str]] = {}
    for source, target in found:
        graph.setdefault(source, set()).add(target)
    problems = []
    for component in cycles(graph):
        links = [f"  {s} -> {t}: {', '.join(found[(s, t)][:3])}"
                 for s in component for t in component if (s, t) in found]
        problems.append(f"cycle {' / '.join(component)}:\n" + "\n".join(links))
    assert not problems, "\n".join(problems)


def test_only_the_cli_imports_the_cli() -> None:
    offenders = [where for (source, target), places in edges().items()
                 if target == "cli" and source not in CLI_MAY_IMPORT_CLI for where in places]
    assert offenders == []


def test_the_checker_sees_function_level_imports_and_exempts_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from drctl.cli.app import Application\n"
        "def f():\n    import drctl.failover.dns\n    from drctl import notify\n")
    assert sorted(m for m, _ in imported_modules(tree)) == ["drctl.failover.dns", "drctl.notify"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
