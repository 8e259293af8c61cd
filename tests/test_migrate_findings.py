"""What needs a human: each rule of localserver/_migrate/findings.py, found with its line."""

from __future__ import annotations

import sys
import textwrap
import types

import pytest

cst = pytest.importorskip("libcst")

from localserver._migrate import findings  # noqa: E402
from localserver._migrate.survey import Survey, survey  # noqa: E402


@pytest.fixture(autouse=True)
def no_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the compatibility package the missing-name rule stays silent."""
    monkeypatch.setitem(sys.modules, "localserver.compat", None)  # type: ignore[arg-type]


def surveyed(source: str) -> Survey:
    module = cst.parse_module(textwrap.dedent(source))
    return survey(cst.MetadataWrapper(module), "test_x.py")


def found(source: str) -> list[tuple[int, str]]:
    return [(finding.line, finding.reason) for finding in surveyed(source).findings]


def lines(source: str) -> list[int]:
    return [line for line, _ in found(source)]


class TestPeerErrorText:
    def test_peer_message_in_a_comparison(self) -> None:
        """A string holding a peer's error text is reported, with the text."""
        result = found(
            """\
            def test_it(httpserver):
                response = get(httpserver.url_for("/"))
                assert "No handler found for request" in response.text
            """
        )
        assert result == [(3, result[0][1])]
        assert "'No handler found for'" in result[0][1]

    @pytest.mark.parametrize("message", findings.PEER_MESSAGES)
    def test_every_listed_message(self, message: str) -> None:
        """Each entry of PEER_MESSAGES is detected, whatever the case."""
        assert lines(f"x = {message.upper()!r}\n") == [1]

    def test_fstring_and_match(self) -> None:
        """Text inside an f-string or a pytest.raises(match=...) counts too."""
        source = """\
            with pytest.raises(AssertionError, match="matched no handler"):
                check()
            text = f"{n} Server is not running"
            """
        assert lines(source) == [1, 3]

    def test_other_text_is_quiet(self) -> None:
        """Our own wording and ordinary strings are not reported."""
        assert found('x = "no expectation matched"\ny = "handler"\n') == []


class TestPrivateAttributes:
    def test_private_attribute_of_a_fixture(self) -> None:
        """._name on a peer fixture parameter."""
        assert lines("def test(httpserver):\n    httpserver._server.shutdown()\n") == [2]

    def test_serving_internals_of_a_fixture(self) -> None:
        """The werkzeug server and thread, aiosmtpd's parts."""
        source = """\
            def test(httpserver, smtpserver):
                httpserver.server_thread.join()
                httpserver.server.shutdown()
                smtpserver.smtpd.close()
            """
        assert lines(source) == [2, 3, 4]

    def test_server_made_from_a_peer_class(self) -> None:
        """Names bound by a call of a peer server class, by assignment or with."""
        source = """\
            from pytest_localserver.http import ContentServer
            from pytest_httpserver import HTTPServer as Server

            def test():
                server = ContentServer()
                server._server.timeout
                with Server() as other:
                    other._hooks
                self.http = ContentServer()
                self.http._server
            """
        assert lines(source) == [6, 8, 10]

    def test_dunder_and_public_attributes_are_fine(self) -> None:
        """__class__, url, expect_request... are not private."""
        source = """\
            def test(httpserver):
                httpserver.__class__
                httpserver.expect_request("/").respond_with_data("x")
                httpserver.url_for("/")
            """
        assert found(source) == []

    def test_private_attribute_of_other_objects(self) -> None:
        """._name on objects that are not peer servers is someone else's business."""
        source = """\
            class Helper:
                def go(self, client):
                    self._cache = {}
                    client._session.close()
            """
        assert found(source) == []


class TestSubclasses:
    def test_internal_base_class(self) -> None:
        """A subclass of a peer class with no stand-in."""
        source = """\
            from pytest_httpserver.httpserver import RequestHandlerBase
            import pytest_localserver.smtp

            class Mine(RequestHandlerBase):
                pass

            class MyHandler(pytest_localserver.smtp.Handler):
                pass
            """
        assert lines(source) == [4, 7]

    def test_overrides_of_internal_steps(self) -> None:
        """Overriding dispatch() or a _method, and self._name, in a peer subclass."""
        source = """\
            from pytest_httpserver import HTTPServer

            class Recording(HTTPServer):
                def dispatch(self, request):
                    return super().dispatch(request)

                def _private(self):
                    return self._waiting_settings

                def expect_json(self, uri):
                    return self.expect_request(uri)
            """
        assert lines(source) == [4, 7, 8]

    def test_public_subclass_is_fine(self) -> None:
        """Subclassing WSGIServer or URIPattern as documented is not reported."""
        source = """\
            from pytest_localserver.http import WSGIServer
            from pytest_httpserver import URIPattern

            class App(WSGIServer):
                def __init__(self, app):
                    super().__init__(application=app)

            class Prefix(URIPattern):
                def match(self, uri):
                    return uri.startswith("/api")
            """
        assert found(source) == []


