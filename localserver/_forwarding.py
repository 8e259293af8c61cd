"""The proxy rule: what no expectation matched goes to an upstream server (``proxy_to``).

The dispatcher asks this rule before the default response. The request is sent on
with :func:`~._proxy.forward` and the upstream's answer streams back as it comes:
status, reason and end-to-end headers as the upstream sent them, then the body in
chunks, never held whole. With a recording file, each exchange is appended to it
(HAR 1.2) before the end of the body reaches the client, so a test that has its
answer finds the exchange in the file.

An upstream that gives no answer (refused, unreachable, TLS, not HTTP, too slow)
makes a 502 or 504 whose body says which; one whose body breaks off makes the
client's connection end short. Both are reported by the checks as an
:class:`~._errors.UpstreamError`.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import threading
from collections.abc import Generator, Iterable
from dataclasses import replace
from typing import NamedTuple, Union

from werkzeug.wrappers import Request

from ._checks import ServingChecks
from ._errors import HandlerError, UpstreamError
from ._faults import Aborted
from ._http1.writer import Reply
from ._proxy import ForwardedResponse, forward
from ._recorded import RecordedRequest
from ._recording import DEFAULT_REDACT, HARWriter, forwarded_exchange
from ._report import request_line
from ._responders import reason_of
from ._upstream import DEFAULT_TIMEOUT, Upstream

__all__ = ["RECORD_LIMIT", "ProxyRule", "ProxySetting"]

StrPath = Union[str, "os.PathLike[str]"]

#: The bytes of each body a recording keeps; longer bodies are kept in part, marked so.
RECORD_LIMIT = 4 * 1024 * 1024


class ProxySetting(NamedTuple):
    """Where unmatched requests go, and the file that records them."""

    upstream: Upstream
    recorder: HARWriter | None


class ProxyRule:
    """Forwards what no expectation matched, once :meth:`configure` named an upstream.

    Args:
        checks: Where upstream failures are recorded.
    """

    def __init__(self, checks: ServingChecks) -> None:
        self._checks = checks
        #: Replaced whole, never changed in place: each request reads it once.
        self.setting: ProxySetting | None = None
        self._open: set[ForwardedResponse] = set()
        self._lock = threading.Lock()

    def abort_all(self) -> None:
        """End the answers streaming now (the server stops): no thread waits on an upstream."""
        with self._lock:
            streaming = list(self._open)
        for forwarded in streaming:
            forwarded.abort()

    def configure(
        self,
        upstream_url: str | None,
        record_to: StrPath | None = None,
        *,
        redact: Iterable[str] = DEFAULT_REDACT,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Forward to *upstream_url* from now on (None: stop forwarding).

        Raises:
            ValueError: The URL is not ``http(s)://host[:port][/prefix]``, or
                *timeout* is not positive.
            TypeError: *ssl_context* is not an ``ssl.SSLContext``, or *redact*
                is one str.
            OSError: The recording file cannot be written.
        """
        if upstream_url is None:
            if record_to is not None:
                raise ValueError("'record_to' needs an upstream to record: pass its URL")
            self.setting = None
            return
        upstream = Upstream(upstream_url, ssl_context=ssl_context, timeout=timeout)
        recorder = None if record_to is None else HARWriter(record_to, redact=redact)
        self.setting = ProxySetting(upstream, recorder)

    def reply(
        self, setting: ProxySetting, record: RecordedRequest, source: Request | None = None
    ) -> Reply:
        """Forward *record* and answer with the upstream's answer, streamed.

        Args:
            setting: The setting read when the request arrived.
            record: The request as the journal holds it.
            source: The request to read the body from as it arrives, when the
                server does not store bodies; None sends ``record``'s body.
        """
        started = dt.datetime.now(dt.timezone.utc)
        capture = RECORD_LIMIT if setting.recorder is not None else 0
        try:
            if source is None:
                forwarded = forward(
                    record, setting.upstream, body=record.get_data(), capture=capture
                )
            else:
                forwarded = forward(source, setting.upstream, capture=capture)
        except UpstreamError as exc:
            exc.args = (
                f"localserver: the proxy could not forward {request_line(record)} "
                f"(answered {exc.status}): {exc.explanation}\n",
            )
            self._checks.record_failure(exc)
            body = exc.text.encode("utf-8", "replace")
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
            ]
            return Reply(exc.status, reason_of(exc.status), headers, body)
        stream = self._stream(setting, record, forwarded, started)
        with self._lock:
            self._open.add(forwarded)

        def close() -> None:
            stream.close()  # records what was sent, if the body had begun
            forwarded.close()
            with self._lock:
                self._open.discard(forwarded)

        headers = forwarded.headers
        if forwarded.chunked:  # a Content-Length beside chunks means nothing (RFC 9112 6.3)
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
        return Reply(forwarded.status, forwarded.reason, list(headers), stream, on_close=close)

    def _stream(
        self,
        setting: ProxySetting,
        record: RecordedRequest,
        forwarded: ForwardedResponse,
        started: dt.datetime,
    ) -> Generator[bytes, None, None]:
        """The upstream's body as it comes, recorded before the client can see its end.

        A body of announced length ends with the chunk that completes it: the
        exchange is recorded before that chunk goes out. Any other body ends
        when this generator does (the writer then sends the last chunk marker
        or closes), so it is recorded at the end.
        """
        recorded = False
        try:
            for chunk in forwarded:
                if forwarded.length is not None and forwarded.size >= forwarded.length:
                    for _ in forwarded:  # nothing is left: this returns at once
                        pass
                    recorded = self._record(setting, record, forwarded, started)
                yield chunk
            if forwarded.aborted:
                raise Aborted("the server stopped while the upstream's answer streamed")
            if not recorded:
                recorded = self._record(setting, record, forwarded, started)
        except UpstreamError as exc:
            if forwarded.aborted:
                raise Aborted("the server stopped while the upstream's answer streamed") from exc
            recorded = self._record(setting, record, forwarded, started)
            exc.args = (
                f"localserver: the upstream's answer to {request_line(record)} broke off "
                f"after {forwarded.size} bytes of its body, so the client's connection was "
                f"cut: {exc.explanation}\n",
            )
            self._checks.record_failure(exc)
            raise Aborted("the upstream's body broke off") from exc
        finally:
            forwarded.close()
            if not recorded:
                who = "the server stopped" if forwarded.aborted else "the client left"
                note = f"; {who} after {forwarded.size} bytes of the body"
                self._record(setting, record, forwarded, started, note)

    def _record(
        self,
        setting: ProxySetting,
        record: RecordedRequest,
        forwarded: ForwardedResponse,
        started: dt.datetime,
        note: str = "",
    ) -> bool:
        if setting.recorder is None:
            return True
        exchange = forwarded_exchange(record, forwarded, started_at=started)
        if note:
            exchange = replace(exchange, comment=f"forwarded to {forwarded.url}{note}")
        try:
            setting.recorder.append(exchange)
        except Exception as exc:  # a full disk must not take the connection thread down
            error = HandlerError(
                f"localserver: recording {request_line(record)} to {setting.recorder.path} "
                f"failed: {type(exc).__name__}: {exc}\n"
            )
            error.__cause__ = exc
            self._checks.record_failure(error)
        return True
