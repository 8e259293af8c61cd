"""``migrate`` on project trees: what it adds where, its modes, output and exit statuses."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("libcst")

from localserver._migrate import run

HTTPSERVER_PLUGIN = "localserver.compat.pytest_httpserver.pytest_plugin"
LOCALSERVER_PLUGIN = "localserver.compat.pytest_localserver.plugin"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory (a git repository), the working directory of the run."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    # The missing-name rule depends on the installed compat package: keep it out.
    monkeypatch.setitem(sys.modules, "localserver.compat", None)  # type: ignore[arg-type]
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def read(root: Path, name: str) -> str:
    return (root / name).read_text()


class Result:
    def __init__(self, *args: str) -> None:
        out, err = io.StringIO(), io.StringIO()
        self.status = run(list(args), out, err)
        self.out = out.getvalue()
        self.err = err.getvalue()

    @property
    def summary(self) -> str:
        text = self.err if "--diff" in self.out or not self.out.strip() else self.out
        return text.strip().splitlines()[-1]


HTTPSERVER_TEST = """\
    import requests

    def test_get(httpserver):
        httpserver.expect_request("/a").respond_with_data("x")
        assert requests.get(httpserver.url_for("/a"), timeout=5).text == "x"
    """
LOCALSERVER_TEST = """\
    import smtplib

    def test_mail(httpserver, smtpserver):
        httpserver.serve_content("hello")
        smtplib.SMTP(*smtpserver.addr).quit()
    """


class TestLoadingThePlugin:
    def test_conftest_created_for_an_entry_point_suite(self, project: Path) -> None:
        """Fixtures only, no conftest, no ini: a root conftest loads the replacement."""
        write(project, {"tests/test_api.py": HTTPSERVER_TEST})
        result = Result("tests")
        assert result.status == 0
        assert f'pytest_plugins = ["{HTTPSERVER_PLUGIN}"]' in read(project, "tests/conftest.py")
        assert "created tests/conftest.py" in result.out
        assert "note: uninstall pytest-httpserver" in result.out
        assert result.out.strip().endswith("1 file changed, 0 need a human")

    def test_added_to_an_existing_conftest(self, project: Path) -> None:
        """An existing root conftest gets pytest_plugins after its imports."""
        write(
            project,
            {
                "conftest.py": '''\
                    """Fixtures."""
                    import pytest


                    @pytest.fixture
                    def city():
                        return "Oslo"
                    ''',
                "test_api.py": LOCALSERVER_TEST,
            },
        )
        assert Result(".").status == 0
        assert read(project, "conftest.py") == textwrap.dedent(
            f'''\
            """Fixtures."""
            import pytest

            pytest_plugins = ["{LOCALSERVER_PLUGIN}"]


            @pytest.fixture
            def city():
                return "Oslo"
            '''
        )

    def test_appended_to_existing_plugins(self, project: Path) -> None:
        """A pytest_plugins list keeps its entries and gets the replacement."""
        write(
            project,
            {
                "conftest.py": 'pytest_plugins = [\n    "pytester",\n]\n',
                "tests/test_api.py": HTTPSERVER_TEST,
            },
        )
        Result(".")
        assert read(project, "conftest.py") == (
            f'pytest_plugins = [\n    "pytester",\n    "{HTTPSERVER_PLUGIN}",\n]\n'
        )

    def test_explicit_loading_is_renamed_not_doubled(self, project: Path) -> None:
        """A suite that loaded the peer itself keeps loading it there, renamed."""
        write(
            project,
            {
                "conftest.py": 'pytest_plugins = ["pytest_localserver.plugin"]\n',
                "test_mail.py": LOCALSERVER_TEST,
            },
        )
        Result(".")
        assert read(project, "conftest.py") == f'pytest_plugins = ["{LOCALSERVER_PLUGIN}"]\n'

    def test_loaded_by_addopts(self, project: Path) -> None:
        """-p in addopts is renamed; nothing is added to a conftest; the peer is blocked."""
        write(
            project,
            {
                "pytest.ini": "[pytest]\naddopts = -p pytest_httpserver\n",
                "t/test_a.py": HTTPSERVER_TEST,
            },
        )
        Result("t")
        assert not (project / "conftest.py").exists()
        assert read(project, "pytest.ini") == (
            f"[pytest]\naddopts = -p {HTTPSERVER_PLUGIN} -p no:pytest_httpserver\n"
        )

    def test_root_is_where_the_config_is(self, project: Path) -> None:
        """Migrating tests/ of a project with setup.cfg puts the conftest beside setup.cfg."""
        write(
            project,
            {
                "setup.cfg": "[metadata]\nname = shop\n\n[tool:pytest]\ntestpaths = tests\n",
                "tests/unit/test_mail.py": LOCALSERVER_TEST,
            },
        )
        Result("tests/unit")
        assert (project / "conftest.py").is_file()
        assert read(project, "setup.cfg").endswith(
            "testpaths = tests\naddopts = -p no:localserver\n"
        )

    def test_our_own_plugin_means_our_fixtures(self, project: Path) -> None:
        """A suite on localserver.pytest_plugin already is not given a peer's plugin."""
        write(
            project,
            {
                "conftest.py": 'pytest_plugins = ["localserver.pytest_plugin"]\n',
                "test_a.py": "def test(httpserver):\n    pass\n",
            },
        )
        result = Result("--check", ".")
        assert result.status == 0
        assert result.out.strip() == "0 files would change, 0 need a human"

    def test_our_plugin_with_peer_imports(self, project: Path) -> None:
        """Peer imports in a suite on our plugin are renamed; no replacement plugin is added."""
        write(
            project,
            {
                "conftest.py": 'pytest_plugins = ["localserver.pytest_plugin"]\n',
                "test_a.py": "from pytest_httpserver import HTTPServer\n\n"
                "def test(httpserver: HTTPServer):\n    pass\n",
            },
        )
        Result(".")
        assert read(project, "conftest.py") == 'pytest_plugins = ["localserver.pytest_plugin"]\n'

    def test_httpserver_of_unknown_origin(self, project: Path) -> None:
        """httpserver with nothing telling which peer: left to a human, with the line."""
        write(project, {"test_a.py": "\n\ndef test(httpserver):\n    use(httpserver)\n"})
        result = Result(".")
        assert not (project / "conftest.py").exists()
        assert "test_a.py:3: the httpserver fixture here could be" in result.out
        assert result.out.strip().endswith("0 files changed, 1 need a human")

    def test_blocked_peer_settles_httpserver(self, project: Path) -> None:
        """-p no:localserver says the httpserver fixture was pytest-httpserver's."""
        write(
            project,
            {
                "tox.ini": "[pytest]\naddopts = -p no:localserver\n",
                "test_a.py": "def test(httpserver):\n    use(httpserver)\n",
            },
        )
        Result(".")
        assert HTTPSERVER_PLUGIN in read(project, "conftest.py")

    def test_both_peers(self, project: Path) -> None:
        """A suite using both peers gets both replacements and a warning about httpserver."""
        write(
            project,
            {
                "test_a.py": "def test(httpserver_ipv4, smtpserver):\n    pass\n",
            },
        )
        result = Result(".")
        assert f'["{HTTPSERVER_PLUGIN}", "{LOCALSERVER_PLUGIN}"]' in read(project, "conftest.py")
        assert "both peers" in result.out

    def test_plugins_not_a_literal(self, project: Path) -> None:
        """A computed pytest_plugins is left to a human."""
        write(
            project,
            {
                "conftest.py": "PLUGINS = []\npytest_plugins = PLUGINS + ['pytester']\n",
                "test_a.py": LOCALSERVER_TEST,
            },
        )
        result = Result(".")
        assert f"conftest.py:1: add {LOCALSERVER_PLUGIN} to pytest_plugins by hand" in result.out


