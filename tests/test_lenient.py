"""Lenient mode: the peers' silence on request, with a note of what strict mode would fail."""

from __future__ import annotations

import unittest
import warnings
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from localserver import (
    HTTPServer,
    HTTPServerMixin,
    LenientModeWarning,
    UnmatchedRequestError,
    UnmetExpectationError,
)

from ._unittest_runs import run_classes
from .conftest import TIMEOUT

EXAMPLES = Path(__file__).parent / "examples"

pytest_plugins = ["pytester"]

NO_RIVALS = ("-p", "no:localserver", "-p", "no:pytest_httpserver")
OURS = (*NO_RIVALS, "-p", "localserver.pytest_plugin")


class TestServer:
    def test_strict_is_the_default(self) -> None:
        """A new server is strict: an unexpected request fails the end of the test."""
        with HTTPServer() as server:
            assert server.strict
            mark = server.begin_test()
            requests.get(server.url_for("/x"), timeout=TIMEOUT)
            with pytest.raises(UnmatchedRequestError):
                server.end_test(mark)

    def test_lenient_returns_notes(self) -> None:
        """strict=False lets unexpected requests and unused expectations pass, one note each."""
        with HTTPServer(strict=False) as server:
            mark = server.begin_test()
            server.expect_oneshot_request("/a").respond_with_data("a")
            server.expect_ordered_request("/b").respond_with_data("b")
            server.expect_request("/draft")  # never told how to answer
            requests.get(server.url_for("/unexpected"), timeout=TIMEOUT)
            requests.get(server.url_for("/draft"), timeout=TIMEOUT)
            notes = server.end_test(mark)
        assert notes == [
            "unexpected GET /unexpected",
            "unexpected GET /draft",
            "unused expect_oneshot_request('/a')",
            "unused expect_ordered_request('/b')",
        ]

    def test_other_failures_stay_failures(self) -> None:
        """A handler's exception fails the test in lenient mode too."""
        with HTTPServer(strict=False) as server:
            mark = server.begin_test()
            server.expect_request("/boom").respond_with_handler(lambda r: 1 / 0)
            requests.get(server.url_for("/boom"), timeout=TIMEOUT)
            with pytest.raises(ZeroDivisionError):
                server.end_test(mark)

    def test_strict_is_settable(self) -> None:
        """strict can change between tests (the pytest module sets it per test)."""
        server = HTTPServer()
        server.strict = False
        assert not server.strict
        with pytest.raises(TypeError, match="'strict' must be True or False"):
            server.strict = "no"  # type: ignore[assignment]

    def test_unused_expectations_in_strict_mode(self) -> None:
        with HTTPServer() as server:
            mark = server.begin_test()
            server.expect_oneshot_request("/a").respond_with_data("a")
            with pytest.raises(UnmetExpectationError, match="/a"):
                server.end_test(mark)


UNEXPECTED = """
    import requests

    def test_unexpected(httpserver):
        requests.get(httpserver.url_for("/v1/.well-known/openid-configuration"), timeout=5)
"""


class TestPytestModule:
    def test_ini_option_and_summary(self, pytester: pytest.Pytester) -> None:
        """localserver_strict = false: the test passes; the run ends with the summary."""
        pytester.makeini("[pytest]\nlocalserver_strict = false\n")
        pytester.makepyfile(test_a=UNEXPECTED, test_b=UNEXPECTED)
        result = pytester.runpytest(*OURS)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "*localserver lenient mode*",
                "strict mode would fail 2 tests: 2 unexpected GET "
                "/v1/.well-known/openid-configuration",
            ]
        )

    def test_verbose_lists_the_tests(self, pytester: pytest.Pytester) -> None:
        pytester.makeini("[pytest]\nlocalserver_strict = false\n")
        pytester.makepyfile(UNEXPECTED)
        result = pytester.runpytest(*OURS, "-v")
        result.stdout.fnmatch_lines(["  test_verbose_lists_the_tests.py::test_unexpected: *"])

    def test_strict_by_default_and_no_summary(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(UNEXPECTED)
        result = pytester.runpytest(*OURS)
        result.assert_outcomes(passed=1, errors=1)
        assert "lenient mode" not in result.stdout.str()

    def test_markers(self, pytester: pytest.Pytester) -> None:
        """@pytest.mark.localserver_strict tightens a test; (False) loosens one."""
        pytester.makepyfile(
            """
            import pytest
            import requests

            @pytest.mark.localserver_strict(False)
            def test_loose(httpserver, httpserver_shared):
                requests.get(httpserver.url_for("/x"), timeout=5)
                requests.get(httpserver_shared.url_for("/y"), timeout=5)

            def test_strict_again(httpserver_shared):
                requests.get(httpserver_shared.url_for("/z"), timeout=5)
            """
        )
        result = pytester.runpytest(*OURS)
        result.assert_outcomes(passed=2, errors=1)
        result.stdout.fnmatch_lines(["strict mode would fail 1 test: *1 unexpected GET /x*"])

    def test_factory_option_wins(self, pytester: pytest.Pytester) -> None:
        """make_httpserver(strict=True) stays strict whatever the ini option says."""
        pytester.makeini("[pytest]\nlocalserver_strict = false\n")
        pytester.makepyfile(
            """
            import requests

            def test_explicit(make_httpserver):
                server = make_httpserver(strict=True)
                requests.get(server.url_for("/x"), timeout=5)
            """
        )
        pytester.runpytest(*OURS).assert_outcomes(passed=1, errors=1)

    def test_bad_values(self, pytester: pytest.Pytester) -> None:
        pytester.makeini("[pytest]\nlocalserver_strict = maybe\n")
        pytester.makepyfile("def test_nothing(): pass")
        result = pytester.runpytest(*OURS)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*localserver_strict*must be true or false*"])


@pytest.mark.parametrize(
    "plugin", ["localserver.pytest_plugin", "localserver.compat.pytest_httpserver.pytest_plugin"]
)
def test_documented_example(pytester: pytest.Pytester, plugin: str) -> None:
    """tests/examples/lenient_suite.py (docs/pytest.rst) under lenient mode, with either plugin."""
    pytester.makeini("[pytest]\nlocalserver_strict = false\n")
    pytester.makepyfile(test_lenient_suite=(EXAMPLES / "lenient_suite.py").read_text())
    result = pytester.runpytest(*NO_RIVALS, "-p", plugin, "--strict-markers")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["strict mode would fail 1 test: 1 unexpected GET /v1/.well-known/openid-configuration"]
    )


class TestMixins:
    def test_warning_per_lenient_test(self) -> None:
        """http_server_options = {"strict": False}: the test passes with a LenientModeWarning."""

        class Lenient(HTTPServerMixin, unittest.TestCase):
            http_server_options: ClassVar = {"strict": False}

            def test_unexpected(self) -> None:
                requests.get(self.http_server.url_for("/x"), timeout=TIMEOUT)

            def test_quiet(self) -> None:
                pass

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = run_classes(Lenient)
        assert outcome.ok, outcome
        lenient = [w for w in caught if issubclass(w.category, LenientModeWarning)]
        assert len(lenient) == 1
        text = str(lenient[0].message)
        assert "test_unexpected passed in lenient mode" in text
        assert "strict mode would fail it: unexpected GET /x" in text
