"""respond_with_template(): answers rendered from each request, over a real server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import requests

from localserver import (
    HandlerError,
    HTTPServer,
    MissingExtraError,
    TemplateError,
    TemplateRenderError,
)
from localserver._template import _environment

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


class TestAnswers:
    def test_path_query_and_json_body(self, srv: HTTPServer, client: requests.Session) -> None:
        """Path template values, query parameters and the JSON body reach the template."""
        srv.expect_request("/users/<int:id>", method="PUT").respond_with_template(
            '{"id": {{ path.id }}, "name": {{ request.json.name | tojson }}, '
            '"v": {{ request.args.v | tojson }}}',
            content_type="application/json",
        )
        response = client.put(
            srv.url_for("/users/42?v=2"), json={"name": 'Ann "the" <b>'}, timeout=TIMEOUT
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"id": 42, "name": 'Ann "the" <b>', "v": "2"}

    def test_each_request_gets_its_own_rendering(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """The same expectation answers each request with that request's values."""
        srv.expect_request("/echo").respond_with_template("{{ request.args.word }}")
        words = ["one", "two", "three"]
        answers = [
            client.get(srv.url_for("/echo"), params={"word": w}, timeout=TIMEOUT).text
            for w in words
        ]
        assert answers == words

    def test_status_headers_and_default_content_type(self, srv: HTTPServer) -> None:
        """status= applies; header values are templates; the type defaults to UTF-8 text."""
        srv.expect_request("/made/<name>").respond_with_template(
            "made {{ path.name }} ✓",
            status=201,
            headers={"Location": "/made/{{ path.name }}", "X-Method": "{{ request.method }}"},
        )
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as client:
            response = client.post(srv.url_for("/made/box"))
        assert response.status_code == 201
        assert response.text == "made box ✓"
        assert response.headers["Location"] == "/made/box"
        assert response.headers["X-Method"] == "POST"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["Content-Length"] == str(len("made box ✓".encode()))

    def test_content_type_from_a_header_template(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """A Content-Type among the headers is the one sent (a template too)."""
        srv.expect_request("/t").respond_with_template(
            "<p>{{ request.args.x }}</p>", headers={"Content-Type": "text/{{ request.args.t }}"}
        )
        response = client.get(srv.url_for("/t?x=1&t=html"), timeout=TIMEOUT)
        assert response.headers["Content-Type"] == "text/html"
        assert response.text == "<p>1</p>"

    def test_regex_groups_are_path_values(self, srv: HTTPServer, client: requests.Session) -> None:
        """A regex path's named groups are path.<name> too."""
        srv.expect_request(re.compile(r"/files/(?P<name>\w+)\.txt$")).respond_with_template(
            "file {{ path.name }}"
        )
        assert client.get(srv.url_for("/files/notes.txt"), timeout=TIMEOUT).text == "file notes"

    def test_now_and_sequences_with_hooks(self, srv: HTTPServer, client: requests.Session) -> None:
        """A template answer passes through post hooks like any other."""

        def stamp(request: object, response: object) -> object:
            response.headers["X-Hooked"] = "yes"  # type: ignore[attr-defined]
            return response

        srv.expect_request("/now").respond_with_template("{{ now.year > 2000 }}").with_post_hook(
            stamp
        )
        response = client.get(srv.url_for("/now"), timeout=TIMEOUT)
        assert (response.text, response.headers["X-Hooked"]) == ("True", "yes")

    def test_returns_the_expectation(self, srv: HTTPServer) -> None:
        """respond_with_template returns the expectation, so calls chain."""
        expectation = srv.expect_request("/c")
        assert expectation.respond_with_template("c") is expectation


class TestRegistrationErrors:
    def test_syntax_error_at_registration(self, srv: HTTPServer) -> None:
        """A syntax error raises TemplateError at once; nothing is registered."""
        with pytest.raises(TemplateError, match=r"body template, line 2: .*'{% if %}'"):
            srv.expect_request("/x").respond_with_template("ok\n{% if %}")
        assert "none" in srv.format_matchers().split("Persistent matchers:")[1]

    def test_unknown_path_name_for_the_expectation(self, srv: HTTPServer) -> None:
        """path.<name> must be a part of this expectation's path template."""
        with pytest.raises(TemplateError, match=r"path has no part 'idd' \(did you mean 'id'\?\)"):
            srv.expect_request("/users/<int:id>").respond_with_template("{{ path.idd }}")
        with pytest.raises(TemplateError, match="the path template has no named parts"):
            srv.expect_request("/users").respond_with_template("{{ path.id }}")

    def test_content_type_twice_is_refused(self, srv: HTTPServer) -> None:
        """content_type= and a Content-Type header cannot both be given."""
        with pytest.raises(ValueError, match="the Content-Type is given twice"):
            srv.expect_request("/").respond_with_template(
                "", headers={"content-type": "a/b"}, content_type="c/d"
            )

    def test_bad_status(self, srv: HTTPServer) -> None:
        """The status is checked as for respond_with_data."""
        with pytest.raises(ValueError, match="'status'"):
            srv.expect_request("/").respond_with_template("", status=42)

    def test_template_error_is_a_value_error(self) -> None:
        """TemplateError is a ValueError, so code catching bad arguments catches it."""
        assert issubclass(TemplateError, ValueError)


class TestRenderErrors:
    def test_missing_value_answers_500_and_fails_the_checks(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """A value the request lacks: 500 naming it; check_assertions raises a HandlerError."""
        srv.expect_request("/q").respond_with_template("{{ request.args.q }}")
        response = client.get(srv.url_for("/q?other=1"), timeout=TIMEOUT)
        assert response.status_code == 500
        expected = (
            "localserver: the response template for GET /q?other=1 failed: body template, "
            "line 1: request.args has no 'q' (it has other)\n"
        )
        assert response.text == expected
        with pytest.raises(HandlerError) as caught:
            srv.check_assertions()
        assert str(caught.value) == expected
        assert isinstance(caught.value.__cause__, TemplateRenderError)
        assert caught.value.__cause__.where == "body"
        assert len(srv.requests) == 1

    def test_render_error_fails_the_test_end(
        self, srv: HTTPServer, client: requests.Session
    ) -> None:
        """On a shared server the failure is reported when the test ends."""
        mark = srv.begin_test()
        srv.expect_request("/j").respond_with_template("{{ request.json.a }}")
        client.post(
            srv.url_for("/j"),
            data=b"{bad",
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        with pytest.raises(HandlerError, match=r"the template reads request\.json"):
            srv.end_test(mark)


class TestOptionalDependency:
    def test_missing_jinja2_is_named_at_registration(
        self, srv: HTTPServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without Jinja2, respond_with_template says which extra to install."""
        for name in ("jinja2", "jinja2.sandbox"):
            monkeypatch.setitem(sys.modules, name, None)
        _environment.cache_clear()
        try:
            with pytest.raises(MissingExtraError, match=r'pip install "localserver\[templates\]"'):
                srv.expect_request("/").respond_with_template("x")
        finally:
            _environment.cache_clear()

    def test_importing_localserver_loads_neither_extra(self) -> None:
        """import localserver imports neither jinja2 nor yaml."""
        code = "import sys, localserver; print('jinja2' in sys.modules, 'yaml' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert out.stdout.strip() == "False False"
