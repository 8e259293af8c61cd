"""Run unittest classes inside a pytest test, through the real unittest suite machinery."""

from __future__ import annotations

import unittest
from typing import Any


class Outcome:
    """What a unittest run reported, by test method name."""

    def __init__(self, result: unittest.TestResult) -> None:
        self.result = result
        self.run = result.testsRun
        self.failures = {_name(test): text for test, text in result.failures}
        self.errors = {_name(test): text for test, text in result.errors}
        self.skipped = {_name(test): why for test, why in result.skipped}

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def __repr__(self) -> str:
        return f"<Outcome run={self.run} failures={self.failures} errors={self.errors}>"


def _name(test: Any) -> str:
    # A class-level error is reported on an _ErrorHolder whose id names the fixture.
    method = getattr(test, "_testMethodName", None)
    return method if method is not None else test.id()


def run_classes(*classes: type[unittest.TestCase]) -> Outcome:
    """Run every test of *classes* in one suite, with setUpClass and class cleanups."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls) for cls in classes)
    result = unittest.TestResult()
    suite.run(result)
    return Outcome(result)
