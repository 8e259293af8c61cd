"""Run pytest-httpserver's and pytest-localserver's own test suites on localserver.

For each peer: download its published sdist (``pip download --no-binary :all:
--no-deps``; never kept in this repository), unpack it into the work directory,
delete the peer's package from the tree, run ``python -m localserver migrate
--lenient`` on it, and run its tests in a virtual environment that has
localserver and not the peer. Prints the pass counts; exits 1 if a test failed
that ``tests/compat_known_failures.txt`` does not list (with its reason), or if
a step broke.

By hand, from the repository's root::

    python .ci/peer_suites.py                      # the latest releases
    python .ci/peer_suites.py --peer pytest-httpserver==1.0.12
    python .ci/peer_suites.py --reuse-venv         # skip rebuilding the environment
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import venv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KNOWN = ROOT / "tests" / "compat_known_failures.txt"
TIMEOUT = 900


@dataclass(frozen=True)
class Suite:
    """A peer: its package (deleted from the tree) and the pytest runs of its tests.

    Each run is pytest's arguments, and environment variables to set ("PORT"
    stands for a free port).
    """

    distribution: str
    package: str
    runs: tuple[tuple[tuple[str, ...], dict[str, str]], ...]


SUITES = {
    "pytest-httpserver": Suite(
        "pytest-httpserver",
        "pytest_httpserver",
        (
            # test_release.py checks the peer's own packaging (with poetry): not ours.
            (("tests", "--ignore=tests/test_release.py"), {}),
            # Its conftest runs the TLS tests (marked ssl) only with --ssl, and only them.
            (("tests", "--ignore=tests/test_release.py", "--ssl"), {}),
            # The address of the session's server, pinned by environment variables.
            (
                ("tests/test_port_changing.py",),
                {"PYTEST_HTTPSERVER_HOST": "127.0.0.1", "PYTEST_HTTPSERVER_PORT": "PORT"},
            ),
        ),
    ),
    "pytest-localserver": Suite("pytest-localserver", "pytest_localserver", ((("tests",), {}),)),
}


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


# A pytest plugin that writes each test's outcome as a line of JSON.
OUTCOMES_PLUGIN = """\
import json, os

def pytest_runtest_logreport(report):
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.failed and report.when != "call":
        outcome = "error"
    with open(os.environ["PEER_OUTCOMES"], "a", encoding="utf-8") as file:
        file.write(json.dumps([report.nodeid, report.when, outcome]) + "\\n")
"""


@dataclass
class Result:
    """What one suite did: each test's outcome, and the steps that broke."""

    name: str
    version: str = "?"
    outcomes: dict[str, str] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(command), flush=True)
    try:
        return subprocess.run(command, cwd=cwd, env=env, timeout=TIMEOUT, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"timed out after {TIMEOUT} s", flush=True)
        return -1


