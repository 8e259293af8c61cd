"""README.rst's commands: the first runs the CLI, the second is what CI runs."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
import requests

from ._cli_process import CLIProcess
from .conftest import TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text()


def test_first_command_runs_the_http_debugging_server() -> None:
    """The README's main job is `python -m localserver http`, and it serves and prints."""
    match = re.search(
        r"^    python -m pip install \. && (python -m localserver http)$", README, re.M
    )
    assert match, "README.rst's first command changed: update this test"
    with CLIProcess(*match.group(1).split()[3:], "--port", "0") as proc:
        url = proc.wait_line("err", r"listening on (http://\S+)").group(1)
        requests.get(url + "/hello", timeout=TIMEOUT)
        proc.wait_line("out", r"GET /hello")
        assert proc.stop(signal.SIGINT) == 0


def test_second_command_is_the_test_command() -> None:
    """The README shows the exact test command that .ci/run runs."""
    command = 'python -m pip install -e ".[test]" && python -m pytest'
    assert f"    {command}\n" in README
    ci_script = ROOT / ".ci" / "run"
    if not ci_script.exists():
        pytest.skip("no .ci/run here: the sdist ships the tests, not the CI script")
    assert f"test_cmd='{command}'" in ci_script.read_text()
