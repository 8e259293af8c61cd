"""Responses templated from the request, rendered by Jinja2 in its sandbox.

A :class:`ResponseTemplate` is built once, when an expectation is registered: it
compiles the body and each header value, and refuses what can be known to fail
(a syntax error, a name the template cannot read). :meth:`ResponseTemplate.render`
then runs per request with three names in scope:

- ``request``: a read-only view of the request (:class:`TemplateRequest`);
- ``path``: the values of the expectation's path template (``/users/<int:id>``
  gives ``path.id``);
- ``now``: the current time, a timezone-aware UTC ``datetime``.

Bodies are not HTML-escaped: ``{{ request.args.name }}`` inserts the text as it
is. Inside JSON use the ``tojson`` filter *without* quotes around it,
``{"name": {{ request.args.name | tojson }}}``: it always writes valid JSON
(quotes, backslashes and control characters escaped; ``<``, ``>``, ``&``, ``'``,
U+2028 and U+2029 as ``\\u`` escapes, so the output is also safe to embed in HTML).

Jinja2 is the optional extra ``localserver[templates]``, imported on first use.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from werkzeug.wrappers import Request

from ._errors import TemplateError, TemplateRenderError
from ._extras import import_extra
from ._template_request import (
    REQUEST_FIELDS,
    BodyNotJSON,
    MultiValues,
    TemplateRequest,
    label_of,
)

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.environment import Environment
    from jinja2.nodes import Template as TemplateNode

__all__ = ["TEMPLATE_NAMES", "ResponseTemplate", "TemplateError", "TemplateRenderError"]

# The names every template can read; anything else is refused at registration.
TEMPLATE_NAMES = ("request", "path", "now")

HeadersArg = Union[Mapping[str, str], Iterable[tuple[str, str]], None]

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class _Part:
    """One compiled template: the body or one header value."""

    def __init__(
        self, env: Environment, where: str, source: str, path_names: frozenset[str] | None
    ) -> None:
        self.where = where
        self.source = source
        self.filename = f"<{where} template>"
        tree = _parse(env, where, source)
        _check_names(env, where, source, tree, path_names)
        code = env.compile(tree, name=where, filename=self.filename)
        self.template: Template = env.template_class.from_code(env, code, env.make_globals(None))

    def render(self, context: dict[str, Any]) -> str:
        try:
            return self.template.render(context)
        except Exception as exc:
            line = _template_line(exc.__traceback__, self.filename)
            explanation = _explain(exc, self.where, line)
            raise TemplateRenderError(explanation, where=self.where, line=line) from exc


class ResponseTemplate:
    """A response body and header values rendered from each request.

    Args:
        body: The body template (Jinja2 syntax), rendered to UTF-8 bytes.
        headers: Header values that are templates too: a mapping or a list of
            ``(name, template)`` pairs. Names are sent as given.
        path_names: The names of the expectation's path template, e.g. ``{"id"}``
            for ``/users/<int:id>``; when given, ``path.<name>`` uses of other names
            are refused at registration.

    Raises:
        TemplateError: A syntax error, or a name the template cannot read
            (anything but ``request``, ``path``, ``now`` and Jinja2's globals such as
            ``range``; an unknown ``request.<field>``; an unknown ``path.<name>``).
            The message names the template, the line and what to write instead.
        TypeError: *body* or a header template is not a str.
        ValueError: A header name is not a valid HTTP field name.
        MissingExtraError: Jinja2 is not installed (``pip install "localserver[templates]"``).

    Example::

        template = ResponseTemplate('{"id": {{ path.id }}, "q": {{ request.args.q | tojson }}}')
        body, headers = template.render(request, {"id": 7})
    """

    def __init__(
        self,
        body: str,
        headers: HeadersArg = None,
        *,
        path_names: Collection[str] | None = None,
    ) -> None:
        if not isinstance(body, str):
            raise TypeError(
                f"a template body must be a str (got {type(body).__name__}: {body!r:.60})"
            )
        env = _environment()
        names = None if path_names is None else frozenset(path_names)
        self._body = _Part(env, "body", body, names)
        self._headers = [
            (name, _Part(env, f"header {name!r}", value, names))
            for name, value in _header_pairs(headers)
        ]

    def render(
        self, request: Request, path_params: Mapping[str, Any] | None = None
    ) -> tuple[bytes, list[tuple[str, str]]]:
        """Render the body and the headers for *request*.

        Args:
            request: The request being answered (a werkzeug ``Request``, such as
                the server's ``RecordedRequest``).
            path_params: The values of the expectation's path template.

        Returns:
            ``(body, headers)``: the body as UTF-8 bytes and ``(name, value)`` pairs.

        Raises:
            TemplateRenderError: Rendering failed; its text says where and why.
        """
        view = TemplateRequest(request)
        context = {
            "request": view,
            "path": MultiValues((path_params or {}).items(), label="path"),
            "now": dt.datetime.now(dt.timezone.utc),
        }
        headers = []
        for name, part in self._headers:
            value = part.render(context)
            if _BAD_HEADER_VALUE.search(value):
                raise TemplateRenderError(
                    f"{part.where} template rendered a value with a line break or control "
                    f"character ({value!r:.80}); header values must be one line",
                    where=part.where,
                    line=None,
                )
            headers.append((name, value))
        return self._body.render(context).encode("utf-8"), headers

    @property
    def header_names(self) -> tuple[str, ...]:
        """The names of the templated headers, in order."""
        return tuple(name for name, _ in self._headers)

    def __repr__(self) -> str:
        names = "".join(f", {name}" for name, _ in self._headers)
        return f"<ResponseTemplate body {self._body.source!r:.40}{names}>"


# -- the environment ------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    """The one sandboxed environment all templates share (made on first use)."""
    # Fails with the install command when Jinja2 is missing, before any jinja2 import.
    import_extra("jinja2.sandbox", extra="templates", feature="response templates")
    from jinja2 import StrictUndefined, Undefined
    from jinja2.exceptions import TemplateRuntimeError, UndefinedError
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.utils import missing

    class LabelledUndefined(StrictUndefined):
        """StrictUndefined whose message names our mappings ("request.args has no 'q'")."""

        __slots__ = ()

        def __init__(
            self,
            hint: str | None = None,
            obj: Any = missing,
            name: str | None = None,
            exc: type[TemplateRuntimeError] = UndefinedError,
        ) -> None:
            if hint is None and isinstance(obj, MultiValues) and isinstance(name, str):
                have = ", ".join(obj) or "nothing"
                hint = f"{label_of(obj)} has no {name!r} (it has {have})"
            super().__init__(hint, obj, name, exc)

    # The immutable flavour also refuses list.append, dict.update...: a template
    # renders text and changes nothing, not even the values it was given.
    env = ImmutableSandboxedEnvironment(
        undefined=LabelledUndefined, autoescape=False, keep_trailing_newline=True
    )

    def jsonable(value: Any) -> Any:
        if isinstance(value, Undefined):
            str(value)  # StrictUndefined raises its own, clearer, error here
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            return value.isoformat()
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        raise TypeError(f"tojson cannot write a {type(value).__name__} ({value!r:.40}) as JSON")

    env.filters["tojson"] = functools.partial(_tojson, default=jsonable)
    return env


_JSON_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "'": "\\u0027",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _tojson(value: Any, indent: int | None = None, *, default: Any) -> str:
    """``value | tojson``: valid JSON whatever the value holds, safe inside HTML too."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent, default=default)
    # These characters only ever occur inside JSON strings, where \\u escapes mean the same.
    return text.translate(_JSON_ESCAPES)


def _header_pairs(headers: HeadersArg) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(f"template headers must be (name, template) pairs (got {item!r:.60})")
        name, value = item
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ValueError(f"template header name {name!r} is not a valid HTTP header name")
        if not isinstance(value, str):
            raise TypeError(
                f"the template of header {name!r} must be a str (got {type(value).__name__}: "
                f"{value!r:.60})"
            )
        pairs.append((name, value))
    return pairs


# -- registration-time checks ---------------------------------------------------------


def _parse(env: Environment, where: str, source: str) -> TemplateNode:
    from jinja2 import TemplateSyntaxError

    try:
        return env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"{where} template, line {exc.lineno}: {exc.message}{_quote_line(source, exc.lineno)}",
            where=where,
            line=exc.lineno,
        ) from None


