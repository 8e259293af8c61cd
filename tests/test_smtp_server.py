"""SMTPServer: options, addresses, STARTTLS and SMTPS, the outbox API, many senders at once."""

from __future__ import annotations

import ast
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localserver import ReceivedMail, SMTPServer
from tests._smtp_client import TIMEOUT, RawClient

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"


def send(server: SMTPServer, data: bytes = MESSAGE) -> None:
    with server.client() as client:
        client.sendmail("a@example.com", ["b@example.com"], data)


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


class TestOptions:
    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"hostname": "two words"}, "'hostname' must be a non-empty ASCII name"),
            ({"hostname": ""}, "'hostname' must be a non-empty ASCII name"),
            ({"max_message_size": 0}, "'max_message_size' must be 1 or more or None"),
            ({"max_recipients": None}, "'max_recipients' must be an int of 1 or more"),
            (
                {"connection_timeout": -1},
                "'connection_timeout' must be a number of seconds, more than 0",
            ),
            ({"smtps": True, "starttls": True}, "'smtps' and 'starttls' exclude each other"),
            ({"ssl_context": "ctx"}, "'ssl_context' must be an ssl.SSLContext"),
            ({"port": 70000}, "'port' must be between 0 and 65535"),
        ],
    )
    def test_bad_options(self, options: dict[str, object], message: str) -> None:
        """Bad options are refused at construction, naming the option and the value."""
        with pytest.raises((TypeError, ValueError), match=message):
            SMTPServer(**options)  # type: ignore[arg-type]

    def test_require_starttls_implies_starttls(self) -> None:
        """require_starttls=True also offers STARTTLS."""
        assert SMTPServer(require_starttls=True).starttls is True


class TestAddresses:
    def test_addr_url_and_state(self, server: SMTPServer) -> None:
        """addr is (host, port) of a bound port; url says smtp://."""
        host, port = server.addr
        assert host == "127.0.0.1"
        assert port > 0
        assert server.url == f"smtp://127.0.0.1:{port}"
        assert server.is_alive()
        assert server.accepting
        assert f"127.0.0.1:{port} running" in repr(server)

    def test_pytest_localserver_style(self, server: SMTPServer) -> None:
        """smtplib.SMTP(*server.addr), server.outbox and message.details work as before."""
        with smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=TIMEOUT) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        [message] = server.outbox
        assert message["Subject"] == "hi"
        assert message.get_payload() == "hello\n"
        assert message.details.mailfrom == "a@example.com"
        assert message.details.rcpttos == ["b@example.com"]
        assert message.details.peer[0] == "127.0.0.1"

    def test_ipv6(self) -> None:
        """host='::1' serves over IPv6 when the machine has it."""
        if not socket.has_ipv6:
            pytest.skip("no IPv6 on this machine")
        try:
            server = SMTPServer(host="::1").start()
        except OSError as exc:
            pytest.skip(f"cannot bind ::1: {exc}")
        with server:
            assert server.url.startswith("smtp://[::1]:")
            send(server)
            assert server.outbox[0].peer[0] == "::1"


class TestOutboxAPI:
    def test_items_are_email_messages(self, server: SMTPServer) -> None:
        """Each outbox item is a ReceivedMail, an EmailMessage."""
        send(server)
        from email.message import EmailMessage

        assert isinstance(server.outbox[0], ReceivedMail)
        assert isinstance(server.outbox[0], EmailMessage)

    def test_wait_for_mail_from_another_thread(self, server: SMTPServer) -> None:
        """wait_for returns once a mail sent from another thread has arrived."""
        go = threading.Event()

        def sender() -> None:
            go.wait(TIMEOUT)
            send(server)

        thread = threading.Thread(target=sender)
        thread.start()
        try:
            go.set()
            mails = server.wait_for(1, timeout=TIMEOUT)
        finally:
            thread.join(TIMEOUT)
        assert [mail["Subject"] for mail in mails] == ["hi"]

    def test_wait_for_times_out_with_advice(self, server: SMTPServer) -> None:
        """wait_for raises TimeoutError saying how many arrived and what to raise."""
        send(server)
        with pytest.raises(
            TimeoutError, match=r"for 2 mail\(s\) but 1 arrived; pass a larger timeout="
        ):
            server.outbox.wait_for(2, timeout=0.05)

    def test_clear(self, server: SMTPServer) -> None:
        """clear() empties the outbox, the AUTH record and the fault rules."""
        send(server)
        server.auth_attempts.append(object())
        server.faults.add("rcpt", 550)
        server.clear()
        assert len(server.outbox) == 0
        assert len(server.auth_attempts) == 0
        assert server.faults.rules == []
        send(server)  # the removed rule no longer refuses
        assert len(server.outbox) == 1


