"""Edits of pytest's configuration files: only the intended characters change."""

from __future__ import annotations

import textwrap

import pytest

from localserver._migrate.ini import Config, config_section, peer_blocks

HTTPSERVER_PLUGIN = "localserver.compat.pytest_httpserver.pytest_plugin"
LOCALSERVER_PLUGIN = "localserver.compat.pytest_localserver.plugin"


def rewritten(filename: str, text: str) -> Config:
    config = Config(filename, textwrap.dedent(text))
    config.rewrite()
    return config


def dedent(text: str) -> str:
    return textwrap.dedent(text)


class TestSections:
    @pytest.mark.parametrize(
        ("filename", "text", "section"),
        [
            ("pytest.ini", "[pytest]\n", "pytest"),
            (".pytest.ini", "[pytest]\n", "pytest"),
            ("tox.ini", "[tox]\n[pytest]\n", "pytest"),
            ("setup.cfg", "[metadata]\n[tool:pytest]\n", "tool:pytest"),
            ("pyproject.toml", "[tool.pytest.ini_options]\n", "tool.pytest.ini_options"),
            ("pyproject.toml", "[tool.pytest]\n", "tool.pytest"),
            ("pytest.toml", "[pytest]\n", "pytest"),
        ],
    )
    def test_section_pytest_reads(self, filename: str, text: str, section: str) -> None:
        """Each file name has the section pytest reads."""
        found = config_section(filename, text)
        assert found is not None
        assert found[0] == section

    @pytest.mark.parametrize(
        ("filename", "text"),
        [("setup.cfg", "[pytest]\n"), ("tox.ini", "[tox]\n"), ("pyproject.toml", "[tool.ruff]\n")],
    )
    def test_no_section(self, filename: str, text: str) -> None:
        """A file without pytest's section is not pytest's configuration."""
        assert config_section(filename, text) is None


class TestPluginOptions:
    @pytest.mark.parametrize(
        ("option", "after"),
        [
            ("-p pytest_httpserver", f"-p {HTTPSERVER_PLUGIN}"),
            ("-p pytest_httpserver.pytest_plugin", f"-p {HTTPSERVER_PLUGIN}"),
            ("-p localserver", f"-p {LOCALSERVER_PLUGIN}"),
            ("-p pytest_localserver.plugin", f"-p {LOCALSERVER_PLUGIN}"),
            ("-ppytest_httpserver", f"-p{HTTPSERVER_PLUGIN}"),
            ("-p no:localserver", "-p no:localserver"),
            ("-p no:pytest_httpserver", "-p no:pytest_httpserver"),
            ("-p xdist --pdb", "-p xdist --pdb"),
            ("-p localserver.pytest_plugin", "-p localserver.pytest_plugin"),
        ],
    )
    def test_addopts_in_pytest_ini(self, option: str, after: str) -> None:
        """A peer's -p becomes its replacement; -p no:NAME and other plugins stay."""
        config = rewritten("pytest.ini", f"[pytest]\naddopts = -ra {option}\n")
        assert config.text == f"[pytest]\naddopts = -ra {after}\n"

    def test_multiline_addopts_and_comments(self) -> None:
        """Continuation lines and comments of setup.cfg survive."""
        config = rewritten(
            "setup.cfg",
            """\
            [metadata]
            name = shop

            [tool:pytest]
            # plugins
            addopts =
                -ra
                -p localserver
                # -p pytest_httpserver is not used
                --strict-markers
            testpaths = tests
            """,
        )
        assert config.text == dedent(
            f"""\
            [metadata]
            name = shop

            [tool:pytest]
            # plugins
            addopts =
                -ra
                -p {LOCALSERVER_PLUGIN}
                # -p pytest_httpserver is not used
                --strict-markers
            testpaths = tests
            """
        )

    def test_other_sections_stay(self) -> None:
        """-p in a section pytest does not read is left alone."""
        text = "[tool:other]\naddopts = -p localserver\n[tool:pytest]\naddopts = -p localserver\n"
        config = rewritten("setup.cfg", text)
        assert config.text == (
            "[tool:other]\naddopts = -p localserver\n"
            f"[tool:pytest]\naddopts = -p {LOCALSERVER_PLUGIN}\n"
        )

    def test_tox_commands(self) -> None:
        """tox.ini: -p on pytest command lines changes, other tools' -p does not."""
        config = rewritten(
            "tox.ini",
            """\
            [testenv]
            commands =
                python -m pytest -p pytest_httpserver {posargs}
                mypy -p localserver
            commands_post = pytest -p no:localserver
            """,
        )
        assert config.text == dedent(
            f"""\
            [testenv]
            commands =
                python -m pytest -p {HTTPSERVER_PLUGIN} {{posargs}}
                mypy -p localserver
            commands_post = pytest -p no:localserver
            """
        )

    @pytest.mark.parametrize(
        ("value", "after"),
        [
            ('"-ra -p pytest_httpserver"  # note', f'"-ra -p {HTTPSERVER_PLUGIN}"  # note'),
            ('["-p", "localserver", "-ra"]', f'["-p", "{LOCALSERVER_PLUGIN}", "-ra"]'),
            ("['-p', 'no:localserver']", "['-p', 'no:localserver']"),
        ],
    )
    def test_pyproject(self, value: str, after: str) -> None:
        """[tool.pytest.ini_options] addopts as a string or an array."""
        text = f'[project]\nname = "shop"\n\n[tool.pytest.ini_options]\naddopts = {value}\n'
        config = rewritten("pyproject.toml", text)
        assert config.text == text.replace(value, after)

    def test_multiline_toml_array(self) -> None:
        """An array written over several lines keeps its lines."""
        config = rewritten(
            "pyproject.toml",
            """\
            [tool.pytest.ini_options]
            addopts = [
                "-p", "pytest_httpserver",  # expectations
                "-ra",
            ]
            """,
        )
        assert f'"-p", "{HTTPSERVER_PLUGIN}",  # expectations' in config.text

    def test_plugin_options_and_blocks(self) -> None:
        """plugin_options() lists -p values; peer_blocks() the peers that no: blocks."""
        config = rewritten("pytest.ini", "[pytest]\naddopts = -p no:localserver -p xdist\n")
        assert config.plugin_options() == ["no:localserver", "xdist"]
        assert peer_blocks(config.plugin_options()) == {"pytest_localserver"}
        assert peer_blocks(["no:pytest_httpserver"]) == {"pytest_httpserver"}
        assert peer_blocks(["no:pytest_localserver"]) == set()


