"""``python -m localserver migrate`` on a real project: tests/migrate_sample.

The sample is a small suite written for pytest-httpserver. These tests run it with
pytest-httpserver (so it is true to that plugin), migrate a copy in a subprocess, and
compare the patch and the report with tests/migrate_expected, which docs/migrate.rst
shows. Once localserver has its compatibility package, the migrated copy runs too,
with the peers made unimportable.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("libcst")

SAMPLE = Path(__file__).resolve().parent / "migrate_sample"
EXPECTED = Path(__file__).resolve().parent / "migrate_expected"
TIMEOUT = 120


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the sample project, at the top of its own repository."""
    copy = tmp_path / "weather"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (copy / ".git").mkdir()
    return copy


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


def migrate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, "-m", "localserver", "migrate", *args)


def run_pytest(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run(cwd, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, env=env)
    return result.stdout + result.stderr


def test_sample_passes_with_pytest_httpserver(sample: Path) -> None:
    """Before the move: the sample's four tests pass on pytest-httpserver."""
    pytest.importorskip("pytest_httpserver")
    output = run_pytest(sample)
    assert "4 passed" in output, output


def test_diff_and_report_are_the_documented_ones(sample: Path) -> None:
    """--diff prints tests/migrate_expected/sample.diff and the report, writing nothing."""
    before = snapshot(sample)
    result = migrate(sample, "--diff", ".")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (EXPECTED / "sample.diff").read_text()
    assert result.stderr == (EXPECTED / "sample-report.txt").read_text()
    assert snapshot(sample) == before


def test_migrate_writes_then_has_nothing_left(sample: Path) -> None:
    """The default writes the files; a second run, and --check, find nothing to do."""
    first = migrate(sample, ".")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[:3] == [
        "created conftest.py",
        "rewrote pytest.ini",
        "rewrote tests/test_weather.py",
    ]
    assert first.stdout.endswith("3 files changed, 2 need a human\n")
    assert (
        "from localserver.compat.pytest_httpserver import HTTPServer"
        in (sample / "tests" / "test_weather.py").read_text()
    )
    after = snapshot(sample)
    again = migrate(sample, "--check", ".")
    assert again.returncode == 0, again.stdout
    assert again.stdout.endswith("0 files would change, 2 need a human\n")
    assert migrate(sample, "--diff", ".").stdout == ""
    assert snapshot(sample) == after


def test_check_fails_before_the_move(sample: Path) -> None:
    """--check in CI: exit 1 while the suite still names a peer, files untouched."""
    before = snapshot(sample)
    result = migrate(sample, "--check", ".")
    assert result.returncode == 1
    assert snapshot(sample) == before


def test_migrated_sample_passes_without_the_peers(sample: Path, tmp_path: Path) -> None:
    """After the move the sample's tests pass on localserver with the peers unimportable."""
    if importlib.util.find_spec("localserver.compat") is None:
        pytest.skip("localserver.compat is not in this build yet")
    assert migrate(sample, ".").returncode == 0
    # Packages that shadow the installed peers: importing either now fails.
    shadow = tmp_path / "shadow"
    for name in ("pytest_httpserver", "pytest_localserver"):
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(f"raise ImportError('{name} is uninstalled')\n")
    env = {**os.environ, "PYTHONPATH": str(shadow)}
    output = run_pytest(sample, "tests/test_weather.py", env=env)
    assert "2 passed" in output, output
