"""Small conversions the web entries and responses share: times, file names, types."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

__all__ = ["content_disposition", "iso_time", "safe_filename", "safe_type"]

_TOKEN = r"[a-z0-9!#$&^_.+-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def iso_time(timestamp: float) -> str:
    """``time.time()`` as ISO 8601 in UTC with milliseconds, e.g. ``2026-01-02T03:04:05.678Z``."""
    seconds = int(timestamp)
    millis = int((timestamp - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def safe_type(content_type: str) -> str:
    """A media type fit for a ``Content-Type`` header; ``application/octet-stream`` if not."""
    value = content_type.strip().lower()
    return value if _MEDIA_TYPE.fullmatch(value) else "application/octet-stream"


def safe_filename(name: str, default: str) -> str:
    """A file name without directories, quotes or control characters (*default* if empty)."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return cleaned[:200] or default


def content_disposition(kind: str, filename: str) -> str:
    """``attachment``/``inline`` with an ASCII name and the exact UTF-8 one (RFC 6266)."""
    # Each non-ASCII character becomes "?", which safe_filename turns into "_".
    ascii_name = safe_filename(filename.encode("ascii", "replace").decode("ascii"), "download")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
