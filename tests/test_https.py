"""HTTPSServer: verified HTTPS for every client, mutual TLS, and clients that get it wrong."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
import trustme

from localserver import (
    HTTPServer,
    HTTPSServer,
    LocalServerError,
    ProtocolMismatchError,
    TestAuthority,
)

from .conftest import TIMEOUT, ipv6_available


@pytest.fixture
def server() -> Iterator[HTTPSServer]:
    """A running HTTPSServer answering "ok"."""
    with HTTPSServer() as srv:
        srv.serve_content("ok")
        yield srv


@pytest.fixture
def mtls_server() -> Iterator[HTTPSServer]:
    """A running HTTPSServer that requires a client certificate."""
    with HTTPSServer(require_client_cert=True) as srv:
        srv.serve_content("ok")
        yield srv


def certifi_bundle() -> str:
    """The public CA bundle requests ships with: it does not trust the test CA."""
    import certifi

    return str(certifi.where())


def connection_threads(server: HTTPSServer) -> list[threading.Thread]:
    """The server's live connection threads (named "localserver:PORT:workerN")."""
    prefix = f"localserver:{server.port}:worker"
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def wait_for_eof(sock: socket.socket) -> bytes:
    """Read until the server closes the connection (bounded by the socket timeout)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


class TestVerifiedClients:
    def test_requests_with_ca_bundle(self, server: HTTPSServer) -> None:
        """requests verifies the server with verify=server.ca_bundle."""
        response = requests.get(server.url, verify=server.ca_bundle, timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.text == "ok"

    def test_requests_with_environment_variable(
        self, server: HTTPSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """REQUESTS_CA_BUNDLE=server.ca_bundle works with requests' defaults."""
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        assert requests.get(server.url, timeout=TIMEOUT).text == "ok"

    def test_urllib(self, server: HTTPSServer) -> None:
        """urllib verifies the server with context=client_ssl_context()."""
        context = server.client_ssl_context()
        with urllib.request.urlopen(server.url, context=context, timeout=TIMEOUT) as response:
            assert response.status == 200
            assert response.read() == b"ok"

    def test_urllib_with_ssl_cert_file(
        self, server: HTTPSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """SSL_CERT_FILE=server.ca_bundle works with the default SSL context."""
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_bundle)
        context = ssl.create_default_context()
        with urllib.request.urlopen(server.url, context=context, timeout=TIMEOUT) as response:
            assert response.read() == b"ok"

    def test_http_client(self, server: HTTPSServer) -> None:
        """http.client verifies the server with context=client_ssl_context()."""
        conn = http.client.HTTPSConnection(
            server.host, server.port, context=server.client_ssl_context(), timeout=TIMEOUT
        )
        try:
            conn.request("GET", "/path?q=1")
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b"ok"
        finally:
            conn.close()
        assert server.requests[0].full_path == "/path?q=1"

    def test_httpx(self, server: HTTPSServer) -> None:
        """httpx verifies the server with verify=client_ssl_context()."""
        with httpx.Client(verify=server.client_ssl_context(), timeout=TIMEOUT) as client:
            response = client.get(server.url_for("/x"))
        assert response.status_code == 200
        assert response.text == "ok"

    def test_default_trust_refuses_the_server(self, server: HTTPSServer) -> None:
        """A client that does not trust the test CA fails, and the server says why."""
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url, timeout=TIMEOUT)
        server.stop()  # joins the connection thread that records the failure
        assert server.requests == []
        assert len(server.protocol_errors) == 1
        assert "does not trust the test CA" in server.protocol_errors[0]
        assert "verify=server.ca_bundle" in server.protocol_errors[0]

    def test_url_and_scheme(self, server: HTTPSServer) -> None:
        """url is https://, and the application sees the https scheme."""
        assert server.url == f"https://127.0.0.1:{server.port}"
        assert server.url_for("a") == f"https://127.0.0.1:{server.port}/a"
        requests.get(server.url_for("/a"), verify=server.ca_bundle, timeout=TIMEOUT)
        assert server.requests[0].scheme == "https"
        assert server.requests[0].url == server.url_for("/a")

    def test_certificate_is_the_file_to_trust(self, server: HTTPSServer) -> None:
        """certificate (pytest-localserver's name) is the CA bundle to verify with."""
        assert server.certificate == server.ca_bundle
        assert Path(server.ca_bundle).read_bytes() == server.ca_pem
        assert requests.get(server.url, verify=server.certificate, timeout=TIMEOUT).ok


