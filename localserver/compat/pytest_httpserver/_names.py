"""pytest-httpserver's names that localserver does not offer, and what to use instead.

The one place for them: each module of this package answers for its own through
:func:`~localserver.compat._absent.absent_names`.
"""

from __future__ import annotations

__all__ = ["HANDLER_ATTRIBUTES", "NOT_OFFERED", "SERVER_ATTRIBUTES"]

_SERVE = "localserver serves on its own engine, not werkzeug's"

#: Module (relative to the package, "" for the package) -> name -> what to use instead.
NOT_OFFERED: dict[str, dict[str, str]] = {
    "": {},
    "httpserver": {
        "HTTPServerBase": (
            "subclass HTTPServer (or BlockingHTTPServer) instead; its request handling "
            "is localserver's and has no dispatch() or application() to override"
        ),
        "RequestHandlerBase": (
            "subclass RequestHandler, or give respond_with_handler() a function"
        ),
        "Undefined": "compare with UNDEFINED itself (`json is UNDEFINED`)",
        "HEADERS_T": "annotate with Mapping[str, str] or a list of (name, value) pairs",
        "HVMATCHER_T": "annotate with Callable[[str, Optional[str], str], bool]",
        "make_server": f"{_SERVE}: start the server with start() or `with`",
    },
    "hooks": {},
    "bake": {},
    "blocking_httpserver": {
        "HTTPServerBase": "subclass BlockingHTTPServer instead",
        "RequestHandlerBase": "use BlockingRequestHandler's respond_with_* methods",
    },
    "pytest_plugin": {
        "Plugin": (
            "the fixtures stop their servers themselves; a session-wide server is make_httpserver"
        ),
        "PluginHTTPServer": "use HTTPServer; the fixtures manage its lifetime",
    },
}

#: Attributes of the peer's servers that are its werkzeug serving machinery.
SERVER_ATTRIBUTES: dict[str, str] = {
    "server": "werkzeug's server object",
    "server_thread": "the werkzeug serving thread",
    "thread_target": "the werkzeug serving loop",
    "dispatch": "the request dispatch",
    "application": "the WSGI entry point",
}

#: Attributes of the peer's RequestHandler that localserver's expectation keeps otherwise.
HANDLER_ATTRIBUTES: dict[str, str] = {
    "respond": (
        "the server answers with the handler itself: send the request to the server "
        "(url_for) and read the answer"
    ),
    "request_handler": (
        "the answer is what the last respond_with_*() call set; to compute it per "
        "request, use respond_with_handler()"
    ),
}
