"""Expectation lifetimes, precedence, responses and concurrency on a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.wrappers import Response

from localserver import (
    HandlerType,
    HTTPServer,
    NoHandlerError,
    OutOfOrderError,
    RequestMatcher,
    SequenceExhaustedError,
    UnmatchedRequestError,
)

from .conftest import TIMEOUT


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    return bare_server


def get(client, server, path, **kwargs):
    return client.get(server.url_for(path), timeout=TIMEOUT, **kwargs)


class TestResponses:
    def test_respond_with_data(self, server, client):
        """Body, status, headers and content type are sent as given."""
        server.expect_request("/d").respond_with_data(
            "made", status=201, headers={"X-A": "1"}, content_type="text/csv"
        )
        response = get(client, server, "/d")
        assert (response.status_code, response.text) == (201, "made")
        assert response.headers["X-A"] == "1"
        assert response.headers["Content-Type"] == "text/csv"

    def test_respond_with_json(self, server, client):
        """The value is serialised as JSON with an application/json type."""
        server.expect_request("/j").respond_with_json({"a": [1, 2]}, status=202)
        response = get(client, server, "/j")
        assert response.status_code == 202
        assert response.json() == {"a": [1, 2]}
        assert response.headers["Content-Type"] == "application/json"

    def test_respond_with_response_is_copied_per_request(self, server, client):
        """A Response given once answers every request, each with its own copy."""
        original = Response("same", status=203, headers={"X-B": "2"})
        exp = server.expect_request("/r")
        exp.respond_with_response(original)
        first, second = get(client, server, "/r"), get(client, server, "/r")
        assert first.text == second.text == "same"
        assert first.status_code == second.status_code == 203
        assert server.log[0][1] is not server.log[1][1]
        assert server.log[0][1] is not original

    def test_handler_str_bytes_none(self, server, client):
        """A handler may return str, bytes or None (an empty 200)."""
        answers = iter(["text", b"bytes", None])
        server.expect_request("/h").respond_with_handler(lambda request: next(answers))
        assert [get(client, server, "/h").text for _ in range(3)] == ["text", "bytes", ""]

    def test_responses_are_built_fresh(self, server, client):
        """A handler that changes the response it gets does not affect the next request."""

        def mutate(request):
            response = server.log[-1][1] if server.log else None
            if response is not None:
                response.set_data(response.get_data() + b"!")
            return "x"

        server.expect_request("/a").respond_with_data("base")
        server.expect_request("/m").respond_with_handler(mutate)
        assert get(client, server, "/a").text == "base"
        get(client, server, "/m")
        assert get(client, server, "/a").text == "base"

    def test_bad_response_arguments(self, server):
        """Wrong response arguments raise at registration, naming the argument."""
        exp = server.expect_request("/x")
        with pytest.raises(TypeError, match=r"'response_data' must be str or bytes"):
            exp.respond_with_data({"a": 1})
        with pytest.raises(ValueError, match=r"'status' must be an HTTP status between 100"):
            exp.respond_with_data("x", status=1000)
        with pytest.raises(TypeError, match=r"'status' must be an int HTTP status"):
            exp.respond_with_data("x", status="200")
        with pytest.raises(TypeError, match=r"'response_json' must be JSON-serialisable"):
            exp.respond_with_json(object())
        with pytest.raises(TypeError, match=r"'func' must be callable"):
            exp.respond_with_handler("nope")

    def test_expectation_without_response(self, server, client):
        """A matched expectation with no respond_with_* gets a 500 and a NoHandlerError."""
        server.expect_request("/none")
        response = get(client, server, "/none")
        assert response.status_code == 500
        assert "has no response: call respond_with_data" in response.text
        with pytest.raises(NoHandlerError, match=r"expect_request\('/none'\) matched GET /none"):
            server.check_assertions()


class TestHandlerErrors:
    def test_traceback_in_body_and_reraised(self, server, client):
        """A raising handler: 500 with the traceback, request journaled, error re-raised."""

        def handler(request):
            raise ZeroDivisionError("divided")

        server.expect_request("/boom").respond_with_handler(handler)
        response = get(client, server, "/boom")
        assert response.status_code == 500
        assert "ZeroDivisionError: divided" in response.text
        assert "Traceback (most recent call last)" in response.text
        assert [r.path for r in server.requests] == ["/boom"]
        with pytest.raises(ZeroDivisionError, match="divided"):
            server.check_handler_errors()
        server.check_handler_errors()  # reported once

    def test_assertion_in_handler_goes_to_check_assertions(self, server, client):
        """An AssertionError from a handler is reported by check_assertions()."""

        def handler(request):
            raise AssertionError("handler says no")

        server.expect_request("/a").respond_with_handler(handler)
        assert get(client, server, "/a").status_code == 500
        server.check_handler_errors()
        with pytest.raises(AssertionError, match="handler says no"):
            server.check_assertions()

    def test_wrong_return_type_is_a_handler_error(self, server, client):
        """A handler returning e.g. a dict is a handler error naming the type."""
        server.expect_request("/d").respond_with_handler(lambda request: {"a": 1})
        assert get(client, server, "/d").status_code == 500
        with pytest.raises(TypeError, match=r"must return a werkzeug Response.*got dict"):
            server.check()


class TestLifetimes:
    def test_oneshot_is_used_once(self, server, client):
        """A oneshot expectation answers one request, then the request is unmatched."""
        server.expect_oneshot_request("/o").respond_with_data("once")
        assert get(client, server, "/o").text == "once"
        assert get(client, server, "/o").status_code == 500
        with pytest.raises(UnmatchedRequestError):
            server.check_assertions()

    def test_oneshots_queue_in_registration_order(self, server, client):
        """Two oneshots for one path answer in the order they were added."""
        server.expect_oneshot_request("/o").respond_with_data("first")
        server.expect_oneshot_request("/o").respond_with_data("second")
        assert [get(client, server, "/o").text for _ in range(2)] == ["first", "second"]

    def test_times(self, server, client):
        """times=3 answers three requests, then the expectation is gone."""
        exp = server.expect_request("/t", times=3)
        exp.respond_with_data("t")
        assert [get(client, server, "/t").status_code for _ in range(4)] == [200, 200, 200, 500]
        assert exp.call_count == 3
        assert exp.remaining == 0

    def test_bad_times(self, server):
        """A negative, zero or non-int times is refused naming 'times'."""
        with pytest.raises(ValueError, match=r"'times' must be 1 or more"):
            server.expect_request("/t", times=-1)
        with pytest.raises(ValueError, match=r"'times' must be 1 or more"):
            server.expect_request("/t", times=0)
        with pytest.raises(TypeError, match=r"'times' must be an int of 1 or more"):
            server.expect_request("/t", times="2")

    def test_ordered_in_turn(self, server, client):
        """Ordered expectations are served in registration order."""
        server.expect_ordered_request("/1").respond_with_data("one")
        server.expect_ordered_request("/2").respond_with_data("two")
        assert get(client, server, "/1").text == "one"
        assert get(client, server, "/2").text == "two"
        server.check_assertions()

    def test_ordered_out_of_turn_is_refused(self, server, client):
        """A request for a later ordered expectation is refused and recorded."""
        server.expect_ordered_request("/1").respond_with_data("one")
        server.expect_ordered_request("/2").respond_with_data("two")
        response = get(client, server, "/2")
        assert response.status_code == 500
        assert "ordered expectations are used in turn" in response.text
        assert get(client, server, "/1").text == "one"
        assert get(client, server, "/2").text == "two"
        with pytest.raises(OutOfOrderError, match=r"expect_ordered_request\('/2'\)"):
            server.check_assertions()

    def test_sequence_repeats_last(self, server, client):
        """A sequence answers item by item; the last repeats by default."""
        server.expect_request("/s").respond_with_sequence(
            [Response("busy", status=503), "ok", b"done"]
        )
        answers = [get(client, server, "/s") for _ in range(4)]
        assert [(r.status_code, r.text) for r in answers] == [
            (503, "busy"),
            (200, "ok"),
            (200, "done"),
            (200, "done"),
        ]

    def test_sequence_exhaustion_is_an_error_when_asked(self, server, client):
        """when_exhausted='error' answers 500 after the last item and records why."""
        server.expect_request("/s").respond_with_sequence(["a"], when_exhausted="error")
        assert get(client, server, "/s").text == "a"
        response = get(client, server, "/s")
        assert response.status_code == 500
        with pytest.raises(SequenceExhaustedError, match=r"answered all 1 responses"):
            server.check_assertions()

    def test_bad_sequences(self, server):
        """Empty sequences, unknown items and unknown exhaustion modes are refused."""
        exp = server.expect_request("/s")
        with pytest.raises(ValueError, match=r"at least one"):
            exp.respond_with_sequence([])
        with pytest.raises(TypeError, match=r"'responses' item 1 must be"):
            exp.respond_with_sequence(["a", 3])
        with pytest.raises(ValueError, match=r"'when_exhausted' must be"):
            exp.respond_with_sequence(["a"], when_exhausted="loop")


class TestPrecedence:
    def test_most_recent_permanent_wins(self, server, client):
        """Among permanent expectations of equal priority the latest added wins."""
        server.expect_request("/p").respond_with_data("old")
        server.expect_request("/p").respond_with_data("new")
        assert get(client, server, "/p").text == "new"

    def test_priority_beats_recency(self, server, client):
        """A lower priority number wins over a later registration."""
        server.expect_request("/p", priority=1).respond_with_data("important")
        server.expect_request("/p").respond_with_data("later")
        assert get(client, server, "/p").text == "important"

    def test_catch_all_with_specific_overrides(self, server, client):
        """A low-priority catch-all answers what the specific expectations do not."""
        server.expect_request("", priority=10).respond_with_data("fallback", status=404)
        server.expect_request("/users/<int:id>").respond_with_data("user")
        assert get(client, server, "/users/3").text == "user"
        assert get(client, server, "/other").status_code == 404

    def test_oneshot_before_permanent(self, server, client):
        """At equal priority a oneshot is used before a permanent (pytest-httpserver)."""
        server.expect_oneshot_request("/p").respond_with_data("oneshot")
        server.expect_request("/p").respond_with_data("permanent")
        assert [get(client, server, "/p").text for _ in range(2)] == ["oneshot", "permanent"]

    def test_ordered_before_oneshot(self, server, client):
        """At equal priority an ordered expectation is used before a oneshot."""
        server.expect_oneshot_request("/p").respond_with_data("oneshot")
        server.expect_ordered_request("/p").respond_with_data("ordered")
        assert [get(client, server, "/p").text for _ in range(2)] == ["ordered", "oneshot"]

    def test_default_response_answers_the_rest(self, server, client):
        """serve_content answers what no expectation matches, without a failure."""
        server.serve_content("default", code=202)
        server.expect_request("/e").respond_with_data("expected")
        assert get(client, server, "/e").text == "expected"
        response = get(client, server, "/z")
        assert (response.status_code, response.text) == (202, "default")
        server.check_assertions()

    def test_no_handler_status_code(self, server, client):
        """An unmatched request gets no_handler_status_code and an explanation."""
        server.no_handler_status_code = 404
        response = get(client, server, "/nothing")
        assert response.status_code == 404
        assert "No expectations are registered" in response.text
        assert len(server.requests) == 1

    def test_expect_with_a_matcher_object(self, server, client):
        """expect(RequestMatcher(...), HandlerType.ONESHOT) works as in pytest-httpserver."""
        server.expect(RequestMatcher("/m"), HandlerType.ONESHOT).respond_with_data("m")
        assert get(client, server, "/m").text == "m"
        assert get(client, server, "/m").status_code == 500


class TestClearAndRollback:
    def test_clear_resets_everything_but_the_default(self, server, client):
        """clear() forgets requests, log, failures and expectations; serve_content stays."""
        server.serve_content("default")
        server.expect_request("/e").respond_with_data("e")
        server.expect_request("/bad").respond_with_handler(lambda r: 1 / 0)
        get(client, server, "/e")
        get(client, server, "/bad")
        server.clear()
        assert len(server.requests) == len(server.log) == 0
        server.check()
        assert get(client, server, "/e").text == "default"

    def test_end_test_removes_later_expectations(self, server, client):
        """end_test() removes what was added after begin_test() only."""
        server.expect_request("/keep").respond_with_data("kept")
        mark = server.begin_test()
        server.expect_request("/keep").respond_with_data("override")
        server.expect_request("/temp").respond_with_data("temp")
        assert get(client, server, "/keep").text == "override"
        server.end_test(mark, check=False)
        assert get(client, server, "/keep").text == "kept"
        assert get(client, server, "/temp").status_code == 500


class TestConcurrency:
    def test_32_threads_register_and_request(self, server):
        """32 threads registering and requesting: every request journaled, every use counted."""
        per_thread = 20

        def work(index):
            statuses = []
            with requests.Session() as session:
                session.trust_env = False
                for n in range(per_thread):
                    server.expect_request(f"/t{index}/{n}", times=2).respond_with_data("x")
                    for _ in range(3):
                        url = server.url_for(f"/t{index}/{n}")
                        statuses.append(session.get(url, timeout=TIMEOUT).status_code)
            return statuses

        shared = server.expect_request("/shared", times=100)
        shared.respond_with_data("s")

        def hit_shared(_):
            with requests.Session() as session:
                session.trust_env = False
                return session.get(server.url_for("/shared"), timeout=TIMEOUT).status_code

        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(work, range(32)))
        with ThreadPoolExecutor(32) as pool:
            shared_statuses = list(pool.map(hit_shared, range(120)))

        for statuses in results:
            assert statuses == [200, 200, 500] * per_thread
        assert sorted(shared_statuses) == [200] * 100 + [500] * 20
        assert shared.call_count == 100
        assert len(server.requests) == 32 * per_thread * 3 + 120
        assert len(server.log) == len(server.requests)
