"""What one Python file uses of the peers, read from its original text.

The survey feeds two decisions: whether the suite needs the replacement plugins
loaded (its fixtures, its imports, what ``pytest_plugins`` already loads) and what
needs a human (the rules of :mod:`.findings`, applied here to the syntax tree).
Binding is judged per file, not per scope: a name is a *peer server* anywhere in
the file once it is a peer fixture parameter, made from a peer server class, or
``self`` in a class built on a peer class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import PositionProvider

from . import findings
from .mapping import PEERS, Peer, loaded_peer, peer_path, rename_module
from .python import dotted_name

__all__ = ["Survey", "survey"]

_ALL_FIXTURES = frozenset().union(*(peer.fixtures for peer in PEERS))
_FIXTURE_NAMING_CALLS = ("getfixturevalue", "usefixtures")


@dataclass
class Survey:
    """The findings and the peer use of one file."""

    path: str
    findings: list[findings.Finding] = field(default_factory=list)
    imported: set[str] = field(default_factory=set)
    """Peer packages the file imports (``pytest_httpserver``, ``pytest_localserver``)."""
    fixtures: dict[str, int] = field(default_factory=dict)
    """Peer fixture names the file uses, each with the line of its first use."""
    styles: set[str] = field(default_factory=set)
    """Peer packages whose ``httpserver`` attributes the file uses."""
    plugins: list[str] = field(default_factory=list)
    """The entries of the file's module-level ``pytest_plugins``."""

    def loads(self) -> set[Peer]:
        """The peers whose fixtures the file's ``pytest_plugins`` loads."""
        found = (loaded_peer(entry, entry_points=False) for entry in self.plugins)
        return {peer for peer in found if peer is not None}

    @property
    def uses_peer(self) -> bool:
        return bool(self.imported or self.fixtures)


def _strings(node: cst.BaseExpression) -> list[str]:
    """The plain string literals of a str, list or tuple expression."""
    if isinstance(node, (cst.List, cst.Tuple)):
        return [text for element in node.elements for text in _strings(element.value)]
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return [value] if isinstance(value, str) else []
    return []


