"""Close to the wire: localserver against a minimal responder (the machine) and the peers.

Run it through ``python bench/run.py wire``, or directly with a Python that has
localserver (and, for their columns, pytest-localserver and pytest-httpserver)::

    python bench/bench_wire.py              # 5 rounds (about two minutes on 2 cores)
    python bench/bench_wire.py --quick      # 1 short round: rough figures
    python bench/bench_wire.py --no-wrk     # leave the wrk row out

The baseline is a minimal responder written here (not in the library): a listening
socket, one thread per connection, each reading request heads and sending one canned
answer, keep-alive. It is what a Python server costs at the least on this machine, so
localserver's figures are given as a fraction of its figures, measured in the same
run. Each server runs alone in a child process, so the clients (in this process)
never compete with it for the interpreter lock; all of them answer ``GET /bench``
with ``ok`` (localserver and pytest-localserver through ``serve_content``,
pytest-httpserver through ``expect_request``), keeping the requests they record, as
users get them by default (the journal is emptied between measurements).

Each round, every measurement is cut into slices and the servers take turns slice
by slice (in an order that rotates each round), so that a burst of load from
elsewhere falls on all of them; the table gives the median of the rounds and, for
localserver and the ratios, their range. The targets are issue 15's:

- keep-alive GET on one ``http.client`` connection (5,000 per round; 1,000 for the
  peers): localserver's requests per second >= 60 % of the responder's. The peers
  close every connection (werkzeug's server does), so their client reconnects
  each time.
- 8 client threads, each with its own ``http.client`` connection: >= 50 %.
- ``wrk -t2 -c8`` (when wrk is installed): >= 20 %.
- server CPU per GET: the CPU time of the server's process (all its threads,
  ``time.process_time()`` read in the child before and after each slice of the
  keep-alive GETs; its main thread sleeps on a pipe meanwhile) over the GETs:
  <= 40 µs.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable, NamedTuple

from _table import (
    OURS,
    Spread,
    busy_warning,
    load_average,
    log,
    machine,
    percent,
    rate,
    render,
    seconds,
    verdict,
)

PATH = "/bench"
BODY = b"ok"
RESPONDER = "responder"
PEERS = ("pytest-localserver", "pytest-httpserver")
PEER_MODULES = {
    "pytest-localserver": "pytest_localserver",
    "pytest-httpserver": "pytest_httpserver",
}
NAME = "bench_wire"


# -- the minimal responder ----------------------------------------------------------------


class Responder:
    """Reads request heads and sends one canned answer for each; keep-alive; GET only.

    One accept thread, one thread per connection. Request bodies are not read
    (every request here is a GET).
    """

    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    )

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.listener = socket.create_server((host, 0))
        self.server_address: tuple[str, int] = self.listener.getsockname()[:2]

    def start(self) -> Responder:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                end = buffer.find(b"\r\n\r\n")
                while end >= 0:
                    buffer = buffer[end + 4 :]
                    conn.sendall(self.ANSWER)
                    end = buffer.find(b"\r\n\r\n")

    def stop(self) -> None:
        self.listener.close()


# -- a server in a child process ------------------------------------------------------------


def start_server(kind: str) -> tuple[int, Callable[[], None]]:
    """Start a server of *kind* in this process; return its port and what empties its journal."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the peers log each request
    if kind == RESPONDER:
        responder = Responder().start()
        return responder.server_address[1], lambda: None
    if kind == OURS:
        from localserver import HTTPServer

        server = HTTPServer()
        server.serve_content(BODY)
        server.start()
        return server.port, server.clear
    if kind == "pytest-localserver":
        from pytest_localserver.http import ContentServer

        content = ContentServer()
        content.serve_content(BODY)
        content.start()
        return content.server_address[1], content.requests.clear
    from pytest_httpserver import HTTPServer as PeerServer

    peer = PeerServer(host="127.0.0.1", port=0)
    peer.expect_request(PATH).respond_with_data(BODY)
    peer.start()
    return peer.port, peer.clear_log


