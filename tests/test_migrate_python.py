"""The rewrite of one Python file: peer names become localserver's, every other byte stays."""

from __future__ import annotations

import textwrap

import pytest

cst = pytest.importorskip("libcst")

from localserver._migrate.python import rewrite_source  # noqa: E402

HTTPSERVER_NAMES = [
    "METHOD_ALL",
    "URI_DEFAULT",
    "BakedHTTPServer",
    "BlockingHTTPServer",
    "BlockingRequestHandler",
    "Error",
    "HTTPServer",
    "HTTPServerError",
    "HeaderValueMatcher",
    "NoHandlerError",
    "RequestHandler",
    "RequestMatcher",
    "RequestMatcherKwargs",
    "URIPattern",
    "WaitingSettings",
]
LOCALSERVER_NAMES = {
    "pytest_localserver": ["VERSION", "http", "https", "smtp", "plugin"],
    "pytest_localserver.http": ["WSGIServer", "ContentServer", "Chunked"],
    "pytest_localserver.https": ["SecureContentServer", "DEFAULT_KEY", "DEFAULT_CERTIFICATE"],
    "pytest_localserver.smtp": ["Server"],
}


def migrate(source: str) -> str:
    return rewrite_source(cst.parse_module(textwrap.dedent(source))).code


def same(source: str) -> None:
    assert migrate(source) == textwrap.dedent(source)


class TestImports:
    def test_every_public_name_of_pytest_httpserver(self) -> None:
        """from pytest_httpserver import <each public name> -> the compat package."""
        names = ", ".join(HTTPSERVER_NAMES)
        assert migrate(f"from pytest_httpserver import {names}\n") == (
            f"from localserver.compat.pytest_httpserver import {names}\n"
        )

    @pytest.mark.parametrize("module", sorted(LOCALSERVER_NAMES))
    def test_every_public_name_of_pytest_localserver(self, module: str) -> None:
        """from pytest_localserver[.X] import <each public name> -> the compat module."""
        names = ", ".join(LOCALSERVER_NAMES[module])
        assert migrate(f"from {module} import {names}\n") == (
            f"from localserver.compat.{module} import {names}\n"
        )

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (
                "from pytest_httpserver.httpserver import HandlerType\n",
                "from localserver.compat.pytest_httpserver.httpserver import HandlerType\n",
            ),
            (
                "from pytest_httpserver.hooks import Chain, Delay, Garbage\n",
                "from localserver.compat.pytest_httpserver.hooks import Chain, Delay, Garbage\n",
            ),
            (
                "from pytest_httpserver.blocking_httpserver import BlockingHTTPServer\n",
                "from localserver.compat.pytest_httpserver.blocking_httpserver"
                " import BlockingHTTPServer\n",
            ),
            (
                "from pytest_localserver.http import WSGIServer, ContentServer\n",
                "from localserver.compat.pytest_localserver.http"
                " import WSGIServer, ContentServer\n",
            ),
            (
                "from pytest_localserver import http\n",
                "from localserver.compat.pytest_localserver import http\n",
            ),
        ],
    )
    def test_submodules(self, before: str, after: str) -> None:
        """A submodule path keeps its shape under localserver.compat."""
        assert migrate(before) == after

    def test_plain_import_keeps_its_name(self) -> None:
        """import pytest_httpserver binds the same local name to the compat package."""
        assert migrate("import pytest_httpserver\n") == (
            "import localserver.compat.pytest_httpserver as pytest_httpserver\n"
        )

    def test_alias_is_kept(self) -> None:
        """An as-name stays; only the module path changes."""
        assert migrate("import pytest_localserver.http as lhttp\n") == (
            "import localserver.compat.pytest_localserver.http as lhttp\n"
        )
        assert migrate("from pytest_httpserver import HTTPServer as Server\n") == (
            "from localserver.compat.pytest_httpserver import HTTPServer as Server\n"
        )

    def test_star_import(self) -> None:
        """A star-import gets the new module path."""
        assert migrate("from pytest_localserver.http import *\n") == (
            "from localserver.compat.pytest_localserver.http import *\n"
        )

    def test_other_names_in_the_same_statement_stay(self) -> None:
        """import os, pytest_httpserver: only the peer changes."""
        assert migrate("import os, pytest_httpserver  # both\n") == (
            "import os, localserver.compat.pytest_httpserver as pytest_httpserver  # both\n"
        )

    def test_relative_and_lookalike_imports_stay(self) -> None:
        """A relative import and a module merely named like a peer are not the peer."""
        same(
            """\
            from . import pytest_httpserver
            from .pytest_localserver import http
            import pytest_httpserver_extras
            from localserver import HTTPServer
            """
        )

    def test_comments_and_layout_survive(self) -> None:
        """Comments, parentheses, trailing commas and blank lines are untouched."""
        before = """\
            # A header comment.
            from pytest_httpserver import (  # the peer
                HTTPServer,  # the server
                RequestHandler,
            )


            def helper():  # unchanged
                return 1
            """
        assert migrate(before) == textwrap.dedent(before).replace(
            "from pytest_httpserver", "from localserver.compat.pytest_httpserver"
        )

    def test_imports_inside_blocks(self) -> None:
        """Imports under try, if TYPE_CHECKING or in a function are rewritten too."""
        before = """\
            try:
                from pytest_httpserver import HTTPServer
            except ImportError:
                HTTPServer = None

            def make():
                import pytest_localserver.http
                return pytest_localserver.http.ContentServer()
            """
        after = migrate(before)
        assert "from localserver.compat.pytest_httpserver import HTTPServer" in after
        assert "import localserver.compat.pytest_localserver.http\n" in after
        assert "return localserver.compat.pytest_localserver.http.ContentServer()" in after


