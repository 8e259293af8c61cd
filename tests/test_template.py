"""Response templates: rendered from the request in Jinja2's sandbox, refused early when wrong."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from localserver import HTTPServer, LocalServerError
from localserver._extras import MissingExtraError
from localserver._template import (
    ResponseTemplate,
    TemplateError,
    TemplateRenderError,
    _environment,
)

from .conftest import TIMEOUT


def make_request(path: str = "/", **kwargs: object) -> Request:
    """A werkzeug Request as a WSGI server would build it (body in a stream)."""
    return EnvironBuilder(path=path, **kwargs).get_request()  # type: ignore[arg-type]


def render_text(template: str, request: Request | None = None, **path: object) -> str:
    body, _ = ResponseTemplate(template).render(request or make_request(), path)
    return body.decode("utf-8")


class TestContext:
    """What a template reads: request, path and now."""

    def test_method_path_url_and_query(self) -> None:
        """The request's method, path, URL and query parameters (first and all values)."""
        request = make_request("/users/7", method="PUT", query_string="q=a&q=b&page=2")
        text = render_text(
            "{{ request.method }} {{ request.path }} {{ request.args.q }} "
            "{{ request.args.getlist('q') | join(',') }} {{ request.args['page'] }} "
            "{{ request.query_string }} {{ request.url }}",
            request,
        )
        assert text == (
            "PUT /users/7 a a,b 2 q=a&q=b&page=2 http://localhost/users/7?q=a&q=b&page=2"
        )

    def test_path_values(self) -> None:
        """``path`` holds the values of the path template, typed as the converter made them."""
        assert render_text("{{ path.id + 1 }} {{ path['name'] }}", id=41, name="ann") == "42 ann"

    def test_headers_are_case_insensitive(self) -> None:
        """``request.headers`` finds a header under any spelling of its name."""
        request = make_request(headers={"X-Trace-Id": "t-1"})
        text = render_text(
            "{{ request.headers['x-trace-id'] }} {{ request.headers.get('X-TRACE-ID') }}", request
        )
        assert text == "t-1 t-1"

    def test_cookies(self) -> None:
        """``request.cookies`` holds the cookies the client sent."""
        request = make_request(headers={"Cookie": "session=abc; theme=dark"})
        assert render_text(
            "{{ request.cookies.session }}/{{ request.cookies.theme }}", request
        ) == ("abc/dark")

    def test_json_body(self) -> None:
        """``request.json`` is the parsed body of a JSON request."""
        request = make_request(method="POST", json={"items": [{"sku": "A1"}, {"sku": "B2"}]})
        text = render_text("{% for i in request.json['items'] %}{{ i.sku }};{% endfor %}", request)
        assert text == "A1;B2;"

    def test_json_is_none_without_a_json_body(self) -> None:
        """No body, or a body that is not JSON by its Content-Type: ``request.json`` is None."""
        empty = make_request(method="POST", content_type="application/json")
        form = make_request(method="POST", data={"a": "1"})
        assert render_text("{{ request.json is none }}", empty) == "True"
        assert render_text("{{ request.json is none }}", form) == "True"

    def test_form_and_body_together(self) -> None:
        """A template can read the raw body and the parsed form fields in one go."""
        request = make_request(method="POST", data={"name": "Zoë", "tag": "x"})
        text = render_text("{{ request.body }}|{{ request.form.name }}", request)
        assert text == "name=Zo%C3%AB&tag=x|Zoë"

    def test_body_is_decoded_with_the_request_charset(self) -> None:
        """``request.body`` decodes with the charset the Content-Type names."""
        request = make_request(
            method="POST", data="café".encode("latin-1"), content_type="text/plain; charset=latin-1"
        )
        assert render_text("{{ request.body }}", request) == "café"

    def test_now_is_aware_utc(self) -> None:
        """``now`` is the current time in UTC, timezone-aware."""
        before = dt.datetime.now(dt.timezone.utc)
        rendered = dt.datetime.fromisoformat(render_text("{{ now.isoformat() }}"))
        after = dt.datetime.now(dt.timezone.utc)
        assert rendered.utcoffset() == dt.timedelta(0)
        assert before <= rendered <= after

    def test_header_values_are_templates(self) -> None:
        """Header values render like the body; names are sent as given."""
        template = ResponseTemplate(
            "ok", {"Location": "/users/{{ path.id }}", "X-Method": "{{ request.method }}"}
        )
        body, headers = template.render(make_request(method="POST"), {"id": 9})
        assert body == b"ok"
        assert headers == [("Location", "/users/9"), ("X-Method", "POST")]

    def test_parameter_names_that_look_like_attributes(self) -> None:
        """A query parameter called ``label`` or ``path`` is read like any other."""
        request = make_request(query_string="label=red&path=/x")
        assert render_text("{{ request.args.label }} {{ request.args.path }}", request) == "red /x"

    def test_missing_values_can_default(self) -> None:
        """Jinja2's ``default`` filter turns a missing value into a fallback."""
        assert render_text("{{ request.args.page | default('1') }}") == "1"

    def test_body_is_not_html_escaped(self) -> None:
        """Bodies are not HTML: ``<`` and ``&`` arrive as the request sent them."""
        request = make_request(query_string="q=%3Cb%3E%26")
        assert render_text("{{ request.args.q }}", request) == "<b>&"


