"""The documentation shows only code that runs: every example is a file the test run executes.

Python code reaches the pages in one way only, ``literalinclude`` of a file under
``tests/`` that this test run executes (pytest collects it, or a named test runs it).
These tests fail on a ``code-block:: python`` or a ``::`` block of Python written
into a page, on an include whose file, object or marker is gone, on a docstring
example the tests do not run, and on a public name the reference leaves out.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import localserver

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
EXAMPLES = TESTS / "examples"
PAGES = sorted(DOCS.glob("*.rst"))
# Read, not imported: importing the plugin here would keep the pytester runs of
# other test files from loading it with assertion rewriting.
PLUGIN = ROOT / "localserver" / "pytest_plugin.py"
SUPPORT = ROOT / "localserver" / "_pytest_support.py"

# Files under tests/ that pytest does not collect (their names do not start with
# test_) but that a test runs, with the test file that runs them.
RUN_ELSEWHERE = {
    "tests/examples/fixtures_ours.py": "tests/test_pytest_plugin_use.py",
    "tests/examples/fixtures_localserver_style.py": "tests/test_pytest_plugin_use.py",
    "tests/examples/fixtures_httpserver_style.py": "tests/test_pytest_plugin_use.py",
    "tests/examples/tutorial_pytest.py": "tests/test_docs.py",
    "tests/examples/plugin_conftest.py": "tests/test_docs.py",
    "tests/examples/lenient_suite.py": "tests/test_lenient.py",
    "tests/examples/compat_conftest.py": "tests/test_compat_httpserver_plugin.py",
    "tests/django_project/shop/tests.py": "tests/test_mixin_runners.py",
    "tests/django_project/shop/views.py": "tests/test_mixin_runners.py",
    "tests/migrate_sample/tests/test_weather.py": "tests/test_migrate_e2e.py",
    "tests/migrate_sample/tests/test_server_details.py": "tests/test_migrate_e2e.py",
}
# Languages of code blocks that are not Python.
NOT_PYTHON = {"console", "shell", "bash", "sh", "text", "ini", "toml", "cfg", "none"}


def executed_files() -> set[str]:
    """Paths (relative to the root) of the files the test run executes."""
    collected = {
        path.relative_to(ROOT).as_posix()
        for path in TESTS.rglob("*.py")
        if path.name.startswith("test_") or path.name.endswith("_test.py")
    }
    return collected | set(RUN_ELSEWHERE)


def directives(text: str, name: str) -> Iterator[tuple[int, str, dict[str, str]]]:
    """(line number, argument, options) of each ``.. name::`` directive in *text*."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        found = re.match(rf"^(\s*)\.\. {re.escape(name)}::\s*(.*)$", line)
        if not found:
            continue
        options = {}
        for option in lines[number:]:
            matched = re.match(r"^\s+:([\w-]+):\s*(.*)$", option)
            if not matched:
                break
            options[matched.group(1)] = matched.group(2)
        yield number, found.group(2).strip(), options


