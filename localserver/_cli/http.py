"""``python -m localserver http|https``: request-recording servers for debugging."""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any, NamedTuple

from .._engine import format_host
from .._http import HTTPServer
from .._https import HTTPSServer
from .._journal import Journal
from .._recorded import RecordedRequest
from .._web import add_web_options, web_for
from .answers import add_answer_options, configure_answers, describe_answers, wants_fixed_answer
from .command import CLIError, Subcommand, add_common_options
from .console import Console
from .serve import run_server

__all__ = ["HTTP", "HTTPS"]

_PREVIEW = 200


def status_code(text: str) -> int:
    """argparse type: an HTTP status 100-999."""
    try:
        code = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid status {text!r}: not a number") from None
    if not 100 <= code <= 999:
        raise argparse.ArgumentTypeError(f"invalid status {code}: must be between 100 and 999")
    return code


def read_body_option(value: str) -> bytes:
    """``--body TEXT`` or ``--body @file``."""
    if not value.startswith("@"):
        return value.encode("utf-8")
    path = value[1:]
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CLIError(f"cannot read body file {path!r}: {exc.strerror or exc}") from None


def add_response_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--status", type=status_code, default=None, help="status of every response (default: 200)"
    )
    parser.add_argument(
        "--body",
        default="",
        metavar="TEXT|@FILE",
        help="body of every response: the text itself, or @path to send a file's bytes",
    )
    parser.add_argument(
        "--content-type",
        default=None,
        help="Content-Type of the response (default: text/plain; charset=utf-8)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print each request as one JSON object per line (for jq); messages go to stderr",
    )


def _http_options(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser, default_port=8000)
    add_response_options(parser)
    add_web_options(parser)
    add_answer_options(parser)


def _https_options(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser, default_port=8443)
    add_response_options(parser)
    add_web_options(parser)
    add_answer_options(parser)
    parser.add_argument(
        "--client-cert",
        action="store_true",
        help="require a client certificate (mutual TLS); one is issued and its files are printed",
    )


def configure(server: HTTPServer, args: argparse.Namespace) -> None:
    fixed = wants_fixed_answer(args)
    configure_answers(server, args)
    if fixed:
        body = read_body_option(args.body)
        headers = {"Content-Type": args.content_type} if args.content_type else None
        code = 200 if args.status is None else args.status
        server.serve_content(body, code=code, headers=headers)


def _preview(data: bytes) -> str:
    text = data[:_PREVIEW].decode("utf-8", "replace")
    more = f"... ({len(data)} bytes)" if len(data) > _PREVIEW else ""
    return text + more


def request_record(request: RecordedRequest) -> dict[str, Any]:
    """The JSON form of one request."""
    body = request.get_data()
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(request.received_at)),
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1"),
        "headers": dict(request.headers.items()),
        "body": _preview(body),
        "body_size": len(body),
        "connection": request.connection_id,
        "client": request.remote_addr,
    }


class ClientMistake(NamedTuple):
    """A client's mistake before HTTP began, queued with the requests to print.

    *kind* is the server's name for it (``"tls-to-plain"``, ``"untrusted-certificate"``,
    ...); *text* the server's own explanation.
    """

    kind: str
    peer: object
    time: float
    text: str = ""


def _queue_mistakes(server: HTTPServer) -> None:
    """Queue each client mistake (e.g. https:// to the plain port) with the requests.

    A debugging server says why a request never arrived, not just that it did not.
    The server keeps them in ``protocol_errors``; a thread of ours moves each into
    the journal the printer follows, so they print in arrival order.
    """
    arrivals: Journal[Any] = server.requests

    def forward() -> None:
        seen = 0
        while True:
            new = server.protocol_errors.wait_for_more(seen, None)
            seen += len(new)
            for text in new:
                arrivals.append(ClientMistake(text.kind, text.peer, time.time(), text))

    threading.Thread(target=forward, name="localserver-cli-mistakes", daemon=True).start()


class Trust(NamedTuple):
    """What a client of the ``https`` server needs: the CA bundle, maybe a certificate."""

    bundle: str
    url: str
    cert_file: str | None = None
    key_file: str | None = None

    @property
    def curl(self) -> str:
        """The curl command line that trusts the server (and shows the certificate)."""
        line = f"curl --cacert {self.bundle}"
        if self.cert_file is not None:
            line += f" --cert {self.cert_file} --key {self.key_file}"
        return f"{line} {self.url}/"


def describe_trust(server: HTTPSServer, console: Console) -> Trust:
    """Print the CA bundle and the exact lines that make clients trust it."""
    trust = Trust(server.ca_bundle, server.url)
    console.note(f"CA bundle: {trust.bundle}")
    if server.client_certs == "required":
        cert = server.issue_client_cert("localserver-cli-client")
        trust = trust._replace(cert_file=cert.cert_file, key_file=cert.key_file)
        console.note(f"client certificate: {cert.cert_file}")
        console.note(f"client key: {cert.key_file}")
    console.note(f"trust it: {trust.curl}")
    console.note(f"      or: REQUESTS_CA_BUNDLE={trust.bundle} python your_client.py")
    return trust


