"""Adding plugin modules to a root ``conftest.py``'s ``pytest_plugins``.

The entry goes into the existing literal (a str becomes a list; a list or tuple keeps
its layout, one entry per line if it had that), or a new ``pytest_plugins = [...]``
goes after the module's docstring and leading imports. A ``pytest_plugins`` that is
not a literal (``PLUGINS + [...]``) is left to a human.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

__all__ = ["NEW_CONFTEST", "add_plugins"]

NEW_CONFTEST = (
    '"""The suite\'s pytest plugins (added by ``python -m localserver migrate``)."""\n'
    "\n"
    "pytest_plugins = [{entries}]\n"
)


def _string(text: str, quote: str) -> cst.SimpleString:
    return cst.SimpleString(f"{quote}{text}{quote}")


def _quote_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.SimpleString) and node.quote in ('"', "'"):
        return node.quote
    if isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element.value, cst.SimpleString) and element.value.quote in ('"', "'"):
                return element.value.quote
    return '"'


def _extended(value: cst.BaseExpression, names: Sequence[str]) -> cst.BaseExpression | None:
    """*value* (a literal) with *names* appended, or None if it is not a literal."""
    quote = _quote_of(value)
    new = [_string(name, quote) for name in names]
    if isinstance(value, cst.SimpleString):
        elements = [cst.Element(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))]
        elements += _joined([cst.Element(node) for node in new])
        return cst.List(elements=elements, lpar=value.lpar, rpar=value.rpar)
    if not isinstance(value, (cst.List, cst.Tuple)):
        return None
    if any(not isinstance(element, cst.Element) for element in value.elements):
        return None  # a starred entry: not a plain literal
    old = list(value.elements)
    if isinstance(value, cst.Tuple) and not old and not value.lpar:
        return None  # pragma: no cover - an empty tuple always has parentheses
    if not old:
        added = _joined([cst.Element(node) for node in new])
        if isinstance(value, cst.Tuple) and len(added) == 1:
            added[0] = added[0].with_changes(comma=cst.Comma())
        return value.with_changes(elements=added)
    indent: cst.BaseParenthesizableWhitespace | None = None
    if isinstance(value, cst.List):
        indent = value.lbracket.whitespace_after
    elif value.lpar:
        indent = value.lpar[0].whitespace_after
    last = old[-1]
    trailing = isinstance(last.comma, cst.Comma)
    if isinstance(indent, cst.ParenthesizedWhitespace):  # one entry per line
        separator: cst.BaseParenthesizableWhitespace = cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(),
            indent=indent.indent,
            last_line=indent.last_line,
        )
    else:
        separator = cst.SimpleWhitespace(" ")
    if isinstance(last.comma, cst.Comma) and isinstance(
        last.comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        separator = last.comma.whitespace_after  # keeps a comment that ends the line
    old[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
    added = [cst.Element(node, comma=cst.Comma(whitespace_after=separator)) for node in new[:-1]]
    keep_trailing = trailing and isinstance(separator, cst.ParenthesizedWhitespace)
    added.append(
        cst.Element(new[-1], comma=cst.Comma() if keep_trailing else cst.MaybeSentinel.DEFAULT)
    )
    return value.with_changes(elements=old + added)


def _joined(elements: list[cst.Element]) -> list[cst.Element]:
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [e.with_changes(comma=space) for e in elements[:-1]] + elements[-1:]


def _is_plugins_assign(statement: cst.CSTNode) -> cst.Assign | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and any(
        isinstance(t.target, cst.Name) and t.target.value == "pytest_plugins" for t in small.targets
    ):
        return small
    return None


def _is_leading(statement: cst.CSTNode, index: int) -> bool:
    """A docstring (first statement) or an import: what a new assignment goes after."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    small = statement.body[0]
    if isinstance(small, (cst.Import, cst.ImportFrom)):
        return True
    return index == 0 and isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)


class _PluginsName(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        self.found = self.found or node.value == "pytest_plugins"


def _mentions_plugins(module: cst.Module) -> bool:
    finder = _PluginsName()
    module.visit(finder)
    return finder.found


def add_plugins(module: cst.Module, names: Sequence[str]) -> cst.Module | None:
    """*module* loading *names* too through ``pytest_plugins``; None if that needs a human."""
    body = list(module.body)
    for index, statement in enumerate(body):
        assign = _is_plugins_assign(statement)
        if assign is None:
            continue
        value = _extended(assign.value, names)
        if value is None:
            return None
        line = cst.ensure_type(statement, cst.SimpleStatementLine)
        body[index] = line.with_changes(body=[assign.with_changes(value=value)])
        return module.with_changes(body=body)
    if _mentions_plugins(module):
        return None  # assigned in a block, or only extended: a human knows where
    position = 0
    for index, statement in enumerate(body):
        if not _is_leading(statement, index):
            break
        position = index + 1
    elements = _joined([cst.Element(_string(name, '"')) for name in names])
    new = cst.SimpleStatementLine(
        body=[
            cst.Assign(
                targets=[cst.AssignTarget(cst.Name("pytest_plugins"))],
                value=cst.List(elements=elements),
            )
        ],
        leading_lines=[cst.EmptyLine()] if position else [],
    )
    if position < len(body) and not body[position].leading_lines:
        body[position] = body[position].with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(position, new)
    # An empty file has no newline to end on; the new line needs one.
    return module.with_changes(body=body, has_trailing_newline=True)