def _check_names(
    env: Environment,
    where: str,
    source: str,
    tree: TemplateNode,
    path_names: frozenset[str] | None,
) -> None:
    """Refuse names the template cannot read: unknown globals, request fields, path names."""
    from jinja2 import meta, nodes

    unknown = meta.find_undeclared_variables(tree) - set(TEMPLATE_NAMES) - set(env.globals)
    if unknown:
        uses = [n for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name in unknown]
        first = min(uses, key=lambda n: n.lineno)
        hint = _did_you_mean(first.name, TEMPLATE_NAMES)
        _refuse(
            where,
            source,
            first.lineno,
            f"unknown name {first.name!r}{hint}; a template can read request, path and now",
        )
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        field: Any = None
        if isinstance(node, nodes.Getattr):
            base, field = node.node, node.attr
        elif isinstance(node, nodes.Getitem):
            base = node.node
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                field = node.arg.value
        else:
            continue
        if not isinstance(base, nodes.Name) or base.ctx != "load" or base.name in assigned:
            continue
        if field is None:
            continue
        if (
            base.name == "request"
            and isinstance(node, nodes.Getattr)
            and field not in REQUEST_FIELDS
        ):
            hint = _did_you_mean(field, REQUEST_FIELDS)
            fields = ", ".join(sorted(REQUEST_FIELDS))
            _refuse(
                where, source, node.lineno, f"request has no field {field!r}{hint}; it has {fields}"
            )
        if base.name == "path" and path_names is not None and field not in path_names:
            hint = _did_you_mean(field, path_names)
            have = ", ".join(sorted(path_names)) or "no named parts"
            _refuse(
                where,
                source,
                node.lineno,
                f"path has no part {field!r}{hint}; the path template has {have}",
            )


def _refuse(where: str, source: str, line: int, reason: str) -> None:
    raise TemplateError(
        f"{where} template, line {line}: {reason}{_quote_line(source, line)}",
        where=where,
        line=line,
    )


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _quote_line(source: str, line: int | None) -> str:
    lines = source.splitlines()
    if line is None or not 1 <= line <= len(lines):
        return ""
    return f": {lines[line - 1].strip()!r:.100}"


# -- render-time errors ---------------------------------------------------------------


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The innermost template line in a traceback (Jinja2 rewrites frames to name it)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _explain(exc: BaseException, where: str, line: int | None) -> str:
    from jinja2.exceptions import SecurityError, UndefinedError

    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, UndefinedError):
        pass  # its message says what is missing (and, for our mappings, what there is)
    elif isinstance(exc, SecurityError):
        message = f"not allowed in a template: {message}"
    elif not isinstance(exc, BodyNotJSON):
        message = f"{type(exc).__name__}: {message}"
    at = f", line {line}" if line is not None else ""
    return f"{where} template{at}: {message}"
