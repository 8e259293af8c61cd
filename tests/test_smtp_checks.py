"""The mail checks of SMTPServer: assert_mail_sent, assert_no_mail_sent, assert_mail_count."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from localserver import CheckError, MailAssertionError, ReceivedMail, SMTPServer
from localserver._smtp.checks import MailCriteria

from .conftest import TIMEOUT


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


def message(
    to: str = "ada@example.com",
    subject: str = "Welcome",
    body: str = "Hello Ada",
    sender: str = "Shop <shop@example.com>",
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


def send(server: SMTPServer, *mails: EmailMessage, **kwargs: object) -> None:
    with server.client(timeout=TIMEOUT) as client:
        for mail in mails:
            client.send_message(mail, **kwargs)  # type: ignore[arg-type]


class TestAssertMailSent:
    def test_returns_the_matching_mails(self, server: SMTPServer) -> None:
        """Every criterion given must agree; the matches come back oldest first."""
        send(server, message(), message(subject="Invoice"), message(to="bob@example.com"))
        found = server.assert_mail_sent(
            to="ada@example.com", from_="shop@example.com", subject="Welcome", body_contains="Ada"
        )
        assert [mail["To"] for mail in found] == ["ada@example.com"]
        assert all(isinstance(mail, ReceivedMail) for mail in found)
        assert len(server.assert_mail_sent(subject=re.compile("^Inv"))) == 1
        assert len(server.assert_mail_sent(to=["ADA@example.com"])) == 2

    def test_failure_is_a_mail_assertion_error(self, server: SMTPServer) -> None:
        """A failure raises MailAssertionError, an AssertionError and a CheckError."""
        send(server, message(subject="Welcom"))
        with pytest.raises(MailAssertionError) as caught:
            server.assert_mail_sent(subject="Welcome")
        assert isinstance(caught.value, AssertionError)
        assert isinstance(caught.value, CheckError)

    def test_report_ranks_the_closest_mails(self, server: SMTPServer) -> None:
        """The report names the criteria, then the closest mails with their fields."""
        send(server, message(to="bob@example.com", subject="Invoice"), message(subject="Welcom"))
        with pytest.raises(MailAssertionError) as caught:
            server.assert_mail_sent(to="ada@example.com", subject="Welcome")
        text = str(caught.value)
        assert text.startswith(
            "expected at least 1 mail matching to=['ada@example.com'], subject='Welcome'; found 0."
        )
        assert "Closest mails received (2 of 2), best first:" in text
        assert text.index("1. from shop@example.com to ada@") < text.index("2. from")
        assert "[1 of 2 agree]" in text
        assert re.search(r">> subject +Welcome +Welcom", text)
        assert "not a recipient: ada@example.com" in text

    def test_report_when_nothing_arrived(self, server: SMTPServer) -> None:
        """With an empty outbox, the report says where the server listens."""
        with pytest.raises(MailAssertionError) as caught:
            server.assert_mail_sent(to="ada@example.com")
        text = str(caught.value)
        assert "received no mail at all" in text
        assert f"{server.host}:{server.port}" in text

    def test_count_is_exact(self, server: SMTPServer) -> None:
        """count=N wants exactly N matching mails; the report says how many there were."""
        send(server, message(), message())
        assert len(server.assert_mail_sent(subject="Welcome", count=2)) == 2
        assert server.assert_mail_sent(subject="Other", count=0) == []
        with pytest.raises(MailAssertionError, match=r"expected 1 mail\(s\) matching"):
            server.assert_mail_sent(subject="Welcome", count=1)

    def test_bcc_and_envelope_sender(self, server: SMTPServer) -> None:
        """to= reads the envelope (Bcc too); from_= takes the header or the envelope sender."""
        send(
            server,
            message(),
            to_addrs=["ada@example.com", "audit@example.com"],
            from_addr="bounces@example.com",
        )
        server.assert_mail_sent(to=["ada@example.com", "audit@example.com"])
        server.assert_mail_sent(from_="bounces@example.com")
        server.assert_mail_sent(from_="shop@example.com")

    @pytest.mark.parametrize(
        ("kwargs", "error", "text"),
        [
            ({"to": [1]}, TypeError, "'to' must be a str"),
            ({"subject": 1}, TypeError, "'subject' must be a str or a re.compile"),
            ({"from_": b"x"}, TypeError, "'from_' must be a str"),
            ({"count": -1}, ValueError, "'count' must be 0 or more or None"),
            ({"timeout": -1}, ValueError, "'timeout' must be a number of seconds"),
        ],
    )
    def test_arguments_are_checked(
        self, server: SMTPServer, kwargs: dict[str, object], error: type, text: str
    ) -> None:
        """Bad arguments raise TypeError or ValueError naming the argument."""
        with pytest.raises(error, match=text):
            server.assert_mail_sent(**kwargs)  # type: ignore[arg-type]


class TestAssertNoMailSent:
    def test_no_mail_at_all(self, server: SMTPServer) -> None:
        """Bare, it passes on an empty outbox and fails listing any mail."""
        server.assert_no_mail_sent()
        send(server, message())
        with pytest.raises(MailAssertionError) as caught:
            server.assert_no_mail_sent()
        assert str(caught.value) == (
            "expected no mail; found 1:\n  from shop@example.com to ada@example.com: 'Welcome'"
        )

    def test_no_mail_like_this(self, server: SMTPServer) -> None:
        """With criteria, only matching mail fails it."""
        send(server, message())
        server.assert_no_mail_sent(to="bob@example.com")
        with pytest.raises(MailAssertionError, match="expected no mail matching subject='Welcome'"):
            server.assert_no_mail_sent(subject="Welcome")


class TestAssertMailCount:
    def test_exact_count(self, server: SMTPServer) -> None:
        """It returns every mail when the count is right, and lists them when not."""
        server.assert_mail_count(0)
        send(server, message(subject="One"), message(subject="Two"))
        assert [m.subject for m in server.assert_mail_count(2)] == ["One", "Two"]
        with pytest.raises(MailAssertionError) as caught:
            server.assert_mail_count(3)
        text = str(caught.value)
        assert text.startswith("expected 3 mail(s); found 2.")
        assert "2 mail(s) arrived:" in text
        assert "'Two'" in text

    def test_count_must_be_an_int(self, server: SMTPServer) -> None:
        """count is required and checked."""
        with pytest.raises(TypeError, match="'count' must be an int of 0 or more"):
            server.assert_mail_count(None)  # type: ignore[arg-type]


class TestWaiting:
    def sender(self, server: SMTPServer, *mails: EmailMessage) -> threading.Event:
        """A thread that sends *mails* once the returned event is set."""
        go = threading.Event()

        def run() -> None:
            if go.wait(TIMEOUT):
                send(server, *mails)

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)
        return go

    @pytest.fixture(autouse=True)
    def _join(self, server: SMTPServer) -> Iterator[None]:
        # Taking the server makes this end first: the senders finish their sessions
        # (the last 250 and QUIT come after the wait saw the mail) before it stops.
        self.threads: list[threading.Thread] = []
        yield
        for thread in self.threads:
            thread.join(TIMEOUT)
            assert not thread.is_alive(), "a sender thread did not finish"

    def test_mail_sent_waits_for_mail_from_another_thread(self, server: SMTPServer) -> None:
        """timeout= waits until a matching mail arrives."""
        go = self.sender(server, message(subject="Other"), message(subject="Later"))
        go.set()
        [mail] = server.assert_mail_sent(subject="Later", timeout=TIMEOUT)
        assert mail.subject == "Later"

    def test_count_waits(self, server: SMTPServer) -> None:
        """assert_mail_count(timeout=) waits for the count."""
        go = self.sender(server, message(), message())
        go.set()
        assert len(server.assert_mail_count(2, timeout=TIMEOUT)) == 2

    def test_timeout_is_reported(self, server: SMTPServer) -> None:
        """A wait that ends without the mail says how long it waited."""
        with pytest.raises(MailAssertionError, match=r"found 0 after waiting 0.01 s"):
            server.assert_mail_sent(subject="Never", timeout=0.01)
        with pytest.raises(MailAssertionError, match=r"found 0 after waiting 0.01 s"):
            server.assert_mail_count(1, timeout=0.01)

    def test_each_arrival_is_looked_at_once(
        self, server: SMTPServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A wait examines each mail once as it arrives (O(1) per mail), then once to report."""
        looked: list[ReceivedMail] = []
        match = MailCriteria.match

        def counting(criteria: MailCriteria, mail: ReceivedMail) -> bool:
            looked.append(mail)
            return match(criteria, mail)

        monkeypatch.setattr(MailCriteria, "match", counting)
        mails = [message(subject=f"Mail {n}") for n in range(30)]
        go = self.sender(server, *mails)
        go.set()
        found = server.assert_mail_sent(subject=re.compile("Mail"), count=30, timeout=TIMEOUT)
        assert len(found) == 30
        # once while waiting, once for the result: never once per mail per arrival
        assert len(looked) == 60
