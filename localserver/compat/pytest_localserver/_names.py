"""pytest-localserver's names that localserver does not offer, and what to use instead.

The one place for them: each module of this package answers for its own through
:func:`~localserver.compat._absent.absent_names`.
"""

from __future__ import annotations

__all__ = ["NOT_OFFERED", "THREAD_ATTRIBUTES"]

#: Module (relative to the package, "" for the package) -> name -> what to use instead.
NOT_OFFERED: dict[str, dict[str, str]] = {
    "": {},
    "http": {
        "make_server": (
            "localserver serves on its own engine, not werkzeug's: patch nothing, start "
            "the server with start() or `with`"
        ),
    },
    "https": {},
    "smtp": {
        "Handler": (
            "localserver's SMTP server keeps mail itself: read server.outbox (or "
            "server.wait_for(count)); there is no aiosmtpd handler to replace"
        ),
        "MessageDetails": (
            "each mail's envelope is mail.details (peer, mailfrom, rcpttos, ...), a "
            "named tuple made by localserver"
        ),
    },
    "plugin": {},
}

#: What ``threading.Thread`` had (the peer's HTTP servers were threads) and ours do not.
THREAD_ATTRIBUTES = frozenset(
    {
        "name",
        "daemon",
        "ident",
        "native_id",
        "run",
        "isDaemon",
        "setDaemon",
        "getName",
        "setName",
    }
)
