"""SMTP benchmark: localserver's SMTPServer against pytest-localserver's ``smtp.Server``.

Run it through ``python bench/run.py smtp``, or directly with a Python that has
localserver and ``pytest-localserver[smtp]`` (aiosmtpd) installed::

    python bench/bench_smtp.py            # the full run (about half a minute)
    python bench/bench_smtp.py --quick    # a fast rehearsal; its figures are rough

Both servers are measured in the same run, with the settings a user gets by
default, both bound to 127.0.0.1. The table gives medians, the ratio of the
peer's figure to ours (above 1 means localserver is better) and the targets of
issue 5 with PASS or MISS.

What is measured:

- start+stop: construct, start and stop an idle server.
- 1,000 mails, one connection: ``smtplib.SMTP.sendmail`` of a ready-made
  message (bytes), 1,000 times over one connection, then QUIT; the time from
  connect to the last reply. Both servers keep every mail in their outbox
  (pytest-localserver parses each one as it arrives; localserver on first use).
- the same with ``send_message`` of an ``EmailMessage``, which smtplib
  flattens each time (client work both servers share).
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import sys
import time
from email.message import EmailMessage
from typing import Any, Callable

OURS = "localserver"
PEER = "pytest-localserver"
HOST = "127.0.0.1"
TARGETS = {"start+stop": ("<= 1 ms", 1.0), "1,000 mails (sendmail)": (">= 1.5x", 1.5)}


def make_server(kind: str) -> Any:
    """An unstarted server of *kind*."""
    if kind == OURS:
        from localserver import SMTPServer

        return SMTPServer(host=HOST)
    from pytest_localserver.smtp import Server

    return Server(host=HOST, port=0)


def address(kind: str, server: Any) -> tuple[str, int]:
    host, port = server.addr[:2]
    return (host, port)


def clear(kind: str, server: Any) -> None:
    if kind == OURS:
        server.outbox.clear()
    else:
        server.outbox.clear()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "sender@example.com"
    mail["To"] = "rcpt@example.com"
    mail["Subject"] = "Benchmark mail"
    mail["Message-ID"] = "<bench@example.com>"
    mail["Date"] = "Sat, 21 Nov 2026 12:00:00 +0000"
    mail.set_content("A line of text to make the body about 300 bytes long. " * 5)
    return mail


def time_start_stop(kind: str, runs: int) -> list[float]:
    """Seconds for each construct + start + stop of an idle server."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        server = make_server(kind)
        server.start()
        server.stop()
        times.append(time.perf_counter() - began)
    return times


def time_mails(
    kind: str, count: int, trials: int, send: Callable[[smtplib.SMTP], None]
) -> list[float]:
    """Seconds to send *count* mails over one connection, once per trial."""
    server = make_server(kind)
    server.start()
    try:
        times = []
        for _ in range(trials):
            clear(kind, server)
            began = time.perf_counter()
            with smtplib.SMTP(
                *address(kind, server), local_hostname="localhost", timeout=30
            ) as client:
                for _ in range(count):
                    send(client)
            times.append(time.perf_counter() - began)
            if len(server.outbox) != count:
                raise RuntimeError(f"{kind}: {len(server.outbox)} of {count} mails arrived")
        return times
    finally:
        server.stop()


def peer_installed() -> bool:
    try:
        import pytest_localserver.smtp  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    runs, trials, count = (30, 2, 200) if args.quick else (200, 5, 1000)

    kinds = [OURS] + ([PEER] if peer_installed() else [])
    if len(kinds) == 1:
        print(f"note: {PEER}[smtp] is not installed; measuring localserver only")

    raw = message().as_bytes().replace(b"\n", b"\r\n")
    mail = message()

    def sendmail(client: smtplib.SMTP) -> None:
        client.sendmail("sender@example.com", ["rcpt@example.com"], raw)

    def send_message(client: smtplib.SMTP) -> None:
        client.send_message(mail)

    label = f"{count:,} mails"
    rows: list[tuple[str, str, dict[str, float]]] = []
    results: dict[str, float] = {}
    for kind in kinds:
        time_start_stop(kind, 5)  # warm-up: imports, first thread
        results[kind] = statistics.median(time_start_stop(kind, runs)) * 1000
    rows.append(("start+stop", "ms", results))
    for name, send in (
        (f"{label} (sendmail)", sendmail),
        (f"{label} (send_message)", send_message),
    ):
        results = {}
        for kind in kinds:
            results[kind] = statistics.median(time_mails(kind, count, trials, send)) * 1000
        rows.append((name, "ms", results))

    print(f"Python {sys.version.split()[0]}; medians; ratio = {PEER} / {OURS}")
    header = f"{'measure':<28} {OURS:>12} {PEER:>20} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for name, unit, values in rows:
        ours = values[OURS]
        peer = values.get(PEER)
        ratio = f"{peer / ours:6.2f}x" if peer else "    n/a"
        peer_text = f"{peer:.3f} {unit}" if peer else "n/a"
        target = ""
        key = name.replace(f"{count:,}", "1,000")
        if key in TARGETS:
            text, goal = TARGETS[key]
            met = (
                ours <= goal if key == "start+stop" else (peer is not None and peer / ours >= goal)
            )
            target = f"{text} {'PASS' if met else 'MISS'}"
        print(f"{name:<28} {ours:>9.3f} {unit} {peer_text:>20} {ratio:>7}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
