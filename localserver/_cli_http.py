"""``python -m localserver http|https``: request-recording servers for debugging."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, NamedTuple

from ._cli import CLIError, Console, add_common_options, run_server
from ._http import HTTPServer
from ._https import HTTPSServer
from ._journal import Journal, RecordedRequest
from ._protocol_errors import describe_protocol_error
from ._web import add_web_options, web_for

__all__ = ["register"]

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
        "--status", type=status_code, default=200, help="status of every response (default: 200)"
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


def configure(server: HTTPServer, args: argparse.Namespace) -> None:
    body = read_body_option(args.body)
    headers = {"Content-Type": args.content_type} if args.content_type else None
    server.serve_content(body, code=args.status, headers=headers)


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


class MistakeNote(NamedTuple):
    """A client's mistake before HTTP began, queued with the requests to print."""

    text: str
    time: float


class _ReportsMistakes:
    """Queues each protocol mistake (e.g. https:// to the plain port) for printing.

    A debugging server says why a request never arrived, not just that it did not.
    """

    requests: Journal
    url: str

    def _protocol_mismatch(self, kind: str, peer: Any) -> None:
        super()._protocol_mismatch(kind, peer)  # type: ignore[misc]
        self.requests.append(
            MistakeNote(describe_protocol_error(kind, peer, self.url), time.time())
        )


class _DebugHTTPServer(_ReportsMistakes, HTTPServer):
    pass


class _DebugHTTPSServer(_ReportsMistakes, HTTPSServer):
    pass


def print_request(item: RecordedRequest | MistakeNote, console: Console, as_json: bool) -> bool:
    """Print one request (or a client's mistake); return whether it was a request."""
    if isinstance(item, MistakeNote):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(item.time))
        if as_json:
            console.record(json.dumps({"time": stamp, "error": item.text}, ensure_ascii=False))
        else:
            console.record(f"[{stamp}] no request: {item.text}")
        return False
    record = request_record(item)
    if as_json:
        console.record(json.dumps(record, ensure_ascii=False))
        return True
    target = record["path"] + (f"?{record['query']}" if record["query"] else "")
    lines = [
        f"[{record['time']}] {record['method']} {target}  "
        f"(from {record['client']}, connection {record['connection']})"
    ]
    lines.extend(f"    {name}: {value}" for name, value in record["headers"].items())
    if record["body_size"]:
        lines.append(f"    body ({record['body_size']} bytes): {record['body']}")
    console.record("\n".join(lines))
    return True


def _run(args: argparse.Namespace, console: Console) -> int:
    tls = args.command == "https"

    def make(args: argparse.Namespace) -> HTTPServer:
        server: HTTPServer
        if tls:
            server = _DebugHTTPSServer(
                host=args.host, port=args.port, require_client_cert=args.client_cert
            )
        else:
            server = _DebugHTTPServer(host=args.host, port=args.port)
        configure(server, args)
        return server

    def describe(server: HTTPServer, console: Console) -> None:
        console.note(f"localserver {args.command}: listening on {server.url}")
        if isinstance(server, HTTPSServer):
            describe_trust(server, console)

    return run_server(
        args,
        console,
        make,
        describe,
        lambda server: server.requests,
        lambda item, console: print_request(item, console, args.json),
        ("request", "requests"),
        web=web_for(args),
    )


def describe_trust(server: HTTPSServer, console: Console) -> None:
    """Print the CA bundle and the exact lines that make clients trust it."""
    bundle = server.ca_bundle
    console.note(f"CA bundle: {bundle}")
    curl = f"curl --cacert {bundle}"
    if server.require_client_cert:
        cert = server.issue_client_cert("localserver-cli-client")
        console.note(f"client certificate: {cert.cert_file}")
        console.note(f"client key: {cert.key_file}")
        curl += f" --cert {cert.cert_file} --key {cert.key_file}"
    console.note(f"trust it: {curl} {server.url}/")
    console.note(f"      or: REQUESTS_CA_BUNDLE={bundle} python your_client.py")


def register(sub: Any) -> None:
    for command, default_port in (("http", 8000), ("https", 8443)):
        tls = command == "https"
        parser = sub.add_parser(
            command,
            help=f"an {command.upper()} server that prints every request",
            description=(
                "Answer every request with the given response and print each one."
                + (
                    " The certificate is signed by a test CA made for this run; the"
                    " CA bundle path and a curl line that trusts it are printed."
                    if tls
                    else ""
                )
            ),
        )
        add_common_options(parser, default_port=default_port)
        add_response_options(parser)
        add_web_options(parser)
        if tls:
            parser.add_argument(
                "--client-cert",
                action="store_true",
                help="require a client certificate (mutual TLS); one is issued and "
                "its files are printed",
            )
        parser.set_defaults(run=_run)