class TestSTARTTLS:
    def test_starttls_then_mail(self) -> None:
        """smtplib.starttls with client_ssl_context() upgrades; the mail says 'starttls'."""
        with SMTPServer(starttls=True) as server, server.client() as client:
            client.ehlo()
            assert client.has_extn("starttls")
            client.starttls(context=server.client_ssl_context())
            client.ehlo()
            assert not client.has_extn("starttls")
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert server.outbox[0].tls == "starttls"

    def test_ca_bundle_is_trusted(self) -> None:
        """A context made from ca_bundle verifies the server's certificate."""
        with SMTPServer(starttls=True) as server, server.client() as client:
            context = ssl.create_default_context(cafile=server.ca_bundle)
            assert client.starttls(context=context)[0] == 220

    def test_untrusting_client_fails_the_handshake(self) -> None:
        """A client that does not trust the test CA fails verification; the server goes on."""
        with SMTPServer(starttls=True) as server:
            with server.client() as client, pytest.raises(ssl.SSLCertVerificationError):
                client.starttls(context=ssl.create_default_context(cafile=None, cadata=None))
            send(server)
            assert len(server.outbox) == 1

    def test_require_starttls(self) -> None:
        """require_starttls answers MAIL and AUTH with 530 before TLS."""
        with SMTPServer(require_starttls=True, auth="any") as server:
            with RawClient(server.addr) as client:
                code, text = client.command("EHLO c")
                assert code == 250
                assert "STARTTLS" in text
                assert "AUTH" not in text
                assert client.command("MAIL FROM:<a@example.com>")[0] == 530
                assert client.command("AUTH PLAIN AHUAcA==")[0] == 530
            with server.client() as client:
                client.starttls(context=server.client_ssl_context())
                client.login("u", "p")
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert server.outbox[0].tls == "starttls"
        assert server.outbox[0].auth_user == "u"

    def test_pipelined_plaintext_after_starttls_is_discarded(self) -> None:
        """Commands sent with STARTTLS in one write are dropped; a fresh EHLO is needed."""
        with SMTPServer(starttls=True) as server, RawClient(server.addr) as client:
            client.command("EHLO c")
            client.send(b"STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")
            assert client.reply()[0] == 220
            context = server.client_ssl_context()
            with context.wrap_socket(client.sock, server_hostname="localhost") as tls:
                reader = tls.makefile("rb")
                tls.sendall(b"RCPT TO:<b@example.com>\r\n")
                assert reader.readline()[:3] == b"503"  # the MAIL never happened
                tls.sendall(b"MAIL FROM:<a@example.com>\r\n")
                assert reader.readline()[:3] == b"503"  # EHLO first, again
                tls.sendall(b"EHLO c\r\n")
                line = reader.readline()
                while line.startswith(b"250-"):
                    line = reader.readline()
                assert line.startswith(b"250 ")
                reader.close()

    def test_garbage_before_starttls(self) -> None:
        """Garbage before STARTTLS gets 500s; STARTTLS still works after it."""
        with SMTPServer(starttls=True) as server, server.client() as client:
            assert client.docmd("\x01\x02junk")[0] == 500
            client.ehlo()
            assert client.starttls(context=server.client_ssl_context())[0] == 220

    def test_garbage_instead_of_handshake(self) -> None:
        """Plain text where the handshake belongs closes that connection only."""
        with SMTPServer(starttls=True) as server:
            with RawClient(server.addr) as client:
                client.command("EHLO c")
                assert client.command("STARTTLS")[0] == 220
                client.send(b"EHLO not-tls\r\n")
                assert client.closed()
            send(server)
            assert len(server.outbox) == 1

    def test_starttls_twice(self) -> None:
        """STARTTLS inside TLS gets 503."""
        with SMTPServer(starttls=True) as server, server.client() as client:
            client.starttls(context=server.client_ssl_context())
            client.ehlo()
            assert client.docmd("STARTTLS")[0] == 503


