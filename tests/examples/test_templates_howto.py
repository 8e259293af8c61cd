"""The response templates how-to's examples: each is included into docs/templates.rst."""

from __future__ import annotations

import pytest
import requests

from localserver import HandlerError, HTTPServer, TemplateError


@pytest.fixture
def server():
    with HTTPServer() as server:
        yield server


def test_echo_the_id(server):
    """The id in the path and a query parameter come back in the JSON answer."""
    server.expect_request("/users/<int:id>").respond_with_template(
        '{"id": {{ path.id }}, "fields": {{ request.args.fields | tojson }}}',
        content_type="application/json",
    )

    response = requests.get(server.url_for("/users/42?fields=name"), timeout=5)

    assert response.json() == {"id": 42, "fields": "name"}


def test_echo_the_body(server):
    """A created resource echoes the JSON it was sent, with a Location header."""
    server.expect_request("/users", method="POST").respond_with_template(
        '{"name": {{ request.json.name | tojson }}, "created": "{{ now.date() }}"}',
        status=201,
        headers={"Location": "/users/{{ request.json.name | urlencode }}"},
        content_type="application/json",
    )

    response = requests.post(server.url_for("/users"), json={"name": 'Ann "A" Lee'}, timeout=5)

    assert response.status_code == 201
    assert response.json()["name"] == 'Ann "A" Lee'
    assert response.headers["Location"] == "/users/Ann%20%22A%22%20Lee"


def test_defaults_and_conditions(server):
    """Jinja2's filters and tests: a default for a missing parameter, a branch on the method."""
    server.expect_request("/greet").respond_with_template(
        "{% if request.method == 'HEAD' %}{% else %}"
        "Hello, {{ request.args.name | default('stranger') }}!{% endif %}"
    )

    assert requests.get(server.url_for("/greet"), timeout=5).text == "Hello, stranger!"
    assert requests.get(server.url_for("/greet?name=Bo"), timeout=5).text == "Hello, Bo!"


def test_mistakes_found_at_registration(server):
    """A name the template cannot read fails when the expectation is made."""
    with pytest.raises(TemplateError) as caught:
        server.expect_request("/users/<int:id>").respond_with_template('{"id": {{ path.user_id }}}')

    assert str(caught.value) == (
        "body template, line 1: path has no part 'user_id'; the path template has id: "
        "'{\"id\": {{ path.user_id }}}'"
    )


def test_mistakes_found_per_request(server):
    """A value one request lacks: that request gets a 500, and the checks fail."""
    server.expect_request("/search").respond_with_template("results for {{ request.args.q }}")

    response = requests.get(server.url_for("/search"), timeout=5)

    assert response.status_code == 500
    assert "request.args has no 'q' (it has nothing)" in response.text
    with pytest.raises(HandlerError):
        server.check_assertions()
