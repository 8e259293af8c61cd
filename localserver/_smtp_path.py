"""Parsing ``MAIL FROM:<path> params`` and ``RCPT TO:<path> params`` (RFC 5321 4.1.2)."""

from __future__ import annotations

__all__ = ["PathError", "parse_params", "parse_path"]

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
        if name in options:
            raise PathError(f"501 5.5.4 {kind} parameter given twice: {name}")
        if name == "SIZE" and not (value.isdigit() and value.isascii()):
            raise PathError("501 5.5.4 SIZE needs a number of octets")
        if name == "BODY" and value.upper() not in ("7BIT", "8BITMIME"):
            raise PathError("501 5.5.4 BODY must be 7BIT or 8BITMIME")
        if name == "SMTPUTF8" and eq:
            raise PathError("501 5.5.4 SMTPUTF8 takes no value")
        options[name] = value if eq else None
    return options
