"""The mail assertion helpers of ``SMTPServerMixin``: the server's checks, as TestCase failures.

Each helper calls the server's own check (``assert_mail_sent``,
``assert_no_mail_sent``, ``assert_mail_count``) and only turns its
:class:`~localserver.MailAssertionError` into ``self.failureException``, with
``msg`` and ``longMessage`` honoured. The ``...Async`` twins run the same check
without blocking the event loop.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

from .._errors import MailAssertionError
from .._smtp.checks import Recipients, Text
from .._smtp.mail import ReceivedMail
from .._smtp.server import SMTPServer
from .._waiting import in_thread
from .slots import failure

__all__ = ["MailAssertions"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True

_T = TypeVar("_T")


class MailAssertions:
    """Mail assertions of ``SMTPServerMixin``; they check ``self.smtp_server``."""

    failureException: ClassVar[type[BaseException]]
    smtp_server: Any

    def assertMailSent(
        self,
        to: Recipients | None = None,
        from_: str | None = None,
        subject: Text | None = None,
        body_contains: str | None = None,
        count: int | None = None,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: SMTPServer | None = None,
    ) -> list[ReceivedMail]:
        """Check that mail like this was sent during the test; return the matching mails.

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
        target = self._smtp_target(server)
        return self._mail_translated(
            lambda: target.assert_mail_sent(
                to, from_, subject, body_contains, count=count, timeout=timeout
            ),
            msg,
        )

    async def assertMailSentAsync(
        self,
        to: Recipients | None = None,
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
        target = self._smtp_target(server)
        return await self._mail_translated_async(
            lambda: target.assert_mail_sent(
                to, from_, subject, body_contains, count=count, timeout=timeout
            ),
            msg,
        )

    def assertNoMailSent(
        self,
        to: Recipients | None = None,
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
        self._mail_translated(
            lambda: target.assert_no_mail_sent(to, from_, subject, body_contains), msg
        )

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
        return self._mail_translated(lambda: target.assert_mail_count(count, timeout=timeout), msg)

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
        return await self._mail_translated_async(
            lambda: target.assert_mail_count(count, timeout=timeout), msg
        )

    # -- shared -----------------------------------------------------------------------

    def _smtp_target(self, server: SMTPServer | None) -> SMTPServer:
        target = self.smtp_server if server is None else server
        if not isinstance(target, SMTPServer):
            raise TypeError(f"'server' must be an SMTPServer (got {target!r})")
        return target

    def _mail_translated(self, check: Callable[[], _T], msg: str | None) -> _T:
        try:
            return check()
        except MailAssertionError as exc:
            raise failure(self, msg, str(exc)) from None

    async def _mail_translated_async(self, check: Callable[[], _T], msg: str | None) -> _T:
        try:
            return await in_thread(check)
        except MailAssertionError as exc:
            raise failure(self, msg, str(exc)) from None
