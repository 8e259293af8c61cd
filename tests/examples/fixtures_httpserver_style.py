"""Tests as pytest-httpserver users write them: they pass with its plugin and with ours.

Not collected by the main run (no ``test_`` prefix): tests/test_pytest_plugin_use.py
runs this file under both plugins, and docs/migrate-pytest-httpserver.rst shows it.
"""

from __future__ import annotations

import pytest
import requests
from werkzeug import Request, Response


def test_json(httpserver):
    httpserver.expect_request("/users", query_string="page=2").respond_with_json([{"id": 7}])

    response = requests.get(httpserver.url_for("/users?page=2"), timeout=5)

    assert response.json() == [{"id": 7}]
    httpserver.check_assertions()


def test_oneshot_and_wait(httpserver):
    with httpserver.wait(timeout=5) as waiting:
        httpserver.expect_oneshot_request("/ping", method="POST").respond_with_data("pong")
        assert requests.post(httpserver.url_for("/ping"), timeout=5).text == "pong"

    assert waiting.result


def test_ordered(httpserver):
    httpserver.expect_ordered_request("/first").respond_with_data("1")
    httpserver.expect_ordered_request("/second").respond_with_data("2")

    texts = [requests.get(httpserver.url_for(p), timeout=5).text for p in ("/first", "/second")]

    assert texts == ["1", "2"]
    httpserver.check_assertions()


def test_handler_and_log(httpserver):
    def echo(request: Request) -> Response:
        return Response(request.get_data(), status=202)

    httpserver.expect_request("/echo", method="PUT").respond_with_handler(echo)

    response = requests.put(httpserver.url_for("/echo"), data=b"abc", timeout=5)

    assert (response.status_code, response.content) == (202, b"abc")
    request, logged = httpserver.log[0]
    assert request.path == "/echo"
    assert logged.status_code == 202


def test_check_assertions_reports_a_miss(httpserver):
    httpserver.expect_request("/right").respond_with_data("x")

    requests.get(httpserver.url_for("/wrong"), timeout=5)

    with pytest.raises(AssertionError):
        httpserver.check_assertions()
    assert "/right" in httpserver.format_matchers()
