"""From the paths given to the list of changes: walk, read, rewrite, decide what to add.

The root of the suite is the directory of the configuration file pytest would read
(searched upward from the common directory of the paths, never past the top of the
repository), or that common directory when there is none. Additions go there:

- The replacement plugins the suite needs, into the root ``conftest.py``'s
  ``pytest_plugins`` (created if missing). A replacement is needed when the suite uses
  a peer (its fixtures, or imports it) but never loads its plugin explicitly, having
  relied on the installed entry point. One rule for every project, whatever its
  configuration format: ``pytest_plugins`` in the root conftest is how our guides load
  plugins, and unlike ``addopts`` it survives ``-c other.ini`` and ``-o addopts=``.
- ``-p no:NAME`` for each peer, into ``addopts`` of that configuration file, so the
  migrated suite also runs while a peer is still installed (the two plugins define the
  same fixtures). Without a configuration file, a note says to uninstall the peer.
- With ``--lenient``, ``localserver_strict = false`` in that file (a
  ``[tool.pytest.ini_options]`` table in ``pyproject.toml``, or a new ``pytest.ini``,
  when the project has none).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from . import findings, ini, plugins, python, survey
from .mapping import OUR_PLUGIN, PEERS, Peer, loaded_peer

__all__ = ["Change", "Outcome", "Problem", "plan"]

_SKIPPED_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "site-packages"})
_VCS = (".git", ".hg", ".svn")


@dataclass
class Change:
    """A file's bytes before (None: a new file) and after."""

    path: Path
    old: bytes | None
    new: bytes


@dataclass(frozen=True)
class Problem:
    """A file the run could not handle, left unchanged."""

    path: Path
    line: int | None
    message: str


@dataclass
class Outcome:
    changes: list[Change] = field(default_factory=list)
    findings: list[findings.Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[tuple[Path | None, str]] = field(default_factory=list)
    """What was done that a reader should know, or should do: (file, text)."""


def _skip_dir(path: Path) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (path / "pyvenv.cfg").exists()  # a virtual environment, whatever its name
    )


def _wanted(path: Path) -> bool:
    return path.suffix == ".py" or path.name in ini.SECTIONS


def _files(paths: list[Path], problems: list[Problem]) -> list[Path]:
    """The files to read under *paths*, as absolute paths, each once."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for top, dirs, names in os.walk(path, onerror=lambda e: _unwalkable(e, problems)):
                dirs[:] = sorted(d for d in dirs if not _skip_dir(Path(top, d)))
                for name in sorted(names):
                    if _wanted(Path(top, name)):
                        found[_absolute(Path(top, name))] = None
        elif path.is_file() and _wanted(path):
            found[_absolute(path)] = None
        elif path.exists():
            problems.append(Problem(path, None, "not a Python file or a pytest configuration file"))
        else:
            problems.append(Problem(path, None, "no such file or directory"))
    return list(found)


def _absolute(path: Path) -> Path:
    """*path* made absolute without following links (a dangling one is reported as given)."""
    return Path(os.path.abspath(path))


def _unwalkable(error: OSError, problems: list[Problem]) -> None:
    problems.append(Problem(Path(error.filename or "?"), None, error.strerror or str(error)))


def _root(paths: list[Path]) -> tuple[Path, Path | None]:
    """The suite's root directory and the configuration file pytest reads there, if any."""
    dirs = [_absolute(p) if p.is_dir() else _absolute(p).parent for p in paths]
    common = Path(os.path.commonpath([str(d) for d in dirs])) if dirs else Path.cwd()
    pyproject = None
    for base in (common, *common.parents):
        for name in ini.SECTIONS:
            candidate = base / name
            if not candidate.is_file():
                continue
            if name in ini.DEDICATED:
                return base, candidate
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return base, candidate  # reported when it is read; never written over
            if ini.config_section(name, text) is not None:
                return base, candidate
            if name == "pyproject.toml" and pyproject is None:
                pyproject = candidate
        if any((base / marker).exists() for marker in _VCS):
            break
    if pyproject is not None:
        return pyproject.parent, pyproject
    return common, None


def _parse_error(error: cst.ParserSyntaxError) -> str:
    """libcst's message without its position prefix, and short."""
    text = str(error.message).splitlines()[0] if error.message else "syntax error"
    text = re.sub(r"^parser error: error at \d+:\d+: ", "", text)
    return text if len(text) <= 80 else text[:77] + "..."


def _read(path: Path, outcome: Outcome) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        outcome.problems.append(Problem(path, None, f"cannot read: {exc.strerror or exc}"))
        return None


