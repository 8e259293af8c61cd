"""SMTP AUTH: PLAIN and LOGIN, the auth modes, TLS rules and the record of attempts."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator

import pytest

from localserver import SMTPServer
from localserver._smtp.auth import AuthAttempt
from tests._smtp_client import RawClient

MESSAGE = b"Subject: auth\r\n\r\nbody\r\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plain(user: str, password: str) -> str:
    """The PLAIN initial response for *user* and *password*."""
    return b64(f"\0{user}\0{password}")


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(auth={"alice": "secret"}) as server:
        yield server


class TestMechanisms:
    def test_auth_is_off_by_default(self) -> None:
        """Without auth= the server offers no AUTH and smtplib's login fails."""
        with SMTPServer() as server, server.client() as client:
            client.ehlo()
            assert not client.has_extn("auth")
            with pytest.raises(smtplib.SMTPNotSupportedError):
                client.login("alice", "secret")

    def test_ehlo_offers_plain_and_login(self, server: SMTPServer) -> None:
        """AUTH PLAIN LOGIN is offered in plain text by default."""
        with server.client() as client:
            client.ehlo()
            assert client.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]

    def test_plain_login_with_smtplib(self, server: SMTPServer) -> None:
        """smtplib.login (PLAIN) succeeds and the mail records the user."""
        with server.client() as client:
            assert client.login("alice", "secret")[0] == 235
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert server.outbox[0].auth_user == "alice"
        assert list(server.auth_attempts) == [
            AuthAttempt("PLAIN", "alice", True, server.outbox[0].connection_id)
        ]

    def test_login_mechanism_with_smtplib(self, server: SMTPServer) -> None:
        """The LOGIN mechanism works with smtplib's auth_login."""
        with server.client() as client:
            client.ehlo()
            client.user, client.password = "alice", "secret"
            code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
            assert code == 235
        assert server.auth_attempts[0].mechanism == "LOGIN"

    def test_login_with_initial_response(self, server: SMTPServer) -> None:
        """AUTH LOGIN with the user name on the command line asks only for the password."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command(f"AUTH LOGIN {b64('alice')}") == (334, b64("Password:"))
            assert client.command(b64("secret"))[0] == 235

    def test_plain_with_challenge(self, server: SMTPServer) -> None:
        """AUTH PLAIN without an initial response gets an empty 334 challenge."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command("AUTH PLAIN")[0] == 334
            assert client.command(plain("alice", "secret").split()[-1])[0] == 235

    def test_non_ascii_credentials(self) -> None:
        """User names and passwords are UTF-8 (smtplib sends ASCII only)."""
        with SMTPServer(auth={"zoë": "pässword"}) as server, RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command(f"AUTH PLAIN {plain('zoë', 'pässword')}")[0] == 235
        assert server.auth_attempts[0].user == "zoë"


