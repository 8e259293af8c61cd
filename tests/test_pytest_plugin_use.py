"""Real use of the pytest fixtures: what pytest-localserver and pytest-httpserver users write."""

from __future__ import annotations

import smtplib  # noqa: F401
from pathlib import Path

import pytest
import requests  # noqa: F401  (imported once here: inline runs must not re-import it)
import werkzeug  # noqa: F401

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).parent / "examples"
NO_RIVALS = ("-p", "no:localserver", "-p", "no:pytest_httpserver")
OURS = (*NO_RIVALS, "-p", "localserver.pytest_plugin")


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose runs treat warnings (a leaked socket too) as errors."""
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    return pytester


def use_example(pytester: pytest.Pytester, name: str) -> None:
    """Copy tests/examples/<name>.py into the pytester directory as a test file."""
    pytester.makepyfile(**{f"test_{name}": (EXAMPLES / f"{name}.py").read_text()})


class TestPytestLocalserverUsers:
    def test_their_tests_pass_with_pytest_localserver(self, inner: pytest.Pytester) -> None:
        """The example file is true to pytest-localserver: it passes with that plugin."""
        use_example(inner, "fixtures_localserver_style")
        inner.runpytest("-p", "no:pytest_httpserver").assert_outcomes(passed=5)

    def test_their_tests_pass_with_ours(self, inner: pytest.Pytester) -> None:
        """The same file passes unchanged with our plugin."""
        use_example(inner, "fixtures_localserver_style")
        inner.runpytest(*OURS).assert_outcomes(passed=5)


class TestPytestHttpserverUsers:
    def test_their_tests_pass_with_pytest_httpserver(self, inner: pytest.Pytester) -> None:
        """The example file is true to pytest-httpserver: it passes with that plugin."""
        use_example(inner, "fixtures_httpserver_style")
        inner.runpytest("-p", "no:localserver").assert_outcomes(passed=5)

    def test_their_tests_pass_with_ours(self, inner: pytest.Pytester) -> None:
        """The same file passes unchanged with our plugin."""
        use_example(inner, "fixtures_httpserver_style")
        inner.runpytest(*OURS).assert_outcomes(passed=5)


class TestOurFixtures:
    def test_documented_examples_pass(self, inner: pytest.Pytester) -> None:
        """docs/pytest.rst's examples (fresh, HTTPS, shared, factory, marker) pass."""
        use_example(inner, "fixtures_ours")
        inner.runpytest(*OURS, "--strict-markers").assert_outcomes(passed=10)

    def test_shared_server_is_one_server(self, inner: pytest.Pytester) -> None:
        """Every test gets the same shared server; a fresh fixture is new each time."""
        inner.makepyfile(
            """
            seen = {"shared": set(), "fresh": set()}

            def test_a(httpserver_shared, httpserver):
                seen["shared"].add(httpserver_shared.port)
                seen["fresh"].add(id(httpserver))
                assert httpserver_shared.running

            def test_b(httpserver_shared, httpserver):
                seen["shared"].add(httpserver_shared.port)
                seen["fresh"].add(id(httpserver))

            def test_c():
                assert len(seen["shared"]) == 1
                assert len(seen["fresh"]) == 2
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=3)

    def test_servers_stop_after_their_scope(self, inner: pytest.Pytester) -> None:
        """Function and factory servers are stopped after their test; the shared at the end."""
        inner.makepyfile(
            """
            kept = []

            def test_make(httpserver, make_httpserver, httpserver_shared):
                kept.extend([httpserver, make_httpserver(), httpserver_shared])

            def test_after():
                fresh, made, shared = kept
                assert not fresh.running
                assert not made.running
                assert shared.running
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=2)

    def test_factory_hints_pytest_httpserver_users(self, inner: pytest.Pytester) -> None:
        """Using make_httpserver as a server (as pytest-httpserver has it) explains itself."""
        inner.makepyfile(
            """
            def test_it(make_httpserver):
                make_httpserver.expect_request("/x")
            """
        )
        result = inner.runpytest(*OURS)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["*'make_httpserver' is a factory*call it, server = make_httpserver()*"]
        )
