"""Waiting cost: many requests with a test thread waiting on them, against nobody waiting.

A test that waits for requests sent from elsewhere (``timeout=``) must not slow the
server down as they arrive: every wait does O(1) work per request. For each kind of
wait, N requests (16,000; ``--quick``: 4,000) are sent by a client in another
process (raw sockets, 4 keep-alive connections, 8 requests in flight on each), once
with a thread of the server's process waiting for them and once without; the two
alternate over several rounds. The ratio is the time with the waiter over the time
without, per round; the table shows its median and its spread (lowest to highest).
Issue 14's target: within 1.3x at 16,000 requests. Before the fix, 16,000 requests
took 93 s with a waiter instead of 4.4 s.

The time is the client's wall-clock time. On a busy machine it varies from run to
run, so the table also gives the ratio of the CPU time the server's process spent
(its threads and the waiter), which other processes disturb much less.

The waits:

- ``assert_request_made("/w", count=N - 2, timeout=...)``
- ``assert_requests_in_order("/first", "/last", timeout=...)``
- ``assert_expectations_met(timeout=...)`` (``expect_request("/w", times=N - 2)``)

Every run sends ``/first``, then ``/w`` N - 2 times, then ``/last``, to a server
that answers ``/w`` through the expectation and the rest through ``serve_content``.

Run it through ``python bench/run.py waiting``, or directly with a Python that has
localserver installed: ``python bench/bench_waiting.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable

TARGET = 1.3
CONNECTIONS = 4
WINDOW = 8  # requests in flight per connection
WAIT_LIMIT = 600.0  # seconds a waiter may wait: far beyond any run

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


# -- the client (a child process) ----------------------------------------------------


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def _take_responses(buffer: bytearray) -> int:
    """Remove the complete responses at the start of *buffer*; return how many."""
    count = 0
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return count
        if not buffer.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"unexpected answer: {bytes(buffer[:200])!r}")
        match = _CONTENT_LENGTH.search(buffer, 0, end + 2)
        total = end + 4 + (int(match.group(1)) if match else 0)
        if len(buffer) < total:
            return count
        del buffer[:total]
        count += 1


def _one(sock: socket.socket, path: str) -> None:
    """Send one request and wait for its answer."""
    sock.sendall(_request(path))
    buffer = bytearray()
    while not _take_responses(buffer):
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("the server closed the connection")
        buffer += data


def client(host: str, port: int, total: int) -> float:
    """Send /first, total - 2 x /w (pipelined over CONNECTIONS), /last; return seconds."""
    socks = [socket.create_connection((host, port), timeout=60) for _ in range(CONNECTIONS)]
    for sock in socks:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = _request("/w")
    bulk = total - 2
    quota = [bulk // CONNECTIONS + (i < bulk % CONNECTIONS) for i in range(CONNECTIONS)]
    started = time.perf_counter()
    _one(socks[0], "/first")
    selector = selectors.DefaultSelector()
    buffers: dict[int, bytearray] = {}
    in_flight: dict[int, int] = {}
    for index, sock in enumerate(socks):
        first = min(WINDOW, quota[index])
        if first:
            sock.sendall(request * first)
            quota[index] -= first
            in_flight[index] = first
            buffers[index] = bytearray()
            selector.register(sock, selectors.EVENT_READ, index)
    while in_flight:
        for key, _ in selector.select():
            index = key.data
            sock = socks[index]
            data = sock.recv(65536)
            if not data:
                raise RuntimeError("the server closed the connection")
            buffers[index] += data
            done = _take_responses(buffers[index])
            in_flight[index] -= done
            more = min(done, quota[index])
            if more:
                sock.sendall(request * more)
                quota[index] -= more
                in_flight[index] += more
            if not in_flight[index]:
                del in_flight[index]
                selector.unregister(sock)
    _one(socks[0], "/last")
    elapsed = time.perf_counter() - started
    selector.close()
    for sock in socks:
        sock.close()
    return elapsed


def run_client(address: tuple[str, int], total: int) -> float:
    """Run :func:`client` in a child process; return the seconds it measured."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--client",
        f"{address[0]}:{address[1]}",
        str(total),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_LIMIT)
    if out.returncode != 0:
        raise RuntimeError(f"the client failed:\n{out.stderr}")
    return float(json.loads(out.stdout)["seconds"])


