"""How ``http`` and ``https`` answer besides a fixed response: a template, a recording, a proxy.

``--template FILE`` answers every request with a Jinja2 template rendered from it;
``--replay FILE`` answers with the exchanges of a HAR file or a VCR.py cassette;
``--proxy URL`` forwards whatever nothing else answered (``--record FILE.har``
writes each exchange down). Replay comes first, then the template, then the proxy.
"""

from __future__ import annotations

import argparse

from .. import HTTPServer, LocalServerError
from .command import CLIError
from .console import Console

__all__ = ["add_answer_options", "configure_answers", "describe_answers", "wants_fixed_answer"]

# Below the replayed exchanges (priority 5): they answer first.
_TEMPLATE_PRIORITY = 10


def add_answer_options(parser: argparse.ArgumentParser) -> None:
    """--template, --replay, --proxy and --record."""
    parser.add_argument(
        "--template",
        metavar="FILE",
        help="answer every request with this Jinja2 template rendered from the request "
        "(needs localserver[templates]); --status and --content-type apply",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help="answer with the exchanges recorded in a HAR file or a VCR.py cassette",
    )
    parser.add_argument(
        "--proxy",
        metavar="URL",
        help="forward every request nothing else answers to URL and return its answer",
    )
    parser.add_argument(
        "--record",
        metavar="FILE.har",
        help="with --proxy: write each forwarded exchange to this HAR 1.2 file",
    )


def wants_fixed_answer(args: argparse.Namespace) -> bool:
    """Whether the fixed response of --status/--body answers (what nothing else does).

    Raises:
        CLIError: Options that cannot go together.
    """
    body_given = bool(args.body)
    if args.record and not args.proxy:
        raise CLIError("--record needs --proxy URL: it records what is forwarded")
    if args.template and body_given:
        raise CLIError("--template and --body both give the body: use one of them")
    if args.proxy and (args.template or body_given or args.status is not None):
        given = "--template" if args.template else "--body" if body_given else "--status"
        raise CLIError(
            f"{given} answers every request, so nothing would reach --proxy: use one of them"
        )
    if args.template or args.proxy:
        return False
    return not args.replay or body_given or args.status is not None


def configure_answers(server: HTTPServer, args: argparse.Namespace) -> None:
    """Register the replayed exchanges, the template and the proxy the options ask for.

    Raises:
        CLIError: A file cannot be read or used, or the URL is not one.
    """
    try:
        if args.replay:
            server.replay(args.replay)
        if args.template:
            text = _read_text(args.template, "template")
            server.expect_request("", priority=_TEMPLATE_PRIORITY).respond_with_template(
                text,
                status=200 if args.status is None else args.status,
                content_type=args.content_type,
            )
        if args.proxy:
            server.proxy_to(args.proxy, record_to=args.record)
    except (LocalServerError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"cannot use {exc.filename!r}: {exc.strerror or exc}") from None


def describe_answers(args: argparse.Namespace, console: Console) -> None:
    """Say what answers besides the fixed response."""
    if args.replay:
        console.note(f"replaying the exchanges recorded in {args.replay}")
    if args.template:
        console.note(f"answering with the template {args.template}")
    if args.proxy:
        recording = f", recording to {args.record}" if args.record else ""
        console.note(f"forwarding what nothing else answers to {args.proxy}{recording}")


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise CLIError(f"cannot read {what} file {path!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CLIError(f"{what} file {path!r} is not UTF-8 text: {exc.reason}") from None