class TestToJSON:
    """``tojson`` writes valid JSON whatever the value, safe inside HTML too."""

    @pytest.mark.parametrize(
        "value",
        ['say "hi"\\ there', "line\nbreak\ttab\x00nul", "</script><!--", "\u2028\u2029", "Zoë 🎉"],
    )
    def test_strings_round_trip(self, value: str) -> None:
        """Any string comes back unchanged through json.loads, with no raw ``<``, ``>``, ``&``."""
        request = make_request(query_string={"v": value})
        body = render_text('{"v": {{ request.args.v | tojson }}}', request)
        assert json.loads(body) == {"v": value}
        assert not set("<>&'\u2028\u2029") & set(body)

    def test_structures_and_dates(self) -> None:
        """Mappings (path, args), lists and datetimes become JSON objects, arrays, ISO strings."""
        request = make_request(query_string="a=1&a=2&b=3")
        body = render_text(
            '{"path": {{ path | tojson }}, "args": {{ request.args | tojson }}, '
            '"all": {{ request.args.getlist("a") | tojson }}, "when": {{ path.when | tojson }}}',
            request,
            id=7,
            when=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        )
        data = json.loads(body)
        assert data["args"] == {"a": "1", "b": "3"}
        assert data["all"] == ["1", "2"]
        assert data["when"] == "2030-01-02T03:04:05+00:00"
        assert data["path"] == {"id": 7, "when": "2030-01-02T03:04:05+00:00"}

    def test_nan_is_refused(self) -> None:
        """NaN is not JSON: rendering fails instead of writing an invalid body."""
        with pytest.raises(TemplateRenderError, match="not JSON compliant"):
            render_text("{{ path.x | tojson }}", x=float("nan"))

    def test_undefined_value_names_what_is_missing(self) -> None:
        """``tojson`` of a missing value fails with the missing name, not a type error."""
        with pytest.raises(TemplateRenderError, match=r"request\.args has no 'q'"):
            render_text("{{ request.args.q | tojson }}")


