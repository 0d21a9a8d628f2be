"""The layers hold: commands sit on the library, never the reverse.

cli.py → commands → library (tracking, project, checks, …) → adapters → errors. Imports
inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "researchflow"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every researchflow module `path` imports, anywhere in the file."""
    found: set[str] = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package or module_name(path)).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base != "researchflow":  # `from researchflow import x` names the module x
                found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "researchflow"}


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_is_read() -> None:
    assert "researchflow.cli" in GRAPH
    assert any(within(name, "researchflow.commands") for name in GRAPH["researchflow.cli.evidence"])


@pytest.mark.parametrize(
    "module", sorted(m for m in GRAPH if within(m, "researchflow.commands") and m.count(".") == 2)
)
def test_no_command_imports_another_command(module: str) -> None:
    others = {
        name
        for name in GRAPH[module]
        if within(name, "researchflow.commands")
        and name != "researchflow.commands"
        and not within(name, module)
    }
    assert not others, f"{module} imports {sorted(others)}: move the shared part to the library"


def test_only_the_cli_imports_commands() -> None:
    offenders = {
        module: sorted(n for n in names if within(n, "researchflow.commands"))
        for module, names in GRAPH.items()
        if not within(module, "researchflow.cli") and not within(module, "researchflow.commands")
    }
    assert {m: n for m, n in offenders.items() if n} == {}


# The packages from the bottom up: a module imports only its own package and those below.
LAYERS = ("base", "adapters", "documents", "verdicts", "process", "runs", "views", "checks")


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 2 and parts[1] in LAYERS else None


def test_base_imports_nothing_but_base() -> None:
    offenders = {
        module: sorted(n for n in names if not within(n, "researchflow.base"))
        for module, names in GRAPH.items()
        if within(module, "researchflow.base")
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_every_package_imports_only_its_own_and_those_below() -> None:
    offenders: dict[str, list[str]] = {}
    for module, names in GRAPH.items():
        level = layer_of(module)
        if level is None:
            continue
        upward = sorted(n for n in names if (layer_of(n) or 0) > level)
        if upward:
            offenders[module] = upward
    assert offenders == {}


def test_the_top_of_the_tree_is_the_map() -> None:
    """Only the entry points lie flat; everything else sits in a package by what it is about."""
    flat = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__", "__main__"]


def test_no_two_modules_import_each_other() -> None:
    modules = set(GRAPH)
    pairs = {
        tuple(sorted((module, other)))
        for module, names in GRAPH.items()
        for other in names & modules
        if other != module and module in GRAPH.get(other, set())
    }
    assert pairs == set()
