"""The mail assertion helpers of ``SMTPServerMixin`` (``assertMailSent``...).

A mail matches when every criterion given agrees; a failure lists the mails
received, those agreeing on the most criteria first, with each field side by
side (``>>`` marks a difference). ``timeout=`` waits on the outbox's condition
variable, woken by each mail.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from email.utils import getaddresses, parseaddr
from typing import Any, Callable, ClassVar, Union

from .._args import check_seconds
from .._fields import FieldResult
from .._mail import ReceivedMail
from .._report import WIDTH, field_table
from .._smtp import SMTPServer
from .._waiting import in_thread
from .slots import failure

__all__ = ["MailAssertions", "MailCriteria"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True

_SHOWN = 3
Text = Union[str, "re.Pattern[str]"]


def _address(value: str) -> str:
    return parseaddr(value)[1].lower() or value.strip().lower()


def _shorten(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class MailCriteria:
    """What ``assertMailSent`` looks for; unset criteria accept any mail.

    Args:
        to: Recipients that must all be among the mail's envelope recipients
            (``To``, ``Cc`` and ``Bcc`` alike); a str or a list of str.
        from_: The sender: the ``From`` header's address or the envelope sender.
        subject: The decoded subject: equal to a str, or a ``re.compile``
            pattern found in it.
        body_contains: Text found in a text part of the body (plain or HTML).
    """

    def __init__(
        self,
        to: str | Iterable[str] | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
    ) -> None:
        if isinstance(to, str):
            to = [to]
        self.to = None if to is None else [_check_str("to", item) for item in to]
        self.from_ = None if from_ is None else _check_str("from_", from_)
        if subject is not None and not isinstance(subject, (str, re.Pattern)):
            raise TypeError(f"'subject' must be a str or a re.compile pattern (got {subject!r})")
        self.subject = subject
        self.body_contains = (
            None if body_contains is None else _check_str("body_contains", body_contains)
        )

    @property
    def empty(self) -> bool:
        """Whether every mail matches."""
        return not self.describe()

    def describe(self) -> str:
        """The criteria as the call's arguments, e.g. ``to=['a@example.com']``."""
        parts = []
        for name in ("to", "from_", "subject", "body_contains"):
            value = getattr(self, name)
            if isinstance(value, re.Pattern):
                parts.append(f"{name}=re.compile({value.pattern!r})")
            elif value is not None:
                parts.append(f"{name}={value!r}")
        return ", ".join(parts)

    def explain(self, mail: ReceivedMail) -> list[FieldResult]:
        """One row per criterion given: expected, received, and why they differ."""
        rows = []
        if self.to is not None:
            received = [_address(r) for r in mail.rcpt_tos]
            missing = [t for t in self.to if _address(t) not in received]
            rows.append(
                FieldResult(
                    "to",
                    not missing,
                    ", ".join(self.to),
                    ", ".join(mail.rcpt_tos) or "(none)",
                    f"not a recipient: {', '.join(missing)}" if missing else "",
                )
            )
        if self.from_ is not None:
            header = ", ".join(a for _, a in getaddresses(mail.get_all("From", [])))
            senders = {_address(header), _address(mail.mail_from)}
            shown = header if _address(header) == _address(mail.mail_from) else None
            shown = shown or f"{header or '(no From)'} (envelope: {mail.mail_from or '<>'})"
            rows.append(FieldResult("from", _address(self.from_) in senders, self.from_, shown, ""))
        if self.subject is not None:
            subject = mail.subject
            if isinstance(self.subject, re.Pattern):
                ok = subject is not None and self.subject.search(subject) is not None
                expected = f"matches {self.subject.pattern!r}"
            else:
                ok = subject == self.subject
                expected = self.subject
            rows.append(
                FieldResult("subject", ok, expected, "(none)" if subject is None else subject, "")
            )
        if self.body_contains is not None:
            texts = _text_parts(mail)
            ok = any(self.body_contains in text for text in texts)
            body = " | ".join(t.strip() for t in texts) or "(no text part)"
            rows.append(FieldResult("body", ok, f"contains {self.body_contains!r}", body, ""))
        return rows

    def match(self, mail: ReceivedMail) -> bool:
        """Whether *mail* meets every criterion."""
        return all(row.ok for row in self.explain(mail))


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name!r} must be a str (got {value!r})")
    return value


