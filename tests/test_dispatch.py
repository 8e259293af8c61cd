"""The dispatcher: a request that breaks a matcher or a report, and a handler outliving its run.

Whatever a matcher, a body parser or a report raises, the request is recorded, the
checks report the error (so the test that caused it fails), the client gets a 500
that names the problem, and the server keeps serving (issue 14, item 2). A handler
still running when the server stops or the test ends is never reported later, and
stop() does not wait for it beyond its bound (item 10).
"""

from __future__ import annotations

import threading
import unittest
from typing import Any

import pytest
import requests

from localserver import (
    HandlerError,
    HTTPServer,
    HTTPServerMixin,
    NoHandlerError,
    UnmatchedRequestError,
    _dispatch,
    _engine,
)

from ._unittest_runs import run_classes
from .conftest import TIMEOUT

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    bare_server.expect_request("/after").respond_with_data("served")
    return bare_server


def still_serving(server: HTTPServer, client: requests.Session) -> None:
    response = client.get(server.url_for("/after"), timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "served")


def broken(request: Any) -> bool:
    raise KeyError("boom")


class TestBrokenMatcher:
    def test_deeply_nested_json_body(self, server: HTTPServer, client: requests.Session) -> None:
        """100,000 nested arrays against json=: recorded, 500 naming RecursionError, reported."""
        server.expect_request("/j", json={"a": 1}).respond_with_data("hit")
        response = client.post(server.url_for("/j"), data=DEEP_JSON, timeout=TIMEOUT)
        assert response.status_code == 500
        assert "POST /j was recorded" in response.text
        assert "expect_request('/j', json={'a': 1}) raised RecursionError" in response.text
        assert [r.path for r in server.requests] == ["/j"]
        assert server.requests[0].get_data() == DEEP_JSON
        with pytest.raises(HandlerError, match="raised RecursionError") as caught:
            server.check_assertions()
        assert isinstance(caught.value.__cause__, RecursionError)
        still_serving(server, client)
        server.check()

    def test_predicate_that_raises(self, server: HTTPServer, client: requests.Session) -> None:
        """A raising predicate: recorded, 500 naming the exception, HandlerError."""
        server.expect_request("/p", predicate=broken).respond_with_data("hit")
        response = client.get(server.url_for("/p"), timeout=TIMEOUT)
        assert response.status_code == 500
        assert "predicate=broken) raised KeyError: 'boom'" in response.text
        assert [r.path for r in server.requests] == ["/p"]
        with pytest.raises(HandlerError, match="raised KeyError: 'boom'"):
            server.check_assertions()
        still_serving(server, client)

    def test_raising_header_value_matcher(
        self, server: HTTPServer, client: requests.Session
    ) -> None:
        """A header value callable that raises is an error of the request too."""
        server.expect_request("/h", headers={"X-N": lambda v: int(v) > 1}).respond_with_data("x")
        response = client.get(server.url_for("/h"), headers={"X-N": "many"}, timeout=TIMEOUT)
        assert response.status_code == 500
        assert "raised ValueError" in response.text
        with pytest.raises(HandlerError, match="raised ValueError"):
            server.check_assertions()
        still_serving(server, client)

    def test_default_response_does_not_hide_it(
        self, server: HTTPServer, client: requests.Session
    ) -> None:
        """With a default response set, a broken matcher still answers 500 and is reported."""
        server.serve_content("fallback")
        server.expect_request("/p", predicate=broken).respond_with_data("hit")
        response = client.get(server.url_for("/p"), timeout=TIMEOUT)
        assert response.status_code == 500
        with pytest.raises(HandlerError, match="KeyError"):
            server.check_assertions()

    def test_lenient_mode_still_fails_the_test(self, client: requests.Session) -> None:
        """strict=False forgives unmatched requests, never a broken matcher."""
        with HTTPServer(strict=False) as server:
            mark = server.begin_test()
            server.expect_request("/j", json=[1]).respond_with_data("hit")
            client.post(server.url_for("/j"), data=DEEP_JSON, timeout=TIMEOUT)
            with pytest.raises(HandlerError, match="RecursionError"):
                server.end_test(mark)

    def test_broken_form_body(self, server: HTTPServer, client: requests.Session) -> None:
        """A multipart body that does not parse is recorded and explained as a miss."""
        server.expect_request("/f", form={"a": "1"}).respond_with_data("hit")
        response = client.post(
            server.url_for("/f"),
            data=b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',  # no end
            headers={"Content-Type": "multipart/form-data; boundary=x"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 500
        assert "form" in response.text
        assert [r.path for r in server.requests] == ["/f"]
        with pytest.raises(UnmatchedRequestError, match="POST /f"):
            server.check_assertions()
        still_serving(server, client)

    def test_draft_with_a_broken_matcher(
        self, server: HTTPServer, client: requests.Session
    ) -> None:
        """An expectation without a response yet whose matcher raises: recorded, 500, reported."""
        server.expect_request("/d", predicate=broken)
        response = client.get(server.url_for("/d"), timeout=TIMEOUT)
        assert response.status_code == 500
        assert "GET /d was recorded" in response.text
        with pytest.raises(HandlerError, match="KeyError"):
            server.check_assertions()
        still_serving(server, client)

    def test_a_report_that_raises(
        self, server: HTTPServer, client: requests.Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A miss report that fails: recorded, 500 naming the report's error, reported."""

        def failing_report(*args: object, **kwargs: object) -> str:
            raise RuntimeError("the report broke")

        monkeypatch.setattr(_dispatch, "miss_report", failing_report)
        response = client.get(server.url_for("/nowhere"), timeout=TIMEOUT)
        assert response.status_code == 500
        assert "GET /nowhere was recorded" in response.text
        assert "RuntimeError: the report broke" in response.text
        assert [r.path for r in server.requests] == ["/nowhere"]
        with pytest.raises(HandlerError, match="the report broke"):
            server.check_assertions()
        still_serving(server, client)

    def test_after_test_checks_fail_the_test_that_caused_it(self) -> None:
        """Through the unittest mixin: the test that sent the request fails, the next passes."""

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_1_breaks_a_matcher(self) -> None:
                self.http_server.expect_request("/j", json={"a": 1}).respond_with_data("x")
                requests.post(self.http_server.url_for("/j"), data=DEEP_JSON, timeout=TIMEOUT)

            def test_2_clean(self) -> None:
                self.http_server.expect_request("/ok").respond_with_data("x")
                requests.get(self.http_server.url_for("/ok"), timeout=TIMEOUT)

        outcome = run_classes(Case)
        assert set(outcome.failures) == {"test_1_breaks_a_matcher"}
        assert "RecursionError" in outcome.failures["test_1_breaks_a_matcher"]
        assert not outcome.errors


class _BusyHandler:
    """A response handler that stays in user code until released."""

    def __init__(self, *, fail: bool = False) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.thread: threading.Thread | None = None
        self.fail = fail

    def __call__(self, request: Any) -> str:
        self.thread = threading.current_thread()
        self.entered.set()
        try:
            self.release.wait(30)
            if self.fail:
                raise KeyError("raised after its run")
            return "late answer"
        finally:
            self.finished.set()


def _request_in_background(url: str) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            with requests.Session() as session:
                session.trust_env = False
                outcome.append(session.get(url, timeout=TIMEOUT).status_code)
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@pytest.fixture
def short_join(monkeypatch: pytest.MonkeyPatch) -> None:
    """stop() gives busy handlers 0.2 s instead of 2 s (the bound is what is tested)."""
    monkeypatch.setattr(_engine, "JOIN_TIMEOUT", 0.2)


class TestHandlerOutlivingItsRun:
    @pytest.mark.usefixtures("short_join")
    def test_stop_is_bounded_and_the_client_sees_the_end(self) -> None:
        """stop() returns while a handler is still busy; its client got an error, not a hang."""
        handler = _BusyHandler()
        server = HTTPServer().start()
        try:
            server.expect_request("/busy").respond_with_handler(handler)
            client, outcome = _request_in_background(server.url_for("/busy"))
            assert handler.entered.wait(TIMEOUT)
            server.stop()
            assert not handler.finished.is_set()  # stop() did not wait for it
            client.join(TIMEOUT)
            assert len(outcome) == 1
            assert isinstance(outcome[0], requests.ConnectionError)
        finally:
            handler.release.set()
            server.stop()
        assert handler.thread is not None
        handler.thread.join(TIMEOUT)
        assert not handler.thread.is_alive()

    @pytest.mark.usefixtures("short_join")
    def test_late_error_is_not_reported_in_the_next_run(self) -> None:
        """A handler that raises after stop() gave up on it never fails the next run's checks."""
        handler = _BusyHandler(fail=True)
        server = HTTPServer().start()
        try:
            server.expect_request("/busy").respond_with_handler(handler)
            client, _ = _request_in_background(server.url_for("/busy"))
            assert handler.entered.wait(TIMEOUT)
            server.stop()
            client.join(TIMEOUT)
            server.start()
            logged = len(server.log)
            handler.release.set()
            assert handler.thread is not None
            handler.thread.join(TIMEOUT)
            assert not handler.thread.is_alive()
            server.check()  # no KeyError from the previous run
            assert [response for _, response in server.log[logged:]] in ([], [None])
        finally:
            handler.release.set()
            server.stop()

    def test_late_error_is_not_reported_in_the_next_test(self) -> None:
        """On a shared server, a handler failing during the next test is not that test's failure."""
        handler = _BusyHandler(fail=True)
        with HTTPServer() as server:
            first = server.begin_test()
            server.expect_request("/busy").respond_with_handler(handler)
            client, outcome = _request_in_background(server.url_for("/busy"))
            assert handler.entered.wait(TIMEOUT)
            server.end_test(first)
            second = server.begin_test()
            handler.release.set()
            client.join(TIMEOUT)
            assert len(outcome) == 1
            assert isinstance(outcome[0], requests.ConnectionError)
            assert server.end_test(second) == []

    def test_handler_error_in_its_own_run_is_reported(self, server: HTTPServer) -> None:
        """The fence drops only late outcomes: a handler failing in its run is reported."""
        handler = _BusyHandler(fail=True)
        handler.release.set()
        server.expect_request("/busy").respond_with_handler(handler)
        response = requests.get(server.url_for("/busy"), timeout=TIMEOUT)
        assert response.status_code == 500
        with pytest.raises(KeyError, match="raised after its run"):
            server.check_handler_errors()


class TestNoResponseYet:
    def test_reports_no_handler_error(self, server: HTTPServer, client: requests.Session) -> None:
        """A request matching an expectation that has no response yet: 500 and NoHandlerError."""
        server.expect_request("/later")
        response = client.get(server.url_for("/later"), timeout=TIMEOUT)
        assert response.status_code == 500
        assert "has no response" in response.text
        with pytest.raises(NoHandlerError, match="respond_with_data"):
            server.check_assertions()