class TestLenient:
    def test_new_pytest_ini(self, project: Path) -> None:
        """No configuration file: --lenient writes a pytest.ini."""
        write(project, {"test_a.py": HTTPSERVER_TEST})
        Result("--lenient", ".")
        assert read(project, "pytest.ini") == (
            "[pytest]\naddopts = -p no:pytest_httpserver\nlocalserver_strict = false\n"
        )

    def test_pytest_ini_without_section(self, project: Path) -> None:
        """pytest.ini is pytest's even without [pytest]: the section is added there."""
        write(project, {"sub/pytest.ini": "# empty\n", "sub/test_a.py": HTTPSERVER_TEST})
        Result("--lenient", "sub")
        assert read(project, "sub/pytest.ini") == (
            "# empty\n\n[pytest]\naddopts = -p no:pytest_httpserver\nlocalserver_strict = false\n"
        )

    def test_unreadable_config_is_never_overwritten(self, project: Path) -> None:
        """A configuration file that cannot be read is reported and left as it is."""
        (project / "pytest.ini").write_bytes(b"[pytest]\naddopts = \xff\n")
        write(project, {"test_a.py": HTTPSERVER_TEST})
        result = Result("--lenient", ".")
        assert result.status == 1
        assert (project / "pytest.ini").read_bytes() == b"[pytest]\naddopts = \xff\n"

    def test_pyproject_without_table(self, project: Path) -> None:
        """A pyproject.toml without pytest's table gets [tool.pytest.ini_options]."""
        write(
            project, {"pyproject.toml": '[project]\nname = "shop"\n', "test_a.py": LOCALSERVER_TEST}
        )
        Result("--lenient", ".")
        assert read(project, "pyproject.toml") == (
            '[project]\nname = "shop"\n\n[tool.pytest.ini_options]\n'
            'addopts = "-p no:localserver"\nlocalserver_strict = "false"\n'
        )