class TestSMTPS:
    def test_smtps_with_auth(self) -> None:
        """SMTPS counts as TLS: AUTH is offered even with auth_require_tls."""
        with SMTPServer(smtps=True, auth={"u": "p"}, auth_require_tls=True) as server:
            with server.client() as client:
                assert isinstance(client, smtplib.SMTP_SSL)
                assert client.login("u", "p")[0] == 235
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            assert server.url.startswith("smtps://")
        mail = server.outbox[0]
        assert (mail.tls, mail.auth_user) == ("smtps", "u")

    def test_smtps_does_not_offer_starttls(self) -> None:
        """An SMTPS session offers no STARTTLS."""
        with SMTPServer(smtps=True) as server, server.client() as client:
            client.ehlo()
            assert not client.has_extn("starttls")

    def test_plain_client_on_smtps_port(self) -> None:
        """A plain-text client on an SMTPS port is disconnected, not left hanging."""
        with SMTPServer(smtps=True, connection_timeout=0.3) as server:
            with pytest.raises(smtplib.SMTPServerDisconnected):
                smtplib.SMTP(*server.addr, local_hostname="localhost", timeout=TIMEOUT)
            send(server)  # TLS clients are still served
            assert server.outbox[0].tls == "smtps"

    def test_stop_ends_a_stalled_handshake(self) -> None:
        """stop() closes a connection whose client never starts its handshake."""
        server = SMTPServer(smtps=True).start()
        with socket.create_connection(server.addr, timeout=TIMEOUT) as sock:
            server.stop()
            try:
                data = sock.recv(10)
            except ConnectionResetError:  # stopped before the accept: the backlog is reset
                data = b""
            assert data == b""


class TestConcurrency:
    def test_16_senders_50_mails_each(self, server: SMTPServer) -> None:
        """16 threads x 50 mails each: exactly 800 mails, none lost or merged."""
        errors: list[BaseException] = []

        def sender(n: int) -> None:
            try:
                with server.client() as client:
                    for i in range(50):
                        body = f"Subject: {n}-{i}\r\nX-Sender: {n}\r\n\r\nmail {n} {i}\r\n"
                        client.sendmail(f"s{n}@example.com", [f"r{i}@example.com"], body)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        mails = server.wait_for(800, timeout=TIMEOUT)
        assert len(mails) == 800
        subjects = sorted(mail["Subject"] for mail in mails)
        assert subjects == sorted(f"{n}-{i}" for n in range(16) for i in range(50))
        for mail in mails:
            n, i = mail["Subject"].split("-")
            assert mail.mail_from == f"s{n}@example.com"
            assert mail.rcpt_tos == [f"r{i}@example.com"]
            assert mail.raw.endswith(f"mail {n} {i}\r\n".encode())
        # one connection per sender, in order within it
        by_connection: dict[int, list[int]] = {}
        for mail in mails:
            by_connection.setdefault(mail.connection_id, []).append(
                int(mail["Subject"].split("-")[1])
            )
        assert len(by_connection) == 16
        assert all(order == list(range(50)) for order in by_connection.values())


class TestPackageShape:
    """The shape the architecture asks of localserver._smtp (issue 12)."""

    PACKAGE = Path(__file__).resolve().parent.parent / "localserver" / "_smtp"

    def imports(self) -> dict[str, set[str]]:
        """Each module's imports of its siblings, wherever they are (functions too)."""
        graph: dict[str, set[str]] = {}
        for path in sorted(self.PACKAGE.glob("*.py")):
            found = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level == 1:
                    if node.module:
                        found.add(node.module.split(".")[0])
                    else:
                        found.update(alias.name for alias in node.names)
            graph[path.stem] = found
        return graph

    def test_no_import_cycle(self) -> None:
        """The modules import each other without a cycle, not even inside functions."""
        graph = self.imports()
        done: set[str] = set()

        def visit(module: str, path: tuple[str, ...]) -> None:
            assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
            if module in done:
                return
            for target in graph.get(module, ()):
                visit(target, (*path, module))
            done.add(module)

        for module in graph:
            visit(module, ())

    def test_only_the_server_knows_the_server(self) -> None:
        """Sessions and their parts never import the façade (they get a SessionSite)."""
        assert [m for m, targets in self.imports().items() if "server" in targets] == []

    def test_modules_stay_small(self) -> None:
        """No module of the package is much over 400 lines."""
        sizes = {p.name: len(p.read_text().splitlines()) for p in self.PACKAGE.glob("*.py")}
        assert max(sizes.values()) <= 420, sizes