class _Run:
    def __init__(self, paths: list[Path], lenient: bool) -> None:
        self.outcome = Outcome()
        self.lenient = lenient
        self.files = _files(paths, self.outcome.problems)
        existing = [path for path in paths if path.exists()]
        self.root, self.config_path = _root(existing or [Path.cwd()])
        self.modules: dict[Path, tuple[bytes, cst.Module]] = {}  # original, rewritten
        self.configs: dict[Path, tuple[bytes, ini.Config]] = {}
        self.surveys: list[survey.Survey] = []

    def python(self, path: Path) -> None:
        source = _read(path, self.outcome)
        if source is None:
            return
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            self.outcome.problems.append(
                Problem(path, exc.raw_line, f"cannot parse, left unchanged: {_parse_error(exc)}")
            )
            return
        self.surveys.append(survey.survey(cst.MetadataWrapper(module), str(path)))
        self.modules[path] = (source, python.rewrite_source(module))

    def config(self, path: Path) -> None:
        source = _read(path, self.outcome)
        if source is None:
            return
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.outcome.problems.append(Problem(path, None, f"cannot read as UTF-8: {exc}"))
            return
        config = ini.Config(path.name, text)
        config.rewrite()
        self.configs[path] = (source, config)
        for name in config.removed:
            self.outcome.notes.append(
                (path, f"removed {name} from required_plugins: it is uninstalled after the move")
            )

    def run(self) -> Outcome:
        conftest = self.root / "conftest.py"
        extra = [p for p in (conftest, self.config_path) if p is not None and p.is_file()]
        for path in dict.fromkeys([*self.files, *extra]):
            (self.python if path.suffix == ".py" else self.config)(path)
        for result in self.surveys:
            self.outcome.findings.extend(result.findings)
        self.add_loading(conftest)
        self.collect()
        self.outcome.findings.sort()
        return self.outcome

    # -- decisions -------------------------------------------------------------------

    def root_config(self) -> ini.Config | None:
        if self.config_path is None or self.config_path not in self.configs:
            return None
        return self.configs[self.config_path][1]

    def loaded(self) -> tuple[set[Peer], bool]:
        """Peers whose plugin the suite loads explicitly; whether it loads ours."""
        references = [entry for result in self.surveys for entry in result.plugins]
        peers = {loaded_peer(entry, entry_points=False) for entry in references}
        config = self.root_config()
        options = [] if config is None else config.plugin_options()
        peers |= {loaded_peer(option, entry_points=True) for option in options}
        ours = OUR_PLUGIN in references or OUR_PLUGIN in options
        return {peer for peer in peers if peer is not None}, ours

    def used(self, ours: bool) -> set[Peer]:
        """Peers the suite uses: their imports, their fixtures."""
        by_module = {peer.module: peer for peer in PEERS}
        evidence = {by_module[m] for result in self.surveys for m in result.imported}
        for result in self.surveys:
            evidence |= {p for p in PEERS if p.only_fixtures & set(result.fixtures)}
        config = self.root_config()
        blocked = ini.peer_blocks(config.plugin_options()) if config is not None else set()
        used = set(evidence)
        for result in self.surveys:
            if "httpserver" not in result.fixtures or ours:
                continue
            candidates = {by_module[m] for m in result.styles} or evidence
            if len(candidates) != 1:
                candidates = {p for p in (candidates or set(PEERS)) if p.module not in blocked}
            if len(candidates) == 1:
                used |= candidates
            else:
                self.outcome.findings.append(
                    findings.Finding(
                        result.path,
                        result.fixtures["httpserver"],
                        "the httpserver fixture here could be pytest-httpserver's or "
                        "pytest-localserver's: load the replacement plugin by hand "
                        "(see docs/migrate.rst)",
                    )
                )
        return used

    def add_loading(self, conftest: Path) -> None:
        loaded, ours = self.loaded()
        used = self.used(ours)
        # With localserver.pytest_plugin loaded, the fixtures are ours already: a
        # replacement beside it would define them twice.
        needed = [] if ours else [peer for peer in PEERS if peer in used and peer not in loaded]
        if needed:
            self.add_to_conftest(conftest, [peer.replacement_plugin for peer in needed])
        involved = [peer for peer in PEERS if peer in used | loaded]
        if len(involved) == 2:
            self.outcome.findings.append(
                findings.Finding(
                    str(conftest),
                    1,
                    "the suite uses both peers, whose plugins both define httpserver: "
                    "keep one plugin's httpserver (see docs/migrate.rst)",
                )
            )
        self.configure([f"no:{peer.entry_point}" for peer in involved])

    def add_to_conftest(self, conftest: Path, names: list[str]) -> None:
        if conftest in self.modules:
            source, module = self.modules[conftest]
            extended = plugins.add_plugins(module, names)
            if extended is None:
                self.outcome.findings.append(
                    findings.Finding(
                        str(conftest),
                        1,
                        f"add {', '.join(names)} to pytest_plugins by hand "
                        "(it is not a plain list or tuple here)",
                    )
                )
                return
            self.modules[conftest] = (source, extended)
        elif conftest.exists():
            return  # it could not be read or parsed: reported already
        else:
            entries = ", ".join(f'"{name}"' for name in names)
            text = plugins.NEW_CONFTEST.format(entries=entries).encode("utf-8")
            self.outcome.changes.append(Change(conftest, None, text))

    def configure(self, blocks: list[str]) -> None:
        config = self.root_config()
        if config is None and self.config_path is not None:
            return  # it could not be read: reported already, and never overwritten
        if config is None and self.lenient:
            path = self.root / "pytest.ini"
            config = ini.Config(path.name, "")
            self.configs[path] = (b"", config)
            self.config_path = path
        if config is None:
            for block in blocks:
                peer = next(p for p in PEERS if f"no:{p.entry_point}" == block)
                self.outcome.notes.append(
                    (
                        None,
                        f"uninstall {peer.distribution}: its plugin and the replacement "
                        f"define the same fixtures (no pytest configuration file to add "
                        f"-p {block} to)",
                    )
                )
            return
        config.add_plugin_options(blocks)
        if self.lenient:
            config.set_lenient()

    def collect(self) -> None:
        for path, (source, module) in self.modules.items():
            if module.bytes != source:
                self.outcome.changes.append(Change(path, source, module.bytes))
        for path, (source, config) in self.configs.items():
            new = config.text.encode("utf-8")
            if new != source:
                existed = path.exists()
                self.outcome.changes.append(Change(path, source if existed else None, new))
        self.outcome.changes.sort(key=lambda change: str(change.path))


def plan(paths: list[Path], *, lenient: bool = False) -> Outcome:
    """What ``migrate`` would change under *paths*, what needs a human, what failed."""
    return _Run(paths, lenient).run()
