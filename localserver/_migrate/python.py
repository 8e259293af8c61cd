"""The rewrite of one Python file: peer names become localserver names, nothing else moves.

libcst keeps every byte it is not asked to change (comments, blank lines, quotes,
trailing commas), so the output differs from the input only in the names. What is
rewritten, with the mapping of :mod:`.mapping`:

- ``import pytest_httpserver`` -> ``import localserver.compat.pytest_httpserver as
  pytest_httpserver`` (the local name keeps working); an ``as`` name is kept as it is;
  ``from pytest_httpserver[.X] import ...`` gets the new module path, star-imports too.
- ``import pytest_httpserver.X`` (a dotted import, which binds the top package): the
  import, and every ``pytest_httpserver.…`` attribute chain in the file, get the new path.
- Strings: ``pytest_plugins`` entries (a str, list or tuple, also ``+=``, ``.append``,
  ``.extend``), the module argument of ``pytest.importorskip``/``importlib.import_module``/
  ``__import__``, a dotted peer path passed to any call (``monkeypatch.setattr(
  "pytest_httpserver.httpserver.X", ...)``, ``mock.patch(...)``), and the value after a
  ``"-p"`` argument (``pytester.runpytest("-p", "pytest_httpserver")``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

import libcst as cst

from .mapping import plugin_reference, rename_module

__all__ = ["PeerRenamer", "dotted_name", "rewrite_source"]

_IMPORTERS = ("importorskip", "import_module", "__import__", "find_spec")
_PLUGIN_LIST_METHODS = ("append", "extend", "insert")

_Dotted = Union[cst.Attribute, cst.Name]


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted_name(node.value)
        return None if inner is None else f"{inner}.{node.attr.value}"
    return None


def _dotted_node(name: str) -> _Dotted:
    node = cst.parse_expression(name)
    if not isinstance(node, (cst.Attribute, cst.Name)):  # pragma: no cover - names only
        raise ValueError(f"not a dotted name: {name!r}")
    return node


def _string_value(node: cst.BaseExpression) -> str | None:
    """The text of a plain (not bytes, not f-) string literal, else None."""
    if not isinstance(node, cst.SimpleString):
        return None
    value = node.evaluated_value
    return value if isinstance(value, str) else None


def _with_text(node: cst.SimpleString, text: str) -> cst.SimpleString:
    """*node* holding *text* instead, in the same quotes (the texts here need no escapes)."""
    return node.with_changes(value=f"{node.prefix}{node.quote}{text}{node.quote}")


def _renamed_string(
    node: cst.BaseExpression, rename: Callable[[str], str | None]
) -> cst.BaseExpression:
    text = _string_value(node)
    if text is None or not isinstance(node, cst.SimpleString):
        return node
    new = rename(text)
    return node if new is None else _with_text(node, new)


def _plugin_entry(text: str) -> str | None:
    return plugin_reference(text, entry_points=False)


def _dotted_peer_path(text: str) -> str | None:
    """A peer path given as a string to any call: only whole dotted paths, never prose."""
    return rename_module(text) if "." in text else None


class _DottedImports(cst.CSTVisitor):
    """Which peer packages a file binds by a dotted ``import`` and not by a plain one."""

    def __init__(self) -> None:
        self.dotted: set[str] = set()
        self.plain: set[str] = set()

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None or alias.asname is not None or rename_module(name) is None:
                continue
            top = name.split(".")[0]
            (self.dotted if "." in name else self.plain).add(top)

    @property
    def chain_roots(self) -> set[str]:
        return self.dotted - self.plain


class PeerRenamer(cst.CSTTransformer):
    """Renames the peers' modules in imports, attribute chains and the strings above."""

    def __init__(self, chain_roots: set[str]) -> None:
        super().__init__()
        self.chain_roots = chain_roots
        self._import_depth = 0

    # -- imports ---------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self._import_depth += 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth += 1

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        self._import_depth -= 1
        names = []
        for alias in updated_node.names:
            name = dotted_name(alias.name)
            new = None if name is None else rename_module(name)
            if name is None or new is None:
                names.append(alias)
            elif alias.asname is None and "." not in name:
                names.append(
                    alias.with_changes(
                        name=_dotted_node(new), asname=cst.AsName(name=cst.Name(name))
                    )
                )
            else:
                names.append(alias.with_changes(name=_dotted_node(new)))
        return updated_node.with_changes(names=names)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        self._import_depth -= 1
        if updated_node.relative or updated_node.module is None:
            return updated_node
        name = dotted_name(updated_node.module)
        new = None if name is None else rename_module(name)
        if new is None:
            return updated_node
        return updated_node.with_changes(module=_dotted_node(new))

    # -- attribute chains ------------------------------------------------------------

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        value = updated_node.value
        if (
            self._import_depth
            or not isinstance(value, cst.Name)
            or value.value not in self.chain_roots
        ):
            return updated_node
        new = rename_module(value.value)
        if new is None:  # pragma: no cover - chain_roots holds peer names only
            return updated_node
        return updated_node.with_changes(value=_dotted_node(new))

    # -- strings ---------------------------------------------------------------------

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if any(_is_plugins(target.target) for target in updated_node.targets):
            return updated_node.with_changes(value=_rename_plugins(updated_node.value))
        return updated_node

    def leave_AugAssign(
        self, original_node: cst.AugAssign, updated_node: cst.AugAssign
    ) -> cst.AugAssign:
        if _is_plugins(updated_node.target):
            return updated_node.with_changes(value=_rename_plugins(updated_node.value))
        return updated_node

    def leave_AnnAssign(
        self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign
    ) -> cst.AnnAssign:
        if _is_plugins(updated_node.target) and updated_node.value is not None:
            return updated_node.with_changes(value=_rename_plugins(updated_node.value))
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = dotted_name(updated_node.func) or ""
        last = func.rsplit(".", 1)[-1]
        args = list(updated_node.args)
        if func.startswith("pytest_plugins.") and last in _PLUGIN_LIST_METHODS:
            args = [arg.with_changes(value=_rename_plugins(arg.value)) for arg in args]
        elif last in _IMPORTERS and args and args[0].keyword is None:
            args[0] = args[0].with_changes(value=_renamed_string(args[0].value, rename_module))
        else:
            args = _rename_call_strings(args)
        return updated_node.with_changes(args=args)