# The library explains these mistakes in Python (verify=server.ca_bundle, HTTPSServer);
# someone at a shell gets the command line instead.
_MISTAKES = {
    "tls-to-plain": (
        "{who} started a TLS handshake on this plain HTTP server: the client used "
        "https://; use {url} (or run python -m localserver https)"
    ),
    "untrusted-certificate": (
        "{who} refused this server's certificate at the TLS handshake: the client does "
        "not trust the test CA; use {curl}, or set REQUESTS_CA_BUNDLE={bundle} "
        "(requests) or SSL_CERT_FILE={bundle} (most other clients)"
    ),
    "rejected-certificate": (
        "{who} rejected this server's certificate at the TLS handshake (bad or unknown "
        "certificate): check the host name in the URL (the test certificate covers "
        "localhost, 127.0.0.1 and ::1) and that the client trusts the CA bundle: {curl}"
    ),
    "no-client-certificate": (
        "{who} presented no client certificate, and this server requires one "
        "(--client-cert): give it the certificate and key printed at start: {curl}"
    ),
    "bad-client-certificate": (
        "{who} presented a client certificate this server does not trust: give it the "
        "certificate and key printed at start: {curl}"
    ),
}


def _who(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"The client at {format_host(str(peer[0]))}:{peer[1]}"
    return f"The client {peer!r}" if peer else "A client"


def explain_mistake(mistake: ClientMistake, url: str, trust: Trust | None) -> str:
    """One sentence saying what the client did wrong, in command-line terms."""
    template = _MISTAKES.get(mistake.kind)
    if template is None or ("{curl}" in template and trust is None):
        return mistake.text
    curl = trust.curl if trust is not None else ""
    bundle = trust.bundle if trust is not None else ""
    return template.format(who=_who(mistake.peer), url=url, curl=curl, bundle=bundle)


def print_mistake(text: str, when: float, console: Console, as_json: bool) -> None:
    """Print what a client did wrong (it does not count as a request)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(when))
    if as_json:
        console.record(json.dumps({"time": stamp, "error": text}, ensure_ascii=False))
    else:
        console.record(f"[{stamp}] no request: {text}")


def print_request(request: RecordedRequest, console: Console, as_json: bool) -> None:
    """Print one request: its line, headers and the start of its body, or its JSON."""
    record = request_record(request)
    if as_json:
        console.record(json.dumps(record, ensure_ascii=False))
        return
    target = record["path"] + (f"?{record['query']}" if record["query"] else "")
    lines = [
        f"[{record['time']}] {record['method']} {target}  "
        f"(from {record['client']}, connection {record['connection']})"
    ]
    lines.extend(f"    {name}: {value}" for name, value in record["headers"].items())
    if record["body_size"]:
        lines.append(f"    body ({record['body_size']} bytes): {record['body']}")
    console.record("\n".join(lines))


class _Session:
    """One run of ``http`` or ``https``: builds the server, describes it, prints arrivals."""

    def __init__(self, args: argparse.Namespace, tls: bool) -> None:
        self.args = args
        self.tls = tls
        # Set by describe() before the printing thread starts.
        self.url = ""
        self.trust: Trust | None = None

    def make(self, args: argparse.Namespace) -> HTTPServer:
        server: HTTPServer
        if self.tls:
            server = HTTPSServer(
                host=args.host, port=args.port, require_client_cert=args.client_cert
            )
        else:
            server = HTTPServer(host=args.host, port=args.port)
        configure(server, args)
        return server

    def describe(self, server: HTTPServer, console: Console) -> None:
        self.url = server.url
        console.note(f"localserver {self.args.command}: listening on {server.url}")
        describe_answers(self.args, console)
        _queue_mistakes(server)
        if isinstance(server, HTTPSServer):
            self.trust = describe_trust(server, console)

    def emit(self, item: RecordedRequest | ClientMistake, console: Console) -> bool:
        """Print one arrival; return whether it was a request."""
        if isinstance(item, ClientMistake):
            text = explain_mistake(item, self.url, self.trust)
            print_mistake(text, item.time, console, self.args.json)
            return False
        print_request(item, console, self.args.json)
        return True

    def run(self, console: Console) -> int:
        return run_server(
            self.args,
            console,
            self.make,
            self.describe,
            lambda server: server.requests,
            self.emit,
            ("request", "requests"),
            web=web_for(self.args),
        )


def _run_http(args: argparse.Namespace, console: Console) -> int:
    return _Session(args, tls=False).run(console)


def _run_https(args: argparse.Namespace, console: Console) -> int:
    return _Session(args, tls=True).run(console)


HTTP = Subcommand(
    name="http",
    help="an HTTP server that prints every request",
    description="Answer every request with the given response and print each one.",
    add_options=_http_options,
    run=_run_http,
)

HTTPS = Subcommand(
    name="https",
    help="an HTTPS server that prints every request",
    description=(
        "Answer every request with the given response and print each one. The"
        " certificate is signed by a test CA made for this run; the CA bundle path"
        " and a curl line that trusts it are printed."
    ),
    add_options=_https_options,
    run=_run_https,
)
