"""TLS material: the test CA, its files, client certificates and the server handshake."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

from localserver import ClientCertificate, TestAuthority
from localserver._tls import (
    PlaintextOnTLSPort,
    TLSHandshakeError,
    TLSHandshakeTimeout,
    accept_tls,
    default_authority,
)

TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def other() -> TestAuthority:
    """A second CA, which the default one's clients do not trust."""
    return TestAuthority()


class Handshake:
    """One accepted connection run through accept_tls() on a thread of its own."""

    def __init__(self, context: ssl.SSLContext, timeout: float | None = TIMEOUT) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.address = self.listener.getsockname()[:2]
        self.context = context
        self.timeout = timeout
        self.result: ssl.SSLSocket | None = None
        self.error: BaseException | None = None
        self.wrapped: list[ssl.SSLSocket] = []
        self.plain: socket.socket | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError as exc:
            self.error = exc
            self.done.set()
            return
        self.plain = conn
        try:
            self.result = accept_tls(conn, self.context, self.timeout, on_wrap=self.wrapped.append)
            self.result.settimeout(TIMEOUT)
            # Echo one message so that TLS 1.3 clients learn of late failures too.
            data = self.result.recv(100)
            self.result.sendall(data)
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    def wait(self) -> None:
        assert self.done.wait(TIMEOUT), "the server side of the handshake never ended"
        self.thread.join(TIMEOUT)

    def close(self) -> None:
        self.listener.close()
        for sock in (self.result, self.plain):
            if sock is not None:
                sock.close()


@pytest.fixture
def handshake() -> Iterator[Callable[..., Handshake]]:
    """Factory of Handshake servers, all closed after the test."""
    made: list[Handshake] = []

    def make(context: ssl.SSLContext, timeout: float | None = TIMEOUT) -> Handshake:
        made.append(Handshake(context, timeout))
        return made[-1]

    yield make
    for server in made:
        server.close()


