"""Where a server spends its time per request: cProfile of keep-alive GETs, server side only.

Run it with any Python that has localserver (the repository's venv will do)::

    python bench/profile_requests.py                  # 5,000 GETs against serve_content
    python bench/profile_requests.py --expect         # ... against an expect_request
    python bench/profile_requests.py --top 40 --sort cumulative
    python bench/profile_requests.py --output server.prof   # for pstats, snakeviz...

The server runs in this process; the client is a child process sending GETs one
after the other over one keep-alive ``http.client`` connection, so nothing of the
client is profiled. Each server thread gets its own profiler when it starts
(``threading.setprofile``); their statistics are added up once the server has
stopped. The timer is the thread's CPU time by default (``--timer wall`` for wall
time), so that a thread waiting for the next request costs nothing; profiling
slows everything down several times, so read the shares, not the absolute figures
(``bench/bench_wire.py`` gives those).

From Python 3.12 on, cProfile is one profiler for every thread (``sys.monitoring``),
so one profiler runs while the main thread only waits for the client, and the CPU
timer is the process's CPU time (the main thread sleeps meanwhile, so that is the
server threads' time); the main thread's waiting is left out of the report.

Printed: the profile's top functions by own time (``tottime``, or ``--sort``), then
the own time summed per source file.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from typing import Any

PATH = "/bench"
BODY = b"ok"
PER_THREAD = sys.version_info < (3, 12)  # before sys.monitoring, a profiler is per thread


def client(port: int, count: int) -> None:
    """The child's side: *count* GETs on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        conn.request("GET", PATH)
        if conn.getresponse().read() != BODY:
            raise SystemExit("unexpected answer")
    conn.close()


def run_client(port: int, count: int) -> None:
    """Run the client in a child process and wait for it (the main thread blocks)."""
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--client", str(port), str(count)]
    )
    if process.wait() != 0:
        raise RuntimeError(f"the client failed (exit {process.returncode})")


def make_server(expect: bool) -> Any:
    from localserver import HTTPServer

    server = HTTPServer()
    if expect:
        server.expect_request(PATH, method="GET").respond_with_data(BODY)
    else:
        server.serve_content(BODY)
    return server


def timer(kind: str) -> tuple[Any, float]:
    """The profiler's timer and its unit.

    A per-thread profiler reads its thread's CPU clock; the one profiler of every
    thread (Python 3.12+) must read one clock for all, the process's.
    """
    if kind == "cpu":
        return (time.thread_time_ns if PER_THREAD else time.process_time_ns), 1e-9
    return time.perf_counter_ns, 1e-9


