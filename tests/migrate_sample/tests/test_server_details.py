"""Tests that lean on pytest-httpserver's own words and internals: migrate lists them."""

import requests


def test_unexpected_request(httpserver):
    response = requests.get(httpserver.url_for("/nobody-expects-this"), timeout=5)

    assert response.status_code == 500
    assert "No handler found for request" in response.text
    httpserver.clear_assertions()


def test_serving_thread(httpserver):
    assert httpserver.server_thread.daemon
