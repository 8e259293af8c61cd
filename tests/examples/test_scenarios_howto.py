"""The scenarios how-to's examples: each is included into docs/scenarios.rst."""

from __future__ import annotations

import pytest
import requests

from localserver import HTTPServer, UnmatchedRequestError

from .test_failure_reports import assert_report, get


@pytest.fixture
def server():
    with HTTPServer() as server:
        yield server


def test_shopping_cart(server):
    """The same GET answers differently once a POST has moved the scenario."""
    server.expect_request(
        "/cart", method="GET", scenario="cart", state="started"
    ).respond_with_json([])
    server.expect_request(
        "/cart", method="POST", scenario="cart", state="started", new_state="filled"
    ).respond_with_data("added", status=201)
    server.expect_request("/cart", method="GET", scenario="cart", state="filled").respond_with_json(
        ["book"]
    )

    url = server.url_for("/cart")
    assert requests.get(url, timeout=5).json() == []
    assert requests.post(url, json={"item": "book"}, timeout=5).status_code == 201
    assert requests.get(url, timeout=5).json() == ["book"]
    assert server.scenario_state("cart") == "filled"


def test_second_call_succeeds(server):
    """The first call fails with 503, every later one succeeds: a client that retries."""
    server.expect_request("/report", scenario="report", new_state="ready").respond_with_data(
        "not yet", status=503
    )
    server.expect_request("/report", scenario="report", state="ready").respond_with_json(
        {"done": True}
    )

    with requests.Session() as session:
        responses = [session.get(server.url_for("/report"), timeout=5) for _ in range(3)]

    assert [r.status_code for r in responses] == [503, 200, 200]


def test_start_in_the_middle(server):
    """A test can put a scenario in the state it needs, without the requests that lead there."""
    server.expect_request("/order/7", scenario="order", state="shipped").respond_with_json(
        {"status": "shipped"}
    )
    server.set_scenario_state("order", "shipped")

    assert requests.get(server.url_for("/order/7"), timeout=5).json() == {"status": "shipped"}


def test_wrong_state_report(server):
    """A request that is right in all but the state: the report says which state it needs."""
    server.expect_request("/cart", method="GET", scenario="cart", state="filled").respond_with_json(
        ["book"]
    )

    status = get(server, "/cart", headers={})

    assert status == 500
    with pytest.raises(UnmatchedRequestError) as caught:
        server.check_assertions()
    assert "scenario cart is in state started, this expectation needs filled" in str(caught.value)
    assert_report(str(caught.value), "scenario_state", server.port)
