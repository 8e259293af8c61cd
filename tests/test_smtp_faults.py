"""Injected failures: per stage, times/after/match, delays that stop() ends, presets, the record."""

from __future__ import annotations

import re
import smtplib
import threading
from collections.abc import Iterator

import pytest

from localserver import SMTPServer
from localserver._smtp.faults import InjectedFault
from tests._smtp_client import TIMEOUT, RawClient

MESSAGE = b"Subject: f\r\n\r\nbody\r\n"


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def send(server: SMTPServer, rcpts: list[str] | None = None) -> dict[str, tuple[int, bytes]]:
    with server.client() as client:
        return client.sendmail("a@example.com", rcpts or ["b@example.com"], MESSAGE)


class TestStages:
    def test_rcpt_reject_is_smtplib_recipients_refused(self, server: SMTPServer) -> None:
        """A refused sole recipient surfaces as smtplib.SMTPRecipientsRefused with the code."""
        server.faults.add("rcpt", 550, match="bad@")
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            send(server, ["bad@example.com"])
        assert info.value.recipients["bad@example.com"][0] == 550
        assert len(server.outbox) == 0

    def test_rcpt_partial_reject(self, server: SMTPServer) -> None:
        """Only the matching recipient is refused; the mail goes to the others."""
        server.faults.reject_recipient("bad@")
        refused = send(server, ["good@example.com", "bad@example.com"])
        assert list(refused) == ["bad@example.com"]
        assert refused["bad@example.com"] == (550, b"5.1.1 Mailbox unavailable")
        assert server.outbox[0].rcpt_tos == ["good@example.com"]

    def test_mail_stage_is_sender_refused(self, server: SMTPServer) -> None:
        """A MAIL fault surfaces as smtplib.SMTPSenderRefused."""
        server.faults.add(
            "mail", "553 5.1.8 Sender domain unknown", match=re.compile(r"@example\.com$")
        )
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            send(server)
        assert (info.value.smtp_code, info.value.smtp_error) == (
            553,
            b"5.1.8 Sender domain unknown",
        )

    def test_data_stage(self, server: SMTPServer) -> None:
        """A DATA fault replaces the 354 and surfaces as smtplib.SMTPDataError."""
        server.faults.add("data", 451)
        with pytest.raises(smtplib.SMTPDataError) as info:
            send(server)
        assert info.value.smtp_code == 451
        assert len(server.outbox) == 0

    def test_data_end_refuses_after_the_data(self, server: SMTPServer) -> None:
        """A data_end fault refuses the mail after the final dot; it is not kept."""
        server.faults.add("data_end", 552, match="Subject: f")
        with pytest.raises(smtplib.SMTPDataError) as info:
            send(server)
        assert info.value.smtp_code == 552
        assert len(server.outbox) == 0

    def test_data_end_with_2xx_keeps_the_mail(self, server: SMTPServer) -> None:
        """A 2xx data_end reply is a custom acceptance: the mail is kept."""
        server.faults.add("data_end", "250 2.0.0 queued as X1")
        with server.client() as client:
            client.ehlo()
            client.mail("a@example.com")
            client.rcpt("b@example.com")
            assert client.data(MESSAGE) == (250, b"2.0.0 queued as X1")
        assert len(server.outbox) == 1

    def test_ehlo_stage(self, server: SMTPServer) -> None:
        """An EHLO fault makes smtplib fall back to HELO, which the same rule may hit."""
        server.faults.add("ehlo", 554, times=2)
        with server.client() as client, pytest.raises(smtplib.SMTPHeloError):
            client.ehlo_or_helo_if_needed()

    def test_greeting_reply_closes(self, server: SMTPServer) -> None:
        """A 554 greeting is smtplib.SMTPConnectError; the connection is closed."""
        server.faults.add("greeting", "554 5.3.2 No service today")
        with pytest.raises(smtplib.SMTPConnectError) as info:
            smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=TIMEOUT)
        assert info.value.smtp_code == 554

    def test_connect_disconnect(self, server: SMTPServer) -> None:
        """A connect fault drops the connection before the banner."""
        server.faults.disconnect("connect")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=TIMEOUT)
        send(server)  # times=1: the next connection is served
        assert len(server.outbox) == 1

    def test_auth_stage(self) -> None:
        """An AUTH fault answers the login and records a failed attempt."""
        with SMTPServer(auth="any") as server:
            server.faults.add("auth", "454 4.7.0 Try later", match="carol")
            with server.client() as client, pytest.raises(smtplib.SMTPAuthenticationError) as info:
                client.login("carol", "pw")
            assert info.value.smtp_code == 454
            assert not server.auth_attempts[0].success
            with server.client() as client:
                assert client.login("dave", "pw")[0] == 235

    def test_disconnect_after_reply(self, server: SMTPServer) -> None:
        """reply plus disconnect sends the reply, then closes."""
        server.faults.add("rcpt", 451, disconnect=True)
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            client.command("MAIL FROM:<a@example.com>")
            assert client.command("RCPT TO:<b@example.com>")[0] == 451
            assert client.closed()

    def test_421_closes(self, server: SMTPServer) -> None:
        """A 421 reply closes the connection, as 421 means."""
        server.faults.add("mail", 421)
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command("MAIL FROM:<a@example.com>")[0] == 421
            assert client.closed()

    def test_silent_disconnect_mid_session(self, server: SMTPServer) -> None:
        """disconnect without a reply drops the line: smtplib.SMTPServerDisconnected."""
        server.faults.disconnect("data")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send(server)
        assert len(server.outbox) == 0


