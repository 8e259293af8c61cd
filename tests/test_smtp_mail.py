"""ReceivedMail and the Outbox: an EmailMessage with its envelope, parsed on first use."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from localserver import ReceivedMail, SMTPServer
from localserver._smtp.mail import Outbox


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def rich_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jürgen <jürgen@exämple.com>"
    message["To"] = "Zoë <zoë@example.com>, bob@example.com"
    message["Cc"] = "carol@example.com"
    message["Subject"] = "Grüße aus Köln"
    message.set_content("Hällo\n.line with a dot\n")
    message.add_alternative("<p>Hällo</p>", subtype="html")
    message.add_attachment(
        b"\x00\x01\x02binary", maintype="application", subtype="octet-stream", filename="a.bin"
    )
    message.add_attachment("ünïcode text", filename="notes.txt")
    return message


class TestSendMessage:
    def test_smtputf8_message_with_attachments(self, server: SMTPServer) -> None:
        """send_message with non-ASCII addresses uses SMTPUTF8; everything round-trips."""
        message = rich_message()
        with server.client() as client:
            client.send_message(message, to_addrs=["zoë@example.com", "dave@example.com"])
        [mail] = server.outbox
        assert mail.smtputf8 is True
        assert "SMTPUTF8" in mail.mail_options
        assert mail.mail_from == "jürgen@exämple.com"
        assert mail.rcpt_tos == ["zoë@example.com", "dave@example.com"]
        assert mail["Subject"] == "Grüße aus Köln"
        assert mail.subject == "Grüße aus Köln"
        assert [a.addr_spec for a in mail["To"].addresses] == ["zoë@example.com", "bob@example.com"]
        assert mail.text == "Hällo\n.line with a dot\n"
        assert mail.html == "<p>Hällo</p>\n"
        attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
        assert attachments == {"a.bin": b"\x00\x01\x02binary", "notes.txt": "ünïcode text\n"}
        assert mail.bcc == ["dave@example.com"]

    def test_encoded_words_are_decoded(self, server: SMTPServer) -> None:
        """An RFC 2047 encoded Subject sent without SMTPUTF8 comes out decoded."""
        message = EmailMessage()
        message["From"] = "a@example.com"
        message["To"] = "b@example.com"
        message["Subject"] = "Grüße"
        message.set_content("body")
        with server.client() as client:
            client.send_message(message)
        mail = server.outbox[0]
        assert b"=?utf-8?" in mail.raw
        assert mail["Subject"] == "Grüße"
        assert mail.smtputf8 is False

    def test_raw_is_exact(self, server: SMTPServer) -> None:
        """raw holds the message as sent, CRLF line ends and all."""
        data = b"Subject: raw\r\nX-Odd:  spaced  \r\n\r\nline 1\r\n\r\nline 3\r\n"
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], data)
        assert server.outbox[0].raw == data
        assert server.outbox[0]["X-Odd"] == "spaced  "

    def test_session_facts(self, server: SMTPServer) -> None:
        """peer, helo, tls, auth_user and received_at describe the session."""
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], b"x\r\n")
        mail = server.outbox[0]
        assert mail.peer[0] == "127.0.0.1"
        assert mail.helo == "localhost"
        assert mail.tls is None
        assert mail.auth_user is None
        assert mail.received_at > 0


def make_mail(raw: bytes = b"To: b@example.com\r\nSubject: s\r\n\r\nbody\r\n") -> ReceivedMail:
    return ReceivedMail(raw, mail_from="a@example.com", rcpt_tos=["b@example.com", "c@example.com"])


class TestReceivedMail:
    def test_parsed_on_first_use(self) -> None:
        """Nothing is parsed until the message is looked at."""
        mail = make_mail()
        assert "_headers" not in vars(mail)
        assert mail["Subject"] == "s"
        assert "_headers" in vars(mail)

    def test_get_content_has_lf_line_ends(self) -> None:
        """get_content() gives '\\n' line ends, not the wire's CRLF."""
        assert make_mail().get_content() == "body\n"

    def test_unknown_attribute_raises(self) -> None:
        """A misspelt attribute is an AttributeError, not a parse."""
        with pytest.raises(AttributeError, match="no attribute 'subjetc'"):
            make_mail().subjetc  # noqa: B018

    def test_bcc_ignores_case_and_display_names(self) -> None:
        """bcc lists envelope recipients named in neither To nor Cc."""
        mail = ReceivedMail(
            b"To: Bee <B@Example.com>\r\n\r\nx\r\n",
            mail_from="a@example.com",
            rcpt_tos=["b@example.com", "hidden@example.com"],
        )
        assert mail.bcc == ["hidden@example.com"]

    def test_details_like_pytest_localserver(self) -> None:
        """details has peer, mailfrom and rcpttos."""
        details = make_mail().details
        assert (details.mailfrom, details.rcpttos) == (
            "a@example.com",
            ["b@example.com", "c@example.com"],
        )

    def test_malformed_mail_does_not_raise(self) -> None:
        """A malformed message parses with defects instead of raising."""
        mail = make_mail(b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n")
        assert mail.defects
        assert mail.text is None

    def test_copy_and_pickle(self) -> None:
        """Mails can be deep-copied and pickled, parsed or not."""
        for parsed in (False, True):
            mail = make_mail()
            if parsed:
                mail["X-Extra"] = "1"
            for clone in (copy.deepcopy(mail), pickle.loads(pickle.dumps(mail))):
                assert clone.raw == mail.raw
                assert clone["Subject"] == "s"
                assert clone["X-Extra"] == ("1" if parsed else None)
                assert clone.rcpt_tos == mail.rcpt_tos

    def test_repr(self) -> None:
        """repr shows the envelope and the size."""
        assert repr(make_mail(b"x\r\n")) == (
            "<ReceivedMail from 'a@example.com' to ['b@example.com', 'c@example.com'], 3 bytes>"
        )


class TestOutbox:
    def test_list_behaviour(self) -> None:
        """The outbox reads like a list."""
        outbox = Outbox()
        mail = make_mail()
        outbox.append(mail)
        assert len(outbox) == 1
        assert outbox[0] is mail
        assert list(outbox) == [mail]
        assert outbox == [mail]

    def test_wait_for_zero_returns_at_once(self) -> None:
        """wait_for(0) returns the current mails without waiting."""
        assert Outbox().wait_for(0, timeout=None) == []

    def test_wait_for_already_there(self) -> None:
        """wait_for returns at once when enough mails are in."""
        outbox = Outbox([make_mail(), make_mail()])
        assert len(outbox.wait_for(2, timeout=0)) == 2

    @pytest.mark.parametrize(
        ("count", "timeout", "message"),
        [(-1, 1, "'count' must be 0 or more"), (1, -1, "'timeout' must be a number")],
    )
    def test_wait_for_checks_arguments(self, count: int, timeout: float, message: str) -> None:
        """Bad wait_for arguments are refused, naming the argument."""
        with pytest.raises(ValueError, match=message):
            Outbox().wait_for(count, timeout=timeout)