class TestModes:
    def test_default_writes_and_second_run_changes_nothing(self, project: Path) -> None:
        """Writing, then running again: nothing left to change (idempotent)."""
        write(
            project,
            {
                "pytest.ini": "[pytest]\naddopts = -ra\n",
                "tests/test_a.py": "from pytest_httpserver import HTTPServer\n"
                + textwrap.dedent(HTTPSERVER_TEST),
            },
        )
        first = Result("--lenient", ".")
        assert first.status == 0
        assert first.out.strip().endswith("3 files changed, 0 need a human")
        snapshot = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        second = Result("--lenient", ".")
        assert second.status == 0
        assert second.out.strip() == "0 files changed, 0 need a human"
        assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == snapshot
        assert Result("--check", "--lenient", ".").status == 0

    def test_diff_writes_nothing(self, project: Path) -> None:
        """--diff prints a patch on stdout, the report on stderr, and writes nothing."""
        write(project, {"test_a.py": "import pytest_httpserver\n"})
        result = Result("--diff", ".")
        assert result.status == 0
        assert result.out == (
            "--- /dev/null\n"
            "+++ b/conftest.py\n"
            "@@ -0,0 +1,3 @@\n"
            '+"""The suite\'s pytest plugins (added by ``python -m localserver migrate``)."""\n'
            "+\n"
            f'+pytest_plugins = ["{HTTPSERVER_PLUGIN}"]\n'
            "--- a/test_a.py\n"
            "+++ b/test_a.py\n"
            "@@ -1 +1 @@\n"
            "-import pytest_httpserver\n"
            "+import localserver.compat.pytest_httpserver as pytest_httpserver\n"
        )
        assert "would rewrite test_a.py" in result.err
        assert result.err.strip().endswith("2 files would change, 0 need a human")
        assert read(project, "test_a.py") == "import pytest_httpserver\n"
        assert not (project / "conftest.py").exists()

    def test_check(self, project: Path) -> None:
        """--check: exit 1 and nothing written when something would change, else 0."""
        write(project, {"conftest.py": "import pytest_localserver\npytest_plugins = []\n"})
        result = Result("--check", ".")
        assert result.status == 1
        assert "would rewrite conftest.py" in result.out
        assert read(project, "conftest.py") == "import pytest_localserver\npytest_plugins = []\n"
        assert Result(".").status == 0
        assert Result("--check", ".").status == 0

    def test_check_with_diff(self, project: Path) -> None:
        """--check --diff: the patch, and exit 1."""
        write(project, {"test_a.py": "from pytest_localserver import http\n"})
        result = Result("--check", "--diff", "test_a.py")
        assert result.status == 1
        assert "+from localserver.compat.pytest_localserver import http\n" in result.out


