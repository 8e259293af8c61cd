"""Edits of pytest's configuration files, line by line, so comments and layout survive.

Files and the section pytest reads in each (:data:`SECTIONS`): ``pytest.ini`` and
``.pytest.ini`` ``[pytest]``, ``tox.ini`` ``[pytest]``, ``setup.cfg`` ``[tool:pytest]``,
``pyproject.toml`` ``[tool.pytest.ini_options]`` (or ``[tool.pytest]``, pytest 9's
native TOML table), ``pytest.toml`` ``[pytest]``.

What changes:

- ``-p NAME`` in ``addopts`` (and in ``tox.ini`` ``commands`` lines that run pytest):
  a peer plugin becomes its replacement (:func:`.mapping.plugin_reference`); ``-p no:NAME``
  stays, since blocking a peer's entry point is still right after the move.
- ``required_plugins``: the peers' distributions are removed (they are uninstalled).
- On request, in the file pytest reads: ``-p no:NAME`` added to ``addopts`` and the
  lenient setting ``localserver_strict = false``.

Nothing here parses a file into a structure and writes it back: each edit replaces
the few characters it means to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .mapping import LENIENT_OPTION, PEERS, plugin_reference

__all__ = ["DEDICATED", "SECTIONS", "Config", "config_section", "peer_blocks"]

# File name -> (section, "ini" | "toml-ini" | "toml"), the sections pytest reads.
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "pytest.toml": (("pytest", "toml"),),
    ".pytest.toml": (("pytest", "toml"),),
    "pytest.ini": (("pytest", "ini"),),
    ".pytest.ini": (("pytest", "ini"),),
    "pyproject.toml": (("tool.pytest.ini_options", "toml-ini"), ("tool.pytest", "toml")),
    "tox.ini": (("pytest", "ini"),),
    "setup.cfg": (("tool:pytest", "ini"),),
}

# pytest's own files: pytest reads them even when they lack the section.
DEDICATED = frozenset({"pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini"})

_HEADER = re.compile(r"^\s*\[(?P<name>[^\[\]]+)\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[\w.-]+)\s*(?P<sep>[=:])\s*(?P<value>.*?)\s*$")
_PLUGIN_OPTION = re.compile(
    r"(?<![\w-])-p(?P<sep>\s*[\"']\s*,\s*[\"']|\s*)(?P<name>(?:no:)?[A-Za-z_][\w.]*)"
)
_PYTEST_COMMAND = re.compile(r"(?<![\w-])(?:py\.test|pytest)\b")
_DISTRIBUTION = re.compile(
    r"(?P<q>[\"']?)(?P<dist>pytest[-_.]?(?:httpserver|localserver))(?P<spec>[^\s\"',\]]*)(?P=q)",
    re.IGNORECASE,
)


@dataclass
class _Entry:
    key: str
    start: int  # index of the key's line
    end: int  # index after its last line


@dataclass
class _Section:
    name: str
    start: int  # index of the header line (-1: the lines before any header)
    end: int


def config_section(filename: str, text: str) -> tuple[str, str] | None:
    """The section pytest reads in this file and its style, if the file has one."""
    names = {section.name.strip() for section in _sections(text.splitlines(keepends=True))}
    for name, style in SECTIONS.get(filename, ()):
        if name in names:
            return name, style
    return None


def _sections(lines: list[str]) -> list[_Section]:
    sections = [_Section("", -1, len(lines))]
    for index, line in enumerate(lines):
        found = _HEADER.match(line)
        if found and not line[:1].isspace():
            sections[-1].end = index
            sections.append(_Section(found.group("name").strip(), index, len(lines)))
    return sections


def _toml_value_end(lines: list[str], start: int, value: str) -> int:
    """The index after the last line of a TOML value that starts on line *start*."""
    depth = 0
    index = start
    text = value
    in_string: str | None = None
    while True:
        position = 0
        while position < len(text):
            if in_string:
                if text.startswith(in_string, position):
                    position += len(in_string)
                    in_string = None
                    continue
                position += 2 if text[position] == "\\" and in_string[0] == '"' else 1
                continue
            for quote in ('"""', "'''", '"', "'"):
                if text.startswith(quote, position):
                    in_string = quote
                    position += len(quote)
                    break
            else:
                char = text[position]
                if char == "#":
                    break
                depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
                position += 1
        if in_string in ('"', "'"):
            in_string = None  # a one-line string cannot go on
        index += 1
        if (depth <= 0 and not in_string) or index >= len(lines):
            return index
        text = lines[index]


