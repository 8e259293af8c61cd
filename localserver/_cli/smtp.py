"""``python -m localserver smtp``: a debugging mail sink that prints every mail.

What ``python -m smtpd -n -c DebuggingServer`` did until Python 3.12 removed it,
with STARTTLS, SMTPS, AUTH and saving to ``.eml`` files.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .._smtp.mail import ReceivedMail
from .._smtp.server import SMTPServer
from .._web import add_web_options, web_for
from .command import CLIError, Subcommand, add_common_options
from .console import Console
from .serve import run_server

__all__ = ["SMTP"]


def auth_option(text: str) -> str | dict[str, str]:
    """argparse type: ``any`` or ``user:password``."""
    if text == "any":
        return "any"
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"invalid auth {text!r}: use 'any' or 'user:password'")
    return {user: password}


def save_directory(path: str) -> Path:
    """Check --save DIR: an existing writable directory (or one that can be made)."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create --save directory {path!r}: {exc.strerror or exc}") from None
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise CLIError(f"--save directory {path!r} is not a writable directory")
    return directory


class MailPrinter:
    """Formats each mail for the console and saves it when asked."""

    def __init__(self, console: Console, raw: bool, save: Path | None) -> None:
        self.console = console
        self.raw = raw
        self.save = save
        self.saved = 0

    def __call__(self, mail: ReceivedMail) -> bool:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(mail.received_at))
        session = [f"from {mail.peer[0]}", f"helo {mail.helo or '-'}"]
        if mail.tls:
            session.append(f"tls {mail.tls}")
        if mail.auth_user:
            session.append(f"auth {mail.auth_user}")
        lines = [
            f"[{stamp}] mail from <{mail.mail_from}> to "
            + ", ".join(f"<{rcpt}>" for rcpt in mail.rcpt_tos)
            + f"  ({', '.join(session)}; {len(mail.raw)} bytes)"
        ]
        if self.raw:
            raw = mail.raw.decode("utf-8", "replace").replace("\r\n", "\n")
            lines.append(raw.rstrip("\n"))
        else:
            lines.extend(f"    {name}: {value}" for name, value in mail.items())
            text = mail.text
            if text is not None:
                lines.append("    ---")
                lines.extend(f"    {line}" for line in text.rstrip("\n").split("\n"))
            for part in mail.iter_attachments():
                size = len(part.get_payload(decode=True) or b"")
                name = part.get_filename() or "(no name)"
                lines.append(f"    attachment: {name} ({part.get_content_type()}, {size} bytes)")
        if self.save is not None:
            lines.append(f"    saved: {self._save(mail)}")
        self.console.record("\n".join(lines))
        return True

    def _save(self, mail: ReceivedMail) -> Path:
        directory = self.save
        if directory is None:  # only called with a directory
            raise RuntimeError("no --save directory")
        while True:
            self.saved += 1
            path = directory / f"mail-{self.saved:04d}.eml"
            try:
                with open(path, "xb") as handle:  # never overwrite an earlier session's file
                    handle.write(mail.raw)
                return path
            except FileExistsError:
                continue


def _run(args: argparse.Namespace, console: Console) -> int:
    save = save_directory(args.save) if args.save else None

    def make(args: argparse.Namespace) -> SMTPServer:
        return SMTPServer(
            host=args.host,
            port=args.port,
            auth=args.auth,
            starttls=args.starttls,
            smtps=args.smtps,
        )

    def describe(server: SMTPServer, console: Console) -> None:
        console.note(f"localserver smtp: listening on {server.url}")
        if server.starttls or server.smtps:
            console.note(f"CA bundle: {server.ca_bundle}")
            console.note(
                "trust it: ssl.create_default_context(cafile=...) with smtplib, "
                f"or SSL_CERT_FILE={server.ca_bundle}"
            )

    printer = MailPrinter(console, args.raw, save)
    return run_server(
        args,
        console,
        make,
        describe,
        lambda server: server.outbox,
        lambda mail, console: printer(mail),
        ("mail", "mails"),
        web=web_for(args),
    )


def _options(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser, default_port=1025)
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--starttls", action="store_true", help="offer STARTTLS")
    tls.add_argument("--smtps", action="store_true", help="implicit TLS from the first byte")
    parser.add_argument(
        "--auth",
        type=auth_option,
        default=None,
        metavar="any|USER:PASSWORD",
        help="offer AUTH PLAIN/LOGIN: accept any credentials, or only these",
    )
    parser.add_argument("--save", metavar="DIR", help="also save each mail as DIR/mail-NNNN.eml")
    parser.add_argument("--raw", action="store_true", help="print each mail's bytes as received")
    add_web_options(parser)


SMTP = Subcommand(
    name="smtp",
    help="an SMTP server that prints every mail",
    description=(
        "Accept every mail and print it: envelope, headers, text part and "
        "attachments (--raw for the bytes as received)."
    ),
    add_options=_options,
    run=_run,
)