class TestRequiredPlugins:
    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (
                "required_plugins = pytest-httpserver>=1.0 pytest-xdist\n",
                "required_plugins = pytest-xdist\n",
            ),
            (
                "required_plugins = pytest-xdist pytest_localserver\n",
                "required_plugins = pytest-xdist\n",
            ),
            (
                "required_plugins =\n    pytest-httpserver\n    pytest-xdist\n",
                "required_plugins =\n    pytest-xdist\n",
            ),
            ("required_plugins = pytest-localserver\n", ""),
        ],
    )
    def test_ini(self, before: str, after: str) -> None:
        """The peers' distributions leave required_plugins; an empty setting goes."""
        config = rewritten("pytest.ini", f"[pytest]\n{before}addopts = -ra\n")
        assert config.text == f"[pytest]\n{after}addopts = -ra\n"
        assert config.removed

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            ('["pytest-xdist", "pytest-httpserver"]', '["pytest-xdist"]'),
            ('["pytest-httpserver>=1", "pytest-xdist"]  # c', '["pytest-xdist"]  # c'),
            ('[\n    "pytest-httpserver",\n    "pytest-xdist",\n]', '[\n    "pytest-xdist",\n]'),
            ('[\n    "pytest-xdist",\n    "pytest-localserver"\n]', '[\n    "pytest-xdist"\n]'),
            ('"pytest-httpserver pytest-xdist"', '"pytest-xdist"'),
        ],
    )
    def test_toml(self, before: str, after: str) -> None:
        """Array items leave with their commas; the rest of the array keeps its layout."""
        text = f"[tool.pytest.ini_options]\nrequired_plugins = {before}\nx = 1\n"
        config = rewritten("pyproject.toml", text)
        assert config.text == f"[tool.pytest.ini_options]\nrequired_plugins = {after}\nx = 1\n"

    def test_toml_emptied(self) -> None:
        """A list that held only a peer goes."""
        text = '[tool.pytest.ini_options]\nrequired_plugins = ["pytest-localserver"]\nx = 1\n'
        assert rewritten("pyproject.toml", text).text == "[tool.pytest.ini_options]\nx = 1\n"