def _text_parts(mail: ReceivedMail) -> list[str]:
    texts = []
    for part in mail.walk():
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset: keep going
            continue
        if isinstance(content, str):
            texts.append(content)
    return texts


class MailAssertions:
    """Mail assertions of ``SMTPServerMixin``; they check ``self.smtp_server``."""

    failureException: ClassVar[type[BaseException]]
    smtp_server: Any

    def assertMailSent(
        self,
        to: str | Iterable[str] | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
        count: int | None = None,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> list[ReceivedMail]:
        """Check that mail like this was sent during the test.

        Args:
            to: Recipients that must all be among the envelope recipients
                (``To``, ``Cc`` and ``Bcc`` alike): a str or a list of str.
            from_: The sender: the ``From`` address or the envelope sender.
            subject: The decoded subject: a str (equal) or a ``re.compile``
                pattern (found in it).
            body_contains: Text found in a text part (plain or HTML) of the body.
            count: ``None`` (at least one) or the exact number of matching mails.
            timeout: Wait up to this many seconds for them (mail sent from
                another thread or process).
            msg: Your message, shown with the report.
            server: The SMTP server to check (``self.smtp_server`` by default).

        Returns:
            The matching mails, oldest first.
        """
        target, criteria, wanted = self._mail_setup(
            server, to, from_, subject, body_contains, count
        )
        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            outbox = target.outbox
            _wait(outbox, wanted, limit)
        return self._mail_check(target, criteria, count, limit, msg)

    async def assertMailSentAsync(
        self,
        to: str | Iterable[str] | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
        count: int | None = None,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> list[ReceivedMail]:
        """:meth:`assertMailSent`, waiting without blocking the event loop."""
        target, criteria, wanted = self._mail_setup(
            server, to, from_, subject, body_contains, count
        )
        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            outbox = target.outbox
            await in_thread(lambda: _wait(outbox, wanted, limit))
        return self._mail_check(target, criteria, count, limit, msg)

    def assertNoMailSent(
        self,
        to: str | Iterable[str] | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> None:
        """Check that no mail like this was sent during the test (no mail at all, bare).

        The arguments are those of :meth:`assertMailSent`.
        """
        target = self._smtp_target(server)
        criteria = MailCriteria(to, from_, subject, body_contains)
        found = [m for m in target.outbox.snapshot() if criteria.match(m)]
        if not found:
            return
        what = f"no mail matching {criteria.describe()}" if not criteria.empty else "no mail"
        lines = [f"expected {what}; found {len(found)}:"]
        lines += [f"  {_summary(mail)}" for mail in found[:10]]
        raise failure(self, msg, "\n".join(lines))

    def assertMailCount(
        self,
        count: int,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> list[ReceivedMail]:
        """Check that exactly *count* mails were sent during the test.

        Args:
            count: The number of mails expected.
            timeout: Wait up to this many seconds for *count* mails to arrive.
            msg: Your message, shown with the report.
            server: The SMTP server to check (``self.smtp_server`` by default).

        Returns:
            Every mail received, oldest first.
        """
        target = self._smtp_target(server)
        _check_count(count, allow_none=False)
        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            outbox = target.outbox
            _wait(outbox, lambda mails: len(mails) >= count, limit)
        return self._count_check(target, count, limit, msg)

    async def assertMailCountAsync(
        self,
        count: int,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> list[ReceivedMail]:
        """:meth:`assertMailCount`, waiting without blocking the event loop."""
        target = self._smtp_target(server)
        _check_count(count, allow_none=False)
        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            outbox = target.outbox
            await in_thread(lambda: _wait(outbox, lambda mails: len(mails) >= count, limit))
        return self._count_check(target, count, limit, msg)

    # -- shared -----------------------------------------------------------------------

    def _smtp_target(self, server: SMTPServer | None) -> SMTPServer:
        target = self.smtp_server if server is None else server
        if not isinstance(target, SMTPServer):
            raise TypeError(f"'server' must be an SMTPServer (got {target!r})")
        return target

    def _mail_setup(
        self,
        server: SMTPServer | None,
        to: str | Iterable[str] | None,
        from_: str | None,
        subject: Text | None,
        body_contains: str | None,
        count: int | None,
    ) -> tuple[SMTPServer, MailCriteria, Callable[[list[Any]], bool]]:
        target = self._smtp_target(server)
        criteria = MailCriteria(to, from_, subject, body_contains)
        _check_count(count, allow_none=True)
        least = 1 if count is None else count

        def wanted(mails: list[Any]) -> bool:
            return sum(1 for m in mails if criteria.match(m)) >= least

        return target, criteria, wanted

    def _mail_check(
        self,
        target: SMTPServer,
        criteria: MailCriteria,
        count: int | None,
        timeout: float | None,
        msg: str | None,
    ) -> list[ReceivedMail]:
        mails = target.outbox.snapshot()
        found = [m for m in mails if criteria.match(m)]
        if (len(found) >= 1) if count is None else (len(found) == count):
            return found
        wanted = "at least 1 mail" if count is None else f"{count} mail(s)"
        matching = f" matching {criteria.describe()}" if not criteria.empty else ""
        waited = f" after waiting {timeout:g} s" if timeout else ""
        lines = [f"expected {wanted}{matching}; found {len(found)}{waited}."]
        lines += _closest(criteria, mails, target)
        raise failure(self, msg, "\n".join(lines))

    def _count_check(
        self, target: SMTPServer, count: int, timeout: float | None, msg: str | None
    ) -> list[ReceivedMail]:
        mails = target.outbox.snapshot()
        if len(mails) == count:
            return mails
        waited = f" after waiting {timeout:g} s" if timeout else ""
        lines = [f"expected {count} mail(s); found {len(mails)}{waited}."]
        lines += _closest(MailCriteria(), mails, target)
        raise failure(self, msg, "\n".join(lines))


def _wait(outbox: Any, wanted: Callable[[list[Any]], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while True:
        mails = outbox.snapshot()
        remaining = deadline - time.monotonic()
        if wanted(mails) or remaining <= 0:
            return
        outbox.wait_for_more(len(mails), remaining)


def _check_count(count: object, *, allow_none: bool) -> None:
    if count is None and allow_none:
        return
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        what = "None (at least one) or an int >= 0" if allow_none else "an int >= 0"
        raise ValueError(f"'count' must be {what} (got {count!r})")


def _summary(mail: ReceivedMail) -> str:
    text = f"from {mail.mail_from or '<>'} to {', '.join(mail.rcpt_tos)}: {mail.subject!r}"
    return _shorten(text, WIDTH - 2)


def _closest(
    criteria: MailCriteria, mails: Sequence[ReceivedMail], server: SMTPServer
) -> list[str]:
    if not mails:
        return [
            "",
            f"The server at {server.url} received no mail at all. Check that the code under "
            f"test sends to {server.host}:{server.port} (for Django: EMAIL_HOST and EMAIL_PORT, "
            "see smtp_server_django_settings()).",
        ]
    if criteria.empty:
        lines = ["", f"{len(mails)} mail(s) arrived:"]
        lines += [f"  {_summary(mail)}" for mail in mails[:10]]
        return lines
    scored = [(mail, criteria.explain(mail)) for mail in mails]
    scored.sort(key=lambda pair: -sum(1 for row in pair[1] if row.ok))
    shown = scored[:_SHOWN]
    lines = ["", f"Closest mails received ({len(shown)} of {len(mails)}), best first:"]
    for number, (mail, rows) in enumerate(shown, 1):
        agree = sum(1 for row in rows if row.ok)
        lines += ["", f"{number}. {_summary(mail)}  [{agree} of {len(rows)} agree]"[:WIDTH]]
        lines += field_table(rows)
    return lines
