"""localserver.compat's layout: no import cycles, and the peers' modules all there."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import localserver.compat

PACKAGE = Path(localserver.compat.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_within(path: Path) -> set[str]:
    """The modules of localserver.compat that *path* imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        target = f"{base}.{node.module}" if node.module else base
        for alias in node.names:
            submodule = f"{target}.{alias.name}"
            found.add(submodule if submodule in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}


def test_no_import_cycle() -> None:
    """Each module imports only modules that do not import it back, however indirectly."""
    graph = {module_name(p): imports_within(p) for p in PACKAGE.rglob("*.py")}
    server = "localserver.compat.pytest_httpserver._server"
    assert f"{server.rpartition('.')[0]}._base" in graph[server]  # the graph has its edges
    done: set[str] = set()
    while graph:
        leaves = {name for name, deps in graph.items() if deps <= done}
        assert leaves, f"import cycle among {sorted(graph)}: {graph}"
        done |= leaves
        for name in leaves:
            del graph[name]


@pytest.mark.parametrize(
    "module",
    [
        "pytest_httpserver",
        "pytest_httpserver.httpserver",
        "pytest_httpserver.hooks",
        "pytest_httpserver.bake",
        "pytest_httpserver.blocking_httpserver",
        "pytest_httpserver.pytest_plugin",
        "pytest_localserver",
        "pytest_localserver.http",
        "pytest_localserver.https",
        "pytest_localserver.smtp",
        "pytest_localserver.plugin",
    ],
)
def test_peer_module_exists(module: str) -> None:
    """Every module of the peers has its counterpart, whose __all__ names exist."""
    found = importlib.import_module(f"localserver.compat.{module}")
    for name in getattr(found, "__all__", []):
        assert getattr(found, name) is not None, name