class TestHostNames:
    @pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
    def test_ipv4_names(self, server: HTTPSServer, name: str) -> None:
        """The certificate passes host-name checks for localhost and 127.0.0.1."""
        url = f"https://{name}:{server.port}/"
        assert requests.get(url, verify=server.ca_bundle, timeout=TIMEOUT).text == "ok"
        with urllib.request.urlopen(
            url, context=server.client_ssl_context(), timeout=TIMEOUT
        ) as response:
            assert response.read() == b"ok"

    @pytest.mark.skipif(not ipv6_available(), reason="this machine cannot bind ::1")
    def test_ipv6(self) -> None:
        """On ::1 the URL has brackets and the certificate covers the address."""
        with HTTPSServer(host="::1") as srv:
            srv.serve_content("six")
            assert srv.url == f"https://[::1]:{srv.port}"
            with httpx.Client(verify=srv.client_ssl_context(), timeout=TIMEOUT) as client:
                assert client.get(srv.url).text == "six"

    def test_other_name_is_refused(self, server: HTTPSServer) -> None:
        """A host name the certificate does not cover fails, and the server says so."""
        context = server.client_ssl_context()
        with (
            socket.create_connection(server.server_address, timeout=TIMEOUT) as raw,
            pytest.raises(ssl.SSLCertVerificationError, match=r"example\.com"),
        ):
            context.wrap_socket(raw, server_hostname="example.com")
        server.stop()
        assert len(server.protocol_errors) == 1
        assert "check the host name in the URL" in server.protocol_errors[0]


class TestKeepAlive:
    def test_requests_share_one_connection(self, server: HTTPSServer) -> None:
        """A requests Session sends its requests over one TLS connection."""
        with requests.Session() as session:
            # Per request: REQUESTS_CA_BUNDLE in the environment would override
            # session.verify (psf/requests#3829).
            for _ in range(3):
                response = session.get(server.url, verify=server.ca_bundle, timeout=TIMEOUT)
                assert response.text == "ok"
        ids = {request.connection_id for request in server.requests}
        assert len(server.requests) == 3
        assert len(ids) == 1

    def test_httpx_shares_one_connection(self, server: HTTPSServer) -> None:
        """An httpx Client keeps its TLS connection alive too."""
        with httpx.Client(verify=server.client_ssl_context(), timeout=TIMEOUT) as client:
            for _ in range(3):
                client.get(server.url)
        assert len({request.connection_id for request in server.requests}) == 1


