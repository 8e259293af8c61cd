"""The request journal: every request a server received, in arrival order."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterable
from typing import IO, Any, Callable, TypeVar

from werkzeug.wrappers import Request

__all__ = ["RecordedRequest", "Journal", "record_request"]

_T = TypeVar("_T")


class RecordedRequest(Request):
    """A werkzeug ``Request`` as the server received it.

    Its body was read before the response was sent, so ``get_data()``, ``form``,
    ``files`` and ``json`` keep working after the connection is gone.
    """

    # A test server is not the place to refuse large forms (werkzeug 3.1: 500 kB).
    max_form_memory_size = None
    max_form_parts = None  # type: ignore[assignment]

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        # The body is in memory already; a temporary file per upload would only
        # add a file to leak (ResourceWarning) once the journal is dropped.
        return io.BytesIO()

    @property
    def connection_id(self) -> int:
        """The connection the request came on; equal ids mean a reused connection."""
        return int(self.environ.get("localserver.connection_id", 0))

    @property
    def received_at(self) -> float:
        """When the request arrived, as ``time.time()``."""
        return float(self.environ.get("localserver.received_at", 0.0))

    @property
    def client_cert_subject(self) -> str | None:
        """Subject of the client certificate (mutual TLS), e.g. ``"CN=alice,..."``.

        ``None`` when the client presented none. The text matches
        ``ClientCertificate.subject``; the PEM is ``environ["SSL_CLIENT_CERT"]``.
        """
        pem = self.environ.get("SSL_CLIENT_CERT")
        if not pem:
            return None
        from ._tls import subject_of_pem

        return subject_of_pem(pem)

    @property
    def path_params(self) -> dict[str, Any]:
        """Values of the named parts of the path template that matched (``{}`` if none)."""
        return dict(self.environ.get("localserver.path_params") or {})

    @property
    def body_stored(self) -> bool:
        """False when the server discarded the body (``store_request_data=False``)."""
        return bool(self.environ.get("localserver.body_stored", True))


def record_request(environ: dict[str, Any], body: bytes, stored: bool = True) -> RecordedRequest:
    """Build the journal's copy of a request whose body has been read as *body*."""
    copy = dict(environ)
    # BytesIO shares the bytes object: reading it all back makes no copy.
    copy["wsgi.input"] = io.BytesIO(body)
    copy["wsgi.input_terminated"] = True
    copy["localserver.received_at"] = time.time()
    copy["localserver.body_stored"] = stored
    copy.pop("werkzeug.socket", None)
    copy.pop("localserver.stopped", None)
    request = RecordedRequest(copy)
    # Cached now, so that parsing ``form`` or ``files`` later (by a matcher, a
    # report or the test) leaves ``get_data()`` intact; it shares the bytes.
    request.get_data()
    return request


class Journal(list):  # type: ignore[type-arg]
    """A list that is safe to append to from server threads and can be waited on.

    It behaves as a plain ``list`` for reading (``len``, indexing, iteration,
    comparison), as pytest-localserver's ``requests`` does.
    """

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.changed = threading.Condition(threading.Lock())

    def append(self, item: Any) -> None:
        with self.changed:
            super().append(item)
            self.changed.notify_all()

    def clear(self) -> None:
        with self.changed:
            super().clear()
            self.changed.notify_all()

    def drain(self) -> list[Any]:
        """Take every item out at once (nothing appended meanwhile is lost)."""
        with self.changed:
            items = list(self)
            super().clear()
            return items

    def snapshot(self) -> list[Any]:
        """A copy taken under the lock."""
        with self.changed:
            return list(self)

    def wait_until(self, predicate: Callable[[list[Any]], _T], timeout: float | None) -> _T:
        """Wait until ``predicate(items)`` is true; return its last value.

        Woken by each append, never polling. Returns the false value on timeout.
        """
        with self.changed:
            return self.changed.wait_for(lambda: predicate(list(self)), timeout)

    __hash__ = None
