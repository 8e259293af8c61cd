"""MAIL FROM and RCPT TO arguments: paths, parameters, repeated parameters, declared sizes."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from localserver import SMTPServer
from localserver._smtp.path import PathError, parse_params, parse_recipient, parse_sender

from .conftest import TIMEOUT


def reply_of(call: object) -> str:
    """The reply a PathError carries, or "" when the call went through."""
    try:
        call()  # type: ignore[operator]
    except PathError as exc:
        return exc.reply
    return ""


class TestParameters:
    def test_identical_repeats_count_once(self) -> None:
        """A parameter given twice with the same value is taken once."""
        options = parse_params(["SMTPUTF8", "smtputf8", "BODY=8BITMIME"], esmtp=True, kind="MAIL")
        assert options == {"SMTPUTF8": None, "BODY": "8BITMIME"}

    def test_body_values_compare_without_case(self) -> None:
        """BODY=8bitmime and BODY=8BITMIME say the same."""
        options = parse_params(["BODY=8bitmime", "BODY=8BITMIME"], esmtp=True, kind="MAIL")
        assert options == {"BODY": "8BITMIME"}

    def test_differing_repeats_are_refused(self) -> None:
        """BODY given twice with different values is ambiguous: 501 names it."""
        reply = reply_of(
            lambda: parse_params(["BODY=7BIT", "BODY=8BITMIME"], esmtp=True, kind="MAIL")
        )
        assert reply == "501 5.5.4 MAIL parameter BODY given twice with different values"

    def test_repeated_size_keeps_the_largest(self) -> None:
        """SIZE given twice keeps the largest: smtplib declares one, callers may add one."""
        assert parse_params(["size=120", "SIZE=3100"], esmtp=True, kind="MAIL") == {"SIZE": "3100"}
        assert parse_params(["SIZE=3100", "SIZE=120"], esmtp=True, kind="MAIL") == {"SIZE": "3100"}

    def test_a_bad_value_is_named_before_a_repeat(self) -> None:
        """SIZE=ten is refused as not a number, repeated or not."""
        reply = reply_of(lambda: parse_params(["SIZE=1", "SIZE=ten"], esmtp=True, kind="MAIL"))
        assert reply == "501 5.5.4 SIZE needs a number of octets"


class TestSenderAndRecipient:
    def test_sender_params_are_kept_as_sent(self) -> None:
        """Parameter names are upper-cased, values and repeats kept as sent."""
        sender = parse_sender(
            "FROM:<zoë@example.com> smtputf8 SMTPUTF8 size=12", esmtp=True, max_size=None
        )
        assert sender.address == "zoë@example.com"
        assert sender.smtputf8 is True
        assert sender.params == ["SMTPUTF8", "SMTPUTF8", "SIZE=12"]

    def test_any_declared_size_over_the_limit_gets_552(self) -> None:
        """The largest SIZE is checked against the limit."""
        reply = reply_of(
            lambda: parse_sender(
                "FROM:<a@example.com> SIZE=10 SIZE=3100", esmtp=True, max_size=3000
            )
        )
        assert reply == "552 5.3.4 Message size exceeds the limit of 3000 octets"

    def test_non_ascii_needs_smtputf8(self) -> None:
        """A non-ASCII address without SMTPUTF8 gets 553, sender and recipient alike."""
        sender = reply_of(lambda: parse_sender("FROM:<zoë@example.com>", esmtp=True, max_size=None))
        recipient = reply_of(
            lambda: parse_recipient("TO:<zoë@example.com>", esmtp=True, smtputf8=False)
        )
        assert sender.startswith("553 5.6.7")
        assert recipient.startswith("553 5.6.7")
        assert parse_recipient("TO:<zoë@example.com>", esmtp=True, smtputf8=True).address == (
            "zoë@example.com"
        )


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(max_message_size=3000) as server:
        yield server


def international() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = "zoë@example.com"
    message["Subject"] = "Grüße"
    message.set_content("Hällo\n")
    return message


class TestPythonsOwnSmtplib:
    """Regressions: what smtplib sends on its own must be accepted (issue 14, item 1)."""

    def test_send_message_with_smtputf8_asked_twice(self, server: SMTPServer) -> None:
        """send_message(mail_options=["SMTPUTF8"]) to a non-ASCII address is accepted.

        smtplib adds SMTPUTF8 (and BODY=8BITMIME) itself for such an address, so
        the parameter arrives twice.
        """
        with server.client(timeout=TIMEOUT) as client:
            client.send_message(international(), mail_options=["SMTPUTF8"])
        [mail] = server.outbox
        assert mail.rcpt_tos == ["zoë@example.com"]
        assert mail.smtputf8 is True
        assert mail.mail_options.count("SMTPUTF8") == 2
        assert mail["Subject"] == "Grüße"

    def test_sendmail_with_a_size_over_the_limit_gets_552(self, server: SMTPServer) -> None:
        """sendmail(mail_options=["SIZE=3100"]) over a 3000-octet limit is refused with 552."""
        data = b"Subject: s\r\n\r\nx\r\n"
        with (
            server.client(timeout=TIMEOUT) as client,
            pytest.raises(smtplib.SMTPSenderRefused) as refused,
        ):
            client.sendmail("a@example.com", ["b@example.com"], data, ["SIZE=3100"])
        assert refused.value.smtp_code == 552
        assert server.outbox == []

    def test_sendmail_with_a_size_under_the_limit(self, server: SMTPServer) -> None:
        """sendmail(mail_options=["SIZE=100"]) under the limit goes through (two SIZEs)."""
        data = b"Subject: s\r\n\r\nx\r\n"
        with server.client(timeout=TIMEOUT) as client:
            client.sendmail("a@example.com", ["b@example.com"], data, ["SIZE=100"])
        [mail] = server.outbox
        sizes = [o for o in mail.mail_options if o.startswith("SIZE=")]
        assert sizes == [f"SIZE={len(data)}", "SIZE=100"]
