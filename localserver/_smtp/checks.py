"""Questions a test asks an SMTP server about its outbox, and the reports when they fail.

A mail matches :class:`MailCriteria` when every criterion given agrees. A failure
raises :class:`~localserver.MailAssertionError` listing the mails received, those
agreeing on the most criteria first, each field side by side (``>>`` marks a
difference). ``timeout=`` waits on the outbox, looking at each mail once, when it
arrives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.utils import getaddresses, parseaddr
from typing import Callable, Union

from .._args import check_count, check_seconds, check_str
from .._errors import MailAssertionError
from .._fields import FieldResult
from .._journal import Journal
from .._report import WIDTH, field_table
from .mail import ReceivedMail

__all__ = ["MailChecks", "MailCriteria", "Recipients", "Text"]

_SHOWN = 3
_LISTED = 10
#: A subject criterion: equal to a str, or a pattern found in it.
Text = Union[str, "re.Pattern[str]"]
#: A ``to`` criterion: one address or several.
Recipients = Union[str, Iterable[str]]


def _address(value: str) -> str:
    return parseaddr(value)[1].lower() or value.strip().lower()


def _shorten(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class MailCriteria:
    """What ``assert_mail_sent`` looks for; unset criteria accept any mail.

    Args:
        to: Recipients that must all be among the mail's envelope recipients
            (``To``, ``Cc`` and ``Bcc`` alike); a str or a list of str.
        from_: The sender: the ``From`` header's address or the envelope sender.
        subject: The decoded subject: equal to a str, or a ``re.compile``
            pattern found in it.
        body_contains: Text found in a text part of the body (plain or HTML).

    Raises:
        TypeError: A criterion of the wrong type.
    """

    def __init__(
        self,
        to: Recipients | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
    ) -> None:
        if isinstance(to, str):
            to = [to]
        self.to = None if to is None else [check_str("to", item) for item in to]
        self.from_ = None if from_ is None else check_str("from_", from_)
        if subject is not None and not isinstance(subject, (str, re.Pattern)):
            raise TypeError(f"'subject' must be a str or a re.compile pattern (got {subject!r})")
        self.subject = subject
        self.body_contains = (
            None if body_contains is None else check_str("body_contains", body_contains)
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


def _any_mail(mail: ReceivedMail) -> bool:
    return True


class MailChecks:
    """The assertions about one server's outbox.

    Args:
        outbox: The server's outbox.
        where: Gives the server's ``(url, host, port)``, for the reports.
    """

    def __init__(
        self, outbox: Journal[ReceivedMail], where: Callable[[], tuple[str, str, int]]
    ) -> None:
        self._outbox = outbox
        self._where = where

    def mail_sent(
        self, criteria: MailCriteria, count: object, timeout: object
    ) -> list[ReceivedMail]:
        """See :meth:`SMTPServer.assert_mail_sent`."""
        wanted = check_count("count", count, none=True)
        limit = check_seconds("timeout", timeout, none=True)
        least = 1 if wanted is None else wanted
        if limit and least:
            self._outbox.wait_count(criteria.match, least, limit)
        mails = self._outbox.snapshot()
        found = [m for m in mails if criteria.match(m)]
        if (len(found) >= 1) if wanted is None else (len(found) == wanted):
            return found
        what = "at least 1 mail" if wanted is None else f"{wanted} mail(s)"
        matching = f" matching {criteria.describe()}" if not criteria.empty else ""
        waited = f" after waiting {limit:g} s" if limit else ""
        lines = [f"expected {what}{matching}; found {len(found)}{waited}."]
        lines += self._closest(criteria, mails)
        raise MailAssertionError("\n".join(lines))

    def no_mail_sent(self, criteria: MailCriteria) -> None:
        """See :meth:`SMTPServer.assert_no_mail_sent`."""
        found = [m for m in self._outbox.snapshot() if criteria.match(m)]
        if not found:
            return
        what = f"no mail matching {criteria.describe()}" if not criteria.empty else "no mail"
        lines = [f"expected {what}; found {len(found)}:"]
        lines += [f"  {_summary(mail)}" for mail in found[:_LISTED]]
        raise MailAssertionError("\n".join(lines))

    def mail_count(self, count: object, timeout: object) -> list[ReceivedMail]:
        """See :meth:`SMTPServer.assert_mail_count`."""
        wanted = check_count("count", count) or 0
        limit = check_seconds("timeout", timeout, none=True)
        if limit and wanted:
            self._outbox.wait_count(_any_mail, wanted, limit)
        mails = self._outbox.snapshot()
        if len(mails) == wanted:
            return mails
        waited = f" after waiting {limit:g} s" if limit else ""
        lines = [f"expected {wanted} mail(s); found {len(mails)}{waited}."]
        lines += self._closest(MailCriteria(), mails)
        raise MailAssertionError("\n".join(lines))

    def _closest(self, criteria: MailCriteria, mails: Sequence[ReceivedMail]) -> list[str]:
        if not mails:
            url, host, port = self._where()
            return [
                "",
                f"The server at {url} received no mail at all. Check that the code under "
                f"test sends to {host}:{port} (for Django: EMAIL_HOST and EMAIL_PORT, "
                "see SMTPServerMixin.smtp_server_django_settings()).",
            ]
        if criteria.empty:
            lines = ["", f"{len(mails)} mail(s) arrived:"]
            lines += [f"  {_summary(mail)}" for mail in mails[:_LISTED]]
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


def _summary(mail: ReceivedMail) -> str:
    text = f"from {mail.mail_from or '<>'} to {', '.join(mail.rcpt_tos)}: {mail.subject!r}"
    return _shorten(text, WIDTH - 2)