def literal_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, dedented content) of each ``::`` literal block in reST *text*."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.endswith("::") or stripped.startswith(".."):
            continue
        indent = len(line) - len(line.lstrip())
        body: list[str] = []
        for following in lines[number + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        content = textwrap.dedent("\n".join(body)).strip("\n")
        if content:
            yield number + 1, content


def looks_like_python(code: str) -> bool:
    """Whether *code* parses as Python and does something (a call, an import...)."""
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return bool(re.search(r"[(=]|\bimport\b|\bdef\b|\bclass\b", code))


def contains_block(text: str, block: str) -> bool:
    """Whether *block*'s lines appear in *text* one after the other, at any indent."""
    wanted = block.splitlines()
    lines = text.splitlines()
    for start in range(len(lines) - len(wanted) + 1):
        first = lines[start]
        indent = first[: len(first) - len(first.lstrip())]
        if all(
            (lines[start + i] == indent + line) if line.strip() else not lines[start + i].strip()
            for i, line in enumerate(wanted)
        ):
            return True
    return False


def include_target(page: Path, argument: str) -> Path:
    return (page.parent / argument).resolve()


# -- the pages --------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
class TestPages:
    def test_no_python_written_into_the_page(self, page: Path) -> None:
        """No code-block of Python: Python comes from an executed file, by literalinclude."""
        text = page.read_text()
        offending = []
        for kind in ("code-block", "code", "sourcecode"):
            for number, language, _ in directives(text, kind):
                if language.lower() not in NOT_PYTHON:
                    offending.append(f"line {number}: .. {kind}:: {language}")
        for number, content in literal_blocks(text):
            if looks_like_python(content):
                offending.append(f"line {number}: a :: block of Python")
        assert not offending, f"{page.name}: include these from a file under tests/: {offending}"

    def test_includes_are_executed_and_complete(self, page: Path) -> None:
        """Every literalinclude names an existing file the tests run, object and markers."""
        executed = executed_files()
        problems = []
        for number, argument, options in directives(page.read_text(), "literalinclude"):
            path = include_target(page, argument)
            where = f"{page.name} line {number} ({argument})"
            if not path.is_file():
                problems.append(f"{where}: no such file")
                continue
            relative = path.relative_to(ROOT).as_posix()
            if path.suffix == ".py" and relative not in executed:
                problems.append(f"{where}: not a file the test run executes")
            source = path.read_text()
            if "pyobject" in options:
                names = options["pyobject"].split(".")
                tree = ast.parse(source)
                for name in names:
                    nodes = [
                        node
                        for node in ast.iter_child_nodes(tree)
                        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                        and node.name == name
                    ]
                    if not nodes:
                        problems.append(f"{where}: no {options['pyobject']}")
                        break
                    tree = nodes[0]  # type: ignore[assignment]
            for marker in ("start-after", "end-before", "start-at", "end-at"):
                if marker in options and options[marker] not in source:
                    problems.append(f"{where}: {marker} {options[marker]!r} not found")
        assert not problems, problems

    def test_non_python_includes_are_checked_by_a_test(self, page: Path) -> None:
        """An included text file (an expected report) is compared by an executed test."""
        missing = []
        for _, argument, _ in directives(page.read_text(), "literalinclude"):
            path = include_target(page, argument)
            if path.suffix == ".py" or not path.is_file():
                continue
            readers = [
                name
                for name in executed_files()
                if name.endswith(".py")
                and path.parent.name in (ROOT / name).read_text()
                and (ROOT / name).parent == path.parent.parent
            ]
            if not readers:
                missing.append(argument)
        assert not missing, f"{page.name}: no test reads {missing}"


class TestRunElsewhere:
    def test_each_runner_names_its_file(self) -> None:
        """Each file that pytest does not collect is named (or its project) by its runner."""
        for example, runner in RUN_ELSEWHERE.items():
            assert (ROOT / example).is_file(), example
            names = [Path(example).stem, *Path(example).parts[1:-1]]
            text = (ROOT / runner).read_text()
            assert any(name in text for name in names if name != "examples"), (example, runner)


# -- the README -------------------------------------------------------------------------


def test_readme_example_is_executed() -> None:
    """README.rst's Python example is, line for line, in tests/examples/test_readme_example.py."""
    readme = (ROOT / "README.rst").read_text()
    blocks = [
        textwrap.dedent(match.group(1)).strip("\n")
        for match in re.finditer(
            r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", readme, re.MULTILINE
        )
    ]
    assert blocks, "README.rst has no Python example"
    source = (EXAMPLES / "test_readme_example.py").read_text()
    for block in blocks:
        assert contains_block(source, block), (
            f"not in tests/examples/test_readme_example.py:\n{block}"
        )


# -- docstrings -------------------------------------------------------------------------


def documented_objects() -> Iterator[tuple[str, object]]:
    """The public objects whose docstrings the reference renders, with their names."""
    for name in localserver.__all__:
        obj = getattr(localserver, name)
        yield name, obj
        if not inspect.isclass(obj):
            continue
        for attribute, value in vars(obj).items():
            if attribute.startswith("_") and attribute != "__init__":
                continue
            target = value.fget if isinstance(value, property) else value
            target = getattr(target, "__func__", target)
            if getattr(target, "__module__", "").startswith("localserver"):
                yield f"{name}.{attribute}", target
        for base in inspect.getmro(obj)[1:]:
            if not base.__module__.startswith("localserver._"):
                continue
            for attribute, value in vars(base).items():
                if attribute.startswith("_"):
                    continue
                target = value.fget if isinstance(value, property) else value
                yield f"{name}.{attribute}", getattr(target, "__func__", target)
    for name, doc in plugin_fixtures().items():
        yield f"pytest_plugin.{name}", doc


def plugin_fixtures() -> dict[str, str]:
    """The pytest module's public fixtures, each with its docstring."""
    tree = ast.parse(PLUGIN.read_text())
    public: list[str] = []
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            public = list(ast.literal_eval(node.value))
        if isinstance(node, ast.FunctionDef):
            docs[node.name] = ast.get_docstring(node) or ""
    return {name: docs[name] for name in public}


def test_docstring_examples_are_executed() -> None:
    """Each Python example in a public docstring appears in a file the test run executes."""
    sources = [(ROOT / name).read_text() for name in sorted(executed_files())]
    missing = []
    for name, obj in documented_objects():
        doc = obj if isinstance(obj, str) else inspect.getdoc(obj) or ""
        for _, block in literal_blocks(doc):
            if looks_like_python(block) and not any(contains_block(s, block) for s in sources):
                missing.append(f"{name}:\n{block}")
    assert not missing, "docstring examples no test runs:\n\n" + "\n\n".join(missing)


# -- the reference covers the public API -------------------------------------------------


def _documented_names() -> set[str]:
    names = set()
    for page in PAGES:
        text = page.read_text()
        for kind in ("autoclass", "autoexception", "autofunction", "autodata"):
            names |= {argument for _, argument, _ in directives(text, kind)}
    return names


def test_every_public_name_is_in_the_reference() -> None:
    """Each name of localserver.__all__ has an autodoc entry in the docs."""
    missing = set(localserver.__all__) - _documented_names()
    assert not missing, f"add these to docs/api.rst or docs/mixins.rst: {sorted(missing)}"


def test_pytest_reference_covers_the_plugin() -> None:
    """docs/pytest.rst lists the fixtures (from their docstrings), the marker and ini options."""
    text = (DOCS / "pytest.rst").read_text()
    assert ".. localserver-fixtures::" in text
    source = PLUGIN.read_text() + SUPPORT.read_text()
    inis = set(re.findall(r'addini\(\s*"(\w+)"', source))
    inis |= {
        value
        for name, value in re.findall(r'^(\w+_OPTION) = "(\w+)"', source, re.MULTILINE)
        if f"addini(\n        {name}," in source
    }
    assert inis == {"localserver_host", "localserver_checks", "localserver_strict"}
    documented = {argument for _, argument, _ in directives(text, "inioption")}
    assert documented == inis
    markers = {argument.partition("(")[0] for _, argument, _ in directives(text, "marker")}
    assert markers == {"localserver_no_checks", "localserver_strict"}
    fixtures = plugin_fixtures()
    assert len(fixtures) == 9
    assert all(fixtures.values()), "each fixture needs a docstring: the page shows it"


# -- the pytest tutorial, run as a user's project runs it ------------------------------


def test_pytest_tutorial_passes(pytester: pytest.Pytester) -> None:
    """tutorial_pytest.py passes under a conftest.py that is plugin_conftest.py."""
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    pytester.makeconftest((EXAMPLES / "plugin_conftest.py").read_text())
    pytester.makepyfile(test_forecast=(EXAMPLES / "tutorial_pytest.py").read_text())
    result = pytester.runpytest_subprocess("-p", "no:localserver", "-p", "no:pytest_httpserver")
    result.assert_outcomes(passed=8)