class TestCounting:
    def test_times_fail_once_then_succeed(self, server: SMTPServer) -> None:
        """temporary_failure fails once, then the retry succeeds; the rule then goes away."""
        rule = server.faults.temporary_failure("mail")
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            send(server)
        assert info.value.smtp_code == 451
        send(server)
        assert len(server.outbox) == 1
        assert rule.hits == 1
        assert server.faults.rules == []

    def test_times_none_is_for_ever(self, server: SMTPServer) -> None:
        """times=None (the default) fires every time."""
        rule = server.faults.add("rcpt", 550)
        for _ in range(3):
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                send(server)
        assert rule.hits == 3

    def test_rate_limit_after_n(self, server: SMTPServer) -> None:
        """rate_limit(after=2) lets two mails through, then answers 421."""
        server.faults.rate_limit(after=2)
        with server.client() as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            with pytest.raises(smtplib.SMTPSenderRefused) as info:
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert info.value.smtp_code == 421
        assert len(server.outbox) == 2

    def test_match_callable(self, server: SMTPServer) -> None:
        """A callable match gets the argument (here the recipient)."""
        seen: list[str] = []

        def match(address: str) -> bool:
            seen.append(address)
            return address.startswith("x")

        server.faults.add("rcpt", 550, match=match)
        refused = send(server, ["xa@example.com", "ya@example.com"])
        assert list(refused) == ["xa@example.com"]
        assert seen == ["xa@example.com", "ya@example.com"]

    def test_probability_with_seed_repeats(self, server: SMTPServer) -> None:
        """A seeded probability picks the same recipients on every run."""

        def run() -> list[str]:
            server.faults.clear()
            server.faults.seed(7)
            server.faults.add("rcpt", 550, probability=0.5)
            rcpts = [f"r{i}@example.com" for i in range(20)]
            with server.client() as client:
                client.ehlo()
                client.mail("a@example.com")
                refused = [r for r in rcpts if client.rcpt(r)[0] == 550]
                client.rset()
            return refused

        first, second = run(), run()
        assert first == second
        assert 0 < len(first) < 20

    def test_context_manager_removes_rule(self, server: SMTPServer) -> None:
        """with server.faults.add(...): the rule applies inside the block only."""
        with server.faults.add("rcpt", 550), pytest.raises(smtplib.SMTPRecipientsRefused):
            send(server)
        send(server)
        assert len(server.outbox) == 1


class TestDelays:
    def test_delay_then_normal_reply(self, server: SMTPServer) -> None:
        """A delay without a reply holds the answer back, then carries on normally."""
        server.faults.add("rcpt", delay=0.05)
        send(server)
        assert len(server.outbox) == 1
        assert server.faults.injected[0].delay == 0.05

    def test_delay_trips_client_timeout(self, server: SMTPServer) -> None:
        """A delay longer than the client's timeout makes smtplib time out."""
        server.faults.add("mail", delay=30)
        with smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=0.2) as client:
            client.ehlo()
            with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
                client.mail("a@example.com")

    def test_stop_ends_a_pending_delay(self) -> None:
        """stop() ends a delay at once: the connection closes and its thread ends."""
        server = SMTPServer().start()
        server.faults.add("greeting", delay=60)
        prefix = f"localserver:{server.port}:worker"
        with RawClient(server.addr, greet=False) as client:
            assert server.faults.injected.wait_count(lambda fault: True, 1, TIMEOUT) == 1
            [session] = [t for t in threading.enumerate() if t.name.startswith(prefix)]
            server.stop()
            assert client.closed()
        session.join(TIMEOUT)  # bounded: a delay stop() missed would last 60 s
        assert not session.is_alive()

    def test_slow_link_still_delivers(self, server: SMTPServer) -> None:
        """slow_link throttles the connection; the mail still arrives whole."""
        server.faults.slow_link(bytes_per_second=50_000)
        send(server)
        assert server.outbox[0].raw == MESSAGE
        assert server.faults.injected[0].stage == "connect"


class TestRecord:
    def test_every_fault_is_recorded(self, server: SMTPServer) -> None:
        """Each fault that fires is in faults.injected with stage, argument and reply."""
        server.faults.reject_recipient("bad@")
        send(server, ["ok@example.com", "bad@example.com"])
        [fault] = server.faults.injected
        assert isinstance(fault, InjectedFault)
        assert (fault.stage, fault.argument, fault.reply) == (
            "rcpt",
            "bad@example.com",
            "550 5.1.1 Mailbox unavailable",
        )
        assert fault.connection_id > 0

    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            (("helo", 550), {}, "'stage' must be one of"),
            (("rcpt", 600), {}, "'reply' code must be between 200 and 599"),
            (("rcpt", "550\r\nX"), {}, "'reply' must be a code"),
            (("connect", 554), {}, "'connect' faults cannot reply"),
            (("rcpt",), {"times": 0}, "'times' must be 1 or more or None"),
            (("rcpt",), {"after": -1}, "'after' must be 0 or more"),
            (("rcpt",), {"delay": -1}, "'delay' must be a number of seconds, 0 or more"),
            (("rcpt",), {"probability": 2}, "'probability' must be a number from 0 to 1"),
            (("rcpt",), {"match": 5}, "'match' must be a str"),
            (("rcpt",), {"bytes_per_second": 10}, "'bytes_per_second' needs stage='connect'"),
        ],
    )
    def test_bad_rules(self, server: SMTPServer, args: tuple, kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
        """Bad rules are refused when added, naming the argument."""
        with pytest.raises((TypeError, ValueError), match=message):
            server.faults.add(*args, **kwargs)
