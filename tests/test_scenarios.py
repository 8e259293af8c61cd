"""Stateful scenarios: expectations that match in one state of a named scenario and move it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from werkzeug.wrappers import Response

from localserver import (
    HandlerType,
    HTTPServer,
    OutOfOrderError,
    RequestMatcher,
    UnmatchedRequestError,
)
from localserver._recording import read_har
from localserver._scenarios import STARTED, ScenarioStep, scenario_step

from .conftest import TIMEOUT


@pytest.fixture
def srv() -> Iterator[HTTPServer]:
    with HTTPServer() as server:
        yield server


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def cart(server: HTTPServer) -> None:
    """The shopping cart of the docs: empty, filled by a POST, then one item."""
    server.expect_request(
        "/cart", method="GET", scenario="cart", state="started"
    ).respond_with_json([])
    server.expect_request(
        "/cart", method="POST", scenario="cart", state="started", new_state="filled"
    ).respond_with_data("added", status=201)
    server.expect_request("/cart", method="GET", scenario="cart", state="filled").respond_with_json(
        ["book"]
    )


class TestStates:
    def test_every_scenario_starts_in_started(self, srv: HTTPServer) -> None:
        """A scenario nobody moved, named or not by an expectation, is in "started"."""
        cart(srv)
        assert srv.scenario_state("cart") == STARTED == "started"
        assert srv.scenario_state("never-mentioned") == "started"

    def test_an_answer_moves_the_scenario(self, srv: HTTPServer, client: requests.Session) -> None:
        """GET sees the empty cart, POST fills it, GET then sees the item."""
        cart(srv)
        url = srv.url_for("/cart")
        assert client.get(url, timeout=TIMEOUT).json() == []
        assert client.post(url, timeout=TIMEOUT).status_code == 201
        assert srv.scenario_state("cart") == "filled"
        assert client.get(url, timeout=TIMEOUT).json() == ["book"]
        assert client.get(url, timeout=TIMEOUT).json() == ["book"]
        srv.check()

    def test_no_state_matches_in_any_state_and_no_new_state_stays(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """Without state= it answers whatever the state; without new_state= it leaves it."""
        srv.expect_request("/any", scenario="s").respond_with_data("any")
        srv.expect_request("/move", scenario="s", new_state="moved").respond_with_data("moved")
        assert client.get(srv.url_for("/any"), timeout=TIMEOUT).text == "any"
        assert srv.scenario_state("s") == "started"
        client.get(srv.url_for("/move"), timeout=TIMEOUT)
        assert client.get(srv.url_for("/any"), timeout=TIMEOUT).text == "any"
        assert srv.scenario_state("s") == "moved"

    def test_set_scenario_state_forces_a_state(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """The test can put a scenario in any state, "started" included."""
        cart(srv)
        srv.set_scenario_state("cart", "filled")
        assert client.get(srv.url_for("/cart"), timeout=TIMEOUT).json() == ["book"]
        srv.set_scenario_state("cart", "started")
        assert client.get(srv.url_for("/cart"), timeout=TIMEOUT).json() == []

    def test_scenarios_are_independent(self, srv: HTTPServer, client: requests.Session) -> None:
        """Moving one scenario leaves the others where they are."""
        srv.expect_request("/a", scenario="a", new_state="done").respond_with_data("a")
        client.get(srv.url_for("/a"), timeout=TIMEOUT)
        assert (srv.scenario_state("a"), srv.scenario_state("b")) == ("done", "started")

    def test_clear_resets_every_scenario(self, srv: HTTPServer) -> None:
        """clear() puts every scenario back in "started"."""
        srv.set_scenario_state("cart", "paid")
        srv.clear()
        assert srv.scenario_state("cart") == "started"

    def test_each_test_starts_and_ends_in_started(self, srv: HTTPServer) -> None:
        """begin_test() and end_test() both reset the scenarios of a shared server."""
        srv.set_scenario_state("cart", "left over")
        mark = srv.begin_test()
        assert srv.scenario_state("cart") == "started"
        srv.set_scenario_state("cart", "paid")
        srv.end_test(mark)
        assert srv.scenario_state("cart") == "started"

    def test_expect_takes_the_scenario_too(self, srv: HTTPServer) -> None:
        """expect(matcher, ...) accepts scenario, state and new_state."""
        srv.expect(RequestMatcher("/x"), scenario="x", state="a", new_state="b").respond_with_data(
            "x"
        )
        srv.set_scenario_state("x", "a")
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            assert client.get(srv.url_for("/x")).text == "x"
        assert srv.scenario_state("x") == "b"


class TestArguments:
    def test_state_without_scenario_is_refused(self, srv: HTTPServer) -> None:
        """state= or new_state= alone names no scenario: ValueError saying so."""
        with pytest.raises(ValueError, match="'state' needs 'scenario'"):
            srv.expect_request("/", state="empty")
        with pytest.raises(ValueError, match="'new_state' needs 'scenario'"):
            srv.expect_oneshot_request("/", new_state="filled")

    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            ({"scenario": ""}, ValueError, "'scenario' must not be empty"),
            ({"scenario": "c", "state": ""}, ValueError, "'state' must not be empty"),
            ({"scenario": 3}, TypeError, r"'scenario' must be a str \(got int: 3\)"),
            ({"scenario": "c", "new_state": b"x"}, TypeError, "'new_state' must be a str"),
        ],
    )
    def test_names_are_checked(
        self, srv: HTTPServer, kwargs: dict[str, object], error: type, message: str
    ) -> None:
        """Scenario and state names are non-empty str; the message names the argument."""
        with pytest.raises(error, match=message):
            srv.expect_request("/", **kwargs)

    def test_setting_and_reading_check_names(self, srv: HTTPServer) -> None:
        """scenario_state and set_scenario_state refuse what no scenario is called."""
        with pytest.raises(ValueError, match="'name' must not be empty"):
            srv.scenario_state("")
        with pytest.raises(TypeError, match="'state' must be a str"):
            srv.set_scenario_state("cart", None)  # type: ignore[arg-type]

    def test_no_scenario_is_none(self) -> None:
        """Without a scenario there is no condition at all."""
        assert scenario_step(None, None, None) is None
        assert scenario_step("c", None, "b") == ScenarioStep("c", None, "b")


class TestLifetimes:
    def test_oneshot_moves_once_and_is_gone(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """A oneshot expectation in a scenario answers once, moving it once."""
        srv.expect_oneshot_request("/pay", scenario="cart", new_state="paid").respond_with_data(
            "paid"
        )
        srv.expect_request("/pay", scenario="cart", state="paid").respond_with_data(
            "already paid", status=409
        )
        url = srv.url_for("/pay")
        assert client.post(url, timeout=TIMEOUT).text == "paid"
        assert client.post(url, timeout=TIMEOUT).status_code == 409
        assert srv.scenario_state("cart") == "paid"
        srv.assert_expectations_met()

    def test_times_limits_answers_in_a_state(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """times=2 in state "started" answers twice; a later request finds it gone."""
        srv.expect_request("/t", scenario="s", state="started", times=2).respond_with_data("t")
        for _ in range(2):
            assert client.get(srv.url_for("/t"), timeout=TIMEOUT).text == "t"
        assert client.get(srv.url_for("/t"), timeout=TIMEOUT).status_code == 500
        with pytest.raises(UnmatchedRequestError):
            srv.check_assertions()

    def test_a_sequence_walks_through_states(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """A chain of state steps makes a workflow: queued, running, done."""
        steps = [("started", "running", "queued"), ("running", "done", "running")]
        for state, new_state, body in steps:
            srv.expect_request(
                "/job", scenario="job", state=state, new_state=new_state
            ).respond_with_data(body)
        srv.expect_request("/job", scenario="job", state="done").respond_with_data("done")
        answers = [client.get(srv.url_for("/job"), timeout=TIMEOUT).text for _ in range(4)]
        assert answers == ["queued", "running", "done", "done"]

    def test_ordered_expectations_keep_their_turn(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """Ordered ones move the scenario in turn; one out of turn moves nothing."""
        srv.expect_ordered_request("/login", scenario="auth", new_state="in").respond_with_data(
            "in"
        )
        srv.expect_ordered_request(
            "/logout", scenario="auth", state="in", new_state="out"
        ).respond_with_data("out")
        srv.set_scenario_state("auth", "in")
        assert client.get(srv.url_for("/logout"), timeout=TIMEOUT).status_code == 500
        assert srv.scenario_state("auth") == "in"
        with pytest.raises(OutOfOrderError):
            srv.check_assertions()
        srv.set_scenario_state("auth", "started")
        assert client.get(srv.url_for("/login"), timeout=TIMEOUT).text == "in"
        assert client.get(srv.url_for("/logout"), timeout=TIMEOUT).text == "out"
        assert srv.scenario_state("auth") == "out"

    def test_priority_among_states(self, srv: HTTPServer, client: requests.Session) -> None:
        """A high-priority expectation in another state is passed over, not chosen."""
        srv.expect_request("/p", priority=1, scenario="s", state="special").respond_with_data(
            "special"
        )
        srv.expect_request("/p", priority=9).respond_with_data("normal")
        assert client.get(srv.url_for("/p"), timeout=TIMEOUT).text == "normal"
        srv.set_scenario_state("s", "special")
        assert client.get(srv.url_for("/p"), timeout=TIMEOUT).text == "special"

    def test_handler_type_and_scenario(self, srv: HTTPServer, client: requests.Session) -> None:
        """expect_request(handler_type=ONESHOT, scenario=...) is a oneshot in a scenario."""
        srv.expect_request(
            "/h", handler_type=HandlerType.ONESHOT, scenario="h", new_state="used"
        ).respond_with_data("h")
        client.get(srv.url_for("/h"), timeout=TIMEOUT)
        assert srv.scenario_state("h") == "used"
        assert srv.format_matchers().count("/h") == 0  # used up, gone


class TestReports:
    def test_near_miss_names_the_state(self, srv: HTTPServer, client: requests.Session) -> None:
        """A request right in all but the state: the report says which state, which is needed."""
        srv.expect_request(
            "/cart", method="GET", scenario="cart", state="filled"
        ).respond_with_data("item")
        srv.set_scenario_state("cart", "empty")
        response = client.get(srv.url_for("/cart"), timeout=TIMEOUT)
        assert response.status_code == 500
        line = "scenario cart is in state empty, this expectation needs filled"
        assert line in response.text
        with pytest.raises(UnmatchedRequestError) as caught:
            srv.check_assertions()
        text = str(caught.value)
        assert line in text
        assert ">> scenario       cart in state filled" in text
        assert "[2 of 3 fields agree]" in text

    def test_report_shows_the_state_when_the_request_came(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """The state in the report is the one the request was matched against."""
        srv.expect_request("/x", scenario="s", state="b").respond_with_data("x")
        srv.set_scenario_state("s", "a")
        client.get(srv.url_for("/x"), timeout=TIMEOUT)
        srv.set_scenario_state("s", "c")
        with pytest.raises(UnmatchedRequestError, match="scenario s is in state a,"):
            srv.check_assertions()

    def test_format_matchers_shows_conditions_and_states(self, srv: HTTPServer) -> None:
        """Each expectation shows its scenario condition; the states follow."""
        cart(srv)
        srv.set_scenario_state("cart", "filled")
        text = srv.format_matchers()
        assert (
            "expect_request('/cart', method='POST', scenario='cart', state='started', "
            "new_state='filled')" in text
        )
        assert text.endswith("Scenarios:\n    cart: filled")

    def test_format_matchers_without_scenarios_is_unchanged(self, srv: HTTPServer) -> None:
        """No scenario in use: no Scenarios section."""
        srv.expect_request("/").respond_with_data("")
        assert "Scenarios" not in srv.format_matchers()


class TestSixteenThreads:
    def test_a_scenario_and_a_proxy_under_load(self, tmp_path: Path) -> None:
        """16 threads at once: each step of a 64-step chain answers once, the rest is forwarded.

        Every request lands in the journal, every forwarded one reaches the upstream
        and the recording, and the scenario ends in its last state.
        """
        steps, threads, rounds = 64, 16, 6
        har = tmp_path / "load.har"
        with HTTPServer() as upstream, HTTPServer() as front:
            upstream.expect_request("").respond_with_handler(
                lambda request: Response(f"up {request.path}")
            )
            for i in range(steps):
                state = "started" if i == 0 else f"s{i}"
                front.expect_request(
                    "/step", scenario="chain", state=state, new_state=f"s{i + 1}"
                ).respond_with_data(str(i))
            front.proxy_to(upstream.url, record_to=har)
            barrier = threading.Barrier(threads)
            answers: dict[int, list[str]] = {}
            errors: list[BaseException] = []

            def drive(number: int) -> None:
                try:
                    with requests.Session() as session:
                        session.trust_env = False
                        barrier.wait(TIMEOUT)
                        got = []
                        for k in range(rounds):
                            for path in ("/step", f"/other/{number}/{k}"):
                                response = session.get(front.url_for(path), timeout=TIMEOUT)
                                response.raise_for_status()
                                got.append(response.text)
                        answers[number] = got
                except BaseException as exc:  # reported below, on the test's thread
                    errors.append(exc)

            workers = [threading.Thread(target=drive, args=(n,)) for n in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(TIMEOUT * 4)
            assert not errors, errors
            assert len(answers) == threads
            everything = [text for got in answers.values() for text in got]
            chain = sorted(int(text) for text in everything if text.isdigit())
            assert chain == list(range(steps))  # each transition exactly once
            forwarded = [text for text in everything if not text.isdigit()]
            total = threads * rounds * 2
            assert len(forwarded) == total - steps
            assert forwarded.count("up /step") == threads * rounds - steps
            assert front.scenario_state("chain") == f"s{steps}"
            assert len(front.requests) == total
            assert len(upstream.requests) == total - steps
            assert len(read_har(har)) == total - steps
            front.check()
            upstream.check()
