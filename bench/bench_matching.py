"""Matching cost: latency a request gains when many exact-path expectations are registered.

For each server and each count N, register N expectations on distinct exact paths
(``/item/0`` ... ``/item/N-1``), then time requests whose paths cycle over all of
them (a new connection each, since pytest-httpserver's werkzeug server closes every
connection). The "added" column is the median with N minus the median with 1, both
measured in this run. localserver's target: under 0.2 ms added at 10,000.

Run: ``python bench/bench_matching.py`` with localserver and pytest-httpserver
importable (``--quick`` for a short run).
"""

from __future__ import annotations

import http.client
import logging
import statistics
import sys
import time
from typing import Callable

COUNTS = (1, 1_000, 10_000)
TARGET_MS = 0.2


def _measure(host: str, port: int, count: int, samples: int) -> float:
    """Median seconds of GET requests over fresh connections, paths cycling over *count*."""
    times = []
    for index in range(samples + 10):
        path = f"/item/{(index * 7919) % count}"  # a prime stride spreads over all paths
        start = time.perf_counter()
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        elapsed = time.perf_counter() - start
        if response.status != 200 or body != b"x":
            raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
        if index >= 10:  # the first ones warm up
            times.append(elapsed)
    return statistics.median(times)


def _localserver(count: int, samples: int) -> tuple[float, float]:
    from localserver import HTTPServer

    with HTTPServer() as server:
        start = time.perf_counter()
        for index in range(count):
            server.expect_request(f"/item/{index}").respond_with_data("x")
        registered = time.perf_counter() - start
        return _measure(server.host, server.port, count, samples), registered


def _pytest_httpserver(count: int, samples: int) -> tuple[float, float]:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        start = time.perf_counter()
        for index in range(count):
            server.expect_request(f"/item/{index}").respond_with_data("x")
        registered = time.perf_counter() - start
        return _measure("127.0.0.1", server.port, count, samples), registered
    finally:
        server.clear()
        server.stop()


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the peer logs every request
    samples = 60 if quick else 200
    peers: list[tuple[str, Callable[[int, int], tuple[float, float]]]] = [
        ("localserver", _localserver)
    ]
    try:
        import pytest_httpserver  # noqa: F401
    except ImportError:
        print("pytest-httpserver is not installed: measuring localserver only\n")
    else:
        peers.append(("pytest-httpserver", _pytest_httpserver))

    results: dict[tuple[str, int], tuple[float, float]] = {}
    for name, run in peers:
        for count in COUNTS:
            # The linear scan makes large counts slow for peers: fewer samples there.
            n = samples if name == "localserver" or count < 10_000 else max(30, samples // 4)
            results[name, count] = run(count, n)

    print("Matching cost: requests cycling over N exact-path expectations (medians)")
    print(f"{'server':<20} {'N':>7} {'latency ms':>11} {'added ms':>9} {'register ms':>12}")
    for name, _ in peers:
        base = results[name, 1][0]
        for count in COUNTS:
            latency, registered = results[name, count]
            added = "-" if count == 1 else f"{(latency - base) * 1000:.3f}"
            print(
                f"{name:<20} {count:>7,} {latency * 1000:>11.3f} {added:>9} "
                f"{registered * 1000:>12.1f}"
            )
    print()
    ours = {c: (results["localserver", c][0] - results["localserver", 1][0]) * 1000 for c in COUNTS}
    verdict = "met" if ours[10_000] < TARGET_MS else "NOT met"
    print(
        f"localserver added latency at 10,000: {ours[10_000]:.3f} ms "
        f"(target < {TARGET_MS} ms: {verdict})"
    )
    if len(peers) > 1:
        for count in COUNTS[1:]:
            theirs = (
                results["pytest-httpserver", count][0] - results["pytest-httpserver", 1][0]
            ) * 1000
            ratio = results["pytest-httpserver", count][0] / results["localserver", count][0]
            print(
                f"N={count:,}: pytest-httpserver adds {theirs:.3f} ms, "
                f"localserver {ours[count]:.3f} ms; "
                f"latency ratio pytest-httpserver/localserver = {ratio:.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
