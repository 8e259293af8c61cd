"""Sphinx configuration for localserver's documentation.

CI builds it with ``python -m sphinx -n -W --keep-going``: every warning is an
error, and every cross-reference inside the site must resolve (nitpicky). The
build needs no network: there is no intersphinx, so references to the standard
library and to third-party types are listed below as known to stay unresolved.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, os.path.abspath(".."))

from localserver import __version__

project = "localserver"
author = "The localserver authors"
copyright = "2026, The localserver authors"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# An attribute's docstring says what it holds; its annotation adds noise there.
napoleon_attr_annotations = False

html_theme = "furo"
html_title = f"localserver {release}"
html_theme_options = {"navigation_with_keys": True}
exclude_patterns = ["_build"]
# Literal blocks (::) hold shell commands and reports; Python comes by literalinclude.
highlight_language = "none"

# Every reference inside the site must resolve (also without -n on the command line).
nitpicky = True

# Without network (and so without intersphinx), names from the standard library
# and from werkzeug, pytest and Django cannot be linked: they stay plain text.
_EXTERNAL = (
    "collections",
    "contextlib",
    "email",
    "enum",
    "http",
    "os",
    "pathlib",
    "pytest",
    "queue",
    "re",
    "smtplib",
    "socket",
    "ssl",
    "threading",
    "typing",
    "unittest",
    "werkzeug",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL)})\..+"),
    # werkzeug's names as its own docstrings (inherited by RecordedRequest) write them.
    (r"py:.*", r"(Request|Response|Headers|RequestEntityTooLarge|max_content_length)"),
]
# Private helper types that appear in signatures. The pages say what each one is
# (a list of recorded requests, a callable, a type variable...); they have no
# entry of their own because they are not part of the public API.
nitpick_ignore = [
    ("py:class", "localserver._lifecycle._S"),
    ("py:class", "localserver._aliases._Runs"),
    ("py:class", "localserver._http_expect._Parts"),
    ("py:class", "localserver._http_checks._Parts"),
    ("py:class", "localserver._aliases._HasCertificate"),
    ("py:class", "localserver._journal.Journal"),
    ("py:class", "localserver._journal.JournalView"),
    ("py:class", "localserver._mistakes.MistakeText"),
    ("py:class", "localserver._checks.Waiting"),
    ("py:class", "localserver._http.TestMark"),
    ("py:class", "localserver._smtp.auth.AuthAttempt"),
    ("py:class", "localserver._smtp.faults.FaultRule"),
    ("py:class", "localserver._smtp.faults.Faults"),
    ("py:class", "localserver._smtp.mail.MailDetails"),
    ("py:class", "localserver._smtp.mail.Outbox"),
    ("py:class", "localserver._smtp.server.SMTPTestMark"),
    ("py:class", "localserver._fields.FieldResult"),
    ("py:class", "localserver._responders.Responder"),
    ("py:class", "ScenarioStep"),
    ("py:class", "WSGIApp"),
    ("py:class", "WSGIEnvironment"),
    ("py:class", "StrPath"),
    ("py:class", "AuthOption"),
    ("py:class", "Recipients"),
    ("py:class", "Text"),
    ("py:class", "HeaderValueMatcherFunc"),
    # localserver.compat: the peers' type aliases and localserver's classes imported
    # under another name (their pages link the classes in words).
    ("py:class", "_Matcher"),
    ("py:class", "_Server"),
    ("py:class", "QueryArg"),
    ("py:class", "ValueComparator"),
    ("py:class", "Hook"),
    ("py:class", "MultiDict"),
    ("py:class", "SSLContextArg"),
    ("py:class", "localserver.compat.pytest_httpserver.bake._T"),
]


def _public_bases(app: Any, name: str, obj: Any, options: Any, bases: list[Any]) -> None:
    """Show a class's public ancestors, never the private classes it is built from."""
    public = []
    for base in bases:
        for ancestor in inspect.getmro(base) if inspect.isclass(base) else (base,):
            module = getattr(ancestor, "__module__", "")
            if not module.startswith("localserver._") and "._" not in module:
                public.append(ancestor)
                break
    bases[:] = [base for base in dict.fromkeys(public) if base is not object]


def _plugin_fixtures() -> dict[str, str]:
    """The pytest module's public fixtures and their docstrings.

    Read from the source, not imported, so that building the docs needs no pytest.
    """
    path = Path(__file__).resolve().parent.parent / "localserver" / "pytest_plugin.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    public: list[str] = []
    docs: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            public = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.FunctionDef):
            docs[node.name] = ast.get_docstring(node) or ""
    return {name: docs[name] for name in public}


class PytestFixtures(SphinxDirective):
    """``.. localserver-fixtures::``: one ``fixture`` entry per fixture of the
    pytest module, its text taken from the fixture's docstring."""

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for name, doc in _plugin_fixtures().items():
            lines += [f".. fixture:: {name}", ""]
            lines += [f"   {line}" if line else "" for line in doc.splitlines()]
            lines.append("")
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source="localserver.pytest_plugin"), 0, container)
        return container.children


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-process-bases", _public_bases)
    # The pytest module's fixtures, marker and ini options, and the CLI's
    # options, get index entries and cross-reference roles of their own.
    app.add_object_type("fixture", "fixture", "pair: %s; fixture")
    app.add_object_type("marker", "marker", "pair: %s; marker")
    app.add_object_type("inioption", "inioption", "pair: %s; ini option")
    app.add_directive("localserver-fixtures", PytestFixtures)
    return {"parallel_read_safe": True}
