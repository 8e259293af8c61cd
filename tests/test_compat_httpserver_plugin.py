"""localserver.compat.pytest_httpserver.pytest_plugin: the peer's fixtures and overrides."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests  # noqa: F401  (imported once here: inline runs must not re-import it)
import trustme  # noqa: F401  (the same: a second cryptography would not know the first's keys)

pytest_plugins = ["pytester"]

PLUGIN = "localserver.compat.pytest_httpserver.pytest_plugin"
EXAMPLES = Path(__file__).parent / "examples"
# The peers are installed in the test environment: every run keeps them out.
NO_PEERS = ("-p", "no:localserver", "-p", "no:pytest_httpserver")
# Warnings are errors; but another test of this run may have imported the plugin
# module already, which pytest notes (it cannot rewrite its asserts).
INI = """\
[pytest]
filterwarnings =
    error
    ignore::pytest.PytestAssertRewriteWarning
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose root conftest loads the plugin; warnings are errors."""
    pytester.makeini(INI)
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]")
    return pytester


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestFixtures:
    def test_one_server_for_the_session_cleared_per_test(self, inner: pytest.Pytester) -> None:
        """httpserver is make_httpserver's session server, cleared before each test."""
        inner.makepyfile(
            """
            import requests
            from localserver.compat.pytest_httpserver import HTTPServer

            ports = []

            def test_first(httpserver, make_httpserver):
                assert httpserver is make_httpserver
                assert isinstance(httpserver, HTTPServer)
                ports.append(httpserver.port)
                httpserver.expect_request("/a").respond_with_data("a")
                assert requests.get(httpserver.url_for("/a"), timeout=5).text == "a"

            def test_second(httpserver):
                assert httpserver.port == ports[0]
                assert httpserver.log == [] and httpserver.handlers == []
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=2)

    def test_ip_versions(self, inner: pytest.Pytester) -> None:
        """httpserver_ipv4 listens on 127.0.0.1, httpserver_ipv6 on ::1."""
        inner.makepyfile(
            """
            import requests

            def test_both(httpserver_ipv4, httpserver_ipv6, make_httpserver_ipv4):
                assert httpserver_ipv4 is make_httpserver_ipv4
                assert httpserver_ipv4.host == "127.0.0.1"
                assert httpserver_ipv6.url_for("/") == f"http://[::1]:{httpserver_ipv6.port}/"
                httpserver_ipv6.expect_request("/").respond_with_data("six")
                assert requests.get(httpserver_ipv6.url_for("/"), timeout=5).text == "six"
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=1)

    def test_listen_address_override_pins_host_and_port(self, inner: pytest.Pytester) -> None:
        """A conftest's httpserver_listen_address fixture gives the server's address."""
        port = free_port()
        inner.makeconftest(
            f"""
            import pytest

            pytest_plugins = [{PLUGIN!r}]

            @pytest.fixture(scope="session")
            def httpserver_listen_address():
                return ("127.0.0.1", {port})
            """
        )
        inner.makepyfile(
            f"""
            def test_pinned(httpserver):
                assert (httpserver.host, httpserver.port) == ("127.0.0.1", {port})
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=1)

    def test_environment_variables(
        self, inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PYTEST_HTTPSERVER_HOST and PYTEST_HTTPSERVER_PORT give the address."""
        port = free_port()
        inner.makepyfile(
            f"""
            from localserver.compat.pytest_httpserver.pytest_plugin import (
                get_httpserver_listen_address,
            )

            def test_pinned(httpserver):
                assert get_httpserver_listen_address() == ("127.0.0.1", {port})
                assert (httpserver.host, httpserver.port) == ("127.0.0.1", {port})
            """
        )
        monkeypatch.setenv("PYTEST_HTTPSERVER_HOST", "127.0.0.1")
        monkeypatch.setenv("PYTEST_HTTPSERVER_PORT", str(port))
        inner.runpytest_subprocess(*NO_PEERS).assert_outcomes(passed=1)

    def test_ssl_context_override_serves_https(self, inner: pytest.Pytester) -> None:
        """Overriding httpserver_ssl_context gives an HTTPS server."""
        inner.makeconftest(
            f"""
            import pytest
            from localserver import TestAuthority

            pytest_plugins = [{PLUGIN!r}]
            AUTHORITY = TestAuthority()

            @pytest.fixture(scope="session")
            def httpserver_ssl_context():
                return AUTHORITY.server_context()
            """
        )
        inner.makepyfile(
            """
            import requests
            from conftest import AUTHORITY

            def test_https(httpserver):
                assert httpserver.url_for("/").startswith("https://")
                httpserver.expect_request("/s").respond_with_data("secure")
                response = requests.get(
                    httpserver.url_for("/s"), verify=AUTHORITY.ca_bundle, timeout=5
                )
                assert response.text == "secure"
            """
        )
        inner.runpytest_subprocess(*NO_PEERS).assert_outcomes(passed=1)

    def test_make_httpserver_override(self, inner: pytest.Pytester) -> None:
        """A make_httpserver of your own is the server httpserver gives."""
        inner.makeconftest(
            f"""
            import pytest
            from localserver.compat.pytest_httpserver import HTTPServer

            pytest_plugins = [{PLUGIN!r}]

            @pytest.fixture(scope="session")
            def make_httpserver():
                server = HTTPServer(startup_timeout=10)
                server.start()
                yield server
                server.clear()
                if server.is_running():
                    server.stop()
            """
        )
        inner.makepyfile(
            """
            def test_own(httpserver):
                assert httpserver.startup_timeout == 10
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=1)

    def test_documented_conftest_closes_connections(self, pytester: pytest.Pytester) -> None:
        """tests/examples/compat_conftest.py: its server answers with Connection: close."""
        pytester.makeini(INI)
        pytester.makeconftest((EXAMPLES / "compat_conftest.py").read_text())
        pytester.makepyfile(
            """
            import requests

            def test_closed(httpserver):
                httpserver.expect_request("/").respond_with_data("bye")
                response = requests.get(httpserver.url_for("/"), timeout=5)
                assert response.headers["Connection"] == "close"
            """
        )
        pytester.runpytest(*NO_PEERS).assert_outcomes(passed=1)


UNEXPECTED = """
    import requests

    def test_unexpected(httpserver):
        requests.get(httpserver.url_for("/v1/.well-known/openid-configuration"), timeout=5)

    def test_unused_ordered(httpserver):
        httpserver.expect_ordered_request("/later").respond_with_data("x")
"""


class TestStrictness:
    def test_strict_by_default(self, inner: pytest.Pytester) -> None:
        """An unexpected request or an unused ordered handler fails the test at teardown."""
        inner.makepyfile(UNEXPECTED)
        result = inner.runpytest(*NO_PEERS)
        result.assert_outcomes(passed=2, errors=2)
        result.stdout.fnmatch_lines(["*UnmatchedRequestError*", "*UnmetExpectationError*"])

    def test_lenient_mode_sums_up(self, inner: pytest.Pytester) -> None:
        """localserver_strict = false lets them pass and says what strict mode would fail."""
        inner.makeini(INI + "localserver_strict = false\n")
        inner.makepyfile(UNEXPECTED)
        result = inner.runpytest(*NO_PEERS)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "*localserver lenient mode*",
                "strict mode would fail 2 tests: 1 unexpected GET "
                "/v1/.well-known/openid-configuration, 1 unused "
                "expect_ordered_request('/later')",
            ]
        )

    def test_marker_tightens_one_test(self, inner: pytest.Pytester) -> None:
        """@pytest.mark.localserver_strict makes one test strict under lenient mode."""
        inner.makeini("[pytest]\nlocalserver_strict = false\n")
        inner.makepyfile(
            """
            import pytest
            import requests

            @pytest.mark.localserver_strict
            def test_strict(httpserver):
                requests.get(httpserver.url_for("/x"), timeout=5)

            def test_lenient(httpserver):
                requests.get(httpserver.url_for("/x"), timeout=5)
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=2, errors=1)

    def test_no_checks_marker(self, inner: pytest.Pytester) -> None:
        inner.makepyfile(
            """
            import pytest
            import requests

            @pytest.mark.localserver_no_checks
            def test_unchecked(httpserver):
                requests.get(httpserver.url_for("/x"), timeout=5)
            """
        )
        inner.runpytest(*NO_PEERS).assert_outcomes(passed=1)

    def test_summary_under_xdist(self, inner: pytest.Pytester) -> None:
        """The workers' notes reach the controller's summary."""
        pytest.importorskip("xdist")
        inner.makeini("[pytest]\nlocalserver_strict = false\n")
        inner.makepyfile(UNEXPECTED)
        result = inner.runpytest_subprocess(*NO_PEERS, "-n", "2")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["strict mode would fail 2 tests: *"])


class TestRivals:
    def test_refuses_localservers_own_plugin(self, inner: pytest.Pytester) -> None:
        """Beside localserver.pytest_plugin (same fixture names) the run stops with a hint."""
        result = inner.runpytest(*NO_PEERS, "-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*cannot run beside*-p no:*"])

    def test_refuses_the_peer(self, inner: pytest.Pytester) -> None:
        """Beside pytest-httpserver's own plugin the run stops with -p no:pytest_httpserver."""
        pytest.importorskip("pytest_httpserver")
        result = inner.runpytest("-p", "no:localserver")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*-p no:pytest_httpserver*"])
