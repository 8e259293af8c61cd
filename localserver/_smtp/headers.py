"""Reading a received mail's headers fast, exactly as ``email.policy.default`` reads them.

Parsing a whole message with ``policy.default`` costs about ten times what the
compat32 parse costs, and building one address header object costs more than
that parse again: most of it goes to the RFC 5322 parser that ``policy.default``
runs on every header it hands out, and to the class it creates for each one.
Tests mostly read a few headers (``mail["Subject"]``, ``mail["To"]``), so:

- :func:`read_header_block` reads the header block alone, as the feed parser
  would, when the block is plainly well formed (every line a ``name: value`` or a
  continuation, CRLF line ends); the body is parsed only when something needs it.
- :data:`POLICY` hands out header objects of the classes ``policy.default`` uses
  (``UnstructuredHeader``, ``AddressHeader``...), but builds them without the RFC
  5322 parser when the value is plain: unstructured text with no encoded word and
  no control character, or a list of ``name <local@domain>`` / ``local@domain``
  items made of atoms. Anything else (encoded words, quoted strings, comments,
  groups, non-ASCII addresses, dates, content types...) goes through the parser,
  as before. The parse tree is built only if the header is folded again.

tests/test_smtp_headers.py checks that both paths agree, value, addresses and
defects alike, on a corpus of mails and on generated values.
"""

from __future__ import annotations

import re
import sys
from email import policy as email_policy
from email.headerregistry import (
    Address,
    AddressHeader,
    Group,
    HeaderRegistry,
    UnstructuredHeader,
)
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

__all__ = ["POLICY", "parse_message", "read_header_block"]

# What the feed parser takes for a header line: a name of printable ASCII other
# than ":", then ":" (email.feedparser.headerRE, without its "From " and empty-name
# cases, which the full parser handles).
_HEADER_LINE = re.compile(r"[\041-\071\073-\176]+:")

# RFC 5322 atext; addresses of the fast path are dot-atoms of it, display names
# words of it separated by blanks (no ".", which is obsolete syntax in a phrase).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_MAILBOX = re.compile(
    rf"[ \t]*(?:(?P<name>{_ATEXT}+(?:[ \t]+{_ATEXT}+)*)?[ \t]*<(?P<local>{_DOT_ATOM})"
    rf"@(?P<domain>{_DOT_ATOM})>|(?P<bare_local>{_DOT_ATOM})@(?P<bare_domain>{_DOT_ATOM}))"
    r"[ \t]*"
)


def read_header_block(raw: bytes) -> list[tuple[str, str]] | None:
    """The ``(name, value)`` pairs the full parse would store, or ``None``.

    ``None`` means the block is not plainly well formed (a bare LF or CR, a line
    that is no header, a leading continuation, a ``From`` line, no blank line
    before a body): the full parser must read it, defects and all.
    """
    if raw.startswith(b"\r\n"):
        return []
    end = raw.find(b"\r\n\r\n")
    head = raw if end < 0 else raw[: end + 2]
    text = head.decode("ascii", "surrogateescape")  # as BytesParser decodes
    unix = text.replace("\r\n", "\n")
    if "\r" in unix or unix.count("\n") != len(text) - len(unix):
        return None
    lines = unix.split("\n")
    if lines[-1] == "":
        lines.pop()
    headers: list[tuple[str, str]] = []
    name = ""
    value: list[str] = []
    for line in lines:
        if line.startswith((" ", "\t")):
            if not name:
                return None
            value.append(line)
            continue
        if not _HEADER_LINE.match(line):
            return None
        if name:
            headers.append((name, _source_value(value)))
        name, _, first = line.partition(":")
        name = sys.intern(name)  # one "Subject" for every mail kept
        value = [first.lstrip(" \t")]
    if name:
        headers.append((name, _source_value(value)))
    return headers


def _source_value(lines: list[str]) -> str:
    """A header's value from its lines, as ``header_source_parse`` makes it."""
    return _utf8("\n".join(lines).rstrip("\r\n"))


