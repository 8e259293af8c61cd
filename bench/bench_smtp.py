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
- memory per stored mail: the growth of Python's allocations (``tracemalloc``,
  server threads included) per mail, once 300 mails arrived, then once each
  mail's Subject and To were read.
- waiting (issue 14): 1,000 mails over one connection while a test thread waits
  in ``assert_mail_sent(count=1000, timeout=...)``, against the same without a
  waiter (localserver only: the peer has no wait). Target: within 1.3x.

Sending 300 mails and then reading each one's Subject and To (issue 15) is
``bench_smtp_read.py``.
"""

from __future__ import annotations

import argparse
import gc
import re
import smtplib
import statistics
import sys
import threading
import time
import tracemalloc
from email.message import EmailMessage
from typing import Any, Callable, NamedTuple

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


# -- mails in the outbox, and a test waiting for them -----------------------------------


def numbered(number: int) -> bytes:
    """Mail *number*, as an application hands it to ``sendmail`` (CRLF lines)."""
    mail = EmailMessage()
    mail["From"] = "Benchmark Sender <sender@example.com>"
    mail["To"] = f"Recipient {number} <rcpt{number}@example.com>"
    mail["Subject"] = f"Order {number} confirmed"
    mail["Message-ID"] = f"<bench-{number}@example.com>"
    mail["Date"] = "Sat, 21 Nov 2026 12:00:00 +0000"
    mail.set_content("A line of text to make the body about 300 bytes long. " * 5)
    return mail.as_bytes().replace(b"\n", b"\r\n")


def send_all(server: Any, mails: list[tuple[str, bytes]]) -> None:
    """Send *mails* over one connection, then QUIT."""
    with smtplib.SMTP(*server.addr[:2], local_hostname="localhost", timeout=30) as client:
        for recipient, raw in mails:
            client.sendmail("sender@example.com", [recipient], raw)


def read_headers(server: Any) -> list[tuple[str, str]]:
    return [(str(mail["Subject"]), str(mail["To"])) for mail in server.outbox]


class Spread(NamedTuple):
    """The median of several rounds' figures, and the lowest and highest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, figures: list[float]) -> Spread:
        return cls(statistics.median(figures), min(figures), max(figures))

    def text(self, unit: str, scale: float = 1.0, digits: int = 1) -> str:
        median, low, high = (value * scale for value in self)
        return f"{median:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}] {unit}".rstrip()


def memory_per_mail(kind: str, count: int) -> tuple[float, float]:
    """Bytes allocated per stored mail: once arrived, and once Subject and To were read."""
    mails = [(f"rcpt{n}@example.com", numbered(n)) for n in range(count)]
    server = make_server(kind)
    server.start()
    try:
        send_all(server, mails[:20])  # warm up outside the measure
        server.outbox.clear()
        gc.collect()
        gc.disable()  # no collection of earlier garbage inside the measure
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            send_all(server, mails)
            arrived = tracemalloc.get_traced_memory()[0]
            read_headers(server)
            read = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
            gc.enable()
        if len(server.outbox) != count:
            raise RuntimeError(f"{kind}: {len(server.outbox)} of {count} mails arrived")
    finally:
        server.stop()
    return (arrived - before) / count, (read - before) / count


def wait_for_all(server: Any, count: int, found: list[Any]) -> None:
    """What a test does while mail arrives: wait for *count* mails like these."""
    found.extend(server.assert_mail_sent(subject=re.compile("^Order"), count=count, timeout=60))


def bench_waiting(rounds: int, count: int) -> tuple[list[float], list[float]]:
    """localserver: seconds to take *count* mails without, then with, a test waiting."""
    from localserver import SMTPServer

    mails = [(f"rcpt{n}@example.com", numbered(n)) for n in range(count)]
    plain: list[float] = []
    waited: list[float] = []
    with SMTPServer(host=HOST) as server:
        send_all(server, mails[:20])
        for _ in range(rounds):
            for figures, waiter in ((plain, False), (waited, True)):
                server.outbox.clear()
                found: list[Any] = []
                thread = threading.Thread(target=wait_for_all, args=(server, count, found))
                began = time.perf_counter()
                if waiter:
                    thread.start()
                send_all(server, mails)
                figures.append(time.perf_counter() - began)
                if waiter:
                    thread.join()
                    if len(found) != count:
                        raise RuntimeError(f"the waiter found {len(found)} of {count} mails")
    return plain, waited


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
    print()
    read_figures(kinds, quick=args.quick)
    return 0


def read_figures(kinds: list[str], *, quick: bool) -> None:
    """The memory per stored mail, and the cost of a test waiting (issue 14)."""
    rounds, count, waits = (2, 50, 200) if quick else (7, 300, 1000)
    print(f"Mails in the outbox (medians [lowest-highest] of {rounds} rounds)")
    header = f"{'measure':<34} {OURS:>24} {PEER:>24} {PEER + ' / ' + OURS:>28}  target"
    print(header)
    print("-" * len(header))
    memory = {kind: memory_per_mail(kind, count) for kind in kinds}
    for index, label in enumerate(("memory per mail, arrived", "memory per mail, headers read")):
        values = {kind: memory[kind][index] / 1024 for kind in kinds}
        peer_value = values.get(PEER)
        print(
            f"{label:<34} {values[OURS]:>21.2f} KiB "
            f"{'n/a' if peer_value is None else f'{peer_value:.2f} KiB':>24} "
            f"{'n/a' if peer_value is None else f'{peer_value / values[OURS]:.2f}x':>28}  (info)"
        )
    plain, waited = bench_waiting(rounds, waits)
    slowdown = Spread.of([w / p for w, p in zip(waited, plain)])
    print(
        f"{f'{waits:,} mails, a test waiting':<34} {Spread.of(waited).text('ms', 1000):>24} "
        f"{'(no waiter: ' + Spread.of(plain).text('ms', 1000) + ')':>24} "
        f"{slowdown.text('x', digits=2) + ' of no waiter':>28}  <= 1.3x "
        f"{'PASS' if slowdown.median <= 1.3 else 'MISS'}"
    )
    print(f"{PEER} / {OURS}: their time (or memory) over ours; above 1, localserver is ahead")


if __name__ == "__main__":
    sys.exit(main())
