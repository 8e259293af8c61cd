"""docs/limits.rst states the code's limits and the servers' options (issue 14, item 14)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from localserver import HTTPServer, HTTPSServer, SMTPServer, WSGIServer, _engine
from localserver._http1.head import DEFAULT_LIMITS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "limits.rst"
KiB, MiB, GiB = 1024, 1024**2, 1024**3


def _rows(section: str) -> dict[str, list[str]]:
    """The rows of the list-table in *section* ("HTTP" or "SMTP"): first cell -> cells."""
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"\n{section}\n")
    end = text.find("\n----", start + len(section) + 10)
    body = text[start : end if end > 0 else len(text)]
    rows: dict[str, list[str]] = {}
    cells: list[str] = []
    for line in body.splitlines():
        if line.startswith("   * - "):
            cells = [line[7:]]
            rows[cells[0]] = cells
        elif line.startswith("     - ") and cells:
            cells.append(line[7:])
        elif line.startswith("       ") and cells:
            cells[-1] += " " + line.strip()
    return rows


def _row(rows: dict[str, list[str]], start: str) -> list[str]:
    found = [cells for first, cells in rows.items() if first.startswith(start)]
    assert len(found) == 1, f"no single row starting {start!r} in {PAGE.name}"
    return found[0]


def _default(cls: type, name: str) -> Any:
    return inspect.signature(cls).parameters[name].default


HTTP = {
    "Request body": (f"{DEFAULT_LIMITS.body // GiB} GiB", "max_body_size"),
    "Request head:": (f"{DEFAULT_LIMITS.head_timeout:g} s", "head_timeout"),
    "Idle connection": (f"{DEFAULT_LIMITS.idle_timeout:g} s", "connection_timeout"),
    "TLS handshake": (f"{_default(HTTPSServer, 'handshake_timeout'):g} s", "handshake_timeout"),
    "Request head size": (f"{DEFAULT_LIMITS.header_block // KiB} KiB", None),
    "Header fields": (str(DEFAULT_LIMITS.header_count), None),
    "Request target": (f"{DEFAULT_LIMITS.request_line // KiB} KiB", None),
}

SMTP = {
    "Message size": (f"{_default(SMTPServer, 'max_message_size') // MiB} MiB", "max_message_size"),
    "Recipients": (str(_default(SMTPServer, "max_recipients")), "max_recipients"),
    "Idle connection": (f"{_default(SMTPServer, 'connection_timeout'):g} s", "connection_timeout"),
    # RFC 5321 section 4.5.3.1.6 and .4: the line length every SMTP server takes.
    "Command line": ("1000 octets", None),
}


class TestLimitsPage:
    @pytest.mark.parametrize("start", list(HTTP))
    def test_http_rows(self, start: str) -> None:
        """Each HTTP row gives the code's default and an option every HTTP server takes."""
        default, option = HTTP[start]
        cells = _row(_rows("HTTP"), start)
        assert cells[1].startswith(default), cells
        if option is None:
            assert cells[3] == "fixed"
            return
        assert f"``{option}=``" in cells[3]
        servers = [HTTPSServer] if option == "handshake_timeout" else [HTTPServer, WSGIServer]
        for server in servers:
            assert option in inspect.signature(server).parameters, (server, option)

    @pytest.mark.parametrize("start", list(SMTP))
    def test_smtp_rows(self, start: str) -> None:
        """Each SMTP row gives the code's default and an option SMTPServer takes."""
        default, option = SMTP[start]
        cells = _row(_rows("SMTP"), start)
        assert cells[1].startswith(default), cells
        if option is None:
            assert cells[3].startswith("fixed")
        else:
            assert f"``{option}=``" in cells[3]
            assert option in inspect.signature(SMTPServer).parameters

    def test_stop_bound(self) -> None:
        """The page states how long stop() waits for a busy handler."""
        text = PAGE.read_text(encoding="utf-8")
        assert re.search(rf"at most {_engine.JOIN_TIMEOUT:g} seconds", text)

    def test_in_the_reference_toctree(self) -> None:
        """The page is listed among the reference pages of the index."""
        index = (PAGE.parent / "index.rst").read_text(encoding="utf-8")
        reference = index.split(":caption: Reference", 1)[1].split(".. toctree::", 1)[0]
        assert "\n   limits\n" in reference
