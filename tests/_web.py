"""Helpers for the web page's tests: mails, exchanges, a server-sent events reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import requests

from localserver import HTTPServer, ReceivedMail
from localserver._web import WebStore, exchange_entry, mail_entry

from .conftest import TIMEOUT

# A mail written to misbehave: every way an HTML mail could run script or call home.
# TRACKER is replaced by the URL of a server that records what reaches it.
HOSTILE_HTML = """<!doctype html>
<html><head>
<meta http-equiv="refresh" content="0;url=javascript:parent.document.title='refresh'">
<link rel="stylesheet" href="TRACKER/stylesheet.css">
<style>@import url("TRACKER/import.css"); p.hello { color: rgb(0, 128, 0); }</style>
<script>parent.document.title = "pwned"; fetch("TRACKER/script-ran");</script>
<script>fetch("/api/messages", {method: "DELETE"}); top.location = "TRACKER/navigated";</script>
<script src="TRACKER/external.js"></script>
</head><body onload="fetch('TRACKER/onload')">
<p class="hello" id="hello">Hello from a hostile mail</p>
<img src="data:," onerror="fetch('TRACKER/onerror')">
<img id="remote" src="TRACKER/tracker.png" alt="remote image">
<img id="inline"
  src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
<a id="js-link" href="javascript:fetch('TRACKER/js-link');parent.document.title='link'">a link</a>
<iframe src="javascript:fetch('TRACKER/iframe')"></iframe>
<form action="TRACKER/form" method="post"><button id="submit">Send</button></form>
<object data="TRACKER/object"></object>
<svg><script>fetch('TRACKER/svg')</script></svg>
</body></html>
"""


def make_mail(
    subject: str = "Hello",
    *,
    sender: str = "Ann <ann@example.com>",
    to: str = "bob@example.com",
    cc: str | None = None,
    envelope_to: list[str] | None = None,
    text: str | None = "Hello Bob",
    html: str | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    **envelope: Any,
) -> ReceivedMail:
    """A ReceivedMail as the SMTP server would build it (attachments: name, type, data)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = "Sun, 22 Nov 2026 10:00:00 +0000"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    recipients = envelope_to if envelope_to is not None else [to.split("<")[-1].rstrip(">")]
    return ReceivedMail(
        message.as_bytes().replace(b"\n", b"\r\n"),
        mail_from=sender.split("<")[-1].rstrip(">"),
        rcpt_tos=recipients,
        **envelope,
    )


def add_mail(store: WebStore, subject: str = "Hello", **kwargs: Any) -> int:
    """Store a mail made by make_mail; return its id."""
    return store.add(mail_entry(make_mail(subject, **kwargs))).id


def add_exchange(store: WebStore, server: HTTPServer, method: str, path: str, **kwargs: Any) -> int:
    """Send a request to *server* with requests, store it with its response; return the id."""
    with requests.Session() as session:
        session.trust_env = False
        session.request(method, server.url_for(path), timeout=TIMEOUT, **kwargs)
    request, response = server.log[-1]
    return store.add(exchange_entry(request, response)).id


class EventReader:
    """Reads a server-sent events stream, one event at a time."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.session = requests.Session()
        self.session.trust_env = False
        self.response = self.session.get(url, stream=True, timeout=TIMEOUT, headers=headers)
        self._lines: Iterator[str] = self.response.iter_lines(chunk_size=None, decode_unicode=True)

    def next(self) -> tuple[str, dict[str, Any], str | None]:
        """The next event: (name, data, id); comments (keep-alives) are skipped."""
        fields: dict[str, str] = {}
        for line in self._lines:
            if line == "":
                if "data" in fields:
                    data = json.loads(fields["data"])
                    return fields.get("event", "message"), data, fields.get("id")
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        raise EOFError("the event stream ended")

    def rest(self) -> list[str]:
        """Every line left until the stream ends."""
        return list(self._lines)

    def close(self) -> None:
        self.response.close()
        self.session.close()
