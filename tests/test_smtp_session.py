"""The SMTP conversation: greeting, EHLO, the mail transaction, sequence and syntax errors."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest

from localserver import SMTPServer
from tests._smtp_client import RawClient

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def raw(server: SMTPServer) -> Iterator[RawClient]:
    with RawClient(server.addr) as client:
        yield client


class TestGreeting:
    def test_banner_names_localhost(self, server: SMTPServer) -> None:
        """The banner is 220 and names the server "localhost", never a looked-up name."""
        with RawClient(server.addr, greet=False) as client:
            code, text = client.reply()
        assert code == 220
        assert text.split()[0] == "localhost"

    def test_hostname_option_changes_banner_and_ehlo(self) -> None:
        """hostname= is the name in the banner and the EHLO reply."""
        with SMTPServer(hostname="mx.test") as server, server.client() as client:
            code, text = client.ehlo()
        assert code == 250
        assert text.decode().splitlines()[0] == "mx.test"

    def test_ehlo_lists_extensions(self, server: SMTPServer) -> None:
        """EHLO offers SIZE, 8BITMIME, SMTPUTF8, PIPELINING, ENHANCEDSTATUSCODES."""
        with server.client() as client:
            client.ehlo()
            for name in ("8bitmime", "smtputf8", "pipelining", "enhancedstatuscodes"):
                assert client.has_extn(name), name
            assert client.esmtp_features["size"] == str(32 * 1024 * 1024)
            assert not client.has_extn("starttls")
            assert not client.has_extn("auth")

    def test_unlimited_size_is_advertised_without_number(self) -> None:
        """max_message_size=None advertises a bare SIZE."""
        with SMTPServer(max_message_size=None) as server, server.client() as client:
            client.ehlo()
            assert client.esmtp_features["size"] == ""

    def test_helo_is_accepted(self, raw: RawClient) -> None:
        """HELO gets a one-line 250 and allows a transaction."""
        assert raw.command("HELO client.test") == (250, "localhost")
        assert raw.command("MAIL FROM:<a@example.com>")[0] == 250

    def test_helo_needs_a_name(self, raw: RawClient) -> None:
        """HELO and EHLO without a name get 501."""
        assert raw.command("HELO")[0] == 501
        assert raw.command("EHLO")[0] == 501

    def test_helo_name_is_recorded(self, server: SMTPServer) -> None:
        """The mail carries the EHLO name the client gave."""
        with smtplib.SMTP(*server.addr, local_hostname="sender.test", timeout=5) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert server.outbox[0].helo == "sender.test"
        assert server.outbox[0].esmtp is True


class TestTransaction:
    def test_sendmail_lands_in_outbox(self, server: SMTPServer) -> None:
        """A mail sent with smtplib is in the outbox with its envelope."""
        with server.client() as client:
            refused = client.sendmail("a@example.com", ["b@example.com", "c@example.com"], MESSAGE)
        assert refused == {}
        [mail] = server.outbox
        assert mail.mail_from == "a@example.com"
        assert mail.rcpt_tos == ["b@example.com", "c@example.com"]
        assert mail.raw == MESSAGE
        assert mail["Subject"] == "hi"

    def test_null_sender_is_accepted(self, raw: RawClient) -> None:
        """MAIL FROM:<> (a bounce) is valid."""
        raw.command("EHLO c")
        assert raw.command("MAIL FROM:<>")[0] == 250

    def test_source_route_is_dropped(self, server: SMTPServer, raw: RawClient) -> None:
        """A source route in the path is ignored, as RFC 5321 says."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<@relay.test:a@example.com>")
        raw.command("RCPT TO:<@r1.test,@r2.test:b@example.com>")
        raw.command("DATA")
        assert raw.command(b"Subject: x\r\n\r\nbody\r\n.")[0] == 250
        assert server.outbox[0].mail_from == "a@example.com"
        assert server.outbox[0].rcpt_tos == ["b@example.com"]

    def test_space_after_colon_is_tolerated(self, raw: RawClient) -> None:
        """MAIL FROM: <a@b> with a space is accepted."""
        raw.command("EHLO c")
        assert raw.command("MAIL FROM: <a@example.com>")[0] == 250

    def test_postmaster_without_domain(self, raw: RawClient) -> None:
        """RCPT TO:<postmaster> is valid without a domain."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command("RCPT TO:<Postmaster>")[0] == 250

    def test_quoted_local_part(self, server: SMTPServer, raw: RawClient) -> None:
        """A quoted local part may hold spaces and a >."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command('RCPT TO:<"john >doe"@example.com>')[0] == 250
        raw.command("DATA")
        raw.command(b"x\r\n.")
        assert server.outbox[0].rcpt_tos == ['"john >doe"@example.com']

    def test_rset_clears_the_transaction(self, raw: RawClient) -> None:
        """RSET forgets sender and recipients."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command("RSET")[0] == 250
        assert raw.command("RCPT TO:<b@example.com>")[0] == 503

    def test_two_mails_on_one_connection(self, server: SMTPServer) -> None:
        """Mails sent on one connection share its connection_id and keep their order."""
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: 1\r\n\r\n1\r\n")
            client.sendmail("c@example.com", ["d@example.com"], b"Subject: 2\r\n\r\n2\r\n")
        first, second = server.outbox
        assert (first["Subject"], second["Subject"]) == ("1", "2")
        assert first.connection_id == second.connection_id
        assert second.mail_from == "c@example.com"

    def test_noop_vrfy_help_quit(self, raw: RawClient) -> None:
        """NOOP is 250, VRFY a harmless 252, HELP 214, QUIT 221 and a close."""
        assert raw.command("NOOP")[0] == 250
        assert raw.command("VRFY someone")[0] == 252
        assert raw.command("VRFY")[0] == 501
        code, text = raw.command("HELP")
        assert code == 214
        assert "MAIL" in text
        assert raw.command("QUIT")[0] == 221
        assert raw.closed()

    def test_commands_are_case_insensitive(self, raw: RawClient) -> None:
        """Verbs and FROM:/TO: are matched case-insensitively."""
        assert raw.command("ehlo c")[0] == 250
        assert raw.command("mail from:<a@example.com>")[0] == 250
        assert raw.command("rcpt to:<b@example.com>")[0] == 250


class TestSequenceErrors:
    def test_mail_before_helo(self, raw: RawClient) -> None:
        """MAIL before HELO/EHLO gets 503."""
        assert raw.command("MAIL FROM:<a@example.com>")[0] == 503

    def test_rcpt_before_mail(self, raw: RawClient) -> None:
        """RCPT before MAIL gets 503."""
        raw.command("EHLO c")
        assert raw.command("RCPT TO:<b@example.com>")[0] == 503

    def test_data_before_mail_and_before_rcpt(self, raw: RawClient) -> None:
        """DATA without MAIL is 503; without any accepted RCPT it is 554."""
        raw.command("EHLO c")
        assert raw.command("DATA")[0] == 503
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command("DATA")[0] == 554

    def test_nested_mail(self, raw: RawClient) -> None:
        """A second MAIL inside a transaction gets 503."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command("MAIL FROM:<b@example.com>")[0] == 503

    def test_ehlo_resets_the_transaction(self, raw: RawClient) -> None:
        """EHLO in mid-transaction starts over, as RSET would."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        raw.command("EHLO c")
        assert raw.command("RCPT TO:<b@example.com>")[0] == 503


class TestMalformedCommands:
    @pytest.mark.parametrize(
        ("line", "code"),
        [
            ("", 500),
            ("FROB", 500),
            ("MAIL", 501),
            ("MAIL TO:<a@example.com>", 501),
            ("MAIL FROM:a@example.com", 501),
            ("MAIL FROM:<a@example.com", 501),
            ("MAIL FROM:<a@example.com>junk", 501),
            ("MAIL FROM:<no-at-sign>", 501),
            ("MAIL FROM:<a b@example.com>", 501),
            ("MAIL FROM:<a@example.com> FROB=1", 555),
            ("MAIL FROM:<a@example.com> SIZE=ten", 501),
            ("MAIL FROM:<a@example.com> BODY=9BIT", 501),
            ("MAIL FROM:<a@example.com> SMTPUTF8=yes", 501),
            ("MAIL FROM:<a@example.com> BODY=7BIT BODY=8BITMIME", 501),
            ("DATA now", 503),
            ("RSET now", 501),
            ("STARTTLS", 502),
            ("AUTH PLAIN", 502),
        ],
    )
    def test_reply_codes(self, raw: RawClient, line: str, code: int) -> None:
        """Each malformed command gets its reply code and the session goes on."""
        raw.command("EHLO c")
        assert raw.command(line)[0] == code
        assert raw.command("NOOP")[0] == 250

    def test_bad_recipients(self, raw: RawClient) -> None:
        """An empty or malformed recipient gets 501; RCPT parameters get 555."""
        raw.command("EHLO c")
        raw.command("MAIL FROM:<a@example.com>")
        assert raw.command("RCPT TO:<>")[0] == 501
        assert raw.command("RCPT TO:<@example.com>")[0] == 501
        assert raw.command("RCPT TO:<b@example.com> NOTIFY=NEVER")[0] == 555
        assert raw.command("RCPT FROM:<b@example.com>")[0] == 501

    def test_parameters_need_ehlo(self, raw: RawClient) -> None:
        """MAIL parameters after HELO (not EHLO) get 555."""
        raw.command("HELO c")
        assert raw.command("MAIL FROM:<a@example.com> BODY=8BITMIME")[0] == 555

    def test_line_too_long(self, raw: RawClient) -> None:
        """A command line over 1000 octets gets 500 and the session goes on."""
        raw.command("EHLO c")
        assert raw.command("NOOP " + "x" * 995)[0] == 500
        assert raw.command("NOOP " + "x" * 993)[0] == 250  # 1000 with CRLF

    def test_very_long_line_is_drained(self, raw: RawClient) -> None:
        """A 1 MB line without a line end for a while is read through and refused."""
        raw.command("EHLO c")
        assert raw.command(b"NOOP " + b"y" * 1_000_000)[0] == 500
        assert raw.command("NOOP")[0] == 250

    def test_bare_lf_command_is_refused(self, raw: RawClient) -> None:
        """A command ending in a bare LF is refused with 500, not carried out."""
        raw.send(b"EHLO c\n")
        assert raw.reply()[0] == 500
        assert raw.command("MAIL FROM:<a@example.com>")[0] == 503

    def test_bare_cr_in_command_is_refused(self, raw: RawClient) -> None:
        """A bare CR inside a command line is refused with 500."""
        raw.command("EHLO c")
        assert raw.command(b"NOOP\rQUIT")[0] == 500
        assert raw.command("NOOP")[0] == 250

    def test_invalid_utf8_command(self, raw: RawClient) -> None:
        """A command that is not UTF-8 gets 500."""
        assert raw.command(b"EHLO \xff\xfe")[0] == 500

    def test_binary_garbage_keeps_server_serving(self, server: SMTPServer) -> None:
        """Random bytes on one connection leave the server serving others."""
        with RawClient(server.addr) as client:
            client.send(bytes(range(256)) * 8 + b"\r\n")
            assert client.reply()[0] == 500
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert len(server.outbox) == 1


class TestPipelining:
    def test_pipelined_transaction(self, server: SMTPServer, raw: RawClient) -> None:
        """Commands sent in one write are answered in order, one reply each."""
        raw.send(
            b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
            b"RCPT TO:<c@example.com>\r\nDATA\r\n"
        )
        assert [raw.reply()[0] for _ in range(5)] == [250, 250, 250, 250, 354]
        raw.send(b"Subject: p\r\n\r\nx\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        assert [raw.reply()[0] for _ in range(4)] == [250, 250, 250, 221]
        assert server.outbox[0].rcpt_tos == ["b@example.com", "c@example.com"]

    def test_pipelined_failure_keeps_order(self, server: SMTPServer, raw: RawClient) -> None:
        """A refused recipient in a pipeline gets its reply in its place."""
        raw.send(
            b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<>\r\n"
            b"RCPT TO:<b@example.com>\r\nDATA\r\n"
        )
        assert [raw.reply()[0] for _ in range(5)] == [250, 250, 501, 250, 354]


class TestLimits:
    def test_recipient_limit(self) -> None:
        """Recipients past max_recipients get 452 4.5.3; the accepted ones get the mail."""
        with SMTPServer(max_recipients=3) as server, server.client() as client:
            rcpts = [f"r{i}@example.com" for i in range(5)]
            refused = client.sendmail("a@example.com", rcpts, MESSAGE)
        assert set(refused) == {"r3@example.com", "r4@example.com"}
        assert refused["r3@example.com"][0] == 452
        assert server.outbox[0].rcpt_tos == rcpts[:3]

    def test_default_recipient_limit_is_100(self, server: SMTPServer) -> None:
        """The default limit takes 100 recipients and refuses the 101st."""
        with server.client() as client:
            rcpts = [f"r{i}@example.com" for i in range(101)]
            refused = client.sendmail("a@example.com", rcpts, MESSAGE)
        assert list(refused) == ["r100@example.com"]
        assert len(server.outbox[0].rcpt_tos) == 100

    def test_declared_size_over_limit(self) -> None:
        """MAIL FROM with SIZE= over the limit gets 552 before any data is sent."""
        with SMTPServer(max_message_size=100) as server, server.client() as client:
            client.ehlo()
            code, _ = client.mail("a@example.com", ["SIZE=101"])
            assert code == 552
            assert client.mail("a@example.com", ["SIZE=100"])[0] == 250

    def test_idle_timeout(self) -> None:
        """A silent client gets 421 4.4.2 and a closed connection after the timeout."""
        with SMTPServer(connection_timeout=0.2) as server, RawClient(server.addr) as client:
            code, text = client.reply()
            assert code == 421
            assert "4.4.2" in text
            assert client.closed()


class TestStop:
    def test_stop_closes_idle_sessions(self) -> None:
        """stop() ends a connected, idle session at once."""
        server = SMTPServer().start()
        client = RawClient(server.addr)
        try:
            server.stop()
            assert client.closed()
        finally:
            client.close()

    def test_restart_serves_again(self) -> None:
        """A stopped server starts again, keeping its outbox."""
        server = SMTPServer()
        for _ in range(2):
            with server, server.client() as client:
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert len(server.outbox) == 2

    def test_connection_refused_after_stop(self) -> None:
        """After stop() the port no longer accepts connections."""
        with SMTPServer() as server:
            address = server.addr
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=2).close()
