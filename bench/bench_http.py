"""HTTP benchmark: localserver against pytest-localserver and pytest-httpserver.

Run it through ``python bench/run.py http``, or directly with a Python that has
localserver, pytest-localserver, pytest-httpserver and requests installed::

    python bench/bench_http.py            # the full run (about 2 minutes on 2 cores)
    python bench/bench_http.py --quick    # a fast rehearsal; its figures are rough

Every server is measured in the same run, with the settings a user gets by
default, and the table gives medians, the ratio of each peer's figure to ours
(above 1 means localserver is better, whichever way "better" goes), and the
targets of issue 2 with PASS or MISS.

What is measured:

- start+stop: construct, start and stop an idle server (the peers' stop waits
  for werkzeug's 0.5 s poll).
- new connection each: sequential GETs with ``http.client``, one connection each.
- keep-alive: sequential GETs on one ``http.client`` connection and on one
  ``requests.Session``. The peers close every connection (werkzeug's server
  does), so their clients reconnect each time: that is part of what is measured.
- 8 concurrent: requests per second from a load generator in another process
  (this script with ``--loadgen``: one thread, raw non-blocking sockets, 8
  connections kept alive while the server allows it, reconnecting when it closes).
  If ``wrk`` is on PATH it is run as well.
- 100 MB POST: growth of the server process's peak RSS (VmHWM, reset through
  /proc/self/clear_refs just before the upload) with the server alone in a child
  process, with ``store_request_data`` False and True. pytest-httpserver always
  keeps the body.
- 1,000 start/stop cycles of localserver (idle, then with one request each):
  threads and file descriptors before and after.
"""

from __future__ import annotations

import argparse
import errno
import gc
import http.client
import json
import logging
import os
import re
import resource
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable, NamedTuple

PATH = "/bench"
BODY = b"ok"
OURS = "localserver"
PEERS = ("pytest-localserver", "pytest-httpserver")
KINDS = (OURS, *PEERS)
SHORT = {"pytest-localserver": "pl", "pytest-httpserver": "ph"}
MiB = 1024 * 1024


# -- the servers ----------------------------------------------------------------------