class _Surveyor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, result: Survey) -> None:
        super().__init__()
        self.result = result
        self.qualified: dict[str, str] = {}  # local name -> peer dotted path it stands for
        self.servers: set[str] = set()  # dotted receivers bound to a peer server
        self.peer_classes: list[bool] = []  # per enclosing class: built on a peer class?
        self.werkzeug_lines: list[int] = []
        self.attributes: list[tuple[str, str, int]] = []  # (receiver, attribute, line)

    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def note(self, node: cst.CSTNode, reason: str) -> None:
        self.result.findings.append(findings.Finding(self.result.path, self.line(node), reason))

    def peer_target(self, node: cst.BaseExpression) -> str | None:
        """The peer dotted path an expression names (through the file's imports), if any."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.qualified:
            name = self.qualified[head] + (f".{rest}" if rest else "")
        return peer_path(name)

    # -- imports ---------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            if name == "werkzeug.serving" or name.startswith("werkzeug.serving."):
                self.werkzeug_lines.append(self.line(node))
            path = peer_path(name)
            if path is None:
                continue
            self.result.imported.add(path.split(".")[0])
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.qualified[alias.asname.name.value] = path
            self.check_module(node, path)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = dotted_name(node.module) or ""
        if module == "werkzeug.serving":
            self.werkzeug_lines.append(self.line(node))
        path = peer_path(module)
        if path is None:
            return
        self.result.imported.add(path.split(".")[0])
        if isinstance(node.names, cst.ImportStar):
            self.check_module(node, path)
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(local, cst.Name):
                self.qualified[local.value] = f"{path}.{name}"
            compat = rename_module(path)
            if compat is not None:
                self.report_missing(node, findings.missing_name(compat, name))

    def check_module(self, node: cst.CSTNode, module: str) -> None:
        compat = rename_module(module)
        if compat is not None:
            self.report_missing(node, findings.missing_name(compat))

    def report_missing(self, node: cst.CSTNode, problem: str | None) -> None:
        if problem is not None:
            self.note(node, f"{problem}: this import fails after the move")

    # -- fixtures and bound servers --------------------------------------------------

    def visit_Param(self, node: cst.Param) -> None:
        name = node.name.value
        if name in _ALL_FIXTURES:
            self.result.fixtures.setdefault(name, self.line(node))
            self.servers.add(name)

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(_is_plugins(target.target) for target in node.targets):
            self.result.plugins.extend(_strings(node.value))
        if self.is_server_call(node.value):
            for target in node.targets:
                name = dotted_name(target.target)
                if name is not None:
                    self.servers.add(name)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if _is_plugins(node.target):
            self.result.plugins.extend(_strings(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if _is_plugins(node.target) and node.value is not None:
            self.result.plugins.extend(_strings(node.value))
        name = dotted_name(node.target)
        if name is not None and node.value is not None and self.is_server_call(node.value):
            self.servers.add(name)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and self.is_server_call(node.item):
            name = dotted_name(node.asname.name)
            if name is not None:
                self.servers.add(name)

    def is_server_call(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        target = self.peer_target(node.func)
        return target is not None and target.endswith("Server")

    # -- classes built on peer classes -----------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        on_peer = False
        for base in node.bases:
            target = self.peer_target(base.value)
            if target is None:
                continue
            on_peer = True
            module, _, name = target.rpartition(".")
            if name in findings.INTERNAL_CLASSES.get(module, ()):
                self.note(
                    base,
                    f"subclasses {target}, an internal class of the peer with no stand-in "
                    "in localserver",
                )
        self.peer_classes.append(on_peer)
        if on_peer:
            self.servers.add("self")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.peer_classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not (self.peer_classes and self.peer_classes[-1]):
            return
        name = node.name.value
        private = (
            name.startswith("_")
            and not name.endswith("__")
            and name not in findings.HONOURED_PRIVATE_METHODS
        )
        if private or name in findings.INTERNAL_METHODS:
            self.note(
                node,
                f"overrides {name}(), an internal step of the peer's server that "
                "localserver's stand-in never calls",
            )

    # -- attributes, calls, strings --------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        receiver = dotted_name(node.value)
        in_peer_class = bool(self.peer_classes and self.peer_classes[-1])
        if receiver == "self" and not in_peer_class:
            receiver = None  # self of a class of the user's own
        if receiver is not None:
            self.attributes.append((receiver, node.attr.value, self.line(node)))
        name = dotted_name(node) or ""
        if name == "werkzeug.serving" or name.startswith("werkzeug.serving."):
            self.werkzeug_lines.append(self.line(node))

    def visit_Call(self, node: cst.Call) -> None:
        func = dotted_name(node.func) or ""
        last = func.rsplit(".", 1)[-1]
        if last in _FIXTURE_NAMING_CALLS:
            for arg in node.args:
                for text in _strings(arg.value):
                    if text in _ALL_FIXTURES:
                        self.result.fixtures.setdefault(text, self.line(node))
        if last in ("importorskip", "import_module", "__import__") and node.args:
            texts = _strings(node.args[0].value)
            path = peer_path(texts[0]) if texts else None
            if path is not None:
                self.result.imported.add(path.split(".")[0])
                if last == "importorskip" and any(
                    arg.keyword is not None and arg.keyword.value == "minversion"
                    for arg in node.args
                ):
                    self.note(
                        node,
                        "importorskip(minversion=...) of a peer module: after the move it "
                        "compares localserver's version, not the peer's",
                    )

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if isinstance(value, str):
            self.check_text(node, value)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self.check_text(node, node.value)

    def check_text(self, node: cst.CSTNode, text: str) -> None:
        message = findings.peer_message_in(text)
        if message is not None:
            self.note(
                node,
                f"compares pytest-httpserver's error text {message!r}: localserver words "
                "its errors its own way; assert on the status code or the exception type",
            )
        if text.strip().lower() in findings.DISTRIBUTIONS:
            self.note(
                node,
                f"names the distribution {text.strip()!r}, which is not installed after the move",
            )

    def leave_Module(self, original_node: cst.Module) -> None:
        for receiver, attribute, line in self.attributes:
            if receiver not in self.servers:
                continue
            if attribute.startswith("_") and not attribute.endswith("__"):
                reason = (
                    f"{receiver}.{attribute} is a private attribute of the peer's server, "
                    "which localserver's stand-in does not have: use the public API"
                )
            elif attribute in findings.SERVING_INTERNALS and receiver != "self":
                reason = (
                    f"{receiver}.{attribute} is {findings.SERVING_INTERNALS[attribute]}, "
                    "which localserver does not have: it serves on its own engine"
                )
            elif attribute in findings.SERVING_INTERNALS:
                reason = f"self.{attribute} is {findings.SERVING_INTERNALS[attribute]}"
            else:
                if receiver == "httpserver":
                    self.result.styles.update(
                        peer.module for peer in PEERS if attribute in peer.attributes
                    )
                continue
            self.result.findings.append(findings.Finding(self.result.path, line, reason))
        if self.result.uses_peer or self.servers:
            for line in sorted(set(self.werkzeug_lines)):
                self.result.findings.append(
                    findings.Finding(
                        self.result.path,
                        line,
                        "werkzeug.serving in a suite that used a peer: localserver does not "
                        "serve with werkzeug, so its server and thread objects are not there",
                    )
                )


def _is_plugins(target: cst.BaseExpression) -> bool:
    return isinstance(target, cst.Name) and target.value == "pytest_plugins"


def survey(wrapper: cst.MetadataWrapper, path: str) -> Survey:
    """Survey the module *wrapper* holds; *path* names it in the findings."""
    result = Survey(path)
    wrapper.visit(_Surveyor(result))
    result.findings.sort()
    return result
