"""Mixin benchmark: server start/stop time of a 100 classes x 5 tests suite per mixin.

Run it through ``python bench/run.py mixins``, or directly with a Python that has
localserver and ``pytest-localserver[smtp]`` installed::

    python bench/bench_mixins.py            # the full run (about a minute)
    python bench/bench_mixins.py --quick    # a fast rehearsal; its figures are rough

For each mixin a suite of 100 ``unittest.TestCase`` classes with 5 tests each
is generated and run by unittest's own suite machinery. Each test makes one
assertion on the class's server. The servers are timed from the inside (the
``*_server_class`` setting swaps in a subclass whose ``start`` and ``stop`` add
up their own durations), so the figure is exactly the time spent starting and
stopping servers, against the target of issue 6 (below 1 s per suite).

pytest-localserver's ``httpserver``, ``httpsserver`` and ``smtpserver``
fixtures are function-scoped: each test constructs, starts and stops a server.
The same 500 tests would cost 500 of those; they are measured in the same run
on a sample of servers (each takes about half a second to stop, so 500 would
take minutes) and the total is that median times 500.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unittest
from typing import Any

OURS = "localserver"
PEER = "pytest-localserver"
CLASSES = 100
TESTS = 5
TARGET_SECONDS = 1.0


class Clock:
    """Seconds spent in start() and stop(), added up."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.starts = 0

    def timed(self, base: type[Any]) -> type[Any]:
        """A subclass of *base* whose start() and stop() add their time to this clock."""
        clock = self

        class Timed(base):  # type: ignore[valid-type,misc]
            def start(self) -> Any:
                began = time.perf_counter()
                try:
                    return super().start()
                finally:
                    clock.seconds += time.perf_counter() - began
                    clock.starts += 1

            def stop(self) -> None:
                began = time.perf_counter()
                try:
                    super().stop()
                finally:
                    clock.seconds += time.perf_counter() - began

        return Timed


def make_suite(kind: str, clock: Clock) -> unittest.TestSuite:
    """100 generated classes of 5 tests each, using the mixin of *kind*."""
    import localserver

    if kind == "http":
        mixin: Any = localserver.HTTPServerMixin
        settings = {"http_server_class": clock.timed(localserver.HTTPServer)}

        def check(self: Any) -> None:
            self.assertNoRequestReceived()

    elif kind == "https":
        mixin = localserver.HTTPSServerMixin
        settings = {"https_server_class": clock.timed(localserver.HTTPSServer)}

        def check(self: Any) -> None:
            self.assertNoRequestReceived()

    else:
        mixin = localserver.SMTPServerMixin
        settings = {"smtp_server_class": clock.timed(localserver.SMTPServer)}

        def check(self: Any) -> None:
            self.assertNoMailSent()

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for number in range(CLASSES):
        body: dict[str, Any] = dict(settings)
        body.update({f"test_{index}": check for index in range(TESTS)})
        cls = type(f"Generated{number}", (mixin, unittest.TestCase), body)
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


def run_ours(kind: str) -> tuple[float, float]:
    """(seconds in start/stop, seconds for the whole suite) for one generated suite."""
    clock = Clock()
    suite = make_suite(kind, clock)
    result = unittest.TestResult()
    began = time.perf_counter()
    suite.run(result)
    total = time.perf_counter() - began
    if not result.wasSuccessful() or result.testsRun != CLASSES * TESTS:
        raise RuntimeError(f"{kind}: {result.testsRun} run, {result.failures + result.errors}")
    if clock.starts != CLASSES:
        raise RuntimeError(f"{kind}: {clock.starts} servers started for {CLASSES} classes")
    return clock.seconds, total


def peer_server(kind: str) -> Any:
    """A server as pytest-localserver's function-scoped fixture makes one."""
    if kind == "http":
        from pytest_localserver.http import ContentServer

        return ContentServer()
    if kind == "https":
        from pytest_localserver.https import SecureContentServer

        return SecureContentServer()
    from pytest_localserver.smtp import Server

    return Server()


def run_peer(kind: str, samples: int) -> float:
    """Median seconds of one fixture's construct + start + stop."""
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        server = peer_server(kind)
        server.start()
        server.stop()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def peer_installed() -> bool:
    try:
        import pytest_localserver.http
        import pytest_localserver.smtp  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    rounds, samples = (1, 3) if args.quick else (5, 8)
    has_peer = peer_installed()
    if not has_peer:
        print(f"note: {PEER}[smtp] is not installed; measuring localserver only")

    tests = CLASSES * TESTS
    print(f"Python {sys.version.split()[0]}; {CLASSES} classes x {TESTS} tests per mixin; medians")
    print(f"ratio = {PEER} (function-scoped fixtures, {tests} servers) / {OURS} (one per class)")
    header = (
        f"{'mixin':<18} {'start/stop':>11} {'suite':>9} {PEER + ' start/stop':>30} "
        f"{'ratio':>8}  target < {TARGET_SECONDS:g} s"
    )
    print(header)
    print("-" * len(header))
    run_ours("http")  # warm-up: imports, the test CA, first threads
    run_ours("https")
    for kind, mixin in (
        ("http", "HTTPServerMixin"),
        ("https", "HTTPSServerMixin"),
        ("smtp", "SMTPServerMixin"),
    ):
        measured = [run_ours(kind) for _ in range(rounds)]
        server_time = statistics.median(m[0] for m in measured)
        suite_time = statistics.median(m[1] for m in measured)
        if has_peer:
            peer_total = run_peer(kind, samples) * tests
            peer_text = f"{peer_total:9.1f} s (500 x median of {samples})"
            ratio = f"{peer_total / server_time:7.0f}x"
        else:
            peer_text, ratio = "n/a", "n/a"
        verdict = "PASS" if server_time < TARGET_SECONDS else "MISS"
        print(
            f"{mixin:<18} {server_time:9.3f} s {suite_time:7.3f} s {peer_text:>30} "
            f"{ratio:>8}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