# -- the server and the waits --------------------------------------------------------


def _count(server: Any, total: int) -> Any:
    return server.assert_request_made("/w", count=total - 2, timeout=WAIT_LIMIT)


def _in_order(server: Any, total: int) -> Any:
    return server.assert_requests_in_order("/first", "/last", timeout=WAIT_LIMIT)


def _met(server: Any, total: int) -> Any:
    return server.assert_expectations_met(timeout=WAIT_LIMIT)


WAITS: dict[str, Callable[[Any, int], Any]] = {
    "assert_request_made(count=N-2)": _count,
    "assert_requests_in_order": _in_order,
    "assert_expectations_met": _met,
}


def measure(total: int, wait: Callable[[Any, int], Any] | None) -> tuple[float, float]:
    """Seconds *total* requests take with *wait* running or nobody waiting.

    Returns:
        The client's wall-clock seconds and the CPU seconds of this (the server's)
        process meanwhile.
    """
    from localserver import HTTPServer

    with HTTPServer() as server:
        server.serve_content("ok")
        server.expect_request("/w", times=total - 2).respond_with_data("ok")
        errors: list[BaseException] = []
        waiter = None
        if wait is not None:

            def run() -> None:
                try:
                    wait(server, total)
                except BaseException as exc:  # reported below, in the main thread
                    errors.append(exc)

            waiter = threading.Thread(target=run, daemon=True)
            waiter.start()
        cpu = time.process_time()
        seconds = run_client(server.server_address, total)
        if waiter is not None:
            waiter.join(WAIT_LIMIT)
            if waiter.is_alive() or errors:
                raise RuntimeError(f"the waiting thread failed: {errors or 'still waiting'}")
        cpu = time.process_time() - cpu
        if len(server.requests) != total:
            raise RuntimeError(f"{len(server.requests)} requests recorded, not {total}")
    return seconds, cpu


def compare(total: int, rounds: int, wait: Callable[[Any, int], Any]) -> dict[str, Any]:
    """Alternate runs without and with the waiter; the ratio of each round."""
    without: list[tuple[float, float]] = []
    with_waiter: list[tuple[float, float]] = []
    for _ in range(rounds):
        without.append(measure(total, None))
        with_waiter.append(measure(total, wait))
    ratios = [w[0] / n[0] for w, n in zip(with_waiter, without)]
    cpu_ratios = [w[1] / n[1] for w, n in zip(with_waiter, without)]
    return {
        "without": statistics.median(n[0] for n in without),
        "with": statistics.median(w[0] for w in with_waiter),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "cpu": statistics.median(cpu_ratios),
    }


def print_table(total: int, rounds: int, results: dict[str, dict[str, Any]]) -> bool:
    """Print the table; return whether every median ratio meets the target."""
    print(f"Waiting cost: {total:,} requests, a waiting thread against none ({rounds} rounds)")
    print(
        f"{'wait':<32} {'without s':>10} {'with s':>8} {'ratio':>7} {'spread':>13} "
        f"{'CPU ratio':>10}  target <= {TARGET}x"
    )
    met = True
    for name, row in results.items():
        ok = row["ratio"] <= TARGET
        met = met and ok
        spread = f"{row['low']:.2f}-{row['high']:.2f}x"
        print(
            f"{name:<32} {row['without']:>10.2f} {row['with']:>8.2f} {row['ratio']:>6.2f}x "
            f"{spread:>13} {row['cpu']:>9.2f}x  {'PASS' if ok else 'MISS'}"
        )
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4,000 requests, 3 rounds")
    parser.add_argument("--client", metavar="HOST:PORT", help=argparse.SUPPRESS)
    options, rest = parser.parse_known_args(argv)
    if options.client:
        host, _, port = options.client.rpartition(":")
        seconds = client(host.strip("[]"), int(port), int(rest[0]))
        print(json.dumps({"seconds": seconds}))
        return 0
    total, rounds = (4_000, 3) if options.quick else (16_000, 5)
    results = {name: compare(total, rounds, wait) for name, wait in WAITS.items()}
    met = print_table(total, rounds, results)
    print()
    print(f"target (median ratio <= {TARGET}x for every wait): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
