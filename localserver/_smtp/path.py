"""Parsing ``MAIL FROM:<path> params`` and ``RCPT TO:<path> params`` (RFC 5321 4.1.2)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CheckedPath",
    "PathError",
    "parse_params",
    "parse_path",
    "parse_recipient",
    "parse_sender",
]

# MAIL FROM parameters this server understands (RFC 1870, 6152, 6531, 4954).
_MAIL_PARAMS = ("SIZE", "BODY", "SMTPUTF8", "AUTH")


class PathError(Exception):
    """A MAIL or RCPT argument the server refuses; carries the reply."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def _closing_bracket(text: str) -> int:
    """Index of the ``>`` that closes the path, skipping quoted local parts."""
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ">" and not quoted:
            return index
    return -1


def _valid_mailbox(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return False
    if any(char.isspace() or ord(char) < 32 or char in "<>()[],;" for char in domain):
        return False
    if local.startswith('"') and local.endswith('"') and len(local) > 1:
        return all(ord(char) >= 32 for char in local)
    return not any(char.isspace() or ord(char) < 32 or char in '<>()[],;:"' for char in local)


def parse_path(arg: str, prefix: str, *, sender: bool) -> tuple[str, list[str]]:
    """Split ``FROM:<address> params`` into the address and the parameter words.

    A source route (``<@relay:user@host>``) is dropped, as RFC 5321 says to.

    Raises:
        PathError: With the 501 reply for a malformed argument or address.
    """
    verb = "MAIL FROM" if sender else "RCPT TO"
    syntax = PathError(f"501 5.5.4 Syntax: {verb}:<address> [parameters]")
    if arg[: len(prefix)].upper() != prefix:
        raise syntax
    rest = arg[len(prefix) :].lstrip(" ")
    end = _closing_bracket(rest)
    if not rest.startswith("<") or end < 0:
        raise syntax
    path, tail = rest[1:end], rest[end + 1 :]
    if tail and not tail.startswith(" "):
        raise syntax
    if path.startswith("@"):
        path = path.partition(":")[2]
    if sender and path == "":
        return "", tail.split()
    if _valid_mailbox(path) or (not sender and path.lower() == "postmaster"):
        return path, tail.split()
    if sender:
        raise PathError("501 5.1.7 Bad sender address syntax")
    raise PathError("501 5.1.3 Bad recipient address syntax")


def parse_params(params: list[str], *, esmtp: bool, kind: str) -> dict[str, str | None]:
    """Check MAIL or RCPT parameters; return them by upper-case name.

    A parameter given twice with the same value counts once: smtplib's
    ``send_message`` adds ``SMTPUTF8`` to the caller's own. ``SIZE`` given twice
    (smtplib's ``sendmail`` declares one, the caller may add another) keeps the
    largest, so the size limit is checked against the largest declared size. Any
    other parameter given twice with different values is refused.

    Raises:
        PathError: With 501 or 555 for a parameter this server does not take.
    """
    if params and not esmtp:
        raise PathError(f"555 5.5.4 {kind} parameters need EHLO, not HELO")
    known = _MAIL_PARAMS if kind == "MAIL" else ()
    options: dict[str, str | None] = {}
    for param in params:
        name, eq, value = param.partition("=")
        name = name.upper()
        if name not in known:
            raise PathError(f"555 5.5.4 {kind} parameter not supported: {name}")
        if name == "SIZE" and not (value.isdigit() and value.isascii()):
            raise PathError("501 5.5.4 SIZE needs a number of octets")
        if name == "BODY":
            value = value.upper()
            if value not in ("7BIT", "8BITMIME"):
                raise PathError("501 5.5.4 BODY must be 7BIT or 8BITMIME")
        if name == "SMTPUTF8" and eq:
            raise PathError("501 5.5.4 SMTPUTF8 takes no value")
        given = value if eq else None
        earlier = options.get(name, given)
        if name == "SIZE" and earlier is not None:
            given = str(max(int(earlier), int(value)))
        elif earlier != given:
            raise PathError(f"501 5.5.4 {kind} parameter {name} given twice with different values")
        options[name] = given
    return options


class CheckedPath(NamedTuple):
    """A checked ``MAIL FROM`` or ``RCPT TO`` argument.

    Attributes:
        address: The mailbox (``""`` for the null sender).
        params: The parameters, names upper-cased, values as sent.
        smtputf8: Whether ``SMTPUTF8`` was given (``MAIL FROM`` only).
    """

    address: str
    params: list[str]
    smtputf8: bool = False


def _normalized(params: list[str]) -> list[str]:
    """Parameters with upper-case names (they are case-insensitive), values as sent."""
    return [name.upper() + eq + value for name, eq, value in (p.partition("=") for p in params)]


def parse_sender(arg: str, *, esmtp: bool, max_size: int | None) -> CheckedPath:
    """Check the argument of ``MAIL`` against the syntax, SMTPUTF8 and the size limit.

    Raises:
        PathError: With the reply: 501/555 (syntax), 553 (a non-ASCII address
            without SMTPUTF8), 552 (a declared ``SIZE`` over *max_size*).
    """
    address, params = parse_path(arg, "FROM:", sender=True)
    options = parse_params(params, esmtp=esmtp, kind="MAIL")
    smtputf8 = "SMTPUTF8" in options
    if not smtputf8 and not address.isascii():
        raise PathError("553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter")
    size = options.get("SIZE")
    if size is not None and max_size is not None and int(size) > max_size:
        raise PathError(f"552 5.3.4 Message size exceeds the limit of {max_size} octets")
    return CheckedPath(address, _normalized(params), smtputf8)


def parse_recipient(arg: str, *, esmtp: bool, smtputf8: bool) -> CheckedPath:
    """Check the argument of ``RCPT``; *smtputf8* says whether ``MAIL`` asked for it.

    Raises:
        PathError: With the reply: 501/555 (syntax), 553 (a non-ASCII address
            without SMTPUTF8).
    """
    address, params = parse_path(arg, "TO:", sender=False)
    parse_params(params, esmtp=esmtp, kind="RCPT")
    if not smtputf8 and not address.isascii():
        raise PathError("553 5.6.7 Non-ASCII address needs SMTPUTF8 in MAIL FROM")
    return CheckedPath(address, _normalized(params))