class TestRegistrationErrors:
    """Mistakes that can be seen in the text are refused when the template is built."""

    def test_syntax_error_names_the_line(self) -> None:
        """A syntax error says which template, which line, and quotes it."""
        with pytest.raises(TemplateError) as caught:
            ResponseTemplate('{\n  "a": 1,\n  "b": {{ path.id }\n}')
        error = caught.value
        assert isinstance(error, ValueError)
        assert isinstance(error, LocalServerError)
        assert (error.where, error.line) == ("body", 3)
        assert str(error).startswith("body template, line 3: unexpected '}'")
        assert "{{ path.id }" in str(error)

    def test_unknown_name_suggests_the_right_one(self) -> None:
        """A top-level name other than request, path, now is refused, with a suggestion."""
        with pytest.raises(
            TemplateError, match=r"line 2: unknown name 'reqest' \(did you mean 'request'\?\)"
        ):
            ResponseTemplate("ok\n{{ reqest.method }}")

    def test_unknown_request_field(self) -> None:
        """``request.<field>`` must be one the view has."""
        with pytest.raises(
            TemplateError, match=r"request has no field 'methd' \(did you mean 'method'\?\)"
        ):
            ResponseTemplate("{{ request.methd }}")

    def test_private_request_attribute_is_refused(self) -> None:
        """The view's internals are out of reach, and said so before any request."""
        with pytest.raises(TemplateError, match="request has no field '_request'"):
            ResponseTemplate("{{ request._request.environ }}")

    def test_unknown_path_name_when_names_are_known(self) -> None:
        """With the path template's names given, ``path.<other>`` is refused."""
        with pytest.raises(TemplateError, match=r"path has no part 'user_id'.*has id"):
            ResponseTemplate("{{ path.user_id }}", path_names={"id"})
        ResponseTemplate("{{ path.id }} {{ path['id'] }}", path_names={"id"})

    def test_header_template_errors_name_the_header(self) -> None:
        """An error in a header value names that header."""
        with pytest.raises(TemplateError, match=r"header 'X-Id' template, line 1"):
            ResponseTemplate("ok", {"X-Id": "{{ nope }}"})

    def test_local_names_are_allowed(self) -> None:
        """Loop variables, ``set`` names, ``loop`` and Jinja2 globals are not unknown."""
        template = ResponseTemplate(
            "{% set sep = ',' %}"
            "{% for n in range(3) %}{{ n }}{{ sep if not loop.last }}{% endfor %}"
        )
        assert template.render(make_request())[0] == b"0,1,2"

    def test_bad_arguments(self) -> None:
        """A body that is not text, or a header name that is not a token, is refused."""
        with pytest.raises(TypeError, match="must be a str"):
            ResponseTemplate(b"bytes")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not a valid HTTP header name"):
            ResponseTemplate("ok", {"Bad Name": "x"})
        with pytest.raises(TypeError, match="must be a str"):
            ResponseTemplate("ok", {"X-N": 1})  # type: ignore[dict-item]


class TestRenderErrors:
    """What fails per request says where and why, in one line."""

    def test_missing_path_value_lists_what_there_is(self) -> None:
        """A missing path value names the line and the values present."""
        with pytest.raises(TemplateRenderError) as caught:
            ResponseTemplate('{\n  "id": {{ path.idd }}\n}').render(make_request(), {"id": 3})
        error = caught.value
        assert (error.where, error.line) == ("body", 2)
        assert error.explanation == "body template, line 2: path has no 'idd' (it has id)"
        assert str(error) == error.explanation

    def test_invalid_json_body_only_fails_templates_that_read_it(self) -> None:
        """A broken JSON body is no error until a template reads ``request.json``."""
        request = make_request(method="POST", data=b"{broken", content_type="application/json")
        assert ResponseTemplate("{{ request.body }}").render(request)[0] == b"{broken"
        with pytest.raises(TemplateRenderError) as caught:
            ResponseTemplate("id: {{ request.json.id }}").render(request)
        assert "line 1: the template reads request.json but the request body is not valid JSON" in (
            str(caught.value)
        )
        assert "b'{broken'" in str(caught.value)

    def test_sandbox_refusals(self) -> None:
        """Changing values or reaching internals is refused by the sandbox."""
        with pytest.raises(TemplateRenderError, match=r"not allowed in a template: .*append"):
            render_text("{% set xs = [] %}{{ xs.append(1) }}")
        with pytest.raises(TemplateRenderError, match="not allowed in a template"):
            render_text("{{ request.args.__class__.__init__ }}")

    def test_python_errors_keep_their_cause(self) -> None:
        """Other exceptions are named by type; the original is the ``__cause__``."""
        with pytest.raises(TemplateRenderError) as caught:
            render_text("a\nb\n{{ 1 // path.zero }}", zero=0)
        assert (
            str(caught.value)
            == "body template, line 3: ZeroDivisionError: integer division or modulo by zero"
        )
        assert isinstance(caught.value.__cause__, ZeroDivisionError)

    def test_header_value_with_line_break_is_refused(self) -> None:
        """A header value that renders a line break would split the head: refused."""
        template = ResponseTemplate("ok", {"X-Echo": "{{ request.args.v }}"})
        request = make_request(query_string="v=a%0D%0ASet-Cookie:+x=1")
        with pytest.raises(TemplateRenderError, match="header 'X-Echo' template rendered a value"):
            template.render(request)


