"""README.rst's first command runs its main job; its example code works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs_and_shows_the_exchange() -> None:
    """The demo README's first command runs serves, answers and reports a request."""
    readme = (ROOT / "README.rst").read_text()
    assert "python tests/examples/demo.py" in readme
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "client got 200" in out
    assert "server saw POST /api/greet?lang=en" in out
    assert out.rstrip().endswith("server stopped")
