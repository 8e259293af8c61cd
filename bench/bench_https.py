"""HTTPS benchmark: localserver's HTTPSServer against pytest-localserver's httpsserver.

Run it through ``python bench/run.py https``, or directly with a Python that has
localserver and pytest-localserver installed::

    python bench/bench_https.py            # the full run (about 30 seconds)
    python bench/bench_https.py --quick    # a fast rehearsal; its figures are rough

Both servers are measured in the same run, with the certificates a user gets by
default: localserver's test CA (ECDSA P-256, made at run time) and
pytest-localserver's shipped RSA-4096 certificate. Clients verify the server
(``http.client`` with a context trusting each server's CA file), as tests should.
The table gives medians, the ratio of the peer's figure to ours (above 1 means
localserver is faster), and the targets of issue 4 with PASS or MISS.

What is measured:

- one-time CA cost: in fresh processes (localserver already imported), importing
  trustme (and cryptography), then making the CA, the server certificate and the
  server context. pytest-localserver
  ships its key, so it has no such cost (and no such safety).
- start+stop: construct, start and stop an idle HTTPS server once the CA exists
  (pytest-localserver's stop waits for werkzeug's 0.5 s poll).
- new connection each: sequential GETs, each on a new connection, so each pays a
  full TLS handshake.
- keep-alive: sequential GETs on one ``http.client`` connection. pytest-localserver
  closes every connection (werkzeug's server does), so its client reconnects and
  handshakes each time: that is part of what is measured.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

PATH = "/bench"
BODY = b"ok"
OURS = "localserver"
PEER = "pytest-localserver"
ROOT = Path(__file__).resolve().parent.parent

CA_COST_CODE = """
import time
import localserver
began = time.perf_counter()
import trustme
imported = time.perf_counter()
authority = localserver.TestAuthority()
authority.server_context()
made = time.perf_counter()
print(imported - began, made - imported)
"""


def quiet_peer() -> None:
    """Silence werkzeug's request log, which pytest-localserver writes to stderr."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def peer_installed() -> bool:
    try:
        import pytest_localserver.https  # noqa: F401
    except ImportError:
        return False
    return True


class Subject:
    """One HTTPS server under test, answering ``ok`` through ``serve_content``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.server: Any = None
        self.client_context: ssl.SSLContext | None = None

    def start(self) -> Subject:
        quiet_peer()
        if self.kind == OURS:
            from localserver import HTTPSServer

            self.server = HTTPSServer()
            self.server.serve_content(BODY)
            self.server.start()
            self.client_context = self.server.client_ssl_context()
        else:
            from pytest_localserver.https import SecureContentServer

            self.server = SecureContentServer()
            self.server.serve_content(BODY)
            self.server.start()
            self.client_context = ssl.create_default_context(cafile=self.server.certificate)
        return self

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return (host, port)

    def connect(self) -> http.client.HTTPSConnection:
        host, port = self.address
        return http.client.HTTPSConnection(host, port, timeout=10, context=self.client_context)

    def clear(self) -> None:
        if self.kind == OURS:
            self.server.clear()
        else:
            self.server.requests.clear()

    def stop(self) -> None:
        self.server.stop()
        if self.kind == PEER:
            # SecureContentServer.stop() leaves its thread and listening socket behind.
            self.server.join()
            self.server._server.server_close()


def get(conn: http.client.HTTPSConnection) -> None:
    conn.request("GET", PATH)
    response = conn.getresponse()
    if response.read() != BODY:
        raise RuntimeError(f"unexpected response {response.status}")


def timed(call: Callable[[], object], count: int) -> list[float]:
    """Per-call durations of *count* calls, after one warm-up call."""
    call()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def measure_ca_cost(runs: int) -> tuple[list[float], list[float]]:
    """Import and CA+leaf+context seconds, each in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    imports, makes = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CA_COST_CODE],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        imported, made = map(float, out.stdout.split())
        imports.append(imported)
        makes.append(made)
    return imports, makes


