"""``HTTPServer``: answers as told and records every request. A façade over its parts.

The parts, each built here once: the :class:`~._engine.Engine` (lifecycle), the
HTTP/1.1 connection handler (:mod:`._http1`), the :class:`~._dispatch.Dispatcher`
(one request from arrival to answer), the expectation :class:`~._registry.Registry`
(which keeps the scenario states too), the journal and the log, the
:class:`~._content.DefaultResponse`, the :class:`~._forwarding.ProxyRule`, and the
checks (:class:`~._checks.ServingChecks`, :class:`~._assertions.RequestAssertions`).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple, Union

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from ._aliases import ServerAliases
from ._args import check_bool, check_count, check_seconds
from ._assertions import RequestAssertions
from ._checks import ServingChecks
from ._content import Chunked, Content, ContentValue, DefaultResponse, DefaultSetting
from ._dispatch import Dispatcher, log_view
from ._engine import Engine
from ._faults import Cancellation
from ._forwarding import ProxyRule, ProxySetting
from ._http1.connection import HTTP1Handler
from ._http1.head import DEFAULT_LIMITS, Limits, ProtocolError
from ._http_checks import CheckAPI
from ._http_expect import ExpectationAPI
from ._journal import Journal
from ._lifecycle import ServerLifecycle, join_url
from ._mistakes import Mistake
from ._public import public
from ._recorded import RecordedRequest
from ._registry import Registry
from ._report import Situation
from ._responders import HeadersArg
from ._version import __version__

__all__ = ["HTTPServer", "TestMark"]

# How long a report waits for TLS handshakes under way to end or fail.
_HANDSHAKE_SETTLE = 0.5

StrPath = Union[str, "os.PathLike[str]"]


class TestMark(NamedTuple):
    """Where a test on a shared server began (see :meth:`HTTPServer.begin_test`)."""

    checkpoint: int
    settings: Any
    proxy: ProxySetting | None = None


@public
class HTTPServer(ServerLifecycle, ExpectationAPI, CheckAPI, ServerAliases):
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
        head_timeout: Seconds a client has to send a whole request head once it
            began (408 after that); ``None`` for no deadline.
        max_body_size: Largest request body in bytes (413 above it); ``None``
            for no limit.
        keep_alive: ``False`` closes the connection after every response
            (``Connection: close``), as the peers' HTTP/1.0 servers do.
        strict: ``False`` keeps unexpected requests and unused oneshot and
            ordered expectations out of the after-test checks (the peers'
            leniency); they are still recorded and summarised.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        connection_timeout: float | None = DEFAULT_LIMITS.idle_timeout,
        head_timeout: float | None = DEFAULT_LIMITS.head_timeout,
        max_body_size: int | None = DEFAULT_LIMITS.body,
        keep_alive: bool = True,
        strict: bool = True,
    ) -> None:
        limits = Limits(
            idle_timeout=check_seconds(
                "connection_timeout", connection_timeout, none=True, zero=False
            ),
            head_timeout=check_seconds("head_timeout", head_timeout, none=True, zero=False),
            body=check_count("max_body_size", max_body_size, none=True),
        )
        self._default = DefaultResponse()
        self._registry = Registry()
        self._journal: Journal[RecordedRequest] = Journal()
        self._log: Journal[tuple[RecordedRequest, Response | None]] = Journal(view=log_view)
        self._cancellation = Cancellation()
        self._checks = ServingChecks(
            self._registry, self._journal, lambda: self.url, self._situation
        )
        self._checks.strict = check_bool("strict", strict)
        self._assertions = RequestAssertions(self._journal, self._registry, self._situation)
        self._proxy = ProxyRule(self._checks)
        dispatcher = Dispatcher(
            registry=self._registry,
            journal=self._journal,
            log=self._log,
            default=self._default,
            checks=self._checks,
            cancellation=self._cancellation,
            proxy=self._proxy,
        )
        self._engine = Engine(host, port, name=type(self).__name__)
        self._handler = HTTP1Handler(
            dispatcher,
            scheme=self._scheme,
            limits=limits,
            keep_alive=check_bool("keep_alive", keep_alive),
            stopped=self._engine.stopped,
            on_refusal=self._refused,
            wrap=None,
            server_software=f"localserver/{__version__}",
        )
        self._engine.handler = self._handler

    def _before_start(self) -> None:
        self._cancellation.renew()

    def _before_stop(self) -> None:
        # End pending delays, slow bodies, hangs and proxied answers first, so
        # that joining the connection threads never waits for them.
        self._cancellation.cancel()
        self._proxy.abort_all()

    def url_for(self, path: str) -> str:
        """Absolute URL for *path* on this server (a leading ``/`` is optional)."""
        return join_url(self.url, path)

    @property
    def connection_timeout(self) -> float | None:
        """Seconds an idle connection is kept open (``None``: until stop())."""
        return self._handler.limits.idle_timeout

    @property
    def strict(self) -> bool:
        """Whether unexpected requests and unused expectations fail the after-test checks.

        Settable: the pytest module sets it for each test from the ini option
        ``localserver_strict`` and the ``localserver_strict`` marker.
        """
        return self._checks.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._checks.strict = check_bool("strict", value)

    # -- content style (pytest-localserver) -------------------------------------------

    def serve_content(
        self,
        content: Content = None,
        code: int = 200,
        headers: HeadersArg = None,
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
        settings: dict[str, object] = {
            "content": content,
            "code": code,
            "headers": headers,
            "chunked": chunked,
            "store_request_data": store_request_data,
        }
        if show_post_vars is not None:
            settings["show_post_vars"] = show_post_vars
        self._default.update(**settings)

    content = DefaultSetting[ContentValue, Content](
        'Body of the default response (``""`` until set).'
    )
    code = DefaultSetting[int, int](
        "Status of the default response (204 until set, as in pytest-localserver)."
    )
    headers = DefaultSetting[Headers, HeadersArg](
        "Headers of the default response (changes in place take effect too)."
    )
    chunked = DefaultSetting[Chunked, Chunked](":class:`Chunked` setting of the default response.")
    show_post_vars = DefaultSetting[bool, bool](
        'Answer a POST with its form fields as JSON (``{"name": "value", ...}``).'
    )
    store_request_data = DefaultSetting[bool, bool](
        "Keep request bodies in :attr:`requests` (``False``: discard them as they arrive)."
    )
    no_handler_status_code = DefaultSetting[int, int](
        "Status for a request nothing answers (no default response set); 500 by default."
    )

    @property
    def requests(self) -> Journal[RecordedRequest]:
        """Every request received, oldest first, as werkzeug ``Request`` objects.

        A sequence (read it as pytest-localserver's list) that server threads
        append to safely. Each request's body stays readable (``get_data()``,
        ``form``, ``json``).
        """
        return self._journal

    def clear(self) -> None:
        """Forget requests, the log, recorded failures and expectations.

        Pending delays and hangs end at once, and every scenario goes back to
        ``"started"``. The default response set by :meth:`serve_content` (or the
        content attributes) stays, and so do :attr:`no_handler_status_code` and
        :meth:`proxy_to`.
        """
        self._cancellation.cancel(renew=True)
        self._registry.clear()
        self._journal.clear()
        self._log.clear()
        self._checks.reset()
        self.raise_pending_errors()

    # -- tests on a shared server (the unittest mixins and the pytest module) ---------

    def begin_test(self) -> TestMark:
        """Start a test on a shared server: forget what earlier tests left behind.

        The journal, the log, recorded failures and client mistakes are emptied,
        pending delays end and every scenario goes back to ``"started"``;
        expectations, the default response and the proxy stay.
        """
        self._cancellation.cancel(renew=True)
        self._journal.clear()
        self._log.clear()
        self._checks.reset()
        self._registry.reset_scenarios()
        return TestMark(self._registry.checkpoint(), self._default.snapshot(), self._proxy.setting)

    def end_test(self, mark: TestMark, *, check: bool = True) -> list[str]:
        """End the test begun at *mark*: run its checks, then undo what it set up.

        The expectations it added are removed, every scenario goes back to
        ``"started"``, and the default response and the proxy go back to what
        they were when the test began.

        Returns:
            In lenient mode, what strict mode would have reported, one line each.

        Raises:
            AssertionError: A check failed; the message explains it in full.
        """
        try:
            return self._checks.check_test(mark.checkpoint) if check else []
        finally:
            self._cancellation.cancel(renew=True)
            self._registry.rollback(mark.checkpoint)
            self._registry.reset_scenarios()
            self._checks.reset(mistakes=False)
            self._default.restore(mark.settings)
            self._proxy.setting = mark.proxy

    # -- for the parts ----------------------------------------------------------------

    def _situation(self) -> Situation:
        mistakes = self._checks.mistakes(settle=_HANDSHAKE_SETTLE)
        return Situation(self.url, self.host, self.port, self.running, mistakes)

    def _refused(self, error: ProtocolError, peer: tuple[str, int]) -> None:
        detail = f"answered {error.status}: {error.message}" if error.status else ""
        self._checks.record_mistake(Mistake(error.kind, peer, detail))