def profile_per_thread(expect: bool, count: int, clock: str) -> pstats.Stats:
    """Python < 3.12: one profiler per server thread, started by threading's hook."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    function, unit = timer(clock)

    def start_profiling(frame: Any, event: str, arg: Any) -> None:
        profile = cProfile.Profile(function, unit)
        with lock:
            profiles.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread

    server = make_server(expect)
    threading.setprofile(start_profiling)  # type: ignore[arg-type]
    try:
        server.start()
        run_client(server.port, count)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        server.stop()  # its threads end, and with them their profiles
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    return stats


def profile_all_threads(expect: bool, count: int, clock: str) -> pstats.Stats:
    """Python >= 3.12: one profiler sees every thread; this one only waits meanwhile."""
    server = make_server(expect)
    server.start()
    try:
        run_client(server.port, 20)  # the server's threads exist and are warm
        function, unit = timer(clock)
        profile = cProfile.Profile(function, unit)
        profile.enable()
        try:
            run_client(server.port, count)
        finally:
            profile.disable()
    finally:
        server.stop()
    stats = pstats.Stats(profile)
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for key in [key for key in entries if waiting_for_client(key)]:
        del entries[key]  # the main thread's, not the server's
    for _, _, _, _, callers in entries.values():
        for key in [key for key in callers if waiting_for_client(key)]:
            del callers[key]
    return stats


def waiting_for_client(key: tuple[str, int, str]) -> bool:
    """Whether a profile entry is the main thread waiting for the client process."""
    filename, _, name = key
    return (
        filename.endswith(("subprocess.py", os.path.basename(__file__)))
        or "waitpid" in name
        or "disable" in name
    )


def where(filename: str) -> str:
    """A source file as ``localserver/_http1/connection.py``, ``werkzeug/...``, ``socket.py``."""
    if filename.startswith(("~", "<")):
        return filename  # built-in functions
    path = filename.replace(os.sep, "/")
    for marker in ("/site-packages/", "/localserver/"):
        if marker in path:
            rest = path.split(marker, 1)[1]
            return ("localserver/" + rest) if marker == "/localserver/" else rest
    return re.sub(r"^.*/lib/python3\.\d+/", "", path)


def function_name(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name  # e.g. <method 'recv_into' of '_socket.socket' objects>
    return f"{where(filename)}:{line}({name})"


def report(stats: pstats.Stats, count: int, top: int, sort: str, clock: str) -> str:
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tottime for _, _, tottime, _, _ in entries.values())
    column = {"tottime": 2, "cumulative": 3, "ncalls": 1}[sort]
    ranked = sorted(entries.items(), key=lambda item: -item[1][column])[:top]
    lines = [
        f"server threads' {clock} time, profiled: {total:.3f} s for {count:,} GETs "
        f"= {total / count * 1e6:.0f} µs per GET (profiling inflates this)",
        "",
        f"top {len(ranked)} functions by {sort}:",
        f"{'ncalls':>9} {'tottime':>9} {'share':>6} {'per GET':>9} {'cumtime':>9}  function",
    ]
    for key, (_, ncalls, tottime, cumtime, _) in ranked:
        lines.append(
            f"{ncalls:>9,} {tottime:>8.3f}s {tottime / total * 100:>5.1f}% "
            f"{tottime / count * 1e6:>7.1f}µs {cumtime:>8.3f}s  {function_name(key)}"
        )
    files: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in entries.items():
        files["(built-in functions)" if filename == "~" else where(filename)] += tottime
    lines += ["", "own time by source file:", f"{'tottime':>9} {'share':>6}  file"]
    for filename, tottime in sorted(files.items(), key=lambda item: -item[1])[:top]:
        if tottime < total / 1000:
            break
        lines.append(f"{tottime:>8.3f}s {tottime / total * 100:>5.1f}%  {filename}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="GETs to profile (5,000)")
    parser.add_argument("--top", type=int, default=30, help="rows to print (30)")
    parser.add_argument("--sort", choices=("tottime", "cumulative", "ncalls"), default="tottime")
    parser.add_argument(
        "--timer",
        choices=("cpu", "wall"),
        default=None,
        help="the server threads' CPU time (default) or wall time",
    )
    parser.add_argument("--expect", action="store_true", help="an expect_request, not content")
    parser.add_argument("--output", metavar="FILE", help="also save the profile (pstats format)")
    parser.add_argument("--client", nargs=2, type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.client:
        client(*options.client)
        return 0
    clock = options.timer or "cpu"
    profile = profile_per_thread if PER_THREAD else profile_all_threads
    stats = profile(options.expect, options.count, clock)
    if options.output:
        stats.dump_stats(options.output)
    parser_name = os.environ.get("LOCALSERVER_HTTP_PARSER", "default")
    what = "expect_request(...).respond_with_data" if options.expect else "serve_content"
    print(
        f"Profile of {options.count:,} keep-alive GETs against {what}, server side: "
        f"Python {sys.version.split()[0]}, HTTP parser {parser_name}"
    )
    print(report(stats, options.count, options.top, options.sort, clock))
    if options.output:
        print(f"\nsaved: {options.output} (python -m pstats {options.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