def make_venv(path: Path, reuse: bool) -> Path:
    """An environment with localserver (and what the suites need), without the peers."""
    python = path / ("Scripts" if os.name == "nt" else "bin") / "python"
    if reuse and python.exists():
        return python
    shutil.rmtree(path, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(path)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if run([*pip, "-e", f"{ROOT}[migrate]", "pytest", "requests"], ROOT) != 0:
        raise SystemExit("FAIL: could not install localserver into the suites' environment")
    for module in ("pytest_httpserver", "pytest_localserver"):
        probe = [str(python), "-c", f"import {module}"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            raise SystemExit(f"FAIL: {module} is importable in {path}: the peers must be absent")
    return python


def fetch(python: Path, requirement: str, into: Path) -> Path:
    """Download the sdist of *requirement*; return its path."""
    into.mkdir(parents=True, exist_ok=True)
    before = set(into.iterdir())
    command = [str(python), "-m", "pip", "download", "-q", "--disable-pip-version-check"]
    command += ["--no-binary", ":all:", "--no-deps", "-d", str(into), requirement]
    if run(command, into) != 0:
        raise RuntimeError(f"pip download {requirement} failed")
    new = [p for p in set(into.iterdir()) - before if p.name.endswith((".tar.gz", ".zip"))]
    if len(new) != 1:
        raise RuntimeError(f"pip download {requirement} gave {sorted(p.name for p in new)}")
    return new[0]


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack *sdist* into *into*; return its top directory."""
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
        for member in members:
            target = (into / member.name).resolve()
            if not target.is_relative_to(into.resolve()) or member.issym() or member.islnk():
                raise RuntimeError(f"{sdist.name}: refusing to unpack {member.name!r}")
        try:
            archive.extractall(into, filter="data")
        except TypeError:  # a Python without extraction filters; every member checked above
            archive.extractall(into)
    tops = {member.name.split("/")[0] for member in members}
    if len(tops) != 1:
        raise RuntimeError(f"{sdist.name}: expected one top directory, found {sorted(tops)}")
    return into / tops.pop()


def read_outcomes(path: Path) -> dict[str, str]:
    """Each test's outcome over its phases: a failure anywhere wins."""
    rank = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 2, "error": 3, "failed": 3}
    found: dict[str, str] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        nodeid, when, outcome = json.loads(line)
        if when != "call" and outcome == "passed":
            outcome = found.get(nodeid, "passed")
        if nodeid not in found or rank[outcome] > rank[found[nodeid]]:
            found[nodeid] = outcome
    return found


def merge(runs: list[dict[str, str]]) -> dict[str, str]:
    """A test skipped in one run and run in another has the outcome of the run that ran it."""
    merged: dict[str, str] = {}
    for outcomes in runs:
        for nodeid, outcome in outcomes.items():
            if merged.get(nodeid) in (None, "skipped") or outcome in ("failed", "error"):
                merged[nodeid] = outcome
    return merged


def run_suite(suite: Suite, requirement: str, python: Path, work: Path) -> Result:
    result = Result(suite.distribution)
    try:
        sdist = fetch(python, requirement, work / "sdists")
    except RuntimeError as exc:
        result.broken.append(str(exc))
        return result
    tree = unpack(sdist, work / "src")
    result.version = tree.name.rpartition("-")[2]
    shutil.rmtree(tree / suite.package)  # the tests may import only localserver
    # The tree is a project of its own: migrate looks no further up for pytest's
    # configuration (this repository's is above it), and neither does pytest.
    (tree / ".git").mkdir()
    if run([str(python), "-m", "localserver", "migrate", "--lenient", "."], tree) != 0:
        result.broken.append("python -m localserver migrate failed")
        return result
    plugins = work / "plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "peer_outcomes.py").write_text(OUTCOMES_PLUGIN, encoding="utf-8")
    outcomes = []
    for number, (args, variables) in enumerate(suite.runs):
        report = work / f"{suite.package}-{number}.jsonl"
        report.unlink(missing_ok=True)
        env = {**os.environ, "PEER_OUTCOMES": str(report), "PYTHONPATH": str(plugins)}
        env.update({k: free_port() if v == "PORT" else v for k, v in variables.items()})
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [str(python), "-m", "pytest", "-p", "peer_outcomes", "-p", "no:cacheprovider"]
        command += ["--rootdir", str(tree)]
        status = run([*command, "-q", "-rfE", *args], tree, env)
        if status not in (0, 1):  # 1: some tests failed, judged below
            result.broken.append(f"pytest {' '.join(args)} exited with status {status}")
        outcomes.append(read_outcomes(report))
    result.outcomes = merge(outcomes)
    return result


def read_known(path: Path) -> list[tuple[str, str, str]]:
    """``(distribution, test id pattern, reason)`` for each listed test."""
    known = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        entry, separator, reason = line.partition(" -- ")
        parts = entry.split()
        if not separator or len(parts) != 2 or not reason.strip():
            raise SystemExit(f"{path}:{number}: expected 'DISTRIBUTION TEST_ID -- REASON'")
        known.append((parts[0], parts[1], reason.strip()))
    return known


def judge(result: Result, known: list[tuple[str, str, str]]) -> bool:
    """Print the counts and the unexpected failures; True when the suite is acceptable."""
    patterns = [(pattern, reason) for dist, pattern, reason in known if dist == result.name]
    counts = Counter(result.outcomes.values())
    failing = sorted(n for n, o in result.outcomes.items() if o in ("failed", "error"))
    listed = [n for n in failing if any(fnmatch.fnmatchcase(n, p) for p, _ in patterns)]
    unexpected = [n for n in failing if n not in listed]
    stale = [p for p, _ in patterns if not any(fnmatch.fnmatchcase(n, p) for n in failing)]
    print(
        f"{result.name} {result.version}: {counts['passed']} passed, "
        f"{len(listed)} known failures, {len(unexpected)} unexpected failures, "
        f"{counts['skipped']} skipped, {counts['xfailed']} xfailed, {counts['xpassed']} xpassed "
        f"({len(result.outcomes)} tests)"
    )
    for nodeid in unexpected:
        print(f"  UNEXPECTED {result.outcomes[nodeid]}: {nodeid}")
    for pattern in stale:
        print(f"  note: listed as a known failure but did not fail: {pattern}")
    for problem in result.broken:
        print(f"  BROKEN: {problem}")
    return not unexpected and not result.broken and bool(result.outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".ci" / ".work" / "peers")
    parser.add_argument("--known", type=Path, default=KNOWN)
    parser.add_argument(
        "--peer",
        action="append",
        metavar="REQUIREMENT",
        help="a peer to run, optionally with a version (pytest-httpserver==1.1.0); both by default",
    )
    parser.add_argument(
        "--reuse-venv", action="store_true", help="keep the work directory's environment"
    )
    args = parser.parse_args()
    known = read_known(args.known)
    work: Path = args.work.resolve()
    for part in ("sdists", "src", "plugins"):
        shutil.rmtree(work / part, ignore_errors=True)
    (work / "src").mkdir(parents=True)
    python = make_venv(work / "venv", args.reuse_venv)
    requirements = args.peer or list(SUITES)
    ok = True
    results = []
    for requirement in requirements:
        name = requirement.split("=")[0].split("<")[0].split(">")[0].strip()
        if name not in SUITES:
            raise SystemExit(f"unknown peer {name!r}: one of {', '.join(SUITES)}")
        print(f"=== {requirement} ===", flush=True)
        results.append(run_suite(SUITES[name], requirement, python, work))
    print("\n=== peer suites on localserver ===")
    for result in results:
        ok = judge(result, known) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