class TestMutualTLS:
    def test_client_with_certificate(self, mtls_server: HTTPSServer) -> None:
        """A client certificate from issue_client_cert() is accepted and recorded."""
        cert = mtls_server.issue_client_cert("alice")
        response = requests.get(
            mtls_server.url, verify=mtls_server.ca_bundle, cert=cert.pem_file, timeout=TIMEOUT
        )
        assert response.text == "ok"
        request = mtls_server.requests[0]
        assert (
            request.client_cert_subject == cert.subject == "CN=alice,OU=test client,O=localserver"
        )
        assert request.environ["SSL_CLIENT_CERT"].startswith("-----BEGIN CERTIFICATE-----")

    def test_each_request_records_its_own_client(self, mtls_server: HTTPSServer) -> None:
        """Two clients with two certificates are told apart in the journal."""
        for name in ("alice", "bob"):
            cert = mtls_server.issue_client_cert(name)
            context = mtls_server.client_ssl_context(cert)
            with httpx.Client(verify=context, timeout=TIMEOUT) as client:
                assert client.get(mtls_server.url).status_code == 200
        subjects = [r.client_cert_subject for r in mtls_server.requests]
        assert subjects == [
            "CN=alice,OU=test client,O=localserver",
            "CN=bob,OU=test client,O=localserver",
        ]

    def test_urllib_and_http_client_with_certificate(self, mtls_server: HTTPSServer) -> None:
        """urllib and http.client present a certificate through client_ssl_context(cert)."""
        context = mtls_server.client_ssl_context(mtls_server.issue_client_cert("carol"))
        with urllib.request.urlopen(mtls_server.url, context=context, timeout=TIMEOUT) as r:
            assert r.read() == b"ok"
        conn = http.client.HTTPSConnection(
            "localhost", mtls_server.port, context=context, timeout=TIMEOUT
        )
        try:
            conn.request("GET", "/")
            assert conn.getresponse().read() == b"ok"
        finally:
            conn.close()
        assert [r.client_cert_subject for r in mtls_server.requests] == [
            "CN=carol,OU=test client,O=localserver"
        ] * 2

    def test_client_without_certificate_is_refused(self, mtls_server: HTTPSServer) -> None:
        """No certificate: the request fails, nothing is journaled, the reason is told."""
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(mtls_server.url, verify=mtls_server.ca_bundle, timeout=TIMEOUT)
        mtls_server.stop()
        assert mtls_server.requests == []
        assert len(mtls_server.protocol_errors) == 1
        assert "presented no client certificate" in mtls_server.protocol_errors[0]

    def test_refused_at_the_tls12_handshake(self, mtls_server: HTTPSServer) -> None:
        """Over TLS 1.2 the client's own handshake fails without a certificate."""
        context = mtls_server.client_ssl_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with (
            socket.create_connection(mtls_server.server_address, timeout=TIMEOUT) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="127.0.0.1")

    def test_certificate_from_another_ca_is_refused(self, mtls_server: HTTPSServer) -> None:
        """A client certificate that this CA did not issue is refused."""
        stranger = TestAuthority().issue_client_cert("mallory")
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(
                mtls_server.url,
                verify=mtls_server.ca_bundle,
                cert=stranger.pem_file,
                timeout=TIMEOUT,
            )
        mtls_server.stop()
        assert mtls_server.requests == []
        assert "does not trust" in mtls_server.protocol_errors[0]

    def test_optional_mode(self) -> None:
        """client_certs="optional" serves clients with and without a certificate."""
        with HTTPSServer(client_certs="optional") as srv:
            srv.serve_content("ok")
            cert = srv.issue_client_cert("dave")
            requests.get(srv.url, verify=srv.ca_bundle, timeout=TIMEOUT)
            requests.get(srv.url, verify=srv.ca_bundle, cert=cert.pem_file, timeout=TIMEOUT)
        assert [r.client_cert_subject for r in srv.requests] == [None, cert.subject]
        assert srv.client_certs == "optional"
        assert srv.client_certs == "optional"

    def test_no_client_certificate_by_default(self, server: HTTPSServer) -> None:
        """A plain HTTPS server asks for no certificate and records none."""
        requests.get(server.url, verify=server.ca_bundle, timeout=TIMEOUT)
        assert server.requests[0].client_cert_subject is None
        assert server.client_certs == "none"


class TestRobustness:
    def test_silent_client_blocks_nobody(self) -> None:
        """A TCP client that sends nothing does not delay others, and stop() ends it."""
        with HTTPSServer(handshake_timeout=60) as srv:
            srv.serve_content("ok")
            with socket.create_connection(srv.server_address, timeout=TIMEOUT) as silent:
                with requests.Session() as session:
                    response = session.get(srv.url, verify=srv.ca_bundle, timeout=TIMEOUT)
                assert response.text == "ok"
                srv.stop()
                # The server closed the silent connection instead of waiting 60 s.
                assert wait_for_eof(silent) == b""
            assert connection_threads(srv) == []

    def test_half_handshake_client_is_ended_by_stop(self) -> None:
        """A client stuck in the middle of its handshake is cut off by stop()."""
        with HTTPSServer(handshake_timeout=60) as srv:
            with socket.create_connection(srv.server_address, timeout=TIMEOUT) as stuck:
                stuck.sendall(b"\x16\x03\x01\x02\x00\x01")
                # A complete request proves the stuck connection's thread is running.
                requests.get(srv.url, verify=srv.ca_bundle, timeout=TIMEOUT)
                srv.stop()
                assert wait_for_eof(stuck) == b""
            assert connection_threads(srv) == []

    def test_silent_client_times_out(self) -> None:
        """After handshake_timeout the server drops a silent client."""
        with HTTPSServer(handshake_timeout=0.2) as srv:
            with socket.create_connection(srv.server_address, timeout=TIMEOUT) as silent:
                assert wait_for_eof(silent) == b""
            assert srv.running

    def test_garbage_instead_of_client_hello(self, server: HTTPSServer) -> None:
        """Binary garbage ends that connection only; the server goes on serving."""
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as raw:
            raw.sendall(bytes(range(256)) * 16)
            wait_for_eof(raw)
        assert requests.get(server.url, verify=server.ca_bundle, timeout=TIMEOUT).text == "ok"
        server.stop()  # raises ServerThreadError if a thread failed
        assert len(server.requests) == 1

    def test_tls_1_1_is_refused(self, server: HTTPSServer) -> None:
        """A client capped at TLS 1.1 fails; the server names the 1.2 minimum."""
        context = server.client_ssl_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        # Let the client offer TLS 1.1 at all, so that the server is what refuses it.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with (
            socket.create_connection(server.server_address, timeout=TIMEOUT) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="127.0.0.1")
        server.stop()
        assert len(server.protocol_errors) == 1
        assert "TLS 1.2 is the minimum" in server.protocol_errors[0]

    def test_tls_1_2_is_accepted(self, server: HTTPSServer) -> None:
        """A client capped at TLS 1.2 is served."""
        context = server.client_ssl_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with urllib.request.urlopen(server.url, context=context, timeout=TIMEOUT) as response:
            assert response.read() == b"ok"