class TestWerkzeugServing:
    def test_in_a_file_that_uses_a_peer(self) -> None:
        """werkzeug.serving next to a peer is reported."""
        source = """\
            from werkzeug.serving import ThreadedWSGIServer
            import werkzeug

            def test(httpserver):
                assert isinstance(httpserver.server, werkzeug.serving.BaseWSGIServer)
            """
        assert lines(source) == [1, 5, 5]

    def test_alone(self) -> None:
        """A file that serves with werkzeug by itself is not the peers' business."""
        assert found("from werkzeug.serving import make_server\n") == []


class TestOther:
    def test_importorskip_minversion(self) -> None:
        """minversion would compare localserver's version."""
        source = 'ph = pytest.importorskip("pytest_httpserver", minversion="1.1")\n'
        assert lines(source) == [1]
        assert found('ph = pytest.importorskip("pytest_httpserver")\n') == []

    def test_distribution_name(self) -> None:
        """A string naming a peer's distribution (uninstalled after the move)."""
        assert lines('v = importlib.metadata.version("pytest-httpserver")\n') == [1]


class TestMissingNames:
    @pytest.fixture
    def compat(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A stand-in compat package offering HTTPServer and refusing HandlerType."""
        package = types.ModuleType("localserver.compat")
        package.__path__ = []
        module = types.ModuleType("localserver.compat.pytest_httpserver")
        module.HTTPServer = object  # type: ignore[attr-defined]

        def refuse(name: str) -> object:
            if name == "HandlerType":
                raise AttributeError("HandlerType is not offered: use expect_request(...)")
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = refuse  # type: ignore[method-assign]
        # The real compatibility modules another test imported must not answer here.
        for name in [n for n in sys.modules if n.startswith("localserver.compat.")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, "localserver.compat", package)
        monkeypatch.setitem(sys.modules, "localserver.compat.pytest_httpserver", module)

    @pytest.mark.usefixtures("compat")
    def test_name_the_compat_module_refuses(self) -> None:
        """The compat module's own message, which says what to use instead, is passed on."""
        result = found("from pytest_httpserver import HTTPServer, HandlerType, Nope\n")
        assert [line for line, _ in result] == [1, 1]
        assert "use expect_request(...)" in result[0][1]
        assert "does not offer Nope" in result[1][1]

    @pytest.mark.usefixtures("compat")
    def test_module_the_compat_package_lacks(self) -> None:
        """A peer submodule with no counterpart."""
        assert lines("import pytest_localserver.http\n") == [1]

    def test_silent_without_the_compat_package(self) -> None:
        """A localserver without localserver.compat reports nothing of this kind."""
        assert findings.missing_name("localserver.compat.pytest_httpserver", "X") is None


class TestUse:
    def test_fixtures_imports_and_styles(self) -> None:
        """The survey records fixtures (params, getfixturevalue), imports and styles."""
        result = surveyed(
            """\
            import pytest_localserver.http

            @pytest.mark.usefixtures("smtpserver")
            def test(httpserver, request):
                httpserver.serve_content("x")
                request.getfixturevalue("httpserver_ipv4")
            """
        )
        assert set(result.fixtures) == {"httpserver", "smtpserver", "httpserver_ipv4"}
        assert result.fixtures["httpserver"] == 4
        assert result.imported == {"pytest_localserver"}
        assert result.styles == {"pytest_localserver"}

    def test_plugins_and_migrated_imports(self) -> None:
        """pytest_plugins entries; an already migrated import counts as the peer's."""
        result = surveyed(
            """\
            from localserver.compat.pytest_httpserver import HTTPServer
            pytest_plugins = ["localserver.compat.pytest_httpserver.pytest_plugin"]
            """
        )
        assert result.imported == {"pytest_httpserver"}
        assert [peer.module for peer in result.loads()] == ["pytest_httpserver"]
