"""The message after DATA: dot-unstuffing, size and line limits, bare LF and smuggling."""

from __future__ import annotations

import smtplib
import socket
import struct
from collections.abc import Iterator

import pytest

from localserver import SMTPServer
from tests._smtp_client import RawClient


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def start_data(client: RawClient, *rcpts: str) -> None:
    """Run EHLO, MAIL and RCPT, and DATA up to the 354."""
    assert client.command("EHLO client")[0] == 250
    assert client.command("MAIL FROM:<a@example.com>")[0] == 250
    for rcpt in rcpts or ("b@example.com",):
        assert client.command(f"RCPT TO:<{rcpt}>")[0] == 250
    assert client.command("DATA")[0] == 354


def send_raw_mail(server: SMTPServer, data: bytes) -> tuple[int, str]:
    """Send *data* (which must end the data itself) and return the reply."""
    with RawClient(server.addr) as client:
        start_data(client)
        client.send(data)
        return client.reply()


class TestDotStuffing:
    def test_leading_dots_are_unstuffed(self, server: SMTPServer) -> None:
        """A doubled leading dot arrives as one; smtplib's stuffing round-trips."""
        body = b"Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nno\r\n"
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], body)
        assert server.outbox[0].raw == body

    def test_unstuffing_on_the_wire(self, server: SMTPServer) -> None:
        """'..x' on the wire is '.x' in the mail; '.' ends the data only alone."""
        code, _ = send_raw_mail(server, b"a\r\n..x\r\n...\r\n.\r\n")
        assert code == 250
        assert server.outbox[0].raw == b"a\r\n.x\r\n..\r\n"

    def test_empty_message(self, server: SMTPServer) -> None:
        """An empty message is kept, as empty bytes."""
        assert send_raw_mail(server, b".\r\n")[0] == 250
        assert server.outbox[0].raw == b""

    def test_data_in_many_small_writes(self, server: SMTPServer) -> None:
        """The end marker is found even when it is split across writes."""
        with RawClient(server.addr) as client:
            start_data(client)
            for piece in (b"Subject: s\r\n\r\nbody\r", b"\n", b".", b"\r", b"\n"):
                client.send(piece)
            assert client.reply()[0] == 250
        assert server.outbox[0].raw == b"Subject: s\r\n\r\nbody\r\n"


class TestBareLineEnds:
    """RFC 5321 section 2.3.8: only CRLF ends a line."""

    @pytest.mark.parametrize(
        "data",
        [
            b"Subject: lf\n\nbody\r\n.\r\n",
            b"Subject: cr\r\n\r\nbo\rdy\r\n.\r\n",
            b"body\r\n.\nstill data\r\n.\r\n",
        ],
    )
    def test_bare_lf_or_cr_is_refused(self, server: SMTPServer, data: bytes) -> None:
        """A message holding a bare LF or CR is refused with 554 and not kept."""
        code, text = send_raw_mail(server, data)
        assert code == 554
        assert "bare LF or CR" in text
        assert len(server.outbox) == 0

    def test_smuggled_mail_is_not_a_second_mail(self, server: SMTPServer) -> None:
        """<LF>.<CRLF> does not end the data: the hidden commands stay inside it."""
        smuggled = (
            b"Subject: first\r\n\r\nhello\n.\r\n"
            b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nboo\r\n.\r\n"
        )
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(smuggled)
            code, _ = client.reply()
            assert code == 554
            assert client.command("NOOP")[0] == 250  # the session is in step
        assert len(server.outbox) == 0

    def test_smuggling_with_bare_cr_terminator(self, server: SMTPServer) -> None:
        """<CR>.<CR> is no end of data either."""
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(b"x\r.\rMAIL FROM:<e@example.com>\r\n.\r\n")
            assert client.reply()[0] == 554
            assert client.command("NOOP")[0] == 250
        assert len(server.outbox) == 0

    def test_accept_mode_keeps_bytes(self) -> None:
        """bare_lf='accept' keeps the message byte for byte, still ending only at CRLF.CRLF."""
        with SMTPServer(bare_lf="accept") as server:
            data = b"Subject: lf\n\nline one\nline\rtwo\n.\r\nmore\r\n.\r\n"
            assert send_raw_mail(server, data)[0] == 250
            [mail] = server.outbox
            assert mail.raw == b"Subject: lf\n\nline one\nline\rtwo\n.\r\nmore\r\n"
            assert mail["Subject"] == "lf"

    def test_bare_lf_option_is_checked(self) -> None:
        """bare_lf must be 'reject' or 'accept'."""
        with pytest.raises(ValueError, match="'bare_lf' must be one of 'reject', 'accept'"):
            SMTPServer(bare_lf="strip")


class TestLimits:
    def test_oversized_message(self) -> None:
        """A message over max_message_size gets 552 5.3.4 after the data and is not kept."""
        with SMTPServer(max_message_size=1000) as server:
            with server.client() as client:
                client.helo()  # HELO: smtplib then declares no SIZE up front
                with pytest.raises(smtplib.SMTPDataError) as info:
                    client.sendmail("a@example.com", ["b@example.com"], b"x" * 900 + b"\r\n" * 60)
                assert info.value.smtp_code == 552
                # the session stays usable
                client.sendmail("a@example.com", ["b@example.com"], b"small\r\n")
            assert [mail.raw for mail in server.outbox] == [b"small\r\n"]

    def test_message_at_the_limit_is_kept(self) -> None:
        """A message of exactly max_message_size octets is accepted."""
        with SMTPServer(max_message_size=100) as server:
            data = b"y" * 98 + b"\r\n"
            assert send_raw_mail(server, data + b".\r\n")[0] == 250
            assert server.outbox[0].raw == data

    def test_overlong_data_line(self, server: SMTPServer) -> None:
        """A data line over 1000 octets refuses the message with 554 and keeps the session."""
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(b"x" * 1001 + b"\r\n.\r\n")
            code, text = client.reply()
            assert code == 554
            assert "longer than 1000" in text
            assert client.command("NOOP")[0] == 250
        assert len(server.outbox) == 0

    def test_data_line_of_exactly_1000_octets(self, server: SMTPServer) -> None:
        """A data line of 998 octets plus CRLF is accepted."""
        line = b"z" * 998 + b"\r\n"
        assert send_raw_mail(server, line + b".\r\n")[0] == 250
        assert server.outbox[0].raw == line

    def test_overlong_line_then_dot_is_not_an_end(self, server: SMTPServer) -> None:
        """The tail of an overlong line ending in bare LF does not start a new line."""
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(b"x" * 2000 + b"\n.\r\nNOOP\r\n.\r\n")
            assert client.reply()[0] == 554
            assert client.command("NOOP")[0] == 250
        assert len(server.outbox) == 0


class TestVanishingClients:
    def test_client_gone_mid_data(self, server: SMTPServer) -> None:
        """A client that closes in mid-DATA leaves no partial mail behind."""
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(b"Subject: cut\r\n\r\nhalf a mess")
        with RawClient(server.addr) as client:
            start_data(client)
            client.send(b"whole\r\n.\r\n")
            assert client.reply()[0] == 250
        assert [mail.raw for mail in server.outbox] == [b"whole\r\n"]

    def test_client_reset_mid_data(self, server: SMTPServer) -> None:
        """A connection reset in mid-DATA leaves no mail and no server error."""
        client = RawClient(server.addr)
        start_data(client)
        client.send(b"Subject: reset\r\n\r\nbody\r\n")
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        with server.client() as smtp:
            assert smtp.noop()[0] == 250
        assert len(server.outbox) == 0