class TestAttributeChains:
    def test_dotted_import_rewrites_its_chains(self) -> None:
        """import pytest_httpserver.httpserver binds the top name: chains get the new path."""
        after = migrate(
            """\
            import pytest_httpserver.httpserver

            server = pytest_httpserver.httpserver.HTTPServer()
            """
        )
        assert after == textwrap.dedent(
            """\
            import localserver.compat.pytest_httpserver.httpserver

            server = localserver.compat.pytest_httpserver.httpserver.HTTPServer()
            """
        )

    def test_plain_import_leaves_chains(self) -> None:
        """With import pytest_httpserver as well, the local name already is the new package."""
        after = migrate(
            """\
            import pytest_httpserver
            import pytest_httpserver.hooks

            hook = pytest_httpserver.hooks.Delay(0.1)
            """
        )
        assert "hook = pytest_httpserver.hooks.Delay(0.1)" in after
        assert "import localserver.compat.pytest_httpserver.hooks\n" in after

    def test_unrelated_attributes_stay(self) -> None:
        """An attribute merely named like a peer (config.pytest_httpserver) stays."""
        after = migrate(
            """\
            import pytest_httpserver.httpserver

            x = config.pytest_httpserver.value
            """
        )
        assert after.endswith("x = config.pytest_httpserver.value\n")


class TestPluginStrings:
    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (
                'pytest_plugins = "pytest_httpserver"\n',
                'pytest_plugins = "localserver.compat.pytest_httpserver.pytest_plugin"\n',
            ),
            (
                "pytest_plugins = ['pytest_localserver.plugin', 'pytester']\n",
                "pytest_plugins = ['localserver.compat.pytest_localserver.plugin', 'pytester']\n",
            ),
            (
                'pytest_plugins = ("pytest_httpserver.pytest_plugin",)\n',
                'pytest_plugins = ("localserver.compat.pytest_httpserver.pytest_plugin",)\n',
            ),
            (
                'pytest_plugins += ["pytest_localserver.plugin"]\n',
                'pytest_plugins += ["localserver.compat.pytest_localserver.plugin"]\n',
            ),
            (
                'pytest_plugins: list[str] = ["pytest_httpserver"]\n',
                "pytest_plugins: list[str] = "
                '["localserver.compat.pytest_httpserver.pytest_plugin"]\n',
            ),
            (
                'pytest_plugins.append("pytest_localserver.plugin")\n',
                'pytest_plugins.append("localserver.compat.pytest_localserver.plugin")\n',
            ),
        ],
    )
    def test_pytest_plugins(self, before: str, after: str) -> None:
        """str, list, tuple, +=, annotated and .append forms of pytest_plugins."""
        assert migrate(before) == after

    def test_localserver_in_pytest_plugins_is_ours(self) -> None:
        """pytest_plugins resolves module names: "localserver" there is our package."""
        same('pytest_plugins = ["localserver.pytest_plugin", "localserver"]\n')

    def test_multiline_plugins_keep_their_comments(self) -> None:
        """A list written one entry per line keeps its comments and trailing comma."""
        before = """\
            pytest_plugins = [
                "pytest_httpserver",  # the expectation fixtures
                "pytester",
            ]
            """
        assert migrate(before) == textwrap.dedent(before).replace(
            '"pytest_httpserver"', '"localserver.compat.pytest_httpserver.pytest_plugin"'
        )


