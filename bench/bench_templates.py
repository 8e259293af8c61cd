"""Path templates at scale: latency a request gains with many template expectations.

Run it through ``python bench/run.py templates``, or directly with a Python that has
localserver (and pytest-httpserver for its rows)::

    python bench/bench_templates.py            # 5 rounds (about half a minute)
    python bench/bench_templates.py --quick    # 1 short round: rough figures

For each count N (100 and 1,000) a server gets N path-template expectations of six
shapes, each template told apart from the others by one static segment in a
different place::

    /items/<int:id>/detail{i}                     /shop{i}/products/<slug>
    /api/v2/users/<int:user>/orders{i}/<int:order>  /<lang>/docs{i}/<path:page>
    /files{i}/<path:name>                         /archive/<int:year>/<int:month>/post{i}

and each answers its own index, which the client checks (a wrong match fails the
run). Requests cycle over all N templates on keep-alive ``http.client``
connections, the servers taking turns chunk by chunk. The "empty" server answers
the same requests with ``serve_content`` and no expectation at all. Added latency
= median latency with N - median latency of the empty server, per round; the table
gives the median of the rounds and their range. Target (issue 15): localserver
adds < 0.3 ms at 1,000.

pytest-httpserver has no path templates: its rows (for information) use the same
shapes as compiled regular expressions (``re.compile(r"/items/\\d+/detail7$")``), its
empty server one catch-all expression. It closes every connection, so its client
reconnects for each request (the same on its empty server, so the added figure
compares like with like).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import logging
import re
import statistics
import sys
import time
from typing import Any, Callable, NamedTuple

from _table import (
    OURS,
    Spread,
    busy_warning,
    load_average,
    log,
    machine,
    milliseconds,
    render,
    verdict,
)

PEER = "pytest-httpserver"
NAME = "bench_templates"
TARGET = 0.3e-3  # seconds added at 1,000 templates
COUNTS = (100, 1_000)

# (template, the same as a regular expression, a path it matches) per shape; {i} is the index.
SHAPES = (
    ("/items/<int:id>/detail{i}", r"/items/\d+/detail{i}$", "/items/{id}/detail{i}"),
    ("/shop{i}/products/<slug>", r"/shop{i}/products/[^/]+$", "/shop{i}/products/blue-shirt"),
    (
        "/api/v2/users/<int:user>/orders{i}/<int:order>",
        r"/api/v2/users/\d+/orders{i}/\d+$",
        "/api/v2/users/{id}/orders{i}/7",
    ),
    ("/<lang>/docs{i}/<path:page>", r"/[^/]+/docs{i}/.+$", "/en/docs{i}/guide/install.html"),
    ("/files{i}/<path:name>", r"/files{i}/.+$", "/files{i}/2024/q3/report.pdf"),
    (
        "/archive/<int:year>/<int:month>/post{i}",
        r"/archive/\d+/\d+/post{i}$",
        "/archive/2024/{month}/post{i}",
    ),
)


def template(index: int) -> str:
    return SHAPES[index % len(SHAPES)][0].format(i=index)


def pattern(index: int) -> re.Pattern[str]:
    return re.compile(SHAPES[index % len(SHAPES)][1].format(i=index))


def path(index: int) -> str:
    shape = SHAPES[index % len(SHAPES)][2]
    return shape.format(i=index, id=4000 + index, month=1 + index % 12)


class Server(NamedTuple):
    address: tuple[str, int]
    count: int  # expectations; 0 for the empty server
    registered: float  # seconds to register them
    stop: Callable[[], None]


def start_ours(count: int) -> Server:
    from localserver import HTTPServer

    server = HTTPServer()
    server.start()
    began = time.perf_counter()
    if count == 0:
        server.serve_content(b"x")
    for index in range(count):
        server.expect_request(template(index)).respond_with_data(str(index))
    registered = time.perf_counter() - began
    return Server((server.host, server.port), count, registered, server.stop)


def start_peer(count: int) -> Server:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    began = time.perf_counter()
    if count == 0:
        server.expect_request(re.compile(r"/.*")).respond_with_data("x")
    for index in range(count):
        server.expect_request(pattern(index)).respond_with_data(str(index))
    registered = time.perf_counter() - began

    def stop() -> None:
        server.clear()
        server.stop()

    return Server(("127.0.0.1", server.port), count, registered, stop)


def timings(server: Server, paths: int, samples: int, offset: int) -> list[float]:
    """Seconds of each of *samples* GETs on one keep-alive connection (after 3 unmeasured).

    The paths cycle over *paths* templates, starting at *offset*.
    """
    conn = http.client.HTTPConnection(*server.address, timeout=30)
    times = []
    try:
        for sample in range(-3, samples):
            index = (offset + sample * 7919) % paths  # a prime stride visits every template
            began = time.perf_counter()
            conn.request("GET", path(index))
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - began
            expected = b"x" if server.count == 0 else str(index).encode()
            if response.status != 200 or body != expected:
                raise RuntimeError(
                    f"{path(index)} answered {response.status} {body[:200]!r}, "
                    f"expected 200 {expected!r}"
                )
            if sample >= 0:
                times.append(elapsed)
    finally:
        conn.close()
    return times


class Settings(NamedTuple):
    rounds: int
    samples: int  # requests per server and round (fewer for the peer's 1,000)
    chunks: int  # each round's requests are cut into chunks, the servers taking turns
    counts: tuple[int, ...]

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(1, 60, 2, (1_000,)) if quick else cls(5, 400, 5, COUNTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (rough figures)")
    options = parser.parse_args(argv)
    cfg = Settings.make(options.quick)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the peer logs every request
    kinds: dict[str, Callable[[int], Server]] = {OURS: start_ours}
    if importlib.util.find_spec("pytest_httpserver"):
        kinds[PEER] = start_peer
    else:
        log(NAME, f"{PEER} is not installed: measuring localserver only")
    title = machine([OURS, PEER, "werkzeug"])
    log(NAME, title)
    load = load_average()

    servers: dict[tuple[str, int], Server] = {}
    try:
        for kind, start in kinds.items():
            for count in (0, *cfg.counts):
                log(NAME, f"{kind}: registering {count:,} expectations")
                servers[kind, count] = start(count)
        # latencies[kind, count]: one median per round
        latencies: dict[tuple[str, int], list[float]] = {key: [] for key in servers}
        largest = max(cfg.counts)
        for number in range(cfg.rounds):
            log(NAME, f"round {number + 1} of {cfg.rounds}")
            times: dict[tuple[str, int], list[float]] = {key: [] for key in servers}
            for chunk in range(cfg.chunks):  # the servers take turns, chunk by chunk
                for kind, count in servers:
                    paths = count or largest  # the empty server gets the same paths
                    samples = cfg.samples // cfg.chunks
                    if kind == PEER and count >= 1_000:
                        samples = max(5, samples // 4)  # its linear scan is slow
                    offset = (number * cfg.chunks + chunk) * 7
                    times[kind, count] += timings(servers[kind, count], paths, samples, offset)
            for key, values in times.items():
                latencies[key].append(statistics.median(values))
    finally:
        for server in servers.values():
            server.stop()

    several = cfg.rounds > 1
    header = ["server", "N", "latency", "added per request", "register", "target", "result"]
    rows: list[list[Any]] = []
    passed: bool | None = None
    for kind in kinds:
        base = latencies[kind, 0]
        rows.append([kind, "empty", milliseconds(statistics.median(base)), "-", "-", "", ""])
        for count in cfg.counts:
            added = Spread.of(n - b for n, b in zip(latencies[kind, count], base))
            target, result = "", ""
            if kind == OURS and count == 1_000:
                passed = added.median < TARGET
                target, result = f"< {TARGET * 1e3:.1f} ms", verdict(passed)
            rows.append(
                [
                    kind,
                    f"{count:,}",
                    milliseconds(statistics.median(latencies[kind, count])),
                    added.text(milliseconds, several),
                    f"{servers[kind, count].registered * 1e3:,.0f} ms",
                    target,
                    result,
                ]
            )
    print()
    print(f"Path templates at scale: {title}")
    print(
        f"{cfg.rounds} round(s); requests cycling over N template expectations of "
        f"{len(SHAPES)} shapes, keep-alive http.client connections"
    )
    if options.quick:
        print("--quick: one short round, rough figures")
    print(render(header, rows, left=2))
    print()
    print("latency: median of the rounds' medians; added: latency - the empty server's, per")
    print("round, median [lowest-highest]; register: expect_request + respond_with_data for all N")
    if PEER in kinds:
        print(f"note: {PEER} matches compiled regular expressions (it has no templates)")
    warning = busy_warning(load)
    if warning:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
