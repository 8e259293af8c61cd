"""pytest-httpserver's ``RequestHandler``: a localserver :class:`~localserver.Expectation`.

What the peer's handler does, localserver's expectation does already
(``respond_with_*``, ``with_post_hook``); this subclass adds the peer's habits:
``respond_with_response()`` taking a str, header values given as lists, a repr
naming the matcher's fields, and a :class:`~.hooks.Delay` hook becoming
localserver's own delay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn, SupportsIndex

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from ... import Expectation, HandlerType
from ... import RequestMatcher as _Matcher
from ..._expectation import DEFAULT_PRIORITY
from ..._request_fields import UNDEFINED
from ..._responders import Responder
from ._names import HANDLER_ATTRIBUTES
from .hooks import Delay

__all__ = ["RequestHandler", "RequestHandlerList"]


def _headers(headers: object) -> object:
    """Header values given as lists become one header each (werkzeug's reading)."""
    if isinstance(headers, (dict, Headers)) or (
        headers is not None and not isinstance(headers, (str, bytes)) and hasattr(headers, "items")
    ):
        return Headers(headers)  # type: ignore[arg-type]
    return headers


class RequestHandler(Expectation):
    """A request the server expects and how to answer it (made by ``expect_request()``).

    Every ``respond_with_*`` method replaces the answer; ``with_post_hook()``
    adds a hook. See :class:`localserver.Expectation` for the rest.
    """

    def __init__(
        self,
        matcher: _Matcher,
        handler_type: HandlerType = HandlerType.PERMANENT,
        *,
        priority: int = DEFAULT_PRIORITY,
        on_ready: Callable[[Expectation], object] | None = None,
        on_use: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(matcher, handler_type, None, priority, on_ready)
        self._on_use = on_use

    def respond_with_data(
        self,
        response_data: str | bytes = "",
        status: int = 200,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> RequestHandler:
        """Answer with this body, status and headers (a header's value may be a list)."""
        super().respond_with_data(response_data, status, _headers(headers), mimetype, content_type)  # type: ignore[arg-type]
        return self

    def respond_with_json(
        self,
        response_json: Any,
        status: int = 200,
        headers: Any = None,
        content_type: str = "application/json",
    ) -> RequestHandler:
        """Answer with *response_json* as JSON."""
        super().respond_with_json(response_json, status, _headers(headers), content_type)  # type: ignore[arg-type]
        return self

    def respond_with_response(self, response: Response | str | bytes) -> RequestHandler:
        """Answer with this werkzeug ``Response`` (a str or bytes is a 200 with that body)."""
        if isinstance(response, (str, bytes)):
            return self.respond_with_data(response)
        super().respond_with_response(response)
        return self

    def with_post_hook(self, hook: Callable[[Request, Response], Response]) -> RequestHandler:
        """Pass each answer through ``hook(request, response)``, in the order added."""
        if (
            isinstance(hook, Delay)
            and type(hook)._sleep is Delay._sleep
            and type(hook).__call__ is Delay.__call__
            and self.delay is None
        ):
            # localserver's delay ends when the server stops; a sleep would hold it up.
            self.with_delay(hook.seconds)
            return self
        super().with_post_hook(hook)
        return self

    def next_responder(self) -> Responder | None:
        """The responder for the next use (called by the server, once per request)."""
        responder = super().next_responder()
        if self.kind is not HandlerType.PERMANENT and self._on_use is not None:
            self._on_use()
        return responder

    def describe(self) -> str:
        """The call that made it, e.g. ``expect_ordered_request('/login', method='POST')``."""
        name = {
            HandlerType.PERMANENT: "expect_request",
            HandlerType.ONESHOT: "expect_oneshot_request",
            HandlerType.ORDERED: "expect_ordered_request",
        }[self.kind]
        return f"{name}({self.matcher.describe()})"

    def __getattr__(self, name: str) -> NoReturn:
        hint = HANDLER_ATTRIBUTES.get(name)
        if hint is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise AttributeError(f"RequestHandler.{name} is not offered by localserver: {hint}")

    def __repr__(self) -> str:
        matcher = self.matcher
        json = getattr(matcher, "json", UNDEFINED)
        return (
            f"<{type(self).__name__} uri={matcher.uri!r} "
            f"method={getattr(matcher, 'method', None)!r} "
            f"query_string={getattr(matcher, 'query_string', None)!r} "
            f"headers={getattr(matcher, 'headers', {})!r} "
            f"data={getattr(matcher, 'data', None)!r} "
            f"json={'<UNDEFINED>' if json is UNDEFINED else repr(json)}>"
        )


class RequestHandlerList(list[RequestHandler]):
    """A list of handlers, such as ``HTTPServer.handlers``.

    The lists a server gives are snapshots in registration order; removing
    handlers from one (``clear()``, ``remove()``, ``pop()``, ``del``) removes
    them from the server too.

    Args:
        handlers: The handlers.
        remove: Called with each handler removed from the list.
    """

    def __init__(
        self,
        handlers: Iterable[RequestHandler] = (),
        remove: Callable[[RequestHandler], object] | None = None,
    ) -> None:
        super().__init__(handlers)
        self._remove = remove

    def match(self, request: Request) -> RequestHandler | None:
        """The first handler whose matcher accepts *request*, or None."""
        for handler in self:
            if handler.matcher.match(request):
                return handler
        return None

    def _removed(self, handlers: Iterable[RequestHandler]) -> None:
        if self._remove is not None:
            for handler in handlers:
                self._remove(handler)

    def clear(self) -> None:
        self._removed(list(self))
        super().clear()

    def remove(self, handler: RequestHandler) -> None:
        super().remove(handler)
        self._removed([handler])

    def pop(self, index: SupportsIndex = -1) -> RequestHandler:
        handler = super().pop(index)
        self._removed([handler])
        return handler

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        gone = self[index] if isinstance(index, slice) else [self[index]]
        super().__delitem__(index)
        self._removed(gone)