class TestBadInput:
    def test_parse_error(self, project: Path) -> None:
        """A file that does not parse: file and line, unchanged; the rest goes on; exit 1."""
        broken = "import pytest_httpserver\n\nx = = 1\n"
        write(project, {"test_broken.py": broken, "test_ok.py": "import pytest_httpserver\n"})
        result = Result(".")
        assert result.status == 1
        assert (
            "test_broken.py:3: error: cannot parse, left unchanged: expected one of" in result.err
        )
        assert read(project, "test_broken.py") == broken
        assert read(project, "test_ok.py").startswith("import localserver.compat")
        assert result.out.strip().endswith(", 1 file failed")

    def test_missing_path(self, project: Path) -> None:
        """A path that does not exist is reported; the others are still migrated."""
        write(project, {"test_ok.py": "import pytest_httpserver\n"})
        result = Result("nowhere", "test_ok.py")
        assert result.status == 1
        assert "nowhere: error: no such file or directory" in result.err
        assert read(project, "test_ok.py").startswith("import localserver.compat")

    def test_unreadable_files(self, project: Path) -> None:
        """A dangling link and a config file that is not UTF-8 are reported by name."""
        (project / "test_gone.py").symlink_to(project / "missing.py")
        (project / "pytest.ini").write_bytes(b"[pytest]\naddopts = -p \xff\n")
        result = Result(".")
        assert result.status == 1
        assert "test_gone.py: error: cannot read" in result.err
        assert "pytest.ini: error: cannot read as UTF-8" in result.err

    def test_other_file_given(self, project: Path) -> None:
        """A file that is neither Python nor pytest configuration is refused."""
        write(project, {"notes.txt": "pytest_httpserver"})
        result = Result("notes.txt")
        assert result.status == 1
        assert "notes.txt: error: not a Python file" in result.err

    @pytest.mark.parametrize("args", [[], ["--nope", "."], ["--diff"]])
    def test_usage_errors(self, args: list[str]) -> None:
        """No path, an unknown option: exit 2 with the usage line."""
        result = Result(*args)
        assert result.status == 2
        assert result.err.startswith("usage: python -m localserver migrate")
        assert "error:" in result.err

    def test_help(self) -> None:
        """--help prints the options and exit statuses on stdout."""
        result = Result("--help")
        assert result.status == 0
        for option in ("--diff", "--check", "--lenient", "exit status"):
            assert option in result.out

    def test_without_libcst(self, monkeypatch: pytest.MonkeyPatch, project: Path) -> None:
        """libcst missing: exit 2, one line naming the extra to install, nothing done."""
        write(project, {"test_a.py": "import pytest_httpserver\n"})
        monkeypatch.setitem(sys.modules, "libcst", None)  # type: ignore[arg-type]
        result = Result(".")
        assert result.status == 2
        assert result.err == (
            "python -m localserver migrate: error: migrate needs libcst: "
            'pip install "localserver[migrate]"\n'
        )
        assert read(project, "test_a.py") == "import pytest_httpserver\n"


class TestWalking:
    def test_skipped_directories(self, project: Path) -> None:
        """.git, virtualenvs (any name), build dirs and caches are not touched."""
        peer = "import pytest_httpserver\n"
        skipped = [
            ".git/hooks/x.py",
            ".venv/lib/site.py",
            "env2/lib/mod.py",
            "build/lib/mod.py",
            ".tox/py/mod.py",
            "pkg.egg-info/x.py",
        ]
        write(project, dict.fromkeys([*skipped, "tests/test_a.py", "env2/pyvenv.cfg"], peer))
        Result(".")
        for name in skipped:
            assert read(project, name) == peer, name
        assert read(project, "tests/test_a.py") != peer

    def test_config_files_found_in_the_tree(self, project: Path) -> None:
        """A nested tox.ini is rewritten too (its -p), though additions go to the root."""
        write(
            project,
            {
                "pytest.ini": "[pytest]\n",
                "sub/tox.ini": "[testenv]\ncommands = pytest -p localserver\n",
                "sub/test_a.py": LOCALSERVER_TEST,
            },
        )
        Result(".")
        assert read(project, "sub/tox.ini") == (
            f"[testenv]\ncommands = pytest -p {LOCALSERVER_PLUGIN}\n"
        )
        assert read(project, "pytest.ini") == "[pytest]\naddopts = -p no:localserver\n"
