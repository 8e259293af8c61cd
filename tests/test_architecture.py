"""The shape of the package: no import cycles, small modules, a checked public surface."""

from __future__ import annotations
import __future__

import ast
import types
from pathlib import Path

import localserver

PACKAGE = Path(localserver.__file__).resolve().parent
# "No module over about 400 lines": a little slack for one long docstring.
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every localserver module *path* imports, anywhere in it (functions and
    ``TYPE_CHECKING`` blocks included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("localserver"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("localserver"):
                continue
            # "from . import x" and "from .pkg import mod" may name modules.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return {_owner(module) for module in found if _owner(module) != name}


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


def _owner(module: str) -> str:
    """The module a dotted name lives in (a name inside a module maps to the module)."""
    while module and not _exists(module) and module != "localserver":
        module = module.rpartition(".")[0]
    return module


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


class TestImports:
    def test_no_import_cycle_anywhere(self) -> None:
        """Modules can be ordered so that each imports only earlier ones (no cycle at all)."""
        graph = _graph()
        # A package's __init__ re-exports its modules; a module importing its own
        # package's __init__ is the only edge that does not count.
        for name, deps in graph.items():
            deps.discard(name.rpartition(".")[0] if "." in name else "")
        ordered: list[str] = []
        remaining = dict(graph)
        while remaining:
            leaves = sorted(n for n, deps in remaining.items() if deps <= set(ordered))
            assert leaves, f"import cycle among: {sorted(remaining)}"
            ordered.extend(leaves)
            for name in leaves:
                del remaining[name]

    def test_the_core_imports_no_adapter(self) -> None:
        """Servers, matching and checks know nothing of unittest, pytest or the CLI."""
        adapters = ("localserver._unittest", "localserver.pytest_plugin", "localserver._cli")
        graph = _graph()
        core = [n for n in graph if not n.startswith((*adapters, "localserver.compat"))]
        core = [n for n in core if n not in ("localserver", "localserver.__main__")]
        core = [n for n in core if not n.startswith(("localserver._web", "localserver._migrate"))]
        for name in core:
            bad = [dep for dep in graph[name] if dep.startswith(adapters)]
            assert not bad, f"{name} imports the adapters {bad}"


class TestModules:
    def test_no_module_is_long(self) -> None:
        """Every module stays around 400 lines at most (one concept each)."""
        long = {
            _module_name(path): n
            for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        }
        assert not long, long

    def test_no_utils_module(self) -> None:
        """No grab-bag module: every module is named after what it holds."""
        assert not list(PACKAGE.rglob("*util*.py"))


class TestPublicSurface:
    def test_every_public_name_is_in_all(self) -> None:
        """What the package offers without an underscore is exactly its __all__."""
        for name in localserver.__all__:
            getattr(localserver, name)  # names load on first use (PEP 562)
        public = {
            name
            for name in dir(localserver)
            if not name.startswith("_")
            and not isinstance(getattr(localserver, name), (types.ModuleType, __future__._Feature))
        }
        assert public == set(localserver.__all__) - {"__version__"}

    def test_importing_the_package_loads_no_server(self) -> None:
        """import localserver is cheap: the servers load when first used."""
        import subprocess
        import sys

        code = (
            "import sys, localserver; "
            "print(sorted(m for m in sys.modules if m.startswith('localserver.')))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == "['localserver._version']", out.stderr

    def test_public_classes_say_they_are_public(self) -> None:
        """Reports and tracebacks name localserver.X, not the private module."""
        for name in localserver.__all__:
            value = getattr(localserver, name)
            if isinstance(value, type):
                assert value.__module__ == "localserver", name