class TestWrongProtocol:
    def test_plain_http_to_the_tls_port(self, server: HTTPSServer) -> None:
        """Plain HTTP gets a plain 400 naming the https:// URL, and is recorded."""
        plain_url = server.url.replace("https://", "http://")
        response = requests.get(plain_url, timeout=TIMEOUT)
        assert response.status_code == 400
        assert "This port speaks TLS" in response.text
        assert f"{server.url}/" in response.text
        assert server.requests == []
        assert len(server.protocol_errors) == 1
        assert "sent plain HTTP to this HTTPS server" in server.protocol_errors[0]
        assert server.url in server.protocol_errors[0]

    def test_plain_post_to_the_tls_port(self, server: HTTPSServer) -> None:
        """A plain POST with a body gets the 400 too, not a reset."""
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as raw:
            raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            answer = wait_for_eof(raw)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert b"This port speaks TLS" in answer

    def test_tls_to_the_plain_port(self) -> None:
        """HTTPS sent to a plain HTTPServer fails and is recorded with a clear text."""
        with HTTPServer() as plain:
            tls_url = plain.url.replace("http://", "https://")
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(tls_url, timeout=TIMEOUT)
            plain.stop()
        assert plain.requests == []
        assert len(plain.protocol_errors) == 1
        assert "started a TLS handshake on this plain HTTP server" in plain.protocol_errors[0]

    def test_checks_report_plain_http_to_the_tls_port(self, server: HTTPSServer) -> None:
        """check_assertions() fails and says plain HTTP reached the TLS port."""
        requests.get(server.url.replace("https://", "http://"), timeout=TIMEOUT)
        with pytest.raises(ProtocolMismatchError, match="sent plain HTTP to this HTTPS server"):
            server.check_assertions()
        server.check_assertions()  # reported once

    def test_checks_report_tls_to_the_plain_port(self) -> None:
        """check_assertions() fails and says TLS reached the plain port."""
        with HTTPServer() as plain:
            plain.serve_content("x")
            with pytest.raises(requests.exceptions.SSLError):
                requests.get(plain.url.replace("http://", "https://"), timeout=TIMEOUT)
            with pytest.raises(ProtocolMismatchError) as info:
                plain.check_assertions()
            assert "started a TLS handshake on this plain HTTP server" in str(info.value)
            assert plain.url in str(info.value)

    def test_untrusted_certificate_is_named_right_after_the_client_fails(
        self, server: HTTPSServer
    ) -> None:
        """A report made just after the client's SSLError already names the cause."""
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url, timeout=TIMEOUT, verify=certifi_bundle())
        with pytest.raises(AssertionError) as info:
            server.assert_request_made("/anything")
        text = str(info.value)
        assert "received no request at all" in text
        assert "refused this server's certificate" in text
        assert "verify=server.ca_bundle" in text
        server.check_assertions()  # a certificate refusal is not itself a test failure

    def test_protocol_errors_are_read_only(self, server: HTTPSServer) -> None:
        """protocol_errors can be read and waited on, not changed."""
        requests.get(server.url.replace("https:", "http:"), timeout=TIMEOUT)
        errors = server.protocol_errors
        assert not hasattr(errors, "clear")
        assert len(errors) == 1
        assert list(errors) == errors.wait_for_more(0, TIMEOUT)


@pytest.fixture(scope="module")
def own_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path, Path]:
    """A CA of the user's own, and a server certificate and key it signed, as files."""
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    directory = tmp_path_factory.mktemp("own")
    cert_file, key_file = directory / "server.crt", directory / "server.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    return ca, cert_file, key_file


