"""The mails an SMTP server received: :class:`ReceivedMail` and the :class:`Outbox`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, NamedTuple

from .._args import check_count, check_seconds
from .._journal import Journal
from .._public import public
from .headers import POLICY, parse_message, read_header_block

__all__ = ["MailDetails", "Outbox", "ReceivedMail"]

# The attributes Message.__init__ creates: they are filled in by the first access
# that needs them, so a mail nobody looks at is never parsed.
_PARSED_STATE = frozenset(vars(EmailMessage()))
# What reading headers needs; the header block alone gives it when it is plain.
_HEADER_STATE = frozenset({"_headers", "policy"})
# One lock for every mail: parsing happens once per mail, so contention is rare,
# and a lock attribute would make mails impossible to copy or pickle.
_PARSE_LOCK = threading.Lock()


class MailDetails(NamedTuple):
    """The envelope as pytest-localserver's ``message.details`` spelled it."""

    peer: tuple[str, int]
    mailfrom: str
    rcpttos: list[str]


@public
class ReceivedMail(EmailMessage):
    """One mail as the server received it: an ``EmailMessage`` with its envelope.

    The message reads as one parsed with ``email.policy.default``:
    ``mail["Subject"]`` (decoded), ``mail["To"].addresses``, ``get_content()``,
    ``get_body()`` and ``iter_attachments()`` work. It is parsed on first use, and
    reading headers parses only the header block. The wire's CRLF line ends are
    turned into ``\\n`` for parsing (``get_content()`` gives ``"Hello\\n"``);
    :attr:`raw` keeps the bytes exactly as received, after dot-unstuffing.

    Attributes:
        mail_from: The envelope sender (``MAIL FROM``), ``""`` for a bounce.
        rcpt_tos: The envelope recipients (``RCPT TO``), in order.
        mail_options: The ``MAIL FROM`` parameters, names upper-cased, values as
            sent, e.g. ``["SIZE=120", "SMTPUTF8"]``.
        rcpt_options: The ``RCPT TO`` parameters of every recipient, in order.
        raw: The message data as received (CRLF line ends, dot-unstuffed).
        peer: The client's address, ``(host, port)``.
        helo: The name the client gave in ``HELO`` / ``EHLO``.
        esmtp: Whether the client greeted with ``EHLO``.
        tls: ``None``, ``"starttls"`` or ``"smtps"``: how the session was encrypted.
        auth_user: The user name of a successful ``AUTH``, else ``None``.
        smtputf8: Whether the client asked for ``SMTPUTF8`` with ``MAIL FROM``.
        connection_id: Which connection delivered the mail; equal ids mean one session.
        received_at: When the end of data arrived, as ``time.time()``.
    """

    def __init__(
        self,
        raw: bytes,
        *,
        mail_from: str,
        rcpt_tos: Iterable[str],
        mail_options: Iterable[str] = (),
        rcpt_options: Iterable[str] = (),
        peer: tuple[str, int] = ("", 0),
        helo: str | None = None,
        esmtp: bool = False,
        tls: str | None = None,
        auth_user: str | None = None,
        smtputf8: bool = False,
        connection_id: int = 0,
        received_at: float | None = None,
    ) -> None:
        # Message.__init__ is deliberately not called here: __getattr__ fills the
        # message state in from `raw` the first time it is needed.
        self.raw = bytes(raw)
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.mail_options = list(mail_options)
        self.rcpt_options = list(rcpt_options)
        self.peer = peer
        self.helo = helo
        self.esmtp = esmtp
        self.tls = tls
        self.auth_user = auth_user
        self.smtputf8 = smtputf8
        self.connection_id = connection_id
        self.received_at = time.time() if received_at is None else received_at

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: the message state before parsing.
        state = self.__dict__
        if name not in _PARSED_STATE or "raw" not in state:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _PARSE_LOCK:
            if name not in state:
                headers = read_header_block(self.raw) if name in _HEADER_STATE else None
                if headers is not None:
                    state.setdefault("_headers", headers)
                    state.setdefault("policy", POLICY)
                else:
                    # Kept values win: headers read (or changed) before stay as they are.
                    for key, value in vars(parse_message(self.raw)).items():
                        state.setdefault(key, value)
        return state[name]

    @property
    def details(self) -> MailDetails:
        """``(peer, mailfrom, rcpttos)``, as pytest-localserver's ``message.details``.

        As there, the null sender of a bounce is ``"<>"`` (:attr:`mail_from` says ``""``).
        """
        return MailDetails(self.peer, self.mail_from or "<>", list(self.rcpt_tos))

    @property
    def bcc(self) -> list[str]:
        """Envelope recipients named in neither the ``To`` nor the ``Cc`` header."""
        named = {
            address.lower()
            for _, address in getaddresses(
                [str(value) for key in ("To", "Cc") for value in self.get_all(key, [])]
            )
        }
        return [rcpt for rcpt in self.rcpt_tos if rcpt.lower() not in named]

    @property
    def subject(self) -> str | None:
        """The decoded ``Subject`` header, or ``None`` when there is none."""
        value = self["Subject"]
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        """The ``text/plain`` body (the preferred one of a multipart), or ``None``."""
        return self._body_text("plain")

    @property
    def html(self) -> str | None:
        """The ``text/html`` body, or ``None``."""
        return self._body_text("html")

    def _body_text(self, subtype: str) -> str | None:
        part = self.get_body(preferencelist=(subtype,))
        if part is None:
            return None
        content = part.get_content()
        return content if isinstance(content, str) else None

    def __repr__(self) -> str:
        return f"<ReceivedMail from {self.mail_from!r} to {self.rcpt_tos!r}, {len(self.raw)} bytes>"


class Outbox(Journal[ReceivedMail]):
    """The mails a server accepted, in arrival order; a thread-safe sequence.

    Read it as a list (``len(outbox)``, ``outbox[0]``, iteration, ``outbox ==
    [...]``). Server threads append to it; :meth:`wait_for` waits for mail sent
    from elsewhere, and :meth:`clear` empties it.
    """

    def wait_for(self, count: int = 1, timeout: float | None = 5.0) -> list[ReceivedMail]:
        """Wait until at least *count* mails have arrived.

        Woken by each arrival, never polling; each arrival costs the wait O(1).

        Args:
            count: How many mails to wait for.
            timeout: Seconds to wait at most; ``None`` waits for ever.

        Returns:
            Every mail in the outbox (at least *count*), in arrival order.

        Raises:
            TimeoutError: Fewer than *count* mails arrived in time.
        """
        wanted = check_count("count", count) or 0
        limit = check_seconds("timeout", timeout, none=True)
        if wanted:
            self.wait_count(_any_mail, wanted, limit)
        mails: list[ReceivedMail] = self.snapshot()
        if len(mails) < wanted:
            raise TimeoutError(
                f"waited {timeout} s for {count} mail(s) but {len(mails)} arrived; "
                "pass a larger timeout= if the sender is slow"
            )
        return mails


def _any_mail(mail: ReceivedMail) -> bool:
    return True
