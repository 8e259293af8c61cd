"""Questions a test asks an HTTP server about the requests it received.

Each assertion raises an :class:`~._errors.ExpectationError` subclass whose message
shows what arrived, closest first, and says so (with the likely causes) when nothing
did. ``timeout=`` waits for requests sent from another thread or process; a wait
looks at each request once, when it arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Callable, Union

from ._args import check_count, check_seconds
from ._errors import (
    ClientCertificateError,
    RequestCountError,
    RequestOrderError,
    UnmetExpectationError,
)
from ._journal import Journal
from ._matching import RequestMatcher, matcher_for
from ._recorded import RecordedRequest
from ._registry import Registry
from ._report import (
    WIDTH,
    Situation,
    count_report,
    listing,
    nothing_arrived,
    request_line,
    unmet_report,
)
from ._tls import ClientCertificate

__all__ = ["RequestAssertions", "Step"]

_LISTED = 10
#: One step of :meth:`RequestAssertions.in_order`: a path, a matcher or an expectation.
Step = Union[str, RequestMatcher, Any]


class RequestAssertions:
    """The assertions about a server's journal and expectations."""

    def __init__(
        self,
        journal: Journal[RecordedRequest],
        registry: Registry,
        situation: Callable[[], Situation],
    ) -> None:
        self._journal = journal
        self._registry = registry
        self._situation = situation

    def request_made(
        self,
        spec: object,
        criteria: dict[str, Any],
        count: int | None,
        timeout: float | None,
    ) -> list[RecordedRequest]:
        """See :meth:`HTTPServer.assert_request_made`."""
        matcher = matcher_for(spec, criteria)
        count = check_count("count", count, none=True)
        limit = check_seconds("timeout", timeout, none=True)
        least = 1 if count is None else count
        if limit and least:
            self._journal.wait_count(matcher.match, least, limit)
        requests = self._journal.snapshot()
        found = [r for r in requests if matcher.match(r)]
        if (len(found) >= 1) if count is None else (len(found) == count):
            return found
        if count is not None and len(found) > count:
            what = f" matching {matcher.describe()}" if matcher.fields else ""
            wanted = "no request" if count == 0 else f"{count} request(s)"
            text = f"expected {wanted}{what}; found {len(found)}.\n"
            raise RequestCountError(text + listing("They arrived as:", found))
        text = count_report(matcher, count, len(found), requests, self._situation(), limit)
        raise RequestCountError(text)

    def in_order(self, steps: Sequence[Step], timeout: float | None) -> list[RecordedRequest]:
        """See :meth:`HTTPServer.assert_requests_in_order`."""
        if len(steps) == 1 and isinstance(steps[0], (list, tuple)):
            steps = list(steps[0])
        if not steps:
            raise TypeError(
                "assert_requests_in_order() needs at least one step (a path or matcher)"
            )
        matchers = [matcher_for(step) for step in steps]
        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            _wait_in_order(self._journal, matchers, limit)
        requests = self._journal.snapshot()
        chosen, missing = _in_order(matchers, requests)
        if missing is None:
            return [requests[i] for i in chosen]
        raise RequestOrderError(self._order_report(matchers, requests, chosen, missing, limit))

    def _order_report(
        self,
        matchers: list[RequestMatcher],
        requests: list[RecordedRequest],
        chosen: list[int],
        missing: int,
        timeout: float | None,
    ) -> str:
        waited = f" (after waiting {timeout:g} s)" if timeout else ""
        step = matchers[missing]
        lines = [
            f"requests not in the expected order{waited}: step {missing + 1} of {len(matchers)}, "
            f"{step.describe()}, matched no request"
            + (f" after request #{chosen[-1] + 1}." if chosen else "."),
        ]
        earlier = [i for i, r in enumerate(requests) if step.match(r)]
        if earlier:
            numbers = ", ".join(f"#{i + 1}" for i in earlier[:_LISTED])
            lines.append(f"It matched {numbers}, too early: the order differs.")
        if not requests:
            lines += ["", *nothing_arrived(self._situation())]
            return "\n".join(lines) + "\n"
        lines += ["", f"{len(requests)} request(s) arrived, in this order:"]
        steps_of = {index: number for number, index in enumerate(chosen, 1)}
        for index, request in enumerate(requests[: _LISTED * 2]):
            tag = f"step {steps_of[index]}" if index in steps_of else ""
            line = f"  #{index + 1:<3} {request_line(request)}"
            lines.append(f"{line:<{WIDTH - 10}} {tag}".rstrip())
        if len(requests) > _LISTED * 2:
            lines.append(f"  ... and {len(requests) - _LISTED * 2} more")
        return "\n".join(lines) + "\n"

    def expectations_met(self, timeout: float | None) -> None:
        """See :meth:`HTTPServer.assert_expectations_met`."""
        limit = check_seconds("timeout", timeout, none=True)
        registry = self._registry
        if limit:
            with registry.changed:
                registry.changed.wait_for(lambda: registry.pending_count == 0, limit)
        pending = registry.pending()
        if pending:
            text = unmet_report(
                pending, self._journal.snapshot(), self._situation(), "expectations not met"
            )
            raise UnmetExpectationError(text)

    def client_cert(
        self, cert: ClientCertificate | str | None, path: object, timeout: float | None
    ) -> list[RecordedRequest]:
        """See :meth:`HTTPSServer.assert_client_cert_presented`."""
        if cert is not None and not isinstance(cert, (ClientCertificate, str)):
            raise TypeError(
                f"'cert' must be a ClientCertificate, a subject or a common name (got {cert!r})"
            )
        matcher = matcher_for(path)

        def wanted(request: RecordedRequest) -> bool:
            return matcher.match(request) and _cert_matches(request, cert)

        limit = check_seconds("timeout", timeout, none=True)
        if limit:
            self._journal.wait_count(wanted, 1, limit)
        requests = self._journal.snapshot()
        found = [r for r in requests if wanted(r)]
        if found:
            return found
        if isinstance(cert, ClientCertificate):
            expected = cert.subject
        else:
            expected = "any" if cert is None else (cert if "=" in cert else f"CN={cert}")
        where = f" to {matcher.describe()}" if matcher.fields else ""
        waited = f" after waiting {limit:g} s" if limit else ""
        lines = [f"expected a request{where} with client certificate {expected}; none{waited}."]
        situation = self._situation()
        if not requests:
            lines += ["", *nothing_arrived(situation)]
        else:
            # Those to the right path first, then the rest, in arrival order.
            ranked = sorted(requests, key=lambda r: not matcher.match(r))
            lines += ["", f"{len(requests)} request(s) arrived, closest first:"]
            for request in ranked[:_LISTED]:
                presented = request.client_cert_subject or "no client certificate"
                lines.append(f"  {request_line(request)}  [{presented}]")
            if situation.mistakes:
                kinds = sorted({m.kind for m in situation.mistakes})
                lines.append(f"Refused at the TLS handshake: {', '.join(kinds)}.")
        raise ClientCertificateError("\n".join(lines) + "\n")


def _cert_matches(request: RecordedRequest, cert: ClientCertificate | str | None) -> bool:
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


def _in_order(
    matchers: Sequence[RequestMatcher], requests: Sequence[RecordedRequest]
) -> tuple[list[int], int | None]:
    """Indexes of the earliest requests matching each step in turn; the first step missing."""
    chosen: list[int] = []
    position = 0
    for number, matcher in enumerate(matchers):
        index = next(
            (i for i in range(position, len(requests)) if matcher.match(requests[i])), None
        )
        if index is None:
            return chosen, number
        chosen.append(index)
        position = index + 1
    return chosen, None


def _wait_in_order(
    journal: Journal[RecordedRequest], matchers: Iterable[RequestMatcher], timeout: float
) -> None:
    """Wait until the steps have matched in turn, testing each request once."""
    steps = list(matchers)
    state = {"step": 0}

    def advance(request: RecordedRequest) -> bool:
        if state["step"] < len(steps) and steps[state["step"]].match(request):
            state["step"] += 1
            return state["step"] == len(steps)
        return False

    journal.wait_count(advance, 1, timeout)