class TestOwnCertificate:
    def test_cert_and_key_files(self, own_certificate: tuple[trustme.CA, Path, Path]) -> None:
        """A certificate and key of one's own are served; certificate names the file."""
        ca, cert_file, key_file = own_certificate
        with HTTPSServer(cert_file=cert_file, key_file=key_file) as srv:
            srv.serve_content("mine")
            context = ssl.create_default_context()
            ca.configure_trust(context)
            with urllib.request.urlopen(srv.url, context=context, timeout=TIMEOUT) as response:
                assert response.read() == b"mine"
            assert srv.certificate == str(cert_file)
            with pytest.raises(LocalServerError, match="uses your own certificate"):
                srv.ca_bundle  # noqa: B018

    def test_own_certificate_with_mutual_tls(
        self, own_certificate: tuple[trustme.CA, Path, Path]
    ) -> None:
        """With one's own certificate, client certificates still come from the test CA."""
        ca, cert_file, key_file = own_certificate
        with HTTPSServer(cert_file=cert_file, key_file=key_file, require_client_cert=True) as srv:
            srv.serve_content("mine")
            cert = srv.issue_client_cert("erin")
            context = ssl.create_default_context()
            ca.configure_trust(context)
            context.load_cert_chain(cert.pem_file)
            with urllib.request.urlopen(srv.url, context=context, timeout=TIMEOUT) as response:
                assert response.read() == b"mine"
        assert srv.requests[0].client_cert_subject == cert.subject

    def test_ssl_context(self, own_certificate: tuple[trustme.CA, Path, Path]) -> None:
        """A server SSLContext of one's own is used as it is."""
        ca, cert_file, key_file = own_certificate
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        with HTTPSServer(ssl_context=context) as srv:
            srv.serve_content("ctx")
            client = ssl.create_default_context()
            ca.configure_trust(client)
            with httpx.Client(verify=client, timeout=TIMEOUT) as http:
                assert http.get(srv.url).text == "ctx"
            with pytest.raises(LocalServerError, match="client_ssl_context"):
                srv.client_ssl_context()

    def test_authority_of_ones_own(self) -> None:
        """authority= uses another TestAuthority for the server and its clients."""
        authority = TestAuthority()
        with HTTPSServer(authority=authority) as srv:
            srv.serve_content("other")
            assert srv.ca_pem == authority.ca_pem
            assert requests.get(srv.url, verify=srv.ca_bundle, timeout=TIMEOUT).text == "other"

    def test_unreadable_certificate(self, tmp_path: Path) -> None:
        """A file that is no certificate raises ValueError naming it."""
        bad = tmp_path / "bad.pem"
        bad.write_text("not a certificate")
        with pytest.raises(ValueError, match=r"'cert_file' .*bad\.pem.* cannot be loaded"):
            HTTPSServer(cert_file=bad)


class TestArguments:
    def test_require_client_cert_must_be_bool(self) -> None:
        """require_client_cert="yes" raises TypeError with the value."""
        with pytest.raises(
            TypeError, match=r"'require_client_cert' must be True or False \(got 'yes'\)"
        ):
            HTTPSServer(require_client_cert="yes")  # type: ignore[arg-type]

    def test_unknown_client_cert_mode(self) -> None:
        """An unknown client_certs mode raises ValueError listing the modes."""
        with pytest.raises(ValueError, match="'none', 'optional' or 'required'"):
            HTTPSServer(client_certs="always")

    def test_contradicting_modes(self) -> None:
        """require_client_cert=True with client_certs="optional" is refused."""
        with pytest.raises(ValueError, match="contradicts"):
            HTTPSServer(require_client_cert=True, client_certs="optional")

    def test_context_and_files_together(self, tmp_path: Path) -> None:
        """ssl_context with cert_file or a client-cert mode is refused."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with pytest.raises(ValueError, match="either 'ssl_context' or 'cert_file'"):
            HTTPSServer(ssl_context=context, cert_file=tmp_path / "x.pem")
        with pytest.raises(ValueError, match="either 'ssl_context' or 'require_client_cert'"):
            HTTPSServer(ssl_context=context, require_client_cert=True)

    def test_key_without_certificate(self, tmp_path: Path) -> None:
        """key_file without cert_file is refused."""
        with pytest.raises(ValueError, match="without 'cert_file'"):
            HTTPSServer(key_file=tmp_path / "k.pem")

    def test_handshake_timeout_is_checked(self) -> None:
        """A negative handshake_timeout raises ValueError naming it."""
        with pytest.raises(
            ValueError, match="'handshake_timeout' must be a number of seconds, more"
        ):
            HTTPSServer(handshake_timeout=-1)

    def test_restart(self) -> None:
        """An HTTPS server can be stopped and started again."""
        srv = HTTPSServer()
        srv.serve_content("again")
        for _ in range(2):
            with srv:
                assert requests.get(srv.url, verify=srv.ca_bundle, timeout=TIMEOUT).ok
        assert not srv.running