def _entries(lines: list[str], section: _Section, toml: bool) -> Iterator[_Entry]:
    index = section.start + 1
    while index < section.end:
        found = _KEY.match(lines[index])
        comment = lines[index].lstrip().startswith(("#", ";"))
        if not found or comment or (not toml and found.group("indent")):
            index += 1
            continue
        if toml:
            end = _toml_value_end(lines, index, found.group("value"))
        else:
            end = index + 1
            while end < section.end and lines[end][:1] in (" ", "\t") and lines[end].strip():
                end += 1
        yield _Entry(found.group("key").strip('"'), index, min(end, section.end))
        index = max(end, index + 1)


def _rewrite_plugin_options(text: str) -> str:
    def replace(found: re.Match[str]) -> str:
        name = found.group("name")
        new = None if name.startswith("no:") else plugin_reference(name, entry_points=True)
        if new is None:
            return found.group(0)
        return f"-p{found.group('sep')}{new}"

    return _PLUGIN_OPTION.sub(replace, text)


def _plugin_names(text: str) -> list[str]:
    return [found.group("name") for found in _PLUGIN_OPTION.finditer(text)]


def _newline(lines: list[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return "\n"


class Config:
    """One configuration file's text, edited in place."""

    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.lines = text.splitlines(keepends=True)
        self.newline = _newline(self.lines)
        self.removed: list[str] = []
        """Distributions taken out of ``required_plugins``."""

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def _pytest(self) -> tuple[_Section, str] | None:
        found = config_section(self.filename, self.text)
        if found is None:
            return None
        name, style = found
        for section in _sections(self.lines):
            if section.name == name:
                return section, style
        return None  # pragma: no cover - config_section saw it

    def _entry(self, key: str) -> tuple[_Entry, str] | None:
        found = self._pytest()
        if found is None:
            return None
        section, style = found
        for entry in _entries(self.lines, section, style != "ini"):
            if entry.key == key:
                return entry, style
        return None

    def _value(self, entry: _Entry) -> str:
        first = self.lines[entry.start]
        _, _, value = first.partition("=" if "=" in first else ":")
        return value + "".join(self.lines[entry.start + 1 : entry.end])

    # -- reading ------------------------------------------------------------------------

    def plugin_options(self) -> list[str]:
        """The ``-p`` values of ``addopts`` in the section pytest reads (``no:X`` included)."""
        found = self._entry("addopts")
        return [] if found is None else _plugin_names(self._value(found[0]))

    @property
    def has_pytest_section(self) -> bool:
        return self._pytest() is not None

    # -- rewriting ----------------------------------------------------------------------

    def rewrite(self) -> None:
        """Rename peer plugins in ``-p`` options, drop peers from ``required_plugins``."""
        found = self._entry("addopts")
        if found is not None:
            self._edit(found[0], _rewrite_plugin_options)
        if self.filename == "tox.ini":
            for section in _sections(self.lines):
                for entry in _entries(self.lines, section, False):
                    if entry.key == "commands":
                        self._edit(entry, _rewrite_pytest_commands)
        found = self._entry("required_plugins")
        if found is not None:
            self._drop_distributions(*found)

    def _edit(self, entry: _Entry, change: Callable[[str], str]) -> None:
        for index in range(entry.start, entry.end):
            line = self.lines[index]
            if index == entry.start:
                head, sep, value = line.partition("=" if "=" in line else ":")
                self.lines[index] = head + sep + change(value)
            elif line.lstrip()[:1] not in ("#", ";"):
                self.lines[index] = change(line)

    def _drop_distributions(self, entry: _Entry, style: str) -> None:
        def remove(found: re.Match[str]) -> str:
            self.removed.append(found.group("dist") + found.group("spec"))
            return ""

        if style == "ini":  # names apart by whitespace, on one line or several
            spaced = re.compile(r"[ \t]*" + _DISTRIBUTION.pattern, re.IGNORECASE)
            self._edit(entry, lambda text: spaced.sub(remove, text))
        else:  # a TOML string or array: an array item goes with its comma
            text = "".join(self.lines[entry.start : entry.end])
            head, sep, value = text.partition("=")
            item = _DISTRIBUTION.pattern
            for pattern in (rf"{item}\s*,[ \t]*", rf",\s*{item}", item):
                value = re.sub(pattern, remove, value, flags=re.IGNORECASE)
            string = re.match(r"(\s*)([\"'])(.*?)\2(.*)\Z", value, re.DOTALL)
            if string:  # names in one string: squeeze the space a removal left
                lead, quote, inside, rest = string.groups()
                value = f"{lead}{quote}{' '.join(inside.split())}{quote}{rest}"
            self.lines[entry.start : entry.end] = (head + sep + value).splitlines(keepends=True)
            entry = _Entry(
                entry.key, entry.start, entry.start + len((head + sep + value).splitlines())
            )
        value = self._value(entry).strip()
        if value in ("", '""', "''") or re.fullmatch(r"\[\s*\]", value):
            del self.lines[entry.start : entry.end]
            return
        line = self.lines[entry.start]
        head, sep, rest = line.partition("=" if "=" in line else ":")
        if rest.strip():
            self.lines[entry.start] = head + sep + " " + rest.lstrip(" \t")
        for index in reversed(range(entry.start + 1, entry.end)):
            if not self.lines[index].strip():
                del self.lines[index]

    # -- additions ----------------------------------------------------------------------

    def add_plugin_options(self, names: list[str]) -> None:
        """Append ``-p NAME`` to ``addopts`` for each of *names* not given there yet."""
        have = set(self.plugin_options())
        wanted = [f"-p {name}" for name in names if name not in have]
        if not wanted:
            return
        style = self._ensure_section()
        found = self._entry("addopts")
        if found is None:
            if style == "toml":
                value = "[" + ", ".join(f'"{part}"' for o in wanted for part in o.split()) + "]"
            elif style == "toml-ini":
                value = '"' + " ".join(wanted) + '"'
            else:
                value = " ".join(wanted)
            self._append_key(f"addopts = {value}")
            return
        entry, style = found
        last = entry.end - 1
        line = self.lines[last]
        body = line.rstrip("\r\n")
        ending = line[len(body) :] or self.newline
        multiline = entry.end - entry.start > 1
        if style == "ini" and multiline:
            indent = body[: len(body) - len(body.lstrip())]
            self.lines.insert(entry.end, indent + " ".join(wanted) + ending)
        elif multiline and body.strip().startswith("]"):  # an array, one item per line
            previous = self.lines[last - 1].rstrip("\r\n")
            indent = previous[: len(previous) - len(previous.lstrip())] or "    "
            if not previous.rstrip().endswith((",", "[")):
                self.lines[last - 1] = previous.rstrip() + "," + ending
            items = ", ".join(f'"{part}"' for option in wanted for part in option.split())
            self.lines.insert(last, f"{indent}{items},{ending}")
        elif style == "ini":
            self.lines[last] = body + " " + " ".join(wanted) + ending
        else:
            self.lines[last] = _add_to_toml_value(body, wanted) + ending

    def set_lenient(self) -> None:
        """Set ``localserver_strict = false`` in the section pytest reads."""
        style = self._ensure_section()
        value = {"ini": "false", "toml-ini": '"false"', "toml": "false"}[style]
        found = self._entry(LENIENT_OPTION)
        line = f"{LENIENT_OPTION} = {value}"
        if found is None:
            self._append_key(line)
            return
        entry, _ = found
        old = self._value(entry).strip()
        if old.strip("\"'").lower() != "false":
            self.lines[entry.start : entry.end] = [line + self.newline]

    def _ensure_section(self) -> str:
        found = self._pytest()
        if found is not None:
            return found[1]
        name, style = SECTIONS[self.filename][0]
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += self.newline
        if self.lines and self.lines[-1].strip():
            self.lines.append(self.newline)
        self.lines.append(f"[{name}]{self.newline}")
        return style

    def _append_key(self, line: str) -> None:
        found = self._pytest()
        if found is None:  # pragma: no cover - _ensure_section made it
            raise RuntimeError(f"no pytest section in {self.filename}")
        section, _ = found
        end = section.end
        while end > section.start + 1 and not self.lines[end - 1].strip():
            end -= 1
        if end and not self.lines[end - 1].endswith(("\n", "\r")):
            self.lines[end - 1] += self.newline
        self.lines.insert(end, line + self.newline)


def _rewrite_pytest_commands(text: str) -> str:
    found = _PYTEST_COMMAND.search(text)
    if found is None:
        return text
    return text[: found.end()] + _rewrite_plugin_options(text[found.end() :])


def _add_to_toml_value(body: str, wanted: list[str]) -> str:
    """A one-line TOML string or array value with *wanted* options added at its end."""
    code, hash_, comment = body.partition(" #")
    stripped = code.rstrip()
    tail = code[len(stripped) :] + hash_ + comment
    if stripped.endswith("]"):
        inside = stripped[:-1].rstrip()
        items = ", ".join(f'"{part}"' for option in wanted for part in option.split())
        joiner = "" if inside.endswith(("[", ",")) else ", "
        if inside.endswith(","):
            items = " " + items
        return f"{inside}{joiner}{items}]{tail}"
    for quote in ('"""', "'''", '"', "'"):
        if stripped.endswith(quote):
            inside = stripped[: -len(quote)].rstrip()
            return f"{inside} {' '.join(wanted)}{quote}{tail}"
    return body  # pragma: no cover - not a value pytest accepts for addopts


def peer_blocks(options: list[str]) -> set[str]:
    """Peer modules whose entry point ``-p no:NAME`` options block."""
    blocked = {option[3:] for option in options if option.startswith("no:")}
    return {peer.module for peer in PEERS if peer.entry_point in blocked}