class TestAdditions:
    def test_block_appended_to_addopts(self) -> None:
        """-p no:NAME goes at the end of addopts, once."""
        config = rewritten("pytest.ini", "[pytest]\naddopts = -ra -p no:localserver\n")
        config.add_plugin_options(["no:localserver", "no:pytest_httpserver"])
        config.add_plugin_options(["no:pytest_httpserver"])
        assert config.text == "[pytest]\naddopts = -ra -p no:localserver -p no:pytest_httpserver\n"

    def test_block_on_its_own_continuation_line(self) -> None:
        """A multi-line addopts gets a new line with the same indent."""
        config = rewritten("tox.ini", "[pytest]\naddopts =\n    -ra\n    --strict-markers\n\n[x]\n")
        config.add_plugin_options(["no:localserver"])
        assert config.text == (
            "[pytest]\naddopts =\n    -ra\n    --strict-markers\n    -p no:localserver\n\n[x]\n"
        )

    def test_addopts_created(self) -> None:
        """Without addopts, one is added at the end of the section."""
        config = rewritten("setup.cfg", "[tool:pytest]\ntestpaths = tests\n\n[flake8]\nx = 1\n")
        config.add_plugin_options(["no:pytest_httpserver"])
        assert config.text == (
            "[tool:pytest]\ntestpaths = tests\naddopts = -p no:pytest_httpserver\n"
            "\n[flake8]\nx = 1\n"
        )

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            ('addopts = "-ra"', 'addopts = "-ra -p no:localserver"'),
            ('addopts = ["-ra"]  # c', 'addopts = ["-ra", "-p", "no:localserver"]  # c'),
            ("addopts = []", 'addopts = ["-p", "no:localserver"]'),
            (
                'addopts = [\n    "-ra",\n]',
                'addopts = [\n    "-ra",\n    "-p", "no:localserver",\n]',
            ),
        ],
    )
    def test_toml_addopts(self, before: str, after: str) -> None:
        """String and array addopts in pyproject.toml."""
        config = rewritten("pyproject.toml", f"[tool.pytest.ini_options]\n{before}\n")
        config.add_plugin_options(["no:localserver"])
        assert config.text == f"[tool.pytest.ini_options]\n{after}\n"

    def test_section_created_in_pyproject(self) -> None:
        """A pyproject.toml without pytest's table gets one, at its end."""
        config = rewritten("pyproject.toml", '[project]\nname = "shop"')
        config.add_plugin_options(["no:localserver"])
        config.set_lenient()
        assert config.text == dedent(
            """\
            [project]
            name = "shop"

            [tool.pytest.ini_options]
            addopts = "-p no:localserver"
            localserver_strict = "false"
            """
        )

    @pytest.mark.parametrize(
        ("filename", "text", "line"),
        [
            ("pytest.ini", "[pytest]\naddopts = -ra\n", "localserver_strict = false"),
            ("setup.cfg", "[tool:pytest]\n", "localserver_strict = false"),
            ("pyproject.toml", "[tool.pytest.ini_options]\n", 'localserver_strict = "false"'),
            ("pyproject.toml", "[tool.pytest]\n", "localserver_strict = false"),
            ("pytest.toml", "[pytest]\n", "localserver_strict = false"),
        ],
    )
    def test_lenient(self, filename: str, text: str, line: str) -> None:
        """--lenient's setting, in each file's own syntax; a second call changes nothing."""
        config = rewritten(filename, text)
        config.set_lenient()
        assert config.text == text + line + "\n"
        config.set_lenient()
        assert config.text == text + line + "\n"

    def test_lenient_overrides_strict(self) -> None:
        """An existing localserver_strict = true is turned off."""
        config = rewritten("pytest.ini", "[pytest]\nlocalserver_strict = true\nx = 1\n")
        config.set_lenient()
        assert config.text == "[pytest]\nlocalserver_strict = false\nx = 1\n"

    def test_crlf_kept(self) -> None:
        """Windows line endings stay, added lines included."""
        config = rewritten("pytest.ini", "[pytest]\r\naddopts = -p localserver\r\n")
        config.add_plugin_options(["no:localserver"])
        config.set_lenient()
        assert config.text == (
            f"[pytest]\r\naddopts = -p {LOCALSERVER_PLUGIN} -p no:localserver\r\n"
            "localserver_strict = false\r\n"
        )


def test_rewrite_is_idempotent() -> None:
    """Rewriting and adding again to a migrated file changes nothing."""
    text = dedent(
        """\
        [tool.pytest.ini_options]
        addopts = ["-p", "pytest_httpserver"]
        required_plugins = ["pytest-httpserver", "pytest-xdist"]
        """
    )
    config = Config("pyproject.toml", text)
    config.rewrite()
    config.add_plugin_options(["no:pytest_httpserver"])
    config.set_lenient()
    once = config.text
    again = Config("pyproject.toml", once)
    again.rewrite()
    again.add_plugin_options(["no:pytest_httpserver"])
    again.set_lenient()
    assert again.text == once
    assert not again.removed
