"""What ``migrate`` leaves to a human: the detection list, in one place.

The rewrite is mechanical; these are the uses it can find but not translate, each
reported with ``file:line`` and the reason. ``docs/migrate.rst`` lists the same rules.

1. A string that contains one of the peers' error texts (:data:`PEER_MESSAGES`): a test
   that compares the peer's exact words fails on localserver's own messages.
2. A private attribute (``._name``) of a peer server: a fixture of either peer, a server
   made from a peer's class, or ``self`` in a subclass of one.
3. The peers' serving internals on such a server (:data:`SERVING_INTERNALS`: werkzeug's
   server and thread, aiosmtpd's controller parts), and ``werkzeug.serving`` in a file
   that uses a peer: localserver serves on its own engine.
4. A subclass of a peer class that localserver cannot stand in for
   (:data:`INTERNAL_CLASSES`), or that overrides an internal step (:data:`INTERNAL_METHODS`,
   or any ``_name`` method).
5. A peer name the compatibility module does not offer (checked against the installed
   ``localserver.compat``, whose error message says what to use instead).
6. ``pytest.importorskip(..., minversion=...)`` on a peer module (the version compared
   is localserver's), and a string naming a peer's distribution (``"pytest-httpserver"``),
   which is not installed after the move.
7. What the plan cannot settle alone: a ``pytest_plugins`` that is not a literal, a suite
   whose ``httpserver`` fixture could be either peer's, both peers' plugins in one run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .mapping import COMPAT

__all__ = [
    "DISTRIBUTIONS",
    "HONOURED_PRIVATE_METHODS",
    "INTERNAL_CLASSES",
    "INTERNAL_METHODS",
    "PEER_MESSAGES",
    "SERVING_INTERNALS",
    "Finding",
    "missing_name",
    "peer_message_in",
]


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a human has to look at: where, and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


# Fragments of the texts the peers put in exceptions, assertion messages and
# response bodies (pytest-httpserver 1.0-1.2; pytest-localserver raises none of
# its own). Compared case-insensitively.
PEER_MESSAGES = (
    "No handler found for",
    "matched no handler",
    "Matching request handler found but no response defined",
    "All requests will be permanently failed",
    "Wait timeout occurred, but some handlers left",
    "times but expected",
    "No similar requests found",
    "Server is already running",
    "Server is not running",
    "Readiness check failed",
    "No response for request",
    "No method found for matching header value",
    "Unable to cast this type to QueryMatcher",
)

# Attributes of a peer server that are the peers' serving machinery, with what they are.
SERVING_INTERNALS = {
    "server": "the peer's werkzeug (or aiosmtpd) server object",
    "server_thread": "pytest-httpserver's werkzeug serving thread",
    "smtpd": "aiosmtpd's SMTP protocol object",
    "server_coro": "aiosmtpd's server coroutine",
    "loop": "aiosmtpd's event loop",
}

# Peer classes with no localserver stand-in, by the module that defines them.
INTERNAL_CLASSES = {
    "pytest_httpserver.httpserver": frozenset(
        {
            "HTTPServerBase",
            "RequestHandlerBase",
            "Undefined",
        }
    ),
    "pytest_httpserver.pytest_plugin": frozenset({"Plugin", "PluginHTTPServer"}),
    "pytest_localserver.smtp": frozenset({"Handler", "MessageDetails"}),
}

# Methods of the peers' servers that are steps of their werkzeug/thread machinery:
# a subclass that overrides one expects the peer to call it, and localserver does not.
INTERNAL_METHODS = frozenset({"dispatch", "application", "thread_target", "run"})

# Private methods of peer classes that localserver's stand-ins call as the peers
# did (hooks.Delay._sleep): overriding one still works.
HONOURED_PRIVATE_METHODS = frozenset({"_sleep"})

DISTRIBUTIONS = frozenset({"pytest-httpserver", "pytest-localserver"})


def peer_message_in(text: str) -> str | None:
    """The first peer error text found in *text*, or None."""
    folded = text.casefold()
    for message in PEER_MESSAGES:
        if message.casefold() in folded:
            return message
    return None


def missing_name(module: str, name: str | None = None) -> str | None:
    """Why ``import module`` or ``from module import name`` fails on this localserver.

    None when it works, and None too when localserver has no compatibility package
    at all, so that such an install reports nothing rather than everything.
    """
    try:
        importlib.import_module(COMPAT)
    except ImportError:
        return None
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        return f"{module} cannot be imported: {exc}"
    if name is None:
        return None
    try:
        getattr(found, name)
    except (AttributeError, ImportError) as exc:
        # A name the compatibility modules decline raises an ImportError naming
        # what to use instead (so that `from module import name` shows it).
        error: Exception = exc
    else:
        return None
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        pass
    else:
        return None
    text = str(error)
    if text.startswith("module "):  # Python's own words: nothing to add
        return f"{module} does not offer {name}"
    return f"{module} does not offer {name}: {text}"
