"""The mutual-TLS assertion of ``HTTPSServerMixin``: ``assertClientCertPresented``."""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from ._http import HTTPServer
from ._http_asserts import LISTED, make_matcher, request_line
from ._journal import RecordedRequest
from ._matchers import UNDEFINED, RequestMatcher
from ._mixin_base import failure
from ._report import nothing_arrived
from ._tls import ClientCertificate
from ._waiting import check_timeout, wait_for, wait_for_async

__all__ = ["ClientCertAssertions", "client_cert_matches"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True


def client_cert_matches(request: RecordedRequest, cert: ClientCertificate | str | None) -> bool:
    """Whether *request* came with a client certificate (this one, when given)."""
    subject = request.client_cert_subject
    if subject is None:
        return False
    if cert is None:
        return True
    if isinstance(cert, ClientCertificate):
        return subject == cert.subject
    if "=" in cert:
        return subject == cert
    return f"CN={cert}" in subject.split(",")


class ClientCertAssertions:
    """The mutual-TLS assertion of ``HTTPSServerMixin``."""

    failureException: ClassVar[type[BaseException]]
    https_server: Any

    def assertClientCertPresented(
        self,
        cert: ClientCertificate | str | None = None,
        path: Any = "",
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """Check that a request came with a client certificate (mutual TLS).

        Args:
            cert: The certificate expected: a
                :class:`~localserver.ClientCertificate`, a subject
                (``"CN=alice,..."``), or a common name (``"alice"``). Any
                certificate when left out.
            path: Only requests to this path count (as in
                :meth:`assertRequestReceived`); any path when left out.
            timeout: Wait up to this many seconds for such a request.
            msg: Your message, shown with the report.
            server: The HTTPS server to check (``self.https_server`` by default).

        Returns:
            The requests that presented the certificate, oldest first.
        """
        target, matcher, wanted = self._cert_setup(cert, path, server)
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            wait_for(journal.changed, lambda: bool(wanted(list(journal))), limit)
        return self._cert_check(target, matcher, wanted, cert, limit, msg)

    async def assertClientCertPresentedAsync(
        self,
        cert: ClientCertificate | str | None = None,
        path: Any = "",
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """:meth:`assertClientCertPresented`, waiting without blocking the event loop."""
        target, matcher, wanted = self._cert_setup(cert, path, server)
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            await wait_for_async(journal.changed, lambda: bool(wanted(list(journal))), limit)
        return self._cert_check(target, matcher, wanted, cert, limit, msg)

    def _cert_setup(
        self, cert: ClientCertificate | str | None, path: Any, server: HTTPServer | None
    ) -> tuple[HTTPServer, RequestMatcher, Callable[[list[Any]], list[Any]]]:
        if cert is not None and not isinstance(cert, (ClientCertificate, str)):
            raise TypeError(
                f"'cert' must be a ClientCertificate, a subject or a common name (got {cert!r})"
            )
        target = self.https_server if server is None else server
        if not isinstance(target, HTTPServer):
            raise TypeError(f"'server' must be an HTTPSServer (got {target!r})")
        matcher = make_matcher(path, None, None, None, UNDEFINED, None, {})

        def wanted(requests: list[Any]) -> list[Any]:
            return [r for r in requests if matcher.match(r) and client_cert_matches(r, cert)]

        return target, matcher, wanted

    def _cert_check(
        self,
        target: HTTPServer,
        matcher: RequestMatcher,
        wanted: Callable[[list[Any]], list[Any]],
        cert: ClientCertificate | str | None,
        timeout: float | None,
        msg: str | None,
    ) -> list[RecordedRequest]:
        requests = target.requests.snapshot()
        found = wanted(requests)
        if found:
            return found
        if isinstance(cert, ClientCertificate):
            expected = cert.subject
        else:
            expected = "any" if cert is None else (cert if "=" in cert else f"CN={cert}")
        where = f" to {matcher.describe()}" if matcher.fields else ""
        waited = f" after waiting {timeout:g} s" if timeout else ""
        lines = [f"expected a request{where} with client certificate {expected}; none{waited}."]
        if not requests:
            lines += ["", *nothing_arrived(target._situation())]
        else:
            # Those to the right path first, then the rest, in arrival order.
            ranked = sorted(requests, key=lambda r: not matcher.match(r))
            lines += ["", f"{len(requests)} request(s) arrived, closest first:"]
            for request in ranked[:LISTED]:
                presented = request.client_cert_subject or "no client certificate"
                lines.append(f"  {request_line(request)}  [{presented}]")
            if target._situation().protocol_errors:
                kinds = sorted({kind for kind, _ in target._situation().protocol_errors})
                lines.append(f"Refused at the TLS handshake: {', '.join(kinds)}.")
        raise failure(self, msg, "\n".join(lines) + "\n")
