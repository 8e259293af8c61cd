"""SMTP end to end: send mails, then read them back from the outbox as a test does.

Run it through ``python bench/run.py smtp_read``, or directly with a Python that has
localserver and ``pytest-localserver[smtp]`` (aiosmtpd)::

    python bench/bench_smtp_read.py            # 7 rounds (about 15 seconds)
    python bench/bench_smtp_read.py --quick    # 1 short round: rough figures

Each round, for each server (the order alternating), with the outbox emptied first:
connect with ``smtplib``, ``sendmail`` 300 ready-made mails (bytes, about 600 bytes
each) over that one connection, QUIT, then read each mail's ``Subject`` and ``To``
from the outbox (as ``str``). The figure is the time from connect to the last header
read, and for information its two parts (sending, until QUIT's reply; reading).
localserver's outbox holds ``EmailMessage`` objects (``email.policy.default``),
pytest-localserver's ``email.message.Message`` objects parsed on arrival (compat32).

Ratio: pytest-localserver's time over ours, per round (above 1: we are faster);
the table gives medians and [lowest-highest] over the rounds. Target (issue 15):
>= 1.5x on the whole.
"""

from __future__ import annotations

import argparse
import importlib.util
import smtplib
import sys
import time
from email.message import EmailMessage
from typing import Any, NamedTuple

from _table import (
    OURS,
    Spread,
    busy_warning,
    load_average,
    log,
    machine,
    milliseconds,
    render,
    times,
    verdict,
)

PEER = "pytest-localserver"
NAME = "bench_smtp_read"
HOST = "127.0.0.1"
TARGET = 1.5


def make_server(kind: str) -> Any:
    """A started server of *kind* on 127.0.0.1."""
    if kind == OURS:
        from localserver import SMTPServer

        server: Any = SMTPServer(host=HOST)
    else:
        from pytest_localserver.smtp import Server

        server = Server(host=HOST, port=0)
    server.start()
    return server


def message(number: int) -> bytes:
    """Mail *number*, as an application would hand it to ``sendmail`` (CRLF lines)."""
    mail = EmailMessage()
    mail["From"] = "Benchmark Sender <sender@example.com>"
    mail["To"] = f"Recipient {number} <rcpt{number}@example.com>"
    mail["Subject"] = f"Order {number} confirmed"
    mail["Message-ID"] = f"<bench-{number}@example.com>"
    mail["Date"] = "Sat, 21 Nov 2026 12:00:00 +0000"
    mail.set_content("A line of text to make the body about 300 bytes long. " * 5)
    return mail.as_bytes().replace(b"\n", b"\r\n")


class Trial(NamedTuple):
    send: float
    read: float

    @property
    def total(self) -> float:
        return self.send + self.read


def trial(server: Any, mails: list[tuple[str, bytes]]) -> Trial:
    """Send *mails* over one connection, then read each one's Subject and To."""
    server.outbox.clear()
    began = time.perf_counter()
    with smtplib.SMTP(*server.addr[:2], local_hostname="localhost", timeout=30) as client:
        for recipient, raw in mails:
            client.sendmail("sender@example.com", [recipient], raw)
    sent = time.perf_counter()
    headers = [(str(mail["Subject"]), str(mail["To"])) for mail in server.outbox]
    done = time.perf_counter()
    if len(headers) != len(mails) or headers[-1][0] != f"Order {len(mails) - 1} confirmed":
        raise RuntimeError(f"{len(headers)} of {len(mails)} mails read back: {headers[-1:]}")
    return Trial(sent - began, done - sent)


class Settings(NamedTuple):
    rounds: int
    mails: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(1, 50) if quick else cls(7, 300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (rough figures)")
    options = parser.parse_args(argv)
    cfg = Settings.make(options.quick)
    kinds = [OURS]
    if importlib.util.find_spec("pytest_localserver") and importlib.util.find_spec("aiosmtpd"):
        kinds.append(PEER)
    else:
        log(NAME, f"{PEER}[smtp] is not installed: measuring localserver only")
    title = machine([OURS, PEER, "aiosmtpd"])
    log(NAME, title)
    load = load_average()

    mails = [(f"rcpt{n}@example.com", message(n)) for n in range(cfg.mails)]
    servers = {kind: make_server(kind) for kind in kinds}
    trials: dict[str, list[Trial]] = {kind: [] for kind in kinds}
    try:
        for server in servers.values():
            trial(server, mails[:20])  # warm up: first connection, lazy imports
        for number in range(cfg.rounds):
            log(NAME, f"round {number + 1} of {cfg.rounds}")
            for kind in kinds if number % 2 == 0 else kinds[::-1]:
                trials[kind].append(trial(servers[kind], mails))
    finally:
        for server in servers.values():
            server.stop()

    several = cfg.rounds > 1
    header = ["figure", *kinds, f"{PEER} / {OURS}", "target", "result"]
    rows = []
    for name, part, target in (
        (f"{cfg.mails} mails sent, then Subject+To read", "total", True),
        ("  sending (connect to QUIT's reply)", "send", False),
        ("  reading the outbox", "read", False),
    ):
        cells = [
            Spread.of(getattr(t, part) for t in trials[kind]).text(milliseconds, several)
            for kind in kinds
        ]
        ratio, passed = "n/a", None
        if PEER in kinds:
            ratios = Spread.of(
                getattr(p, part) / getattr(o, part) for p, o in zip(trials[PEER], trials[OURS])
            )
            ratio = ratios.text(times, several)
            if target:
                passed = ratios.median >= TARGET
        rows.append([name, *cells, ratio, f">= {TARGET}x" if target else "(info)", verdict(passed)])
    print()
    print(f"SMTP end to end: {title}")
    print(
        f"{cfg.rounds} round(s); one smtplib connection, {cfg.mails} sendmail calls, QUIT, "
        "then str(mail['Subject']) and str(mail['To']) for each mail in the outbox"
    )
    if options.quick:
        print("--quick: one short round, rough figures")
    print(render(header, rows))
    print()
    print(f"{PEER} / {OURS}: their time over ours, per round; above 1: localserver is faster")
    warning = busy_warning(load)
    if warning:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
