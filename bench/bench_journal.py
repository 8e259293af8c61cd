"""Memory per recorded request: what the request journal keeps for each GET.

Run it through ``python bench/run.py journal``, or directly with a Python that has
localserver (and the peers for their columns)::

    python bench/bench_journal.py            # 3 rounds of 2,000 GETs (about 20 s)
    python bench/bench_journal.py --quick    # 1 round of 50: rough figures

The server runs in this process under ``tracemalloc``; the client is a child
process (so none of its allocations are counted) that sends N GETs with the headers
an HTTP library typically sends (``python-requests``' defaults, an ``Authorization``
bearer token and a request id; a path with a query string) over one keep-alive
``http.client`` connection. Each server answers with a fixed body
(``serve_content`` for localserver and pytest-localserver, ``expect_request`` for
pytest-httpserver) and keeps every request, as users get it by default.

Before the GETs (after a warm-up batch and a ``gc.collect()``) and after them (the
client gone, ``gc.collect()`` again) the traced memory is read: the growth over N
is the memory per recorded request. Then, for information, each recorded request's
headers are read as a test would (``requests[i].headers["User-Agent"]``), which
builds whatever the journal had left for later, and the growth is read again.
pytest-httpserver keeps (request, response) pairs in its log. Figures: the median
of the rounds, [lowest-highest]. Target (issue 15): <= 2 KiB per recorded request.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import importlib.util
import logging
import subprocess
import sys
import tracemalloc
from typing import Any, Callable, NamedTuple

from _table import (
    OURS,
    Spread,
    busy_warning,
    kib,
    load_average,
    log,
    machine,
    render,
    verdict,
)

NAME = "bench_journal"
PEERS = ("pytest-localserver", "pytest-httpserver")
PATH = "/api/items?page=2&per_page=50"
BODY = b'{"items": []}'
HEADERS = {
    "User-Agent": "python-requests/2.32.3",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
    "Authorization": "Bearer 4f6c0e1b9d2a7c3e8b5f1a6d0c9e2b7a4f8d3c1e",
    "X-Request-ID": "5b0c3e9a-8f1d-4a2b-9c7e-1d3f5a7b9c0e",
}
TARGET = 2048  # bytes per recorded request


def client(port: int, count: int) -> None:
    """The child's side: *count* GETs on one keep-alive connection (reopened if closed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        conn.request("GET", PATH, headers=HEADERS)
        response = conn.getresponse()
        if response.read() != BODY:
            raise SystemExit(f"unexpected answer {response.status}")
    conn.close()


def run_client(port: int, count: int) -> None:
    done = subprocess.run(
        [sys.executable, __file__, "--client", str(port), str(count)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the client failed:\n{done.stderr}")


class Subject(NamedTuple):
    port: int
    requests: Callable[[], list[Any]]  # the recorded requests
    clear: Callable[[], None]
    stop: Callable[[], None]


def start(kind: str) -> Subject:
    if kind == OURS:
        from localserver import HTTPServer

        ours = HTTPServer()
        ours.serve_content(BODY, headers={"Content-Type": "application/json"})
        ours.start()
        return Subject(ours.port, lambda: list(ours.requests), ours.clear, ours.stop)
    if kind == "pytest-localserver":
        from pytest_localserver.http import ContentServer

        content = ContentServer()
        content.serve_content(BODY, headers={"Content-Type": "application/json"})
        content.start()

        def stop() -> None:
            content.stop()
            content.join()
            content._server.server_close()

        port = content.server_address[1]
        return Subject(port, lambda: list(content.requests), content.requests.clear, stop)
    from pytest_httpserver import HTTPServer as PeerServer

    peer = PeerServer(host="127.0.0.1", port=0)
    peer.expect_request("/api/items").respond_with_data(BODY, content_type="application/json")
    peer.start()

    def recorded() -> list[Any]:
        return [request for request, _ in peer.log]

    def stop_peer() -> None:
        peer.clear()
        peer.stop()

    return Subject(peer.port, recorded, peer.clear_log, stop_peer)


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


class Growth(NamedTuple):
    recorded: float  # bytes per request kept in the journal
    read: float  # bytes per request once each one's headers were read


def measure(subject: Subject, count: int) -> Growth:
    run_client(subject.port, 20)  # warm up: first connection, lazy imports, caches
    subject.clear()
    before = traced()
    run_client(subject.port, count)
    requests = subject.requests()
    if len(requests) != count:
        raise RuntimeError(f"{len(requests)} of {count} requests recorded")
    del requests
    recorded = traced()
    agents = {request.headers["User-Agent"] for request in subject.requests()}
    if agents != {HEADERS["User-Agent"]}:
        raise RuntimeError(f"headers read back wrong: {agents}")
    read = traced()
    subject.clear()
    return Growth((recorded - before) / count, (read - before) / count)


class Settings(NamedTuple):
    rounds: int
    count: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(1, 50) if quick else cls(3, 2000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (rough figures)")
    parser.add_argument("--client", nargs=2, type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.client:
        client(*options.client)
        return 0
    cfg = Settings.make(options.quick)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the peers log every request
    kinds = [OURS]
    for kind in PEERS:
        if importlib.util.find_spec(kind.replace("-", "_")):
            kinds.append(kind)
        else:
            log(NAME, f"{kind} is not installed: its column is left out")
    title = machine([OURS, *PEERS, "werkzeug"])
    log(NAME, title)
    load = load_average()

    subjects = {kind: start(kind) for kind in kinds}
    tracemalloc.start()  # after the imports: tracing makes them slow
    growths: dict[str, list[Growth]] = {kind: [] for kind in kinds}
    try:
        for number in range(cfg.rounds):
            log(NAME, f"round {number + 1} of {cfg.rounds}")
            for kind in kinds:
                growths[kind].append(measure(subjects[kind], cfg.count))
    finally:
        for subject in subjects.values():
            subject.stop()
        tracemalloc.stop()

    several = cfg.rounds > 1
    rows = []
    for name, part, target in (
        (f"recorded GET, kept ({cfg.count:,} per round)", "recorded", True),
        ("  after reading each one's headers", "read", False),
    ):
        cells = [
            Spread.of(getattr(g, part) for g in growths[kind]).text(kib, several) for kind in kinds
        ]
        passed = None
        if target:
            passed = Spread.of(g.recorded for g in growths[OURS]).median <= TARGET
        rows.append(
            [name, *cells, f"<= {TARGET // 1024} KiB" if target else "(info)", verdict(passed)]
        )
    print()
    print(f"Memory per recorded request: {title}")
    print(
        f"{cfg.rounds} round(s); tracemalloc growth over the GETs / their number; "
        "median [lowest-highest] of the rounds"
    )
    if options.quick:
        print("--quick: one short round, rough figures")
    print(render(["figure", *kinds, "target", "result"], rows))
    print()
    print(f"each GET: {PATH} with {len(HEADERS)} headers besides Host ({', '.join(HEADERS)})")
    warning = busy_warning(load)
    if warning:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