def _is_plugins(target: cst.BaseExpression) -> bool:
    return isinstance(target, cst.Name) and target.value == "pytest_plugins"


def _rename_plugins(value: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(value, (cst.List, cst.Tuple)):
        return value.with_changes(
            elements=[
                element.with_changes(value=_renamed_string(element.value, _plugin_entry))
                for element in value.elements
            ]
        )
    return _renamed_string(value, _plugin_entry)


def _rename_call_strings(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Dotted peer paths among a call's arguments, and the plugin after each ``"-p"``."""
    values: list[cst.BaseExpression] = [arg.value for arg in args]
    renamed = _rename_sequence(values)
    return [arg.with_changes(value=value) for arg, value in zip(args, renamed)]


def _rename_sequence(values: Sequence[cst.BaseExpression]) -> list[cst.BaseExpression]:
    result: list[cst.BaseExpression] = []
    after_p = False
    for value in values:
        if isinstance(value, (cst.List, cst.Tuple)):
            inner = _rename_sequence([element.value for element in value.elements])
            value = value.with_changes(
                elements=[
                    element.with_changes(value=new) for element, new in zip(value.elements, inner)
                ]
            )
        elif after_p:
            value = _renamed_string(value, lambda text: plugin_reference(text, entry_points=True))
        else:
            value = _renamed_string(value, _dotted_peer_path)
        after_p = _string_value(value) == "-p"
        result.append(value)
    return result


def rewrite_source(module: cst.Module) -> cst.Module:
    """*module* with the peers' names replaced by localserver's."""
    imports = _DottedImports()
    module.visit(imports)
    return module.visit(PeerRenamer(imports.chain_roots))
