"""A weather client, tested against a fake weather service (pytest-httpserver style)."""

import pytest
import requests
from pytest_httpserver import HTTPServer


def forecast(base_url: str, city: str) -> dict:
    response = requests.get(f"{base_url}/forecast", params={"city": city}, timeout=5)
    response.raise_for_status()
    return response.json()


def test_forecast(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/forecast", query_string="city=Oslo").respond_with_json(
        {"city": "Oslo", "temperature": 3}
    )

    assert forecast(httpserver.url_for("/").rstrip("/"), "Oslo")["temperature"] == 3


def test_unknown_city(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/forecast").respond_with_data("no such city", status=404)

    with pytest.raises(requests.HTTPError):
        forecast(httpserver.url_for("/").rstrip("/"), "Atlantis")