def quiet_peers() -> None:
    """Silence werkzeug's request log, which the peers write to stderr.

    Under pytest that output is captured but still paid for; leaving it out makes
    the peers faster, so the ratios err in their favour.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def installed(kind: str) -> bool:
    """Whether the package behind *kind* can be imported."""
    module = {
        OURS: "localserver",
        "pytest-localserver": "pytest_localserver.http",
        "pytest-httpserver": "pytest_httpserver",
    }[kind]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


class Subject:
    """One server under test, started with each package's own API.

    Each answers ``GET/POST /bench`` with ``ok``: localserver and pytest-localserver
    through ``serve_content``, pytest-httpserver through a permanent
    ``expect_request(...).respond_with_data``.
    """

    def __init__(self, kind: str, store_request_data: bool = True) -> None:
        self.kind = kind
        self.store = store_request_data
        self.server: Any = None

    def start(self) -> Subject:
        quiet_peers()
        if self.kind == OURS:
            import localserver

            self.server = localserver.HTTPServer()
            self.server.serve_content(BODY, store_request_data=self.store)
            self.server.start()
        elif self.kind == "pytest-localserver":
            from pytest_localserver.http import ContentServer

            self.server = ContentServer()
            self.server.serve_content(BODY, store_request_data=self.store)
            self.server.start()
        else:
            from pytest_httpserver import HTTPServer

            self.server = HTTPServer(host="127.0.0.1", port=0)
            self.server.expect_request(PATH).respond_with_data(BODY)
            self.server.start()
        return self

    @property
    def address(self) -> tuple[str, int]:
        if self.kind == "pytest-httpserver":
            return (self.server.host, self.server.port)
        host, port = self.server.server_address[:2]
        return (host, port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}{PATH}"

    def clear(self) -> None:
        """Forget the recorded requests, so a long run does not hoard them."""
        if self.kind == OURS:
            self.server.clear()
        elif self.kind == "pytest-localserver":
            self.server.requests.clear()
        else:
            self.server.clear_log()

    def stop(self) -> None:
        self.server.stop()
        if self.kind == "pytest-localserver":
            # ContentServer.stop() leaves its thread and listening socket behind.
            self.server.join()
            self.server._server.server_close()


def start_stop_once(kind: str) -> float:
    """Seconds to construct, start and stop an idle server of *kind*."""
    quiet_peers()
    if kind == OURS:
        import localserver

        began = time.perf_counter()
        server: Any = localserver.HTTPServer()
        server.start()
        server.stop()
        return time.perf_counter() - began
    if kind == "pytest-localserver":
        from pytest_localserver.http import ContentServer

        began = time.perf_counter()
        server = ContentServer()
        server.start()
        server.stop()
        elapsed = time.perf_counter() - began
        server.join()
        server._server.server_close()
        return elapsed
    from pytest_httpserver import HTTPServer

    began = time.perf_counter()
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.stop()
    return time.perf_counter() - began


# -- clients --------------------------------------------------------------------------


def get_new_connection(address: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*address, timeout=10)
    try:
        conn.request("GET", PATH)
        response = conn.getresponse()
        if response.read() != BODY:
            raise RuntimeError(f"unexpected response {response.status} from {address}")
    finally:
        conn.close()


def timed(call: Callable[[], object], count: int) -> list[float]:
    """Per-call durations of *count* calls."""
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def keepalive_httpclient(address: tuple[str, int], count: int) -> list[float]:
    """Sequential GETs on one ``http.client`` connection (it reconnects when told to)."""
    conn = http.client.HTTPConnection(*address, timeout=10)

    def one() -> None:
        conn.request("GET", PATH)
        if conn.getresponse().read() != BODY:
            raise RuntimeError(f"unexpected response from {address}")

    try:
        return timed(one, count)
    finally:
        conn.close()


def keepalive_requests(url: str, count: int) -> list[float]:
    """Sequential GETs on one ``requests.Session``."""
    import requests

    with requests.Session() as session:

        def one() -> None:
            if session.get(url, timeout=10).content != BODY:
                raise RuntimeError(f"unexpected response from {url}")

        return timed(one, count)


# -- the load generator (runs in its own process) ---------------------------------------

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CONNECTION_CLOSE = re.compile(rb"\r\nconnection:[^\r\n]*close", re.IGNORECASE)


class _Client:
    """One connection of the load generator."""

    __slots__ = ("buffer", "sent", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.sent = False


def _complete_response(buffer: bytearray, eof: bool) -> tuple[int, bool] | None:
    """``(length, close)`` of the response at the start of *buffer*, once complete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[: end + 2])
    close = head.startswith(b"HTTP/1.0") or _CONNECTION_CLOSE.search(head) is not None
    match = _CONTENT_LENGTH.search(head)
    if match is None:  # delimited by the end of the connection
        return (len(buffer), True) if eof else None
    total = end + 4 + int(match.group(1))
    return (total, close) if len(buffer) >= total else None


def loadgen(host: str, port: int, connections: int, seconds: float, warmup: float) -> dict:
    """Keep *connections* GETs in flight for *warmup* + *seconds*; count the last part.

    Returns:
        ``requests`` completed while counting, ``seconds`` counted, ``connects``
        and ``errors`` (resets, refused connections, truncated responses).
    """
    request = f"GET {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    stats = {"requests": 0, "connects": 0, "errors": 0}

    def connect() -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
            sock.close()
            raise OSError(code, f"connect to {host}:{port}: {os.strerror(code)}")
        stats["connects"] += 1
        selector.register(sock, selectors.EVENT_WRITE, _Client(sock))

    def reconnect(client: _Client, error: bool) -> None:
        stats["errors"] += error
        selector.unregister(client.sock)
        client.sock.close()
        connect()

    def send(client: _Client) -> None:
        client.sock.send(request)  # a few dozen bytes: one send on an empty buffer
        client.sent = True

    began = time.perf_counter()
    counting = began + warmup
    deadline = counting + seconds
    for _ in range(connections):
        connect()
    now = began
    while now < deadline:
        for key, _ in selector.select(deadline - now):
            client: _Client = key.data
            try:
                if not client.sent:
                    code = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        reconnect(client, True)
                        continue
                    send(client)
                    selector.modify(client.sock, selectors.EVENT_READ, client)
                    continue
                data = client.sock.recv(65536)
            except OSError:
                reconnect(client, True)
                continue
            client.buffer += data
            done = _complete_response(client.buffer, eof=not data)
            if done is None:
                if not data:  # closed before the response was complete
                    reconnect(client, True)
                continue
            if time.perf_counter() >= counting:
                stats["requests"] += 1
            length, close = done
            del client.buffer[:length]
            if close or not data:
                reconnect(client, False)
            else:
                try:
                    send(client)
                except OSError:
                    reconnect(client, True)
        now = time.perf_counter()
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    selector.close()
    return {**stats, "seconds": seconds}


