"""localserver.compat.pytest_localserver.plugin: the peer's fixtures, served by localserver."""

from __future__ import annotations

import pytest
import requests  # noqa: F401  (imported once here: inline runs must not re-import it)
import trustme  # noqa: F401  (the same: a second cryptography would not know the first's keys)

pytest_plugins = ["pytester"]

PLUGIN = "localserver.compat.pytest_localserver.plugin"
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
    pytester.makeini(INI)
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]")
    return pytester


def test_the_three_fixtures(inner: pytest.Pytester) -> None:
    """httpserver, httpsserver and smtpserver are the peer's classes, new for each test."""
    inner.makepyfile(
        """
        import smtplib
        import requests
        from localserver.compat.pytest_localserver import http, https, smtp

        def test_http(httpserver):
            assert isinstance(httpserver, http.ContentServer)
            assert httpserver.is_alive() and httpserver.code == 204
            httpserver.serve_content("TEST!")
            assert requests.get(httpserver.url, timeout=5).text == "TEST!"

        def test_https(httpsserver):
            assert isinstance(httpsserver, https.SecureContentServer)
            httpsserver.serve_content("secure")
            response = requests.get(httpsserver.url, verify=httpsserver.certificate, timeout=5)
            assert response.text == "secure"

        def test_smtp(smtpserver):
            assert isinstance(smtpserver, smtp.Server)
            with smtplib.SMTP(*smtpserver.addr, timeout=5) as client:
                client.sendmail("a@x.org", ["b@x.org"], "Subject: hi\\r\\n\\r\\nbody")
            assert smtpserver.outbox[0]["Subject"] == "hi"
        """
    )
    inner.runpytest_subprocess(*NO_PEERS).assert_outcomes(passed=3)


def test_fixture_bound_in_a_test_module(inner: pytest.Pytester) -> None:
    """`httpserver = plugin.httpserver` in a test module works, as in the peer's own tests."""
    inner.makeconftest("")
    inner.makepyfile(
        """
        from localserver.compat.pytest_localserver import plugin

        httpserver = plugin.httpserver

        def test_bound(httpserver):
            assert httpserver.is_alive()
        """
    )
    inner.runpytest(*NO_PEERS).assert_outcomes(passed=1)


def test_stopped_after_the_test(inner: pytest.Pytester) -> None:
    """Each fixture's server is stopped after its test."""
    inner.makepyfile(
        """
        servers = []

        def test_one(httpserver, smtpserver):
            servers.extend([httpserver, smtpserver])

        def test_after():
            assert not any(server.is_alive() for server in servers)
        """
    )
    inner.runpytest(*NO_PEERS).assert_outcomes(passed=2)


def test_lenient_mode_for_expectations(inner: pytest.Pytester) -> None:
    """Expectations on httpserver follow localserver_strict like every server."""
    inner.makeini("[pytest]\nlocalserver_strict = false\n")
    inner.makepyfile(
        """
        import requests

        def test_unused(httpserver):
            httpserver.expect_oneshot_request("/never").respond_with_data("x")
        """
    )
    result = inner.runpytest(*NO_PEERS)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["strict mode would fail 1 test: 1 unused expect_oneshot_request('/never')"]
    )


def test_refuses_localservers_own_plugin(inner: pytest.Pytester) -> None:
    result = inner.runpytest(*NO_PEERS, "-p", "localserver.pytest_plugin")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot run beside*"])