class TestCallStrings:
    def test_importorskip(self) -> None:
        """pytest.importorskip("pytest_httpserver") imports the compat package."""
        assert migrate('ph = pytest.importorskip("pytest_httpserver")\n') == (
            'ph = pytest.importorskip("localserver.compat.pytest_httpserver")\n'
        )
        assert migrate("m = importlib.import_module('pytest_localserver.http')\n") == (
            "m = importlib.import_module('localserver.compat.pytest_localserver.http')\n"
        )

    def test_dotted_targets(self) -> None:
        """monkeypatch.setattr / mock.patch targets given as dotted strings."""
        assert migrate(
            'monkeypatch.setattr("pytest_httpserver.httpserver.URI_DEFAULT", "/x")\n'
        ) == (
            'monkeypatch.setattr("localserver.compat.pytest_httpserver.httpserver.URI_DEFAULT",'
            ' "/x")\n'
        )
        assert migrate("mock.patch('pytest_localserver.http.WSGIServer.stop')\n") == (
            "mock.patch('localserver.compat.pytest_localserver.http.WSGIServer.stop')\n"
        )

    def test_plugin_after_dash_p(self) -> None:
        """The value after "-p" is a plugin reference, entry-point names included."""
        assert migrate('pytester.runpytest("-p", "localserver", "-p", "no:localserver")\n') == (
            'pytester.runpytest("-p", "localserver.compat.pytest_localserver.plugin",'
            ' "-p", "no:localserver")\n'
        )
        assert migrate('pytest.main(["-p", "pytest_httpserver", "tests"])\n') == (
            'pytest.main(["-p", "localserver.compat.pytest_httpserver.pytest_plugin", "tests"])\n'
        )

    def test_prose_and_annotations_stay(self) -> None:
        """Strings that are not dotted targets (prose, a bare name, annotations) stay."""
        same(
            """\
            print("pytest_httpserver is great")
            log("pytest_httpserver")
            def f(server: "pytest_httpserver.HTTPServer") -> None: ...
            DOC = "see pytest_localserver.http"
            """
        )


class TestIdempotence:
    SOURCE = """\
        import pytest_httpserver
        import pytest_httpserver.httpserver
        import pytest_localserver.http as lhttp
        from pytest_httpserver import HTTPServer  # comment
        from pytest_localserver.https import *

        pytest_plugins = ["pytest_httpserver", "pytest_localserver.plugin"]
        ph = pytest.importorskip("pytest_httpserver")

        def test(monkeypatch, pytester):
            monkeypatch.setattr("pytest_httpserver.httpserver.METHOD_ALL", "X")
            pytester.runpytest("-p", "localserver")
            pytest_httpserver.httpserver.HTTPServer()
        """

    def test_second_rewrite_changes_nothing(self) -> None:
        """Rewriting the rewritten source gives it back byte for byte."""
        once = migrate(self.SOURCE)
        assert once != textwrap.dedent(self.SOURCE)
        assert migrate(once) == once

    def test_file_without_peers_is_byte_identical(self) -> None:
        """A file that never names a peer comes back unchanged, odd formatting included."""
        same(
            """\
            import os ,sys   # spacing kept
            x = ( 1 ,
                  2 )
            def f( a ) :  return a
            """
        )

    def test_encoding_and_line_endings_survive(self) -> None:
        """CRLF line endings and a coding cookie stay as they were."""
        source = b"# -*- coding: latin-1 -*-\r\nimport pytest_httpserver\r\nx = '\xe9'\r\n"
        module = rewrite_source(cst.parse_module(source))
        assert module.bytes == (
            b"# -*- coding: latin-1 -*-\r\n"
            b"import localserver.compat.pytest_httpserver as pytest_httpserver\r\n"
            b"x = '\xe9'\r\n"
        )
