"""``--web-port`` and ``--web-host``: what the live web page adds to a CLI run.

The CLI calls three things: :func:`add_web_options` when it builds a
subcommand's parser, :func:`web_for` with the parsed options, and the returned
:class:`CLIWeb`'s ``attach`` (once its server runs), ``feed`` (with each item it
prints) and ``stop`` (after its server stopped).
"""

from __future__ import annotations

import argparse
import threading
from typing import Any, Callable

from .._engine import format_host
from .._http import HTTPServer
from .._journal import Journal
from .._recorded import RecordedRequest
from .._smtp.mail import ReceivedMail
from .._smtp.server import SMTPServer
from ._guard import is_loopback
from ._mail_entry import mail_entry
from ._request_entry import exchange_entry
from ._server import DEFAULT_PORT, WebServer
from ._store import Entry, WebStore

__all__ = ["CLIWeb", "add_web_options", "web_for"]


def _port(text: str) -> int:
    """argparse type: a TCP port number 0-65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: must be a number 0-65535")
    return int(text)


def add_web_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--web-port`` and ``--web-host`` to a subcommand's parser."""
    group = parser.add_argument_group("live web page")
    group.add_argument(
        "--web-port",
        type=_port,
        default=None,
        metavar="PORT",
        help=f"also serve a web page that shows what arrives, live, on this port "
        f"(e.g. {DEFAULT_PORT}; 0 picks a free one)",
    )
    group.add_argument(
        "--web-host",
        default=None,
        metavar="HOST",
        help="address of the web page (default: 127.0.0.1; anything beyond loopback "
        f"prints a warning); given alone, the page is served on port {DEFAULT_PORT}",
    )


def web_for(args: argparse.Namespace) -> CLIWeb | None:
    """The web page the parsed options ask for, or ``None`` when they ask for none."""
    port, host = getattr(args, "web_port", None), getattr(args, "web_host", None)
    if port is None and host is None:
        return None
    return CLIWeb(host or "127.0.0.1", DEFAULT_PORT if port is None else port)


class _Feeder(threading.Thread):
    """Moves each item of a journal into the store, on a thread of its own."""

    def __init__(self, journal: Journal[Any], add: Callable[[object], None]) -> None:
        super().__init__(name="localserver-web-feeder", daemon=True)
        self.journal = journal
        self.add = add
        self.done = False

    def run(self) -> None:
        while True:
            with self.journal.changed:
                self.journal.changed.wait_for(lambda: len(self.journal) > 0 or self.done)
            items = self.journal.drain()
            for item in items:
                self.add(item)
            if self.done and not items:
                return

    def finish(self) -> None:
        with self.journal.changed:
            self.done = True
            self.journal.changed.notify_all()
        self.join()


class CLIWeb:
    """The web page of one CLI run: its store, its server, what feeds the store.

    Args:
        host: Address of the page.
        port: Port of the page; ``0`` picks a free one.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.server: WebServer | None = None
        self.store: WebStore | None = None
        self._feeder: _Feeder | None = None
        self._note: Callable[[str], None] = lambda text: None
        self._failed = False

    def attach(self, server: object, note: Callable[[str], None]) -> None:
        """Start the page for *server* (an ``SMTPServer`` or ``HTTPServer``), say where.

        Raises:
            OSError: The page's address cannot be bound; the message says what to do.
            TypeError: *server* is of a kind the page cannot show.
        """
        self._note = note
        if isinstance(server, SMTPServer):
            self.store = WebStore(kinds=["mail"])
        elif isinstance(server, HTTPServer):
            self.store = WebStore(kinds=["request"])
        else:
            raise TypeError(f"the web page shows SMTP and HTTP servers, not {server!r}")
        if not is_loopback(self.host):
            note(
                f"warning: --web-host {self.host} makes the web page reachable from other "
                "machines, and with it every mail or request it shows; it is not hardened for that"
            )
        try:
            self.server = WebServer(self.store, self.host, self.port).start()
        except OSError as exc:
            message = (exc.strerror or str(exc)).replace("pass port=0", "pass --web-port 0")
            raise OSError(f"web page: {message}") from None
        if isinstance(server, HTTPServer):
            # The log pairs each request with the response sent; nothing else reads it here.
            self._feeder = _Feeder(server.log, self._add_exchange)
            self._feeder.start()
        shown = self.host
        if shown in ("0.0.0.0", "::"):
            shown = "127.0.0.1" if shown == "0.0.0.0" else "::1"
        note(f"web page: http://{format_host(shown)}:{self.server.port}/")

    def feed(self, item: object) -> None:
        """Show *item* if it is a mail (HTTP exchanges come from the server's log)."""
        if isinstance(item, ReceivedMail) and self.store is not None:
            self._guarded(lambda: mail_entry(item), "a mail")

    def _add_exchange(self, pair: object) -> None:
        if isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], RecordedRequest):
            request, response = pair
            self._guarded(lambda: exchange_entry(request, response), "a request")

    def _guarded(self, build: Callable[[], Entry], what: str) -> None:
        """Store what *build* makes; a failure is told once and never stops the printing."""
        try:
            entry = build()
            if self.store is not None:
                self.store.add(entry)
        except Exception as exc:
            if not self._failed:
                self._failed = True
                self._note(f"web page: could not show {what}: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        """Show what is left, then stop the page."""
        if self._feeder is not None:
            self._feeder.finish()
            self._feeder = None
        if self.server is not None:
            self.server.stop()