def tls_echo(
    address: Any, context: ssl.SSLContext, hostname: str = "127.0.0.1", data: bytes = b"ping"
) -> bytes:
    """Handshake as a client, send *data* and return what comes back."""
    with (
        socket.create_connection(address, timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        tls.sendall(data)
        return tls.recv(100)


class TestDefaultAuthority:
    def test_one_per_process(self) -> None:
        """default_authority() returns the same CA every time."""
        assert default_authority() is default_authority()

    def test_one_even_when_asked_from_many_threads(self) -> None:
        """Threads asking at once all get the same CA."""
        seen: list[TestAuthority] = []
        threads = [
            threading.Thread(target=lambda: seen.append(default_authority())) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        assert len(seen) == 8
        assert all(a is seen[0] for a in seen)

    def test_server_certificate_names(self) -> None:
        """The server certificate covers localhost, 127.0.0.1 and ::1."""
        assert default_authority().server_names == ("localhost", "127.0.0.1", "::1")

    def test_is_not_collected_as_a_test_class(self) -> None:
        """TestAuthority tells pytest it is not a test class."""
        assert TestAuthority.__test__ is False

    def test_server_names_are_checked(self) -> None:
        """An empty list of server names is refused with the value in the message."""
        with pytest.raises(ValueError, match=r"'server_names' must be .*\(got \(\)\)"):
            TestAuthority(server_names=())


class TestFiles:
    def test_ca_bundle_holds_the_ca_pem(self) -> None:
        """ca_bundle is a PEM file with exactly ca_pem in it."""
        authority = default_authority()
        assert Path(authority.ca_bundle).read_bytes() == authority.ca_pem
        assert authority.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")

    @pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
    def test_files_are_owner_only(self) -> None:
        """The directory is 0700 and every file in it 0600."""
        authority = default_authority()
        cert = authority.issue_client_cert("permissions")
        authority.server_context()
        directory = Path(authority.ca_bundle).parent
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        paths = [
            authority.ca_bundle,
            authority.server_pem_file,
            cert.cert_file,
            cert.key_file,
            cert.pem_file,
        ]
        for path in paths:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert {str(p) for p in directory.iterdir()} >= set(paths)
        for path in directory.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    def test_files_are_removed_when_the_process_exits(self) -> None:
        """A process that made TLS files leaves none behind when it exits."""
        code = (
            "from localserver import HTTPSServer\n"
            "import localserver._tls as tls\n"
            "a = tls.default_authority()\n"
            "c = a.issue_client_cert('bye')\n"
            "with HTTPSServer() as s:\n"
            "    pass\n"
            "print(a.ca_bundle, c.cert_file, c.key_file, c.pem_file)\n"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=60,
        )
        paths = out.stdout.split()
        assert len(paths) == 4
        assert all(Path(p).is_absolute() for p in paths)
        for path in paths:
            assert not os.path.exists(path), path
        assert not os.path.exists(os.path.dirname(paths[0]))


class TestClientCertificate:
    def test_subject_and_files(self) -> None:
        """A client certificate has a predictable subject and loadable files."""
        cert = default_authority().issue_client_cert("alice")
        assert isinstance(cert, ClientCertificate)
        assert cert.common_name == "alice"
        assert cert.subject == "CN=alice,OU=test client,O=localserver"
        assert Path(cert.cert_file).read_bytes() == cert.cert_pem
        assert Path(cert.key_file).read_bytes() == cert.key_pem
        assert Path(cert.pem_file).read_bytes() == cert.key_pem + cert.cert_pem
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_cert_chain(cert.pem_file)
        context.load_cert_chain(cert.cert_file, cert.key_file)

    def test_same_name_same_certificate(self) -> None:
        """Asking twice for one name gives the same certificate."""
        authority = default_authority()
        assert authority.issue_client_cert("bob") is authority.issue_client_cert("bob")
        assert authority.issue_client_cert("bob") != authority.issue_client_cert("carol")

    def test_any_printable_name(self) -> None:
        """A name that is no host name (spaces, accents) still makes a certificate."""
        cert = default_authority().issue_client_cert("Zoë Example, QA")
        assert cert.common_name == "Zoë Example, QA"
        assert cert.subject.startswith("CN=Zoë Example\\, QA,")

    @pytest.mark.parametrize("name", ["", "line\nbreak", None, 42])
    def test_bad_names_are_refused(self, name: Any) -> None:
        """An empty, non-str or control-character name raises ValueError naming it."""
        with pytest.raises(ValueError, match=r"'name' must be .*\(got "):
            default_authority().issue_client_cert(name)

    def test_repr_shows_no_key(self) -> None:
        """The repr names the subject and never includes the private key."""
        cert = default_authority().issue_client_cert("alice")
        assert "alice" in repr(cert)
        assert "PRIVATE KEY" not in repr(cert)


class TestContexts:
    def test_server_context_is_made_once_per_mode(self) -> None:
        """Each client-certificate mode has one cached server context."""
        authority = default_authority()
        assert authority.server_context() is authority.server_context("none")
        assert authority.server_context("required") is authority.server_context("required")
        assert authority.server_context("optional") is not authority.server_context("required")

    @pytest.mark.parametrize(
        ("mode", "verify"),
        [("none", ssl.CERT_NONE), ("optional", ssl.CERT_OPTIONAL), ("required", ssl.CERT_REQUIRED)],
    )
    def test_server_context_settings(self, mode: str, verify: ssl.VerifyMode) -> None:
        """Server contexts require TLS 1.2 at least and verify clients as the mode says."""
        context = default_authority().server_context(mode)
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert context.verify_mode == verify

    def test_unknown_mode_is_refused(self) -> None:
        """An unknown mode raises ValueError listing the valid ones."""
        with pytest.raises(ValueError, match=r"'none', 'optional' or 'required' \(got 'yes'\)"):
            default_authority().server_context("yes")

    def test_client_context_verifies(self) -> None:
        """Client contexts verify the chain and the host name, strictly, TLS 1.2+."""
        context = default_authority().client_ssl_context()
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True
        assert context.verify_flags & ssl.VERIFY_X509_STRICT
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2

    def test_client_context_is_new_each_time(self) -> None:
        """Each call gives a context of its own, safe to change."""
        authority = default_authority()
        assert authority.client_ssl_context() is not authority.client_ssl_context()

    def test_client_context_refuses_other_cert_types(self) -> None:
        """Passing a path instead of a ClientCertificate raises TypeError."""
        with pytest.raises(TypeError, match="'cert' must be a ClientCertificate"):
            default_authority().client_ssl_context("/tmp/cert.pem")  # type: ignore[arg-type]


class TestAcceptTLS:
    def test_handshake(self, handshake: Callable[..., Handshake]) -> None:
        """A TLS client is served; on_wrap sees the TLS socket before the handshake."""
        authority = default_authority()
        server = handshake(authority.server_context())
        assert tls_echo(server.address, authority.client_ssl_context()) == b"ping"
        server.wait()
        assert server.error is None
        assert isinstance(server.result, ssl.SSLSocket)
        assert server.wrapped == [server.result]

    @pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1"])
    def test_hostname_check_passes(
        self, handshake: Callable[..., Handshake], hostname: str
    ) -> None:
        """The server certificate passes the host-name check for its names."""
        authority = default_authority()
        server = handshake(authority.server_context())
        assert tls_echo(server.address, authority.client_ssl_context(), hostname) == b"ping"

    def test_hostname_check_fails_for_other_names(
        self, handshake: Callable[..., Handshake]
    ) -> None:
        """A name the certificate does not cover fails verification."""
        authority = default_authority()
        server = handshake(authority.server_context())
        with pytest.raises(ssl.SSLCertVerificationError, match=r"example\.com"):
            tls_echo(server.address, authority.client_ssl_context(), "example.com")

    def test_other_authority_is_not_trusted(
        self, handshake: Callable[..., Handshake], other: TestAuthority
    ) -> None:
        """A client trusting another test CA refuses the server certificate."""
        server = handshake(default_authority().server_context())
        with pytest.raises(ssl.SSLCertVerificationError):
            tls_echo(server.address, other.client_ssl_context())
        server.wait()
        assert isinstance(server.error, ssl.SSLError)
        assert server.error.reason == "TLSV1_ALERT_UNKNOWN_CA"

    def test_python_313_strict_verification(self, handshake: Callable[..., Handshake]) -> None:
        """The chain passes the checks Python 3.13 turns on by default, both ways."""
        authority = default_authority()
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(authority.server_pem_file)
        authority.trust_clients(server_context)
        server_context.verify_flags |= ssl.VERIFY_X509_STRICT
        server = handshake(server_context)
        client = ssl.create_default_context(cafile=authority.ca_bundle)
        # 3.13's defaults; VERIFY_X509_PARTIAL_CHAIN is named in ssl from 3.10 on.
        client.verify_flags |= ssl.VERIFY_X509_STRICT | getattr(
            ssl, "VERIFY_X509_PARTIAL_CHAIN", 0x80000
        )
        client.load_cert_chain(authority.issue_client_cert("strict").pem_file)
        assert tls_echo(server.address, client, "localhost") == b"ping"
        server.wait()
        assert server.error is None

    def test_plaintext_client(self, handshake: Callable[..., Handshake]) -> None:
        """An HTTP request line raises PlaintextOnTLSPort and stays unread."""
        server = handshake(default_authority().server_context())
        with socket.create_connection(server.address, timeout=TIMEOUT) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            server.wait()
            assert isinstance(server.error, PlaintextOnTLSPort)
            assert server.error.data == b"GET / HT"
            assert server.plain is not None
            assert server.plain.recv(100).startswith(b"GET / HTTP/1.1\r\n")

    def test_silent_client_times_out(self, handshake: Callable[..., Handshake]) -> None:
        """A client that sends nothing raises TLSHandshakeTimeout after the timeout."""
        server = handshake(default_authority().server_context(), timeout=0.2)
        with socket.create_connection(server.address, timeout=TIMEOUT):
            server.wait()
        assert isinstance(server.error, TLSHandshakeTimeout)
        assert isinstance(server.error, TimeoutError)
        assert "sent nothing within 0.2 s" in str(server.error)
        assert server.wrapped == []

    def test_half_a_handshake_times_out(self, handshake: Callable[..., Handshake]) -> None:
        """A client that stops in the middle of its ClientHello times out too."""
        server = handshake(default_authority().server_context(), timeout=0.2)
        with socket.create_connection(server.address, timeout=TIMEOUT) as raw:
            raw.sendall(b"\x16\x03\x01\x02\x00\x01")
            server.wait()
        assert isinstance(server.error, TLSHandshakeTimeout)
        assert len(server.wrapped) == 1

    def test_garbage_fails_the_handshake(self, handshake: Callable[..., Handshake]) -> None:
        """Binary garbage instead of a ClientHello raises ssl.SSLError."""
        server = handshake(default_authority().server_context())
        with socket.create_connection(server.address, timeout=TIMEOUT) as raw:
            raw.sendall(bytes(range(256)) * 4)
            server.wait()
        assert isinstance(server.error, ssl.SSLError)

    def test_client_that_hangs_up(self, handshake: Callable[..., Handshake]) -> None:
        """A client that connects and closes raises TLSHandshakeError."""
        server = handshake(default_authority().server_context())
        socket.create_connection(server.address, timeout=TIMEOUT).close()
        server.wait()
        assert type(server.error) is TLSHandshakeError

    def test_errors_are_connection_errors(self) -> None:
        """Every handshake failure of ours is a ConnectionError (a client's fault)."""
        assert issubclass(TLSHandshakeError, ConnectionError)
        assert issubclass(PlaintextOnTLSPort, TLSHandshakeError)
        assert issubclass(TLSHandshakeTimeout, TLSHandshakeError)


class TestMutualTLS:
    def test_required_client_cert_accepted(self, handshake: Callable[..., Handshake]) -> None:
        """A client certificate of this CA is accepted; the server sees its subject."""
        authority = default_authority()
        cert = authority.issue_client_cert("alice")
        server = handshake(authority.server_context("required"))
        assert tls_echo(server.address, authority.client_ssl_context(cert)) == b"ping"
        server.wait()
        assert server.result is not None
        peer = server.result.getpeercert()
        assert peer is not None
        assert (("commonName", "alice"),) in peer["subject"]

    def test_missing_client_cert_fails_the_handshake(
        self, handshake: Callable[..., Handshake]
    ) -> None:
        """Without a certificate the handshake fails (TLS 1.2: on the client too)."""
        authority = default_authority()
        server = handshake(authority.server_context("required"))
        client = authority.client_ssl_context()
        client.maximum_version = ssl.TLSVersion.TLSv1_2
        with (
            socket.create_connection(server.address, timeout=TIMEOUT) as raw,
            pytest.raises(ssl.SSLError),
        ):
            client.wrap_socket(raw, server_hostname="127.0.0.1")
        server.wait()
        assert isinstance(server.error, ssl.SSLError)
        assert server.error.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"

    def test_client_cert_of_another_ca_is_refused(
        self, handshake: Callable[..., Handshake], other: TestAuthority
    ) -> None:
        """A certificate issued by another CA is refused by the server."""
        authority = default_authority()
        server = handshake(authority.server_context("required"))
        client = authority.client_ssl_context(other.issue_client_cert("mallory"))
        # TLS 1.3: the client learns on its first read or write (an alert or a reset).
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            tls_echo(server.address, client)
        server.wait()
        assert isinstance(server.error, ssl.SSLCertVerificationError)