class TestFailures:
    def test_wrong_password_is_535_at_once(self, server: SMTPServer) -> None:
        """A failed login gets 535 5.7.8 right away (never silence)."""
        with server.client() as client:
            with pytest.raises(smtplib.SMTPAuthenticationError) as info:
                client.login("alice", "wrong")
            assert info.value.smtp_code == 535
            assert b"5.7.8" in info.value.smtp_error
        # smtplib tries each offered mechanism in turn
        assert [(a.mechanism, a.user, a.success) for a in server.auth_attempts] == [
            ("PLAIN", "alice", False),
            ("LOGIN", "alice", False),
        ]

    def test_password_is_never_recorded(self, server: SMTPServer) -> None:
        """No attempt record holds the password."""
        with server.client() as client, pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("alice", "hunter2-wrong")
        assert "hunter2" not in repr(list(server.auth_attempts))

    def test_retry_after_failure(self, server: SMTPServer) -> None:
        """After a failure the client may try again on the same connection."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command(f"AUTH PLAIN {plain('alice', 'nope')}")[0] == 535
            assert client.command(f"AUTH PLAIN {plain('alice', 'secret')}")[0] == 235
            assert client.command(f"AUTH PLAIN {plain('alice', 'secret')}")[0] == 503

    @pytest.mark.parametrize(
        ("line", "code"),
        [
            ("AUTH", 501),
            ("AUTH CRAM-MD5", 504),
            ("AUTH PLAIN !!!notbase64", 501),
            (f"AUTH PLAIN {b64('no-nul-bytes')}", 501),
            ("AUTH PLAIN a b c", 501),
        ],
    )
    def test_malformed_auth(self, server: SMTPServer, line: str, code: int) -> None:
        """Malformed AUTH commands get their 5xx reply and the session goes on."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command(line)[0] == code
            assert client.command("NOOP")[0] == 250

    def test_cancelled_exchange(self, server: SMTPServer) -> None:
        """'*' cancels an exchange with 501."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            assert client.command("AUTH LOGIN")[0] == 334
            assert client.command("*")[0] == 501
        assert len(server.auth_attempts) == 0

    def test_auth_needs_ehlo(self, server: SMTPServer) -> None:
        """AUTH before EHLO, or after HELO, gets 503."""
        with RawClient(server.addr) as client:
            assert client.command(f"AUTH PLAIN {plain('alice', 'secret')}")[0] == 503
            client.command("HELO c")
            assert client.command(f"AUTH PLAIN {plain('alice', 'secret')}")[0] == 503

    def test_auth_in_transaction(self, server: SMTPServer) -> None:
        """AUTH inside a mail transaction gets 503."""
        with RawClient(server.addr) as client:
            client.command("EHLO c")
            client.command("MAIL FROM:<a@example.com>")
            assert client.command(f"AUTH PLAIN {plain('alice', 'secret')}")[0] == 503

    def test_checker_exception_is_reported(self) -> None:
        """A callable that raises gets the client a 454 and surfaces at stop()."""
        from localserver import ServerThreadError

        def broken(mechanism: str, user: str, password: str) -> bool:
            raise RuntimeError("checker bug")

        server = SMTPServer(auth=broken).start()
        try:
            with server.client() as client, pytest.raises(smtplib.SMTPAuthenticationError) as info:
                client.login("alice", "secret")
            assert info.value.smtp_code == 454
        finally:
            with pytest.raises(ServerThreadError, match="checker bug"):
                server.stop()


class TestModes:
    def test_any_accepts_everything(self) -> None:
        """auth='any' accepts any user name and password."""
        with SMTPServer(auth="any") as server, server.client() as client:
            assert client.login("whoever", "whatever")[0] == 235

    def test_callable_decides(self) -> None:
        """A callable gets (mechanism, user, password) and decides."""
        seen = []

        def check(mechanism: str, user: str, password: str) -> bool:
            seen.append((mechanism, user, password))
            return password == user[::-1]

        with SMTPServer(auth=check) as server:
            with server.client() as client:
                assert client.login("abc", "cba")[0] == 235
            with server.client() as client, pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("abc", "abc")
        assert seen[:2] == [("PLAIN", "abc", "cba"), ("PLAIN", "abc", "abc")]

    def test_require_auth(self) -> None:
        """require_auth answers MAIL with 530 until a login succeeds."""
        with SMTPServer(auth="any", require_auth=True) as server, server.client() as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as info:
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            assert info.value.smtp_code == 530
            client.login("u", "p")
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert len(server.outbox) == 1

    def test_auth_require_tls_hides_auth_in_plain_text(self) -> None:
        """auth_require_tls: no AUTH offered before STARTTLS, and AUTH gets 538."""
        server = SMTPServer(auth="any", starttls=True, auth_require_tls=True)
        with server, RawClient(server.addr) as client:
            code, text = client.command("EHLO c")
            assert code == 250
            assert "AUTH" not in text
            assert client.command(f"AUTH PLAIN {plain('u', 'p')}")[0] == 538

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"auth": "some"}, "'auth' must be None, 'any'"),
            ({"auth": {"u": 1}}, "'auth' must map str user names"),
            ({"require_auth": True}, "'require_auth' needs 'auth'"),
            ({"auth": "any", "auth_require_tls": True}, "'auth_require_tls' needs TLS"),
        ],
    )
    def test_bad_options(self, options: dict[str, object], message: str) -> None:
        """Bad AUTH options are refused with a message naming the option."""
        with pytest.raises((TypeError, ValueError), match=message):
            SMTPServer(**options)  # type: ignore[arg-type]
