"""``pytest_localserver.smtp``: ``Server``, an SMTP server that keeps what it receives.

:class:`Server` is :class:`localserver.SMTPServer` with the peer's arguments and
its thread-like verbs. Each mail in ``outbox`` is an ``email.message.Message``
(localserver's ``ReceivedMail``) whose ``details`` hold ``peer``, ``mailfrom``
and ``rcpttos``, as the peer's do.
"""

from __future__ import annotations

from ... import SMTPServer
from .._absent import absent_names
from ._names import NOT_OFFERED
from ._threadlike import ThreadLike

__all__ = ["Server"]


class Server(ThreadLike, SMTPServer):
    """An SMTP server on loopback; mail lands in ``outbox``.

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one.

    ``addr`` is ``(host, port)``; ``accepting`` and ``is_alive()`` say whether it
    runs. localserver's other options (``starttls=``, ``auth=``...) are on
    :class:`localserver.SMTPServer`.
    """

    def __init__(self, host: str = "localhost", port: int = 0) -> None:
        super().__init__(host, port)

    def stop(self, timeout: float | None = None) -> None:
        """Stop serving; safe to call twice. *timeout* is accepted: stop() never hangs."""
        super().stop()

    def __repr__(self) -> str:
        host, port = self.addr
        return f"<smtp.Server {host}:{port}>"


__getattr__ = absent_names(__name__, NOT_OFFERED["smtp"])