def _utf8(value: str) -> str:
    """*value* with raw UTF-8 bytes (surrogates from the ASCII decode) decoded."""
    if value.isascii():
        return value
    return value.encode("ascii", "surrogateescape").decode("utf-8", "surrogateescape")


class _Unparsed:
    """Stands for a header's parse tree until :meth:`BaseHeader.fold` needs it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Unparsed, (self.value,))


class _FastHeader:
    """Mixed into the header classes of :data:`POLICY`: plain values skip the parser."""

    value_parser: Any
    _parse_tree: Any

    @classmethod
    def _fast_parse(cls, value: str, kwds: dict[str, Any]) -> bool:
        return False

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        if not cls._fast_parse(value, kwds):
            super().parse(value, kwds)  # type: ignore[misc]

    def fold(self, *, policy: email_policy.Policy) -> str:
        if isinstance(self._parse_tree, _Unparsed):
            self._parse_tree = self.value_parser(self._parse_tree.value)
        result: str = super().fold(policy=policy)  # type: ignore[misc]
        return result


class _FastUnstructured(_FastHeader):
    @classmethod
    def _fast_parse(cls, value: str, kwds: dict[str, Any]) -> bool:
        # Printable text and blanks, no encoded word: the parser would give the
        # text back unchanged, with no defect.
        if "=?" in value or not value.replace("\t", " ").isprintable():
            return False
        kwds["parse_tree"] = _Unparsed(value)
        kwds["decoded"] = value
        return True


class _FastAddresses(_FastHeader):
    @classmethod
    def _fast_parse(cls, value: str, kwds: dict[str, Any]) -> bool:
        if "=?" in value:
            return False
        groups = []
        for item in value.split(","):
            found = _MAILBOX.fullmatch(item)
            if found is None:
                return False
            if found["bare_local"] is not None:
                address = Address("", found["bare_local"], found["bare_domain"])
            else:
                name = " ".join(found["name"].split()) if found["name"] else ""
                address = Address(name, found["local"], found["domain"])
            groups.append(Group(None, [address]))
        kwds["parse_tree"] = _Unparsed(value)
        kwds["groups"] = groups
        kwds["decoded"] = ", ".join(str(group) for group in groups)
        return True


class _FastRegistry(HeaderRegistry):
    """``policy.default``'s header registry, one class per kind made once, fast paths mixed in.

    The standard registry makes a new class for every header it builds.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        kind = self.registry.get(name.lower(), self.default_class)
        made = self._classes.get(kind)
        if made is None:
            if issubclass(kind, AddressHeader):
                bases: tuple[type, ...] = (_FastAddresses, kind, self.base_class)
            elif issubclass(kind, UnstructuredHeader):
                bases = (_FastUnstructured, kind, self.base_class)
            else:
                bases = (kind, self.base_class)
            made = self._classes[kind] = type("_" + kind.__name__, bases, {})
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with a mail's policy: the classes made are a cache, made again.
        return (_FastRegistry, ())


class _MailPolicy(email_policy.EmailPolicy):
    """``email.policy.default``, reading RFC 6532 (SMTPUTF8) raw UTF-8 headers too.

    ``BytesParser`` turns non-ASCII header bytes into surrogates, which the
    address parser then keeps as such (``zo\\udcc3\\udcab@...``); here they are
    decoded as the UTF-8 they are. Bytes that are not UTF-8 stay surrogates.
    Its header objects come from :class:`_FastRegistry`.
    """

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        return name, _utf8(value)


#: The policy of every received mail: ``policy.default`` semantics, read faster.
POLICY = _MailPolicy(header_factory=_FastRegistry())
_PARSER = BytesParser(policy=POLICY)


def parse_message(raw: bytes) -> EmailMessage:
    """Parse the whole of *raw* (CRLF line ends) with :data:`POLICY`."""
    message = _PARSER.parsebytes(raw.replace(b"\r\n", b"\n"))
    if not isinstance(message, EmailMessage):  # pragma: no cover - the policy's factory
        raise TypeError(f"parsed a {type(message).__name__}, not an EmailMessage")
    return message