def run_loadgen(address: tuple[str, int], connections: int, seconds: float) -> dict:
    """Run :func:`loadgen` in a child process against *address*."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--loadgen",
        f"{address[0]}:{address[1]}",
        str(connections),
        str(seconds),
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr}")
    return json.loads(out.stdout)


def run_wrk(url: str, connections: int, seconds: float) -> float | None:
    """Requests per second measured by ``wrk``, or None when it is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    match = re.search(r"Requests/sec:\s*([\d.]+)", out.stdout)
    return float(match.group(1)) if match else None


# -- memory (the server runs alone in a child process) ----------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _peak_kib() -> int:
    try:
        return _status_kib("VmHWM")
    except (OSError, LookupError):
        # ru_maxrss is KiB on Linux, bytes on macOS.
        scale = 1024 if sys.platform == "darwin" else 1
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale


def _rss_kib() -> int:
    try:
        return _status_kib("VmRSS")
    except (OSError, LookupError):
        return _peak_kib()


def memory_child(kind: str, store: bool) -> None:
    """Serve in this process and answer the parent's questions on stdin/stdout."""
    subject = Subject(kind, store).start()
    print(json.dumps({"port": subject.address[1]}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "reset":
            gc.collect()
            reset = _reset_peak()
            print(json.dumps({"rss": _rss_kib(), "peak": _peak_kib(), "reset": reset}), flush=True)
        elif command == "peak":
            print(json.dumps({"peak": _peak_kib(), "rss": _rss_kib()}), flush=True)
        else:
            break
    os._exit(0)  # the peers' stop() would wait 0.5 s for nothing


def _post(port: int, size: int) -> None:
    chunk = b"x" * MiB

    def body() -> Iterator[bytes]:
        left = size
        while left > 0:
            yield chunk[: min(left, len(chunk))]
            left -= len(chunk)

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            PATH,
            body=body(),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST answered {response.status}")
    finally:
        conn.close()


def peak_growth(kind: str, store: bool, size: int) -> tuple[float, bool]:
    """MiB the server process's peak RSS grows by while it receives a *size* POST.

    Returns:
        The growth, and whether the peak could be reset first (if not, the figure
        is the growth of a peak that may already have been above the current RSS).
    """
    command = [sys.executable, os.path.abspath(__file__), "--memory-child", kind, str(store)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    stdin, stdout = child.stdin, child.stdout
    if stdin is None or stdout is None:
        raise RuntimeError("the memory child has no pipes")

    def ask(question: str) -> dict:
        stdin.write(question + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the {kind} server process ended early (exit {child.wait()})")
        return json.loads(line)

    try:
        port = json.loads(stdout.readline() or "{}").get("port")
        if port is None:
            raise RuntimeError(f"the {kind} server process did not start (exit {child.wait()})")
        _post(port, MiB)  # warm up: imports, buffers, first journal entry
        before = ask("reset")
        _post(port, size)
        after = ask("peak")
        stdin.write("exit\n")
        stdin.flush()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stdin.close()
        stdout.close()
    base = before["rss"] if before["reset"] else before["peak"]
    return (after["peak"] - base) / 1024, before["reset"]


# -- start/stop cycles ------------------------------------------------------------------


def resources() -> tuple[int, int]:
    """``(threads, open file descriptors)`` of this process."""
    gc.collect()
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = threading.active_count()
    for fd_dir in ("/proc/self/fd", "/dev/fd"):
        try:
            fds = len(os.listdir(fd_dir))
            break
        except OSError:
            continue
    else:
        fds = -1
    return threads, fds


def cycles(count: int, with_request: bool) -> tuple[tuple[int, int], tuple[int, int], float]:
    """Start and stop localserver *count* times; resources before, after, median time."""
    import localserver

    def cycle() -> None:
        server = localserver.HTTPServer()
        server.serve_content(BODY)
        server.start()
        try:
            if with_request:
                get_new_connection(server.server_address)
        finally:
            server.stop()

    for _ in range(20):  # warm up: lazy imports, caches
        cycle()
    before = resources()
    times = timed(cycle, count)
    after = resources()
    return before, after, statistics.median(times)


# -- the table --------------------------------------------------------------------------


class Row(NamedTuple):
    metric: str
    values: dict  # kind -> figure (None when not measured)
    unit: str  # "s", "rps", "MiB" or "" (shown as given)
    higher_is_better: bool
    target: str
    verdict: bool | None
    note: str = ""


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.2f} s"
    if unit == "rps":
        return f"{value:,.0f} req/s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value}"


def ratio(row: Row, peer: str) -> float | None:
    """How many times better ours is than *peer* (above 1: ours is better)."""
    ours, theirs = row.values.get(OURS), row.values.get(peer)
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)):
        return None
    if row.unit == "MiB" and min(ours, theirs) < 1:
        return None  # a ratio of near-zero growths means nothing
    if row.higher_is_better:
        return theirs and ours / theirs
    return ours and theirs / ours


def print_table(rows: list[Row], peers: tuple[str, ...]) -> None:
    header = [
        "metric (medians)",
        OURS,
        *peers,
        *(f"vs {SHORT[p]}" for p in peers),
        "target",
        "result",
    ]
    lines = []
    for row in rows:
        ratios = []
        for peer in peers:
            value = ratio(row, peer)
            ratios.append("n/a" if value is None else f"{value:.2f}x")
        verdict = {True: "PASS", False: "MISS", None: "-"}[row.verdict]
        lines.append(
            [
                row.metric,
                fmt(row.values.get(OURS), row.unit),
                *(fmt(row.values.get(p), row.unit) for p in peers),
                *ratios,
                row.target,
                verdict,
            ]
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    numeric = range(1, len(header) - 2)

    def render(cells: list[str]) -> str:
        parts = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    print(render(header))
    print(render(["-" * w for w in widths]))
    for cells in lines:
        print(render(cells))
    notes = [f"{row.metric}: {row.note}" for row in rows if row.note]
    print()
    legend = ", ".join(f"{SHORT[p]} = {p}" for p in peers)
    print(f"vs: how many times better localserver is than the peer ({legend}):")
    print("peer time / ours, our throughput / peer's, peer memory / ours; above 1 is better.")
    for note in notes:
        print(f"note: {note}")


# -- the run ----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench_http] {message}", file=sys.stderr, flush=True)


class Settings(NamedTuple):
    start_runs_ours: int
    start_runs_peer: int
    rounds: int  # sequential requests: rounds that alternate the servers
    per_round: int  # requests per server and round
    load_seconds: float
    load_rounds: int
    body_size: int
    cycles: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(50, 2, 2, 50, 1.0, 1, 10 * MiB, 100)
        return cls(400, 6, 8, 150, 3.0, 3, 100 * MiB, 1000)


def best_peer(values: dict, peers: tuple[str, ...], higher_is_better: bool) -> float | None:
    figures = [values[p] for p in peers if isinstance(values.get(p), (int, float))]
    if not figures:
        return None
    return max(figures) if higher_is_better else min(figures)


def interleaved(
    subjects: dict[str, Subject], rounds: int, measure: Callable[[Subject], list[float]]
) -> dict[str, float]:
    """Median per kind of *measure*, run in *rounds* that alternate the servers."""
    samples: dict[str, list[float]] = {kind: [] for kind in subjects}
    for _ in range(rounds):
        for kind, subject in subjects.items():
            samples[kind].extend(measure(subject))
            subject.clear()
    return {kind: statistics.median(values) for kind, values in samples.items()}


def bench_start_stop(kinds: tuple[str, ...], peers: tuple[str, ...], cfg: Settings) -> Row:
    log("start+stop of an idle server")
    figures: dict[str, Any] = {}
    for kind in kinds:
        runs = cfg.start_runs_ours if kind == OURS else cfg.start_runs_peer
        figures[kind] = statistics.median(start_stop_once(kind) for _ in range(runs))
    return Row(
        "start+stop, idle",
        figures,
        "s",
        False,
        "<= 2 ms, >= 100x both",
        None
        if not peers
        else figures[OURS] <= 2e-3 and all(figures[OURS] * 100 <= figures[p] for p in peers),
        f"{cfg.start_runs_ours} runs of localserver, {cfg.start_runs_peer} of each peer "
        "(construct, start, stop)",
    )


def bench_sequential(
    subjects: dict[str, Subject], peers: tuple[str, ...], cfg: Settings
) -> list[Row]:
    rows = []
    log("sequential GETs, a new connection each")
    figures = interleaved(
        subjects, cfg.rounds, lambda s: timed(lambda: get_new_connection(s.address), cfg.per_round)
    )
    best = best_peer(figures, peers, False)
    rows.append(
        Row(
            "GET, new connection each",
            figures,
            "s",
            False,
            "<= faster peer",
            None if best is None else figures[OURS] <= best,
            "http.client, one connection per request, closed by the client",
        )
    )
    log("sequential GETs on one keep-alive http.client connection")
    plain = interleaved(
        subjects, cfg.rounds, lambda s: keepalive_httpclient(s.address, cfg.per_round)
    )
    best = best_peer(plain, peers, False)
    rows.append(
        Row(
            "GET, keep-alive http.client",
            plain,
            "s",
            False,
            ">= 2x faster peer",
            None if best is None else plain[OURS] * 2 <= best,
            "one HTTPConnection; the peers close every connection (werkzeug's server "
            "does), so their client reconnects each time",
        )
    )
    log("sequential GETs on one requests.Session")
    session = interleaved(subjects, cfg.rounds, lambda s: keepalive_requests(s.url, cfg.per_round))
    best = best_peer(session, peers, False)
    note = "informational: requests' own cost per call dominates"
    client_cost = session[OURS] - plain[OURS]
    if best is not None and client_cost > 0:
        note += (
            f" (it adds ~{client_cost * 1e6:.0f} µs over http.client, so even a server "
            f"costing nothing would be at most {best / client_cost:.2f}x the faster peer)"
        )
    rows.append(
        Row(
            "GET, keep-alive requests.Session", session, "s", False, "(2x target above)", None, note
        )
    )
    return rows


def bench_concurrent(
    subjects: dict[str, Subject], peers: tuple[str, ...], cfg: Settings
) -> list[Row]:
    log(f"8 concurrent connections, {cfg.load_rounds} x {cfg.load_seconds:.0f} s per server")
    samples: dict[str, list[float]] = {kind: [] for kind in subjects}
    connects: dict[str, int] = dict.fromkeys(subjects, 0)
    errors: dict[str, int] = dict.fromkeys(subjects, 0)
    for _ in range(cfg.load_rounds):
        for kind, subject in subjects.items():
            result = run_loadgen(subject.address, 8, cfg.load_seconds)
            samples[kind].append(result["requests"] / result["seconds"])
            connects[kind] += result["connects"]
            errors[kind] += result["errors"]
            subject.clear()
    figures = {kind: statistics.median(values) for kind, values in samples.items()}
    best = best_peer(figures, peers, True)
    note = (
        "Python load generator in another process; connections opened: "
        + ", ".join(f"{SHORT.get(k, k)} {v}" for k, v in connects.items())
        + "; the peers serve one request at a time (werkzeug threaded=False, their default)"
    )
    if any(errors.values()):
        note += "; connection errors: " + ", ".join(
            f"{SHORT.get(k, k)} {v}" for k, v in errors.items()
        )
    rows = [
        Row(
            "8 concurrent, Python loadgen",
            figures,
            "rps",
            True,
            ">= 2x faster peer",
            None if best is None else figures[OURS] >= 2 * best,
            note,
        )
    ]
    if shutil.which("wrk"):
        log("8 concurrent connections with wrk")
        wrk = {kind: run_wrk(s.url, 8, cfg.load_seconds) for kind, s in subjects.items()}
        best = best_peer(wrk, peers, True)
        ours = wrk[OURS]
        rows.append(
            Row(
                "8 concurrent, wrk",
                wrk,
                "rps",
                True,
                ">= 2x faster peer",
                None if best is None or ours is None else ours >= 2 * best,
                "wrk -t2 -c8, one run per server",
            )
        )
    return rows


def bench_memory(kinds: tuple[str, ...], cfg: Settings) -> list[Row]:
    rows = []
    size = f"{cfg.body_size // MiB} MiB"
    for store in (False, True):
        log(f"peak memory of a {size} POST, store_request_data={store}")
        growth: dict[str, Any] = {}
        exact = True
        for kind in kinds:
            if kind == "pytest-httpserver" and not store:
                growth[kind] = "(keeps all)"
                continue
            figures = [peak_growth(kind, store, cfg.body_size) for _ in range(2)]
            growth[kind] = statistics.median(g for g, _ in figures)
            exact = exact and all(reset for _, reset in figures)
        limit = 2 * cfg.body_size / MiB if store else 20.0
        note = "growth of the server process's peak RSS while it receives the body"
        if not exact:
            note += " (VmHWM could not be reset: growth of ru_maxrss instead)"
        rows.append(
            Row(
                f"POST {size}, store={store}",
                growth,
                "MiB",
                False,
                f"growth < {limit:.0f} MiB",
                growth[OURS] < limit,
                note if store else "",
            )
        )
    return rows


def bench_cycles(peers: tuple[str, ...], cfg: Settings) -> list[Row]:
    rows = []
    for with_request in (False, True):
        label = "one GET each" if with_request else "idle"
        log(f"{cfg.cycles} start/stop cycles of localserver, {label}")
        before, after, median = cycles(cfg.cycles, with_request)
        rows.append(
            Row(
                f"{cfg.cycles} start/stop, {label}",
                {
                    OURS: f"thr {before[0]}->{after[0]}, fd {before[1]}->{after[1]}",
                    **dict.fromkeys(peers, "-"),
                },
                "",
                True,
                "no thread/fd growth",
                after[0] <= before[0] and after[1] <= before[1],
                f"median cycle {fmt(median, 's')}; not run for the peers (0.5 s a cycle)",
            )
        )
    return rows


def describe_machine(quick: bool) -> str:
    from importlib import metadata

    versions = []
    for name in ("localserver", "pytest-localserver", "pytest-httpserver", "werkzeug", "requests"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    text = f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; " + ", ".join(versions)
    if quick:
        text += "; --quick: rough figures"
    return text


def load_average() -> float:
    """The 1-minute load average, or 0 where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def busy_warning(load: float) -> str:
    """A warning when other processes competed for the CPUs, or ''."""
    cpus = os.cpu_count() or 1
    if load > cpus * 0.75:
        return (
            f"load average up to {load:.1f} on {cpus} CPUs: other processes competed "
            "for the CPUs, so the figures are noisy; run again on a quiet machine"
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (rough figures)")
    parser.add_argument("--loadgen", metavar="HOST:PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("KIND", "STORE"), help=argparse.SUPPRESS
    )
    options, rest = parser.parse_known_args(argv)
    if options.loadgen:
        host, _, port = options.loadgen.rpartition(":")
        connections, seconds = int(rest[0]), float(rest[1])
        warmup = min(0.5, seconds / 4)
        print(json.dumps(loadgen(host.strip("[]"), int(port), connections, seconds, warmup)))
        return 0
    if options.memory_child:
        kind, store = options.memory_child
        memory_child(kind, store == "True")
        return 0
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not installed(OURS):
        log("localserver is not importable: run this through python bench/run.py")
        return 1
    peers = tuple(kind for kind in PEERS if installed(kind))
    missing = [kind for kind in PEERS if kind not in peers]
    if missing:
        log(f"left out, not installed: {', '.join(missing)} (python bench/run.py installs them)")
    kinds = (OURS, *peers)
    cfg = Settings.make(options.quick)
    machine = describe_machine(options.quick)
    log(machine)
    load = load_average()

    rows = [bench_start_stop(kinds, peers, cfg)]
    subjects = {kind: Subject(kind).start() for kind in kinds}
    try:
        rows += bench_sequential(subjects, peers, cfg)
        rows += bench_concurrent(subjects, peers, cfg)
    finally:
        for subject in subjects.values():
            subject.stop()
    rows += bench_memory(kinds, cfg)
    rows += bench_cycles(peers, cfg)
    load = max(load, load_average())

    print()
    print(f"HTTP benchmark: {machine}")
    print_table(rows, peers)
    warning = busy_warning(load)
    if warning:
        print(f"warning: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
