"""The HTTP assertion helpers of the unittest mixins: the servers' checks, as TestCase failures.

Each helper calls the server's own check (``assert_request_made``,
``assert_requests_in_order``, ``assert_expectations_met``,
``assert_client_cert_presented``) and only turns its failure into
``self.failureException``, with ``msg`` and ``longMessage`` honoured. The ``...Async``
twins run the same check without blocking the event loop.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, TypeVar

from .._errors import ExpectationError
from .._http import HTTPServer
from .._https import HTTPSServer
from .._matching import UNDEFINED
from .._recorded import RecordedRequest
from .._tls import ClientCertificate
from .._waiting import in_thread
from .slots import failure, slots_of

__all__ = ["ClientCertAssertions", "HTTPAssertions"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True

_T = TypeVar("_T")


def _criteria(
    method: str | None, query_string: Any, headers: Any, json: Any, data: Any, match: dict[str, Any]
) -> dict[str, Any]:
    given = {"method": method, "query_string": query_string, "headers": headers, "data": data}
    criteria = {name: value for name, value in given.items() if value is not None}
    if json is not UNDEFINED:
        criteria["json"] = json
    criteria.update(match)
    return criteria


class _Translating:
    failureException: ClassVar[type[BaseException]]

    def _translated(self, check: Callable[[], _T], msg: str | None) -> _T:
        try:
            return check()
        except ExpectationError as exc:
            raise failure(self, msg, str(exc)) from None

    async def _translated_async(self, check: Callable[[], _T], msg: str | None) -> _T:
        try:
            return await in_thread(check)
        except ExpectationError as exc:
            raise failure(self, msg, str(exc)) from None


class HTTPAssertions(_Translating):
    """Request assertions shared by ``HTTPServerMixin`` and ``HTTPSServerMixin``.

    Every helper checks the class's server; a class with both mixins names the
    one to check with ``server=``.
    """

    def assertRequestReceived(
        self,
        path: Any = "",
        method: str | None = None,
        query_string: Any = None,
        headers: Any = None,
        json: Any = UNDEFINED,
        data: Any = None,
        count: int | None = None,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
        **match: Any,
    ) -> list[RecordedRequest]:
        """Check that requests like this one arrived during the test; return them.

        Args:
            path: The path (exact, template such as ``"/users/<int:id>"``, or
                ``re.compile``), a :class:`~localserver.RequestMatcher`, or an
                expectation; ``""`` accepts any path.
            method: The HTTP method, e.g. ``"POST"``; any when left out.
            query_string: The query, as a str or a dict (as ``expect_request`` takes it).
            headers: Headers that must be present with these values.
            json: The body, parsed as JSON, must equal this.
            data: The body must equal this str or bytes.
            count: ``None`` (at least one) or the exact number of matching requests.
            timeout: Wait up to this many seconds for them (requests sent from
                another thread or process).
            msg: Your message, shown with the report (``longMessage``).
            server: The server to check, when the class has two.
            **match: Other :class:`~localserver.RequestMatcher` arguments:
                ``form``, ``files``, ``cookies``, ``predicate``,
                ``json_ignore_extra_keys``.
        """
        target = self._http_target(server)
        criteria = _criteria(method, query_string, headers, json, data, match)
        return self._translated(
            lambda: target.assert_request_made(path, count=count, timeout=timeout, **criteria), msg
        )

    async def assertRequestReceivedAsync(
        self,
        path: Any = "",
        method: str | None = None,
        query_string: Any = None,
        headers: Any = None,
        json: Any = UNDEFINED,
        data: Any = None,
        count: int | None = None,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
        **match: Any,
    ) -> list[RecordedRequest]:
        """:meth:`assertRequestReceived` for ``IsolatedAsyncioTestCase``.

        It waits without blocking the event loop, so the request may come from
        a client running on that loop.
        """
        target = self._http_target(server)
        criteria = _criteria(method, query_string, headers, json, data, match)
        return await self._translated_async(
            lambda: target.assert_request_made(path, count=count, timeout=timeout, **criteria), msg
        )

    def assertNoRequestReceived(
        self,
        path: Any = "",
        method: str | None = None,
        query_string: Any = None,
        headers: Any = None,
        json: Any = UNDEFINED,
        data: Any = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
        **match: Any,
    ) -> None:
        """Check that no request like this one arrived during the test.

        With no arguments: that no request arrived at all. The arguments are
        those of :meth:`assertRequestReceived`.
        """
        target = self._http_target(server)
        criteria = _criteria(method, query_string, headers, json, data, match)
        self._translated(lambda: target.assert_request_made(path, count=0, **criteria), msg)

    def assertRequestsInOrder(
        self,
        *steps: Any,
        timeout: float | None = None,
        msg: str | None = None,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """Check that requests matching *steps* arrived in this order; return them.

        Other requests may come before, between and after them. Each step is a
        path, a :class:`~localserver.RequestMatcher` or an expectation; a list of
        them works too.
        """
        target = self._http_target(server)
        return self._translated(
            lambda: target.assert_requests_in_order(*steps, timeout=timeout), msg
        )

    async def assertRequestsInOrderAsync(
        self,
        *steps: Any,
        timeout: float | None = None,
        msg: str | None = None,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """:meth:`assertRequestsInOrder`, waiting without blocking the event loop."""
        target = self._http_target(server)
        return await self._translated_async(
            lambda: target.assert_requests_in_order(*steps, timeout=timeout), msg
        )

    def assertAllExpectationsMet(
        self,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
    ) -> None:
        """Check that every oneshot, ordered and ``times=`` expectation was used up.

        Those from ``setUpClass`` count too; the after-test check looks only at
        the test's own.
        """
        target = self._http_target(server)
        self._translated(lambda: target.assert_expectations_met(timeout), msg)

    async def assertAllExpectationsMetAsync(
        self,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
    ) -> None:
        """:meth:`assertAllExpectationsMet`, waiting without blocking the event loop."""
        target = self._http_target(server)
        await self._translated_async(lambda: target.assert_expectations_met(timeout), msg)

    def _http_target(self, server: HTTPServer | None) -> HTTPServer:
        if server is not None:
            if not isinstance(server, HTTPServer):
                raise TypeError(f"'server' must be an HTTPServer or HTTPSServer (got {server!r})")
            return server
        names = [s.name for s in slots_of(type(self)) if issubclass(s.base, HTTPServer)]
        if len(names) > 1:
            raise TypeError(
                f"{type(self).__qualname__} has {' and '.join(names)}: say which one to check "
                f"with server=self.{names[0]} or server=self.{names[1]}"
            )
        return getattr(self, names[0])  # type: ignore[no-any-return]


class ClientCertAssertions(_Translating):
    """The mutual-TLS assertion of ``HTTPSServerMixin``."""

    https_server: Any

    def assertClientCertPresented(
        self,
        cert: ClientCertificate | str | None = None,
        path: Any = "",
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPSServer | None = None,
    ) -> list[RecordedRequest]:
        """Check that a request came with a client certificate (mutual TLS); return those.

        Args:
            cert: The certificate expected: a
                :class:`~localserver.ClientCertificate`, a subject
                (``"CN=alice,..."``), or a common name (``"alice"``). Any
                certificate when left out.
            path: Only requests to this path count; any path when left out.
            timeout: Wait up to this many seconds for such a request.
            msg: Your message, shown with the report.
            server: The HTTPS server to check (``self.https_server`` by default).
        """
        target = self._https_target(server)
        return self._translated(
            lambda: target.assert_client_cert_presented(cert, path, timeout), msg
        )

    async def assertClientCertPresentedAsync(
        self,
        cert: ClientCertificate | str | None = None,
        path: Any = "",
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPSServer | None = None,
    ) -> list[RecordedRequest]:
        """:meth:`assertClientCertPresented`, waiting without blocking the event loop."""
        target = self._https_target(server)
        return await self._translated_async(
            lambda: target.assert_client_cert_presented(cert, path, timeout), msg
        )

    def _https_target(self, server: HTTPSServer | None) -> HTTPSServer:
        target = self.https_server if server is None else server
        if not isinstance(target, HTTPSServer):
            raise TypeError(f"'server' must be an HTTPSServer (got {target!r})")
        return target
