"""Content codings (gzip, deflate) of recorded bodies, and keeping headers in step."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable

__all__ = ["GZIP_MAGIC", "content_coding", "decode_content", "without"]

GZIP_MAGIC = b"\x1f\x8b"


def content_coding(headers: Iterable[tuple[str, str]]) -> str:
    """The ``Content-Encoding`` of a message, lower case; ``""`` for none or identity.

    Several codings (``"gzip, br"``) come back as written, which
    :func:`decode_content` does not decode.
    """
    values = [v for n, v in headers if n.lower() == "content-encoding"]
    coding = ", ".join(v.strip().lower() for v in values if v.strip())
    return "" if coding == "identity" else coding


def decode_content(body: bytes, coding: str) -> bytes | None:
    """*body* decoded from *coding*; ``None`` when the coding is unknown or does not fit.

    Knows ``gzip``/``x-gzip`` and ``deflate`` (zlib-wrapped or raw, as servers
    send both), the codings the standard library can undo.
    """
    try:
        if coding in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if coding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error):
        return None
    return body if coding == "" else None


def without(headers: Iterable[tuple[str, str]], *names: str) -> tuple[tuple[str, str], ...]:
    """*headers* minus every header called one of *names* (any case)."""
    drop = {n.lower() for n in names}
    return tuple((n, v) for n, v in headers if n.lower() not in drop)
