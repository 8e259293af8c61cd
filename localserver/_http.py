"""``HTTPServer``: answers with configured content and records every request."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Callable, NamedTuple

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from ._checks import ProtocolMismatchError
from ._content import (
    Chunked,
    Content,
    build_content_response,
    check_chunked,
    check_code,
    check_content,
    check_headers,
)
from ._expect_api import ExpectationStyle
from ._journal import Journal, RecordedRequest, record_request
from ._protocol_errors import WRONG_PROTOCOL, describe_protocol_error
from ._report import Situation
from ._request_body import read_body
from ._wsgi import WSGIApp, WSGIEngine

__all__ = ["HTTPServer"]

_DEFAULT_CODE = 204
# How long a report waits for TLS handshakes under way to end or fail.
_HANDSHAKE_SETTLE = 0.5


class _TestMark(NamedTuple):
    """What a test on a shared server started from (see ``_begin_test``)."""

    checkpoint: int
    settings: tuple[Any, ...]


_NO_HANDLER_STATUS = 500


class HTTPServer(ExpectationStyle, WSGIEngine):
    """An HTTP server on loopback that records requests and answers as told.

    The content style of pytest-localserver: set :attr:`content`, :attr:`code`,
    :attr:`headers` (or call :meth:`serve_content`) and every request gets that
    response; every request lands in :attr:`requests`.

    The expectation style of pytest-httpserver: :meth:`expect_request` and its
    friends answer the requests they match; the content above is the default
    response for the rest. A request nothing answers gets
    :attr:`no_handler_status_code` (500) with a body explaining the miss, and
    :meth:`check_assertions` reports it.

    Args:
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` picks a free one.
        connection_timeout: Seconds an idle or silent connection is kept open.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        connection_timeout: float | None = 60.0,
    ) -> None:
        super().__init__(host, port, connection_timeout=connection_timeout)
        self._settings_lock = threading.Lock()
        self._content: str | bytes | tuple[str | bytes, ...] = ""
        self._code = _DEFAULT_CODE
        self._headers = Headers()
        self._chunked = Chunked.NO
        self._show_post_vars = False
        self._store_request_data = True
        self._default_installed = False
        self._no_handler_status_code = _NO_HANDLER_STATUS
        self._journal = Journal()
        self._init_expectations()

    # -- content style (pytest-localserver) -------------------------------------------

    def serve_content(
        self,
        content: Content = None,
        code: int = 200,
        headers: Any = None,
        chunked: Chunked = Chunked.NO,
        store_request_data: bool = True,
        show_post_vars: bool | None = None,
    ) -> None:
        """Answer every request that no expectation matches with this response.

        Args:
            content: The body: str (sent as UTF-8), bytes, or an iterable of
                either (each item one chunk when chunked). ``None`` means empty.
            code: The HTTP status.
            headers: Response headers, a mapping or a list of pairs.
            chunked: :class:`Chunked` ``YES``, ``NO`` or ``AUTO``.
            store_request_data: Keep request bodies in :attr:`requests`; ``False``
                discards them as they arrive (for large uploads).
            show_post_vars: If given, sets :attr:`show_post_vars`.

        Raises:
            TypeError: An argument has the wrong type; nothing is changed.
            ValueError: ``code`` is not an HTTP status; nothing is changed.
        """
        checked = (
            check_content(content),
            check_code(code),
            check_headers(headers),
            check_chunked(chunked),
            _check_bool("store_request_data", store_request_data),
        )
        post_vars = (
            None if show_post_vars is None else _check_bool("show_post_vars", show_post_vars)
        )
        with self._settings_lock:
            (self._content, self._code, self._headers, self._chunked, self._store_request_data) = (
                checked
            )
            if post_vars is not None:
                self._show_post_vars = post_vars
            self._default_installed = True

    @property
    def content(self) -> str | bytes | tuple[str | bytes, ...]:
        """Body of the default response (``""`` until set)."""
        return self._content

    @content.setter
    def content(self, value: Content) -> None:
        checked = check_content(value)
        with self._settings_lock:
            self._content = checked
            self._default_installed = True

    @property
    def code(self) -> int:
        """Status of the default response (204 until set, as in pytest-localserver)."""
        return self._code

    @code.setter
    def code(self, value: int) -> None:
        checked = check_code(value)
        with self._settings_lock:
            self._code = checked
            self._default_installed = True

    @property
    def headers(self) -> Headers:
        """Headers of the default response (changes in place take effect too)."""
        return self._headers

    @headers.setter
    def headers(self, value: Any) -> None:
        checked = check_headers(value)
        with self._settings_lock:
            self._headers = checked
            self._default_installed = True

    @property
    def chunked(self) -> Chunked:
        """:class:`Chunked` setting of the default response."""
        return self._chunked

    @chunked.setter
    def chunked(self, value: Chunked) -> None:
        checked = check_chunked(value)
        with self._settings_lock:
            self._chunked = checked
            self._default_installed = True

    @property
    def show_post_vars(self) -> bool:
        """Answer a POST with its form fields as JSON (``{"name": "value", ...}``)."""
        return self._show_post_vars

    @show_post_vars.setter
    def show_post_vars(self, value: bool) -> None:
        checked = _check_bool("show_post_vars", value)
        with self._settings_lock:
            self._show_post_vars = checked
            self._default_installed = True

    @property
    def store_request_data(self) -> bool:
        """Keep request bodies in :attr:`requests` (``False``: discard them)."""
        return self._store_request_data

    @store_request_data.setter
    def store_request_data(self, value: bool) -> None:
        self._store_request_data = _check_bool("store_request_data", value)

    @property
    def no_handler_status_code(self) -> int:
        """Status for a request nothing answers (no default response set)."""
        return self._no_handler_status_code

    @no_handler_status_code.setter
    def no_handler_status_code(self, value: int) -> None:
        self._no_handler_status_code = check_code(value)

    # -- the journal ------------------------------------------------------------------

    @property
    def requests(self) -> Journal:
        """Every request received, oldest first, as werkzeug ``Request`` objects.

        A ``list`` (as in pytest-localserver) that server threads append to safely.
        Each request's body stays readable (``get_data()``, ``form``, ``json``).
        """
        return self._journal

    def clear(self) -> None:
        """Forget requests, the log, recorded failures and expectations.

        Pending delays and hangs end at once. The default response set by
        :meth:`serve_content` (or the content attributes) stays, and so does
        :attr:`no_handler_status_code`.
        """
        self._cancellation.cancel(renew=True)
        self._registry.clear()
        self._journal.clear()
        self._log.clear()
        self._reset_checks()
        with self._protocol_lock:
            self._protocol_errors.clear()
        self.raise_pending_errors()

    # -- per-test isolation, shared by the unittest mixins and the pytest module -----

    def _begin_test(self) -> _TestMark:
        """Start a test on a shared server: forget what earlier tests left behind.

        The journal, the log, recorded failures and protocol errors are emptied and
        pending delays end; expectations and the default response stay.

        Returns:
            A mark for :meth:`_end_test`.
        """
        self._cancellation.cancel(renew=True)
        self._journal.clear()
        self._log.clear()
        self._reset_checks()
        with self._protocol_lock:
            self._protocol_errors.clear()
        with self._settings_lock:
            settings = self._settings_snapshot()
        return _TestMark(self._checkpoint(), settings)

    def _end_test(self, mark: _TestMark, check: bool = True) -> None:
        """End the test begun at *mark*: run its checks, then undo what it set up.

        The expectations the test added are removed, and the default response
        (``serve_content``, the content attributes, ``no_handler_status_code``)
        goes back to what it was when the test began.

        Args:
            mark: What :meth:`_begin_test` returned.
            check: Run the checks (unmatched requests, handler errors, oneshot,
                ordered and ``times=`` expectations of this test left unused).

        Raises:
            AssertionError: A check failed; the message explains it in full.
        """
        try:
            if check:
                self._check_test(mark.checkpoint)
        finally:
            self._cancellation.cancel(renew=True)
            self._rollback(mark.checkpoint)
            self._reset_checks()
            with self._settings_lock:
                self._restore_settings(mark.settings)

    def _settings_snapshot(self) -> tuple[Any, ...]:
        return (
            self._content,
            self._code,
            self._headers.copy(),
            self._chunked,
            self._show_post_vars,
            self._store_request_data,
            self._default_installed,
            self._no_handler_status_code,
        )

    def _restore_settings(self, settings: tuple[Any, ...]) -> None:
        (
            self._content,
            self._code,
            headers,
            self._chunked,
            self._show_post_vars,
            self._store_request_data,
            self._default_installed,
            self._no_handler_status_code,
        ) = settings
        self._headers = headers.copy()

    def stop(self) -> None:
        # End pending delays, slow bodies and hangs first, so that joining the
        # connection threads never waits for them.
        self._cancellation.cancel()
        super().stop()

    def _on_start(self) -> None:
        super()._on_start()
        self._cancellation.renew()

    # -- serving ----------------------------------------------------------------------

    @property
    def app(self) -> WSGIApp:
        return self._wsgi_app

    def _wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        cancel = self._cancellation.current()
        keep = self._store_request_data
        body = read_body(environ, keep=keep)
        request = record_request(environ, body, stored=keep)
        return self._answer(environ, start_response, request, cancel)

    def _situation(self) -> Situation:
        errors = self._protocol_errors_settled(_HANDSHAKE_SETTLE)
        return Situation(self.url, self.host, self.port, self.running, errors)

    def _protocol_mismatch(self, kind: str, peer: Any) -> None:
        super()._protocol_mismatch(kind, peer)
        if kind in WRONG_PROTOCOL:  # a wrong scheme is a test's bug: the checks say so
            text = describe_protocol_error(kind, peer, self.url)
            self._record_failure(ProtocolMismatchError(text + "\n"))

    def _default_response(self, request: RecordedRequest) -> Response | None:
        with self._settings_lock:
            installed = self._default_installed or bool(self._headers)
            settings = (
                self._content,
                self._code,
                self._headers.to_wsgi_list(),
                self._chunked,
                self._show_post_vars,
            )
        if installed:
            return build_content_response(request, *settings)
        return None


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name!r} must be True or False (got {value!r})")
    return value
