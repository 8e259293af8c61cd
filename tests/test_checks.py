"""check_assertions, check_handler_errors, assert_request_made, wait and friends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
import requests

from localserver import (
    ExpectationError,
    HTTPServer,
    RequestCountError,
    RequestMatcher,
    UnmatchedRequestError,
    UnmetExpectationError,
)

from .conftest import TIMEOUT


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    return bare_server


def later(server, path, go):
    """Request *path* from another thread once *go* is set."""

    def run():
        go.wait(TIMEOUT)
        with requests.Session() as session:
            session.trust_env = False
            session.get(server.url_for(path), timeout=TIMEOUT)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class TestCheck:
    def test_failures_are_assertion_errors(self):
        """Every check failure is an AssertionError, so runners report a failure."""
        assert issubclass(ExpectationError, AssertionError)
        assert issubclass(UnmatchedRequestError, ExpectationError)

    def test_nothing_recorded_passes(self, server, client):
        """check() passes when every request was answered by an expectation."""
        server.expect_request("/ok").respond_with_data("ok")
        client.get(server.url_for("/ok"), timeout=TIMEOUT)
        server.check()

    def test_check_raises_assertions_before_handler_errors(self, server, client):
        """check() reports recorded failures first, then handler errors."""
        server.expect_request("/bad").respond_with_handler(lambda request: 1 / 0)
        client.get(server.url_for("/bad"), timeout=TIMEOUT)
        client.get(server.url_for("/missing"), timeout=TIMEOUT)
        with pytest.raises(UnmatchedRequestError):
            server.check()
        with pytest.raises(ZeroDivisionError):
            server.check()
        server.check()

    def test_begin_test_forgets_failures(self, server, client):
        """begin_test() (per-test isolation) drops recorded failures and errors."""
        server.expect_request("/bad").respond_with_handler(lambda request: 1 / 0)
        client.get(server.url_for("/bad"), timeout=TIMEOUT)
        client.get(server.url_for("/missing"), timeout=TIMEOUT)
        server.begin_test()
        server.check()


class TestAssertRequestMade:
    def test_counts(self, server, client):
        """count= is exact; 0 checks that nothing matching arrived."""
        server.serve_content("ok")
        for _ in range(2):
            client.post(server.url_for("/p"), data=b"x", timeout=TIMEOUT)
        server.assert_request_made(RequestMatcher("/p", method="POST"), count=2)
        server.assert_request_made("/p", count=2)
        server.assert_request_made(RequestMatcher("/p", method="GET"), count=0)
        with pytest.raises(RequestCountError, match=r"found 2\."):
            server.assert_request_made("/p")

    def test_with_an_expectation(self, server, client):
        """An expectation's own matcher can be checked against the journal."""
        exp = server.expect_request("/e", method="GET")
        exp.respond_with_data("e")
        client.get(server.url_for("/e"), timeout=TIMEOUT)
        server.assert_request_made(exp)

    def test_timeout_waits_for_another_thread(self, server):
        """timeout= waits, woken by the request, for a request made from elsewhere."""
        server.serve_content("ok")
        go = threading.Event()
        thread = later(server, "/async", go)
        go.set()
        server.assert_request_made("/async", timeout=TIMEOUT)
        thread.join(TIMEOUT)

    def test_timeout_expires(self, server):
        """A timeout that passes says how long it waited."""
        with pytest.raises(RequestCountError, match=r"found 0 after waiting 0\.05 s\."):
            server.assert_request_made("/never", timeout=0.05)

    def test_bad_arguments(self, server):
        """Bad matcher, count and timeout arguments are named."""
        with pytest.raises(TypeError, match=r"'uri' must be a path str"):
            server.assert_request_made(3)
        with pytest.raises(ValueError, match=r"'count' must be 0 or more"):
            server.assert_request_made("/x", count=-1)
        with pytest.raises(TypeError, match=r"'timeout' must be a number of seconds"):
            server.assert_request_made("/x", timeout="1")
        with pytest.raises(ValueError, match=r"'timeout' must be a number of seconds"):
            server.assert_request_made("/x", timeout=-1)

    def test_raises_under_python_o(self):
        """The checks still fail under python -O: they never use the assert statement."""
        code = textwrap.dedent(
            """
            from localserver import HTTPServer, RequestCountError
            with HTTPServer() as server:
                try:
                    server.assert_request_made("/x")
                except RequestCountError:
                    print("raised")
            """
        )
        result = subprocess.run(
            [sys.executable, "-O", "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.stdout.strip() == "raised", result.stderr


class TestWait:
    def test_done_when_oneshots_are_used(self, server):
        """wait() ends with result True once every oneshot and ordered expectation is used."""
        server.expect_oneshot_request("/one").respond_with_data("1")
        server.expect_ordered_request("/two").respond_with_data("2")
        go = threading.Event()
        threads = [later(server, "/two", go), later(server, "/one", go)]
        with server.wait(timeout=TIMEOUT) as waiting:
            go.set()
        assert waiting.result is True
        assert waiting.elapsed_time >= 0
        for thread in threads:
            thread.join(TIMEOUT)

    def test_timeout_lists_what_is_left(self, server):
        """On timeout, wait() raises and lists the unused expectations."""
        server.expect_oneshot_request("/left").respond_with_data("x")
        with pytest.raises(UnmetExpectationError) as info, server.wait(timeout=0.05):
            pass
        text = str(info.value)
        assert text.startswith("wait() timed out after 0.05 s")
        assert "  - expect_oneshot_request('/left'): used 0 of 1" in text
        assert "received no request at all" in text

    def test_no_raise(self, server):
        """raise_assertions=False reports through the result instead."""
        server.expect_oneshot_request("/left").respond_with_data("x")
        with server.wait(raise_assertions=False, timeout=0.05) as waiting:
            pass
        assert waiting.result is False

    def test_stops_on_an_unmatched_request(self, server, client):
        """An unmatched request ends the wait at once and is raised."""
        server.expect_oneshot_request("/wanted").respond_with_data("x")
        with pytest.raises(UnmatchedRequestError), server.wait(timeout=30):
            client.get(server.url_for("/unwanted"), timeout=TIMEOUT)


class TestExpectationsMet:
    def test_met(self, server, client):
        """Used-up oneshot and times= expectations pass; permanent ones are not required."""
        server.expect_oneshot_request("/o").respond_with_data("o")
        server.expect_request("/t", times=2).respond_with_data("t")
        server.expect_request("/never").respond_with_data("p")
        for path in ("/o", "/t", "/t"):
            client.get(server.url_for(path), timeout=TIMEOUT)
        server.assert_expectations_met()

    def test_unmet_lists_usage_and_recent_requests(self, server, client):
        """Unused expectations are listed with their use counts and the last requests."""
        server.expect_request("/t", times=3).respond_with_data("t")
        client.get(server.url_for("/t"), timeout=TIMEOUT)
        with pytest.raises(UnmetExpectationError) as info:
            server.assert_expectations_met()
        lines = str(info.value).splitlines()
        assert lines[0] == "expectations not met: 1 expectation(s) not used up:"
        assert lines[1] == "  - expect_request('/t', times=3): used 1 of 3"
        assert "1 request(s) arrived; the last ones:" in lines
        assert "    GET /t" in lines

    def test_timeout_waits_for_use(self, server):
        """timeout= waits until a request from elsewhere uses the expectation."""
        server.expect_oneshot_request("/o").respond_with_data("o")
        go = threading.Event()
        thread = later(server, "/o", go)
        go.set()
        server.assert_expectations_met(timeout=TIMEOUT)
        thread.join(TIMEOUT)
