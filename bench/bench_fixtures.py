"""pytest fixture benchmark: ours against pytest-localserver's and pytest-httpserver's fixtures.

Run it through ``python bench/run.py fixtures``, or directly with a Python that has
localserver, pytest, pytest-localserver (with aiosmtpd) and pytest-httpserver::

    python bench/bench_fixtures.py            # 200 tests per run (about three minutes:
                                              # pytest-localserver pays 0.5 s a test)
    python bench/bench_fixtures.py --shared-only  # the shared-fixture part alone
    python bench/bench_fixtures.py --quick    # 20 tests per run, rough figures

For each fixture a test file of N tests is generated, each test taking the fixture
and doing nothing else, and run by its own ``pytest`` subprocess with only that
fixture's plugin active (the others disabled with ``-p no:...``). A small conftest
records pytest's own setup and teardown durations of every test. The fixture cost
of a test is its setup + teardown time minus that of a test without fixtures (the
baseline run); the table gives the median over the N tests, the mean wall time per
test of the whole run (minus the baseline's), and the ratio of the peer's median
to ours (above 1 means localserver is faster).

Ours (``httpserver``, ``smtpserver``) start a fresh server per test and run its
checks at teardown; ``httpserver_shared`` is one server per session, emptied and
checked per test. pytest-localserver's fixtures start a fresh server per test;
pytest-httpserver's ``httpserver`` is one server per session, cleared per test.

Shared (session) fixtures, issue 15: our ``httpserver_shared`` against
pytest-httpserver's ``httpserver`` over several rounds (``--rounds``, the two taking
turns; a test without fixtures runs before each test, in the same process, as the
baseline), with empty tests and, for information,
with tests that each add an expectation and send one GET to it (so that there is
something to check and forget). Ratio: our cost over theirs, median
[lowest-highest] of the rounds; target <= 1.5x. ``--shared-only`` runs this part
alone (about half a minute).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import Spread, milliseconds, render, times, verdict

ROOT = Path(__file__).resolve().parent.parent
OURS = "localserver"
LOCALSERVER = "pytest-localserver"
HTTPSERVER = "pytest-httpserver"

# Which plugins each run has: ours is loaded explicitly, the peers by entry point.
PLUGIN_ARGS = {
    "none": ["-p", "no:localserver", "-p", "no:pytest_httpserver"],
    OURS: ["-p", "no:localserver", "-p", "no:pytest_httpserver", "-p", "localserver.pytest_plugin"],
    LOCALSERVER: ["-p", "no:pytest_httpserver"],
    HTTPSERVER: ["-p", "no:localserver"],
}

# (package, fixture, the fixture of ours a peer's is compared with). pytest-httpserver's
# httpserver is a session server cleared per test: our httpserver_shared is its twin.
SUBJECTS = [
    (OURS, "httpserver", None),
    (OURS, "httpserver_shared", None),
    (OURS, "smtpserver", None),
    (LOCALSERVER, "httpserver", "httpserver"),
    (LOCALSERVER, "smtpserver", "smtpserver"),
    (HTTPSERVER, "httpserver", "httpserver"),
    (HTTPSERVER, "httpserver", "httpserver_shared"),
]

RECORDER = """
import json, os

durations = {}

def pytest_runtest_logreport(report):
    if report.when in ("setup", "teardown"):
        durations[report.nodeid] = durations.get(report.nodeid, 0.0) + report.duration

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_FIXTURES_OUT"], "w") as out:
        json.dump(durations, out)
"""


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available(package: str) -> bool:
    if package == LOCALSERVER:
        return installed("pytest_localserver") and installed("aiosmtpd")
    if package == HTTPSERVER:
        return installed("pytest_httpserver")
    return True


# A test body that gives the fixture something to check and forget (an HTTP fixture).
ONE_REQUEST = """
    {fixture}.expect_request("/x").respond_with_data("ok")
    conn = http.client.HTTPConnection({fixture}.host, {fixture}.port, timeout=10)
    conn.request("GET", "/x")
    assert conn.getresponse().read() == b"ok"
    conn.close()
"""


def module_source(fixture: str | None, count: int, request: bool, interleave: bool = False) -> str:
    lines = ["import http.client\n"] if request else []
    for i in range(count):
        if interleave:
            lines.append(f"def test_plain_{i}():\n    pass\n")
        if fixture is None:
            lines.append(f"def test_{i}():\n    pass\n")
        elif request:
            lines.append(f"def test_{i}({fixture}):{ONE_REQUEST.format(fixture=fixture)}")
        else:
            lines.append(f"def test_{i}({fixture}):\n    assert {fixture} is not None\n")
    return "\n\n".join(lines)


def run(
    workdir: Path,
    package: str,
    fixture: str | None,
    count: int,
    request: bool = False,
    interleave: bool = False,
) -> tuple[list[float], float, list[float]]:
    """Per-test setup+teardown seconds, the wall time of the whole pytest run, and
    (with *interleave*) those of tests without fixtures run between them."""
    kind = "_request" if request else ""
    name = f"test_{package.replace('-', '_')}_{fixture or 'baseline'}{kind}.py"
    (workdir / name).write_text(module_source(fixture, count, request, interleave))
    out = workdir / f"{name}.json"
    env = {
        **os.environ,
        "BENCH_FIXTURES_OUT": str(out),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    command += [*PLUGIN_ARGS[package], name]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{package} {fixture}: pytest failed\n{done.stdout}\n{done.stderr}")
    recorded: dict[str, float] = json.loads(out.read_text())
    plain = [d for nodeid, d in recorded.items() if "::test_plain_" in nodeid]
    durations = [d for nodeid, d in recorded.items() if "::test_plain_" not in nodeid]
    if len(durations) != count:
        raise RuntimeError(f"{package} {fixture}: {len(durations)} tests ran, not {count}")
    return durations, wall, plain


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


SHARED_TARGET = 1.5  # our httpserver_shared's cost per test over pytest-httpserver's, at most


def shared_rounds(
    workdir: Path, count: int, rounds: int, request: bool
) -> tuple[list[float], list[float]]:
    """Per round, the cost per test of our httpserver_shared and of pytest-httpserver's."""
    ours: list[float] = []
    theirs: list[float] = []
    for number in range(rounds):
        pair = [(OURS, "httpserver_shared", ours), (HTTPSERVER, "httpserver", theirs)]
        for package, fixture, costs in pair if number % 2 == 0 else pair[::-1]:
            # The baseline runs in the same process, a plain test before each one: two
            # pytest processes differ by more than the few tens of microseconds measured.
            durations, _, plain = run(workdir, package, fixture, count, request, interleave=True)
            costs.append(max(statistics.median(durations) - statistics.median(plain), 1e-7))
    return ours, theirs


