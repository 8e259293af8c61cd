"""The same example suite under each runner: unittest, nose2 (also multiprocess), pytest, Django.

Each run happens in a subprocess and is checked for its exact count of tests,
not only its exit status; the failing-on-purpose suite proves that each
runner reports a failure on the test that caused it, and on no other.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .mixin_suite import EXPECTED_TESTS

ROOT = Path(__file__).resolve().parent.parent
DJANGO_PROJECT = ROOT / "tests" / "django_project"
FAILING = "tests.mixin_failing.failing_suite"
RUN_TIMEOUT = 240


def run(*args: str, cwd: Path = ROOT) -> str:
    """Run ``python *args`` with this checkout first on the path; return its whole output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return done.stdout


def unittest_summary(output: str) -> tuple[int, str]:
    """(tests run, final status line) from unittest-style output."""
    ran = re.search(r"^Ran (\d+) tests? in ", output, re.MULTILINE)
    status = re.search(r"^(OK.*|FAILED \(.*\))$", output, re.MULTILINE)
    assert ran, output
    assert status, output
    return int(ran.group(1)), status.group(1)


def assert_clean(output: str) -> None:
    """No warning (a leaked socket, a deprecation) was printed."""
    assert "Warning" not in output, output


def failed_tests(output: str) -> set[str]:
    """Names of the tests unittest-style output reports as FAIL or ERROR."""
    return set(re.findall(r"^(?:FAIL|ERROR): (test_\w+)", output, re.MULTILINE))


class TestExampleSuite:
    def test_unittest(self) -> None:
        """python -m unittest runs every example test and all pass."""
        output = run(
            "-W", "error", "-m", "unittest", "discover", "-s", "tests/mixin_suite", "-t", "."
        )
        assert unittest_summary(output) == (EXPECTED_TESTS, "OK"), output
        assert_clean(output)

    def test_nose2(self) -> None:
        """nose2 runs every example test and all pass."""
        output = run("-W", "error", "-m", "nose2", "-s", "tests/mixin_suite", "-t", ".")
        assert unittest_summary(output) == (EXPECTED_TESTS, "OK"), output
        assert_clean(output)

    def test_nose2_multiprocess(self) -> None:
        """nose2's mp plugin, with two worker processes, runs them all too."""
        output = run(
            "-m", "nose2", "--plugin", "nose2.plugins.mp", "-N", "2",
            "-s", "tests/mixin_suite", "-t", ".",
        )  # fmt: skip
        assert unittest_summary(output) == (EXPECTED_TESTS, "OK"), output
        assert_clean(output)

    def test_pytest(self) -> None:
        """pytest runs them (calling setUpClass and the class cleanups) and all pass."""
        output = run("-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/mixin_suite")
        assert re.search(rf"^{EXPECTED_TESTS} passed in ", output, re.MULTILINE), output

    @pytest.mark.parametrize("parallel", ["1", "2"])
    def test_django(self, parallel: str) -> None:
        """Django's runner runs the demo project's LiveServerTestCase and SMTP tests."""
        pytest.importorskip("django", reason="Django is in the test extra")
        found = re.search(
            r"^EXPECTED_TESTS = (\d+)$",
            (DJANGO_PROJECT / "shop" / "tests.py").read_text(),
            re.MULTILINE,
        )
        assert found
        output = run("-W", "error", "manage.py", "test", "--parallel", parallel, cwd=DJANGO_PROJECT)
        assert unittest_summary(output) == (int(found.group(1)), "OK"), output
        assert_clean(output)


class TestFailuresReportedOnTheirTest:
    def test_unittest(self) -> None:
        """unittest reports exactly the two failing tests, as failures."""
        output = run("-m", "unittest", FAILING)
        assert unittest_summary(output) == (4, "FAILED (failures=2)"), output
        assert failed_tests(output) == {"test_2_unmatched_request", "test_4_assertion_fails"}
        assert "GET /not-expected" in output

    def test_nose2(self) -> None:
        """nose2 reports the same two tests."""
        output = run("-m", "nose2", "-t", ".", FAILING)
        assert unittest_summary(output) == (4, "FAILED (failures=2)"), output
        assert failed_tests(output) == {"test_2_unmatched_request", "test_4_assertion_fails"}

    def test_pytest(self) -> None:
        """pytest reports the same two tests as failed and the others as passed."""
        path = FAILING.replace(".", "/") + ".py"
        output = run("-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", path)
        assert re.search(r"^2 failed, 2 passed in ", output, re.MULTILINE), output
        failed = set(re.findall(r"^FAILED \S+::FailingTests::(test_\w+)", output, re.MULTILINE))
        assert failed == {"test_2_unmatched_request", "test_4_assertion_fails"}
        assert "UnmatchedRequestError" in output