class TestConcurrency:
    """One template renders for many requests at once."""

    def test_parallel_renders_do_not_mix(self) -> None:
        """Sixteen threads rendering one template each get their own request's values."""
        template = ResponseTemplate("{{ request.args.n }}-{{ path.n }}")
        results: dict[int, bytes] = {}

        def work(n: int) -> None:
            for _ in range(50):
                body, _ = template.render(make_request(query_string=f"n={n}"), {"n": n})
                if body != f"{n}-{n}".encode():
                    results[n] = body
                    return
            results[n] = b"ok"

        threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        assert results == dict.fromkeys(range(16), b"ok")


class TestOverARealServer:
    """Templates render the server's own RecordedRequest, body already read."""

    @pytest.fixture
    def server(self) -> Iterator[HTTPServer]:
        template = ResponseTemplate(
            '{"echo": {{ request.json.msg | tojson }}, "n": {{ request.args.n | tojson }}}',
            {"Content-Type": "application/json", "X-Len": "{{ request.body | length }}"},
        )

        def handler(request: Request) -> Response:
            try:
                body, headers = template.render(request)
            except TemplateRenderError as exc:
                return Response(exc.explanation, status=500)
            return Response(body, headers=headers)

        with HTTPServer() as srv:
            srv.expect_request("/echo").respond_with_handler(handler)
            yield srv

    def test_requests_client(self, server: HTTPServer) -> None:
        """A JSON POST from requests is echoed, escaped as JSON must be."""
        with requests.Session() as session:
            session.trust_env = False
            response = session.post(
                server.url_for("/echo?n=5"), json={"msg": 'a "quoted" <tag>'}, timeout=TIMEOUT
            )
        assert response.status_code == 200
        assert response.json() == {"echo": 'a "quoted" <tag>', "n": "5"}
        assert response.headers["X-Len"] == str(len(json.dumps({"msg": 'a "quoted" <tag>'})))

    def test_render_error_becomes_the_handler_answer(self, server: HTTPServer) -> None:
        """A body that is not JSON gives the one-line explanation (the dispatcher's 500)."""
        with requests.Session() as session:
            session.trust_env = False
            response = session.post(
                server.url_for("/echo"),
                data=b"not json",
                headers={"Content-Type": "application/json"},
                timeout=TIMEOUT,
            )
        assert response.status_code == 500
        assert response.text.startswith("body template, line 1: the template reads request.json")


class TestOptionalDependency:
    """Jinja2 is the extra ``localserver[templates]``, imported only when used."""

    def test_import_does_not_load_jinja2(self) -> None:
        """Importing the module (and localserver) leaves jinja2 unloaded."""
        code = "import sys, localserver, localserver._template; print('jinja2' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert out.stdout.strip() == "False"

    def test_missing_jinja2_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without Jinja2 the error says which pip command brings it."""
        for name in ("jinja2", "jinja2.sandbox"):
            monkeypatch.setitem(sys.modules, name, None)
        _environment.cache_clear()
        try:
            with pytest.raises(MissingExtraError) as caught:
                ResponseTemplate("{{ request.method }}")
        finally:
            _environment.cache_clear()
        assert isinstance(caught.value, ImportError)
        assert 'pip install "localserver[templates]"' in str(caught.value)
        assert "response templates need the 'jinja2' package" in str(caught.value)