def start_stop_once(kind: str) -> float:
    quiet_peer()
    if kind == OURS:
        from localserver import HTTPSServer

        began = time.perf_counter()
        server: Any = HTTPSServer()
        server.start()
        server.stop()
        return time.perf_counter() - began
    from pytest_localserver.https import SecureContentServer

    began = time.perf_counter()
    server = SecureContentServer()
    server.start()
    server.stop()
    elapsed = time.perf_counter() - began
    server.join()
    server._server.server_close()
    return elapsed


def http_start_stop_once() -> float:
    from localserver import HTTPServer

    began = time.perf_counter()
    server = HTTPServer()
    server.start()
    server.stop()
    return time.perf_counter() - began


def new_connection_each(subject: Subject, count: int) -> list[float]:
    def once() -> None:
        conn = subject.connect()
        try:
            get(conn)
        finally:
            conn.close()

    return timed(once, count)


def keep_alive(subject: Subject, count: int) -> tuple[list[float], int]:
    """Durations of *count* GETs on one connection, and how many connections served them."""
    conn = subject.connect()
    try:
        subject.clear()
        times = timed(lambda: get(conn), count)
    finally:
        conn.close()
    connections = count + 1
    if subject.kind == OURS:
        connections = len({r.connection_id for r in subject.server.requests})
    return times, connections


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions, rough figures")
    args = parser.parse_args(argv)
    quick = args.quick
    n_ca = 3 if quick else 9
    n_start = 50 if quick else 300
    n_peer_start = 3 if quick else 9
    n_requests = 30 if quick else 300

    have_peer = peer_installed()
    kinds = [OURS, PEER] if have_peer else [OURS]
    print(f"HTTPS benchmark ({'quick' if quick else 'full'} run), Python {sys.version.split()[0]}")
    print(f"OpenSSL: {ssl.OPENSSL_VERSION}")
    if not have_peer:
        print("pytest-localserver is not installed: ratios are left out")

    imports, makes = measure_ca_cost(n_ca)
    rows: list[tuple[str, dict[str, float]]] = []
    rows.append(("one-time: import trustme", {OURS: statistics.median(imports)}))
    rows.append(("one-time: CA + leaf + context", {OURS: statistics.median(makes)}))

    from localserver._tls import default_authority

    default_authority().server_context()  # the one-time cost, paid before timing

    start_stop = {OURS: statistics.median(start_stop_once(OURS) for _ in range(n_start))}
    http_start_stop = statistics.median(http_start_stop_once() for _ in range(n_start))
    if have_peer:
        start_stop[PEER] = statistics.median(start_stop_once(PEER) for _ in range(n_peer_start))
    rows.append(("HTTPS start+stop", start_stop))
    rows.append(("(HTTP start+stop, ours)", {OURS: http_start_stop}))

    new_conn: dict[str, float] = {}
    alive: dict[str, float] = {}
    connections: dict[str, int] = {}
    for kind in kinds:
        subject = Subject(kind).start()
        try:
            new_conn[kind] = statistics.median(new_connection_each(subject, n_requests))
            times, connections[kind] = keep_alive(subject, n_requests)
            alive[kind] = statistics.median(times)
        finally:
            subject.stop()
    rows.append(("request, new connection each", new_conn))
    rows.append(("request, keep-alive", alive))

    print()
    header = f"{'median':<32}{OURS:>14}{PEER:>20}{'ratio':>9}"
    print(header)
    print("-" * len(header))
    for name, values in rows:
        ours = values.get(OURS)
        peer = values.get(PEER)
        ratio = f"{peer / ours:.1f}x" if ours and peer else ""
        peer_text = ms(peer) if peer is not None else "-"
        print(f"{name:<32}{ms(ours) if ours else '-':>14}{peer_text:>20}{ratio:>9}")
    print()
    print(
        f"keep-alive: {n_requests + 1} requests of ours came on {connections[OURS]} connection(s)"
    )

    targets = [
        ("HTTPS start+stop <= 2 ms once the CA exists", start_stop[OURS] <= 0.002),
        ("keep-alive reuses the connection", connections[OURS] == 1),
    ]
    if have_peer:
        targets.append(
            (
                "new-connection request >= 3x faster than pytest-localserver",
                new_conn[PEER] / new_conn[OURS] >= 3,
            )
        )
    print()
    for text, passed in targets:
        print(f"{'PASS' if passed else 'MISS'}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
