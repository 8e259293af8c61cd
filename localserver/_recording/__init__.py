"""Recordings of HTTP exchanges: HAR 1.2 files (read and write) and VCR.py cassettes (read).

The proxy appends what it forwards to a HAR file (:class:`HARWriter`); replay
reads exchanges back from a HAR file (:func:`read_har`) or a VCR.py cassette
(:func:`read_cassette`). Both readers give :class:`Exchange` objects.
"""

from __future__ import annotations

from .capture import forwarded_exchange
from .exchange import Exchange, RecordingFormatError, Timings
from .har import DEFAULT_REDACT, REDACTED, HARWriter, har_entry
from .har_read import read_har
from .vcr import read_cassette

__all__ = [
    "DEFAULT_REDACT",
    "REDACTED",
    "Exchange",
    "HARWriter",
    "RecordingFormatError",
    "Timings",
    "forwarded_exchange",
    "har_entry",
    "read_cassette",
    "read_har",
]