def shared_table(workdir: Path, count: int, rounds: int) -> str:
    """The shared-fixture comparison of issue 15, with its target, as text."""
    rows = []
    for request in (False, True):
        ours, theirs = shared_rounds(workdir, count, rounds, request)
        ratios = Spread.of(o / t for o, t in zip(ours, theirs))
        several = rounds > 1
        target = "(info)" if request else f"<= {SHARED_TARGET}x"
        passed = None if request else ratios.median <= SHARED_TARGET
        rows.append(
            [
                "test adds an expectation, one GET" if request else "empty test",
                Spread.of(ours).text(milliseconds, several),
                Spread.of(theirs).text(milliseconds, several),
                ratios.text(times, several),
                target,
                verdict(passed),
            ]
        )
    title = (
        f"Shared (session) fixture, cost per test: {count} tests per run, {rounds} round(s); "
        "medians [lowest-highest of the rounds]"
    )
    header = [
        "test",
        f"{OURS} httpserver_shared",
        f"{HTTPSERVER} httpserver",
        "ours / theirs",
        "target",
        "result",
    ]
    legend = (
        "cost: median setup+teardown of a test minus that of the tests without fixtures "
        "run between them, in the same pytest process"
    )
    return "\n".join([title, render(header, rows), legend])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 tests per run, rough figures")
    parser.add_argument("--tests", type=int, default=None, help="tests per run (default 200)")
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds of the shared-fixture part (default 5)"
    )
    parser.add_argument(
        "--shared-only", action="store_true", help="only the shared-fixture part (issue 15)"
    )
    args = parser.parse_args(argv)
    count = args.tests or (20 if args.quick else 200)
    rounds = args.rounds or (2 if args.quick else 5)

    print(f"pytest fixture benchmark: {count} tests per run, Python {sys.version.split()[0]}")
    missing = [p for p in (LOCALSERVER, HTTPSERVER) if not available(p)]
    for package in missing:
        print(f"{package} is not installed: its rows are left out")

    if args.shared_only:
        if HTTPSERVER in missing:
            print(f"the shared-fixture part needs {HTTPSERVER}")
            return 1
        with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
            (Path(tmp) / "conftest.py").write_text(RECORDER)
            print()
            print(shared_table(Path(tmp), count, rounds))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        workdir = Path(tmp)
        (workdir / "conftest.py").write_text(RECORDER)
        base_durations, base_wall, _ = run(workdir, "none", None, count)
        base = statistics.median(base_durations)
        results: dict[tuple[str, str], tuple[float, float]] = {}
        for package, fixture, _ in SUBJECTS:
            if package in missing or (package, fixture) in results:
                continue
            durations, wall, _ = run(workdir, package, fixture, count)
            cost = max(statistics.median(durations) - base, 0.0)
            results[package, fixture] = (cost, max(wall - base_wall, 0.0) / count)
        shared = "" if HTTPSERVER in missing else shared_table(workdir, count, rounds)

    print()
    header = (
        f"{'package':<20}{'fixture':<20}{'median cost/test':>18}{'wall/test':>14}"
        f"{'ratio':>9}  {'vs ours'}"
    )
    print(header)
    print("-" * len(header))
    for package, fixture, compare in SUBJECTS:
        if (package, fixture) not in results:
            continue
        cost, wall = results[package, fixture]
        ratio = ""
        if compare is not None and results[OURS, compare][0] > 0:
            value = cost / results[OURS, compare][0]
            ratio = f"{value:.1f}x" if value < 10 else f"{value:.0f}x"
        print(f"{package:<20}{fixture:<20}{ms(cost):>18}{ms(wall):>14}{ratio:>9}  {compare or ''}")
    print()
    print(f"baseline (a test without fixtures): {ms(base)} setup+teardown")
    print("ratio: the peer's median cost over that of our fixture named in 'vs ours'")
    print("wall/test: the run's wall time minus the baseline run's, over the tests (imports too)")

    ours = results[OURS, "httpserver"][0]
    targets = [("localserver's httpserver costs <= 2 ms per test", ours <= 0.002)]
    print()
    for text, passed in targets:
        print(f"{'PASS' if passed else 'MISS'}  {text}")
    if shared:
        print()
        print(shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