def serve_child(kind: str) -> None:
    """The child's side: serve, then answer the parent's commands on stdin."""
    port, clear = start_server(kind)
    print(json.dumps({"port": port}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "cpu":
            print(json.dumps({"cpu": time.process_time()}), flush=True)
        elif command == "clear":
            clear()
            print("{}", flush=True)
        else:
            break
    os._exit(0)  # the peers' stop() waits for werkzeug's poll; nothing is left to flush


class ServerProcess:
    """A server of *kind* alone in a child process, told what to do through a pipe."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.address = ("127.0.0.1", 0)

    def ready(self) -> ServerProcess:
        self.address = ("127.0.0.1", int(self.ask(None)["port"]))
        return self

    def ask(self, command: str | None) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.kind} server process ended (exit {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def cpu(self) -> float:
        return float(self.ask("cpu")["cpu"])

    def clear(self) -> None:
        self.ask("clear")

    def close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the clients ---------------------------------------------------------------------------


class KeepAlive:
    """One http.client connection kept for a round (http.client reopens it if closed)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.conn = http.client.HTTPConnection(*address, timeout=10)

    def gets(self, count: int) -> float:
        """Seconds for *count* sequential GETs."""
        began = time.perf_counter()
        for _ in range(count):
            self.conn.request("GET", PATH)
            if self.conn.getresponse().read() != BODY:
                raise RuntimeError(f"unexpected answer from {self.address}")
        return time.perf_counter() - began

    def close(self) -> None:
        self.conn.close()


def keepalive_gets(address: tuple[str, int], count: int) -> float:
    """Seconds for *count* sequential GETs on one http.client connection."""
    client = KeepAlive(address)
    try:
        return client.gets(count)
    finally:
        client.close()


def threaded_gets(address: tuple[str, int], threads: int, duration: float) -> float:
    """Requests per second of *threads* clients, each with its own connection.

    Each client sends GETs one after the other for *duration* seconds after a short
    warm-up (which is not counted).
    """
    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads
    failures: list[BaseException] = []
    window: list[float] = []

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(*address, timeout=10)
        try:
            barrier.wait()
            counting, deadline = window
            done = 0
            while True:
                conn.request("GET", PATH)
                if conn.getresponse().read() != BODY:
                    raise RuntimeError(f"unexpected answer from {address}")
                now = time.perf_counter()
                if now >= deadline:
                    break
                done += now >= counting
            counts[index] = done
        except BaseException as exc:
            failures.append(exc)
        finally:
            conn.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    warmup = min(0.5, duration / 4)
    now = time.perf_counter()
    window.extend([now + warmup, now + warmup + duration])
    barrier.wait()
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError(f"a client thread failed against {address}") from failures[0]
    return sum(counts) / duration


class WrkResult(NamedTuple):
    rate: float | None
    problems: str


def parse_wrk(output: str) -> WrkResult:
    """Requests per second from wrk's report, and its error lines ('' if none)."""
    match = re.search(r"Requests/sec:\s*([\d.]+)", output)
    problems = [
        line.strip()
        for line in output.splitlines()
        if line.strip().startswith(("Socket errors", "Non-2xx"))
    ]
    return WrkResult(float(match.group(1)) if match else None, "; ".join(problems))


def run_wrk(address: tuple[str, int], duration: float) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        return WrkResult(None, "wrk is not installed")
    url = f"http://{address[0]}:{address[1]}{PATH}"
    done = subprocess.run(
        [wrk, "-t2", "-c8", f"-d{max(1, round(duration))}s", url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    return parse_wrk(done.stdout + done.stderr)


# -- the run -------------------------------------------------------------------------------


class Settings(NamedTuple):
    rounds: int
    gets: int  # keep-alive GETs per round for localserver and the responder (the CPU figure's)
    peer_gets: int  # the same for the peers, which reconnect each time
    slices: int  # each round's measurements are cut into slices, the servers taking turns
    thread_seconds: float  # per server and round
    wrk_seconds: int  # per server and round, in slices of at least 1 s

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(1, 200, 100, 2, 0.4, 1)
        return cls(5, 5000, 1000, 5, 2.0, 3)


class Figure(NamedTuple):
    name: str
    unit: Callable[[float], str]
    target: str
    rounds: dict[str, list[float]]  # kind -> one figure per round
    passed: Callable[[Spread], bool]  # on localserver's spread (ratio or value)
    ratio: bool  # judged as a fraction of the responder's figure
    note: str = ""


def measure(
    servers: dict[str, ServerProcess], cfg: Settings, wrk: bool
) -> tuple[list[Figure], list[str]]:
    """Every figure, once per server and round.

    Within a round each measurement is cut into slices and the servers take turns
    slice by slice, so that a burst of load from elsewhere falls on all of them.
    """
    kinds = list(servers)
    keepalive: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    threaded: dict[str, list[float]] = {k: [] for k in kinds}
    wrk_rates: dict[str, list[float]] = {k: [] for k in kinds}
    notes: list[str] = []
    wrk_slices = max(1, min(cfg.slices, cfg.wrk_seconds))
    for number in range(cfg.rounds):
        log(NAME, f"round {number + 1} of {cfg.rounds}")
        order = kinds[number % len(kinds) :] + kinds[: number % len(kinds)]
        clients = {kind: KeepAlive(servers[kind].address) for kind in order}
        elapsed = dict.fromkeys(order, 0.0)
        used = dict.fromkeys(order, 0.0)
        try:
            for kind in order:
                clients[kind].gets(50)  # warm up: first connection, lazy imports
                servers[kind].clear()
            for _ in range(cfg.slices):
                for kind in order:
                    count = (cfg.gets if kind in (OURS, RESPONDER) else cfg.peer_gets) // cfg.slices
                    began = servers[kind].cpu()
                    elapsed[kind] += clients[kind].gets(count)
                    used[kind] += servers[kind].cpu() - began
                    servers[kind].clear()
        finally:
            for client in clients.values():
                client.close()
        for kind in order:
            count = cfg.gets if kind in (OURS, RESPONDER) else cfg.peer_gets
            count = count // cfg.slices * cfg.slices
            keepalive[kind].append(count / elapsed[kind])
            cpu[kind].append(used[kind] / count)

        rates: dict[str, list[float]] = {kind: [] for kind in order}
        for _ in range(cfg.slices):
            for kind in order:
                address = servers[kind].address
                rates[kind].append(threaded_gets(address, 8, cfg.thread_seconds / cfg.slices))
                servers[kind].clear()
        for kind in order:
            threaded[kind].append(statistics.mean(rates[kind]))

        if not wrk:
            continue
        rates = {kind: [] for kind in order}
        for _ in range(wrk_slices):
            for kind in order:
                result = run_wrk(servers[kind].address, cfg.wrk_seconds // wrk_slices)
                servers[kind].clear()
                if result.rate is None:
                    notes.append(f"wrk gave no figure for {kind}: {result.problems or 'none'}")
                    wrk = False
                    break
                rates[kind].append(result.rate)
                if result.problems:
                    notes.append(f"wrk against {kind}: {result.problems}")
            if not wrk:
                wrk_rates = {k: [] for k in kinds}  # no row rather than a lopsided one
                break
        else:
            for kind in order:
                wrk_rates[kind].append(statistics.mean(rates[kind]))

    figures = [
        Figure(
            f"keep-alive GET, one http.client conn ({cfg.gets:,}/round)",
            rate,
            ">= 60 %",
            keepalive,
            lambda s: s.median >= 0.60,
            True,
            "the peers close every connection, so their client reconnects each time",
        ),
        Figure(
            "8 client threads, http.client",
            rate,
            ">= 50 %",
            threaded,
            lambda s: s.median >= 0.50,
            True,
            "8 threads of this process, one connection each",
        ),
    ]
    if all(wrk_rates.values()):
        figures.append(
            Figure(
                f"wrk -t2 -c8, {cfg.wrk_seconds} s/round",
                rate,
                ">= 20 %",
                wrk_rates,
                lambda s: s.median >= 0.20,
                True,
            )
        )
    figures.append(
        Figure(
            f"server CPU per GET ({cfg.gets:,} keep-alive)",
            seconds,
            "<= 40 µs",
            cpu,
            lambda s: s.median <= 40e-6,
            False,
            "CPU time of the server's child process (all its threads) over the keep-alive "
            f"GETs ({cfg.peer_gets:,} a round for the peers, a new connection each)",
        )
    )
    return figures, notes


def table(figures: Sequence[Figure], kinds: Sequence[str], rounds: int) -> str:
    several = rounds > 1
    header = ["figure", *kinds, f"{OURS} / {RESPONDER}", "target", "result"]
    rows = []
    for figure in figures:
        cells = []
        for kind in kinds:
            spread = Spread.of(figure.rounds[kind])
            show = spread.text(figure.unit, several) if kind == OURS else figure.unit(spread.median)
            cells.append(show)
        if figure.ratio:
            ratios = Spread.of(
                ours / base for ours, base in zip(figure.rounds[OURS], figure.rounds[RESPONDER])
            )
            relative = ratios.text(percent, several)
            passed = figure.passed(ratios)
        else:
            ours = Spread.of(figure.rounds[OURS])
            base = Spread.of(figure.rounds[RESPONDER])
            relative = f"{ours.median / base.median:.1f}x its CPU"
            passed = figure.passed(ours)
        rows.append([figure.name, *cells, relative, figure.target, verdict(passed)])
    return render(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (rough figures)")
    parser.add_argument("--no-wrk", action="store_true", help="leave the wrk row out")
    parser.add_argument("--serve", metavar="KIND", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve:
        serve_child(options.serve)
        return 0
    cfg = Settings.make(options.quick)
    peers = [p for p in PEERS if importlib.util.find_spec(PEER_MODULES[p])]
    missing = [p for p in PEERS if p not in peers]
    if missing:
        log(NAME, f"left out, not installed: {', '.join(missing)}")
    wrk = not options.no_wrk and shutil.which("wrk") is not None
    kinds = [RESPONDER, OURS, *peers]
    title = machine([OURS, *PEERS, "werkzeug"])
    log(NAME, title)
    load = load_average()

    servers = {kind: ServerProcess(kind) for kind in kinds}
    try:
        for server in servers.values():
            server.ready()
        figures, notes = measure(servers, cfg, wrk)
    finally:
        for server in servers.values():
            server.close()

    print()
    print(f"Close to the wire: {title}")
    print(
        f"{cfg.rounds} round(s); medians, and for localserver the range over the rounds "
        "[lowest-highest]"
    )
    if options.quick:
        print("--quick: one short round, rough figures")
    print(table(figures, kinds, cfg.rounds))
    print()
    print(
        f"{OURS} / {RESPONDER}: our figure as a fraction of the minimal responder's "
        "(a socket and a thread per connection, one canned answer), the same round"
    )
    for figure in figures:
        if figure.note:
            print(f"note: {figure.name}: {figure.note}")
    if options.no_wrk:
        notes.append("wrk row left out (--no-wrk)")
    elif shutil.which("wrk") is None:
        notes.append("wrk row left out: wrk is not installed (Debian: apt-get install wrk)")
    for note in dict.fromkeys(notes):  # each once, however many slices repeated it
        print(f"note: {note}")
    warning = busy_warning(load)
    if warning:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
