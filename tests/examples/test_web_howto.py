"""The web page how-to's examples: scripts that use its JSON API (docs/web.rst).

Each test runs ``python -m localserver smtp --web-port 0`` as a user would, sends
mail to it, and drives the helpers below against the page it serves.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import requests

from .._cli_process import CLIProcess

TIMEOUT = 10.0


def clear_inbox(base_url: str) -> int:
    """Delete every mail the debugging server holds; return how many there were."""
    response = requests.delete(f"{base_url}/api/messages", timeout=10)
    response.raise_for_status()
    return response.json()["deleted"]


def find_mail(base_url: str, text: str) -> dict | None:
    """The newest mail whose recipient, sender or subject contains *text*, in full."""
    listing = requests.get(
        f"{base_url}/api/messages", params={"q": text, "limit": 1}, timeout=10
    ).json()
    if not listing["items"]:
        return None
    return requests.get(base_url + listing["items"][0]["url"], timeout=10).json()


def wait_for_mail(base_url: str, subject: str, timeout: float = 10) -> dict:
    """Wait for a mail with this subject (one that came earlier counts too); return it.

    ``Last-Event-ID: 0`` replays the changes since the server started, so a mail
    that arrived before the stream opened is not missed.
    """
    deadline = time.monotonic() + timeout
    headers = {"Last-Event-ID": "0"}
    with requests.get(
        f"{base_url}/api/events", headers=headers, stream=True, timeout=timeout
    ) as events:
        for line in events.iter_lines(decode_unicode=True):
            if time.monotonic() > deadline:
                break
            if not line.startswith("data: "):
                continue  # the event's name and id, a keep-alive comment, a blank line
            change = json.loads(line[len("data: ") :])
            summary = change.get("summary") or {}
            if summary.get("kind") == "mail" and summary.get("subject") == subject:
                mail = requests.get(base_url + summary["url"], timeout=timeout)
                if mail.ok:  # not deleted since
                    return mail.json()
    raise TimeoutError(f"no mail with subject {subject!r} within {timeout} s")


# -- the debugging server the helpers talk to --------------------------------------------


@pytest.fixture
def sink() -> Iterator[tuple[str, int]]:
    """``python -m localserver smtp --web-port 0``: (page URL, SMTP port)."""
    proc = CLIProcess("smtp", "--port", "0", "--web-port", "0")
    try:
        port = int(proc.wait_line("err", r"listening on smtp://127\.0\.0\.1:(\d+)").group(1))
        url = proc.wait_line("err", r"^web page: (http://\S+)/$").group(1)
        proc.wait_line("err", "Press Ctrl-C")
        yield url, port
        assert proc.stop() == 0
    finally:
        proc.close()


def send(port: int, to: str, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Thanks for signing up.")
    with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=TIMEOUT) as client:
        client.send_message(message)


def test_wait_find_and_clear(sink: tuple[str, int]) -> None:
    base_url, port = sink
    send(port, "zoe@example.com", "Welcome, Zoë")

    mail = wait_for_mail(base_url, "Welcome, Zoë")
    assert mail["rcpt_tos"] == ["zoe@example.com"]
    assert mail["text"] == "Thanks for signing up.\n"

    send(port, "max@example.com", "Your receipt")
    wait_for_mail(base_url, "Your receipt")
    assert find_mail(base_url, "max@")["subject"] == "Your receipt"  # type: ignore[index]
    assert find_mail(base_url, "nobody@") is None

    assert clear_inbox(base_url) == 2
    assert find_mail(base_url, "zoe@") is None
