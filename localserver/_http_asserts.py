"""The HTTP assertion helpers of the unittest mixins (``assertRequestReceived``...).

Each helper fails through ``self.failureException`` with ``msg`` and
``longMessage`` honoured, and its report shows what arrived, closest first.
``timeout=`` waits on the journal's condition variable (woken by each request);
the ``...Async`` twins wait the same way without blocking the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, ClassVar

from ._checks import UnmetExpectationError
from ._http import HTTPServer
from ._journal import RecordedRequest
from ._matchers import METHOD_ALL, UNDEFINED, RequestMatcher
from ._mixin_base import failure, slots_of
from ._report import WIDTH, count_report, format_request, nothing_arrived
from ._waiting import check_timeout, wait_for, wait_for_async

__all__ = ["LISTED", "HTTPAssertions", "make_matcher", "request_line"]

# unittest hides the frames of modules that define this from failure tracebacks.
__unittest = True

LISTED = 10


class HTTPAssertions:
    """Request assertions shared by ``HTTPServerMixin`` and ``HTTPSServerMixin``.

    Every helper checks the class's server; a class with both mixins names the
    one to check with ``server=``.
    """

    failureException: ClassVar[type[BaseException]]

    # -- assertRequestReceived --------------------------------------------------------

    def assertRequestReceived(
        self,
        path: Any = "",
        method: str | None = None,
        query: Any = None,
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
        """Check that requests like this one arrived during the test.

        Args:
            path: The path (exact, template such as ``"/users/<int:id>"``, or
                ``re.compile``), a :class:`~localserver.RequestMatcher`, or an
                expectation; ``""`` accepts any path.
            method: The HTTP method, e.g. ``"POST"``; any when left out.
            query: The query, as a str or a dict (``query_string`` of the matcher).
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

        Returns:
            The matching requests, oldest first.
        """
        target, matcher, wanted = self._received_setup(
            server, path, method, query, headers, json, data, count, match
        )
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            wait_for(journal.changed, lambda: wanted(_matching(matcher, journal)), limit)
        return self._received_check(target, matcher, count, limit, msg)

    async def assertRequestReceivedAsync(
        self,
        path: Any = "",
        method: str | None = None,
        query: Any = None,
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
        target, matcher, wanted = self._received_setup(
            server, path, method, query, headers, json, data, count, match
        )
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            await wait_for_async(
                journal.changed, lambda: wanted(_matching(matcher, journal)), limit
            )
        return self._received_check(target, matcher, count, limit, msg)

    def _received_setup(
        self,
        server: HTTPServer | None,
        path: Any,
        method: str | None,
        query: Any,
        headers: Any,
        json: Any,
        data: Any,
        count: int | None,
        match: dict[str, Any],
    ) -> tuple[HTTPServer, RequestMatcher, Callable[[list[Any]], bool]]:
        target = self._http_target(server)
        matcher = make_matcher(path, method, query, headers, json, data, match)
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 0
        ):
            raise ValueError(f"'count' must be None (at least one) or an int >= 0 (got {count!r})")
        least = 1 if count is None else count
        return target, matcher, lambda found: len(found) >= least

    def _received_check(
        self,
        target: HTTPServer,
        matcher: RequestMatcher,
        count: int | None,
        timeout: float | None,
        msg: str | None,
    ) -> list[RecordedRequest]:
        requests = target.requests.snapshot()
        found = [r for r in requests if matcher.match(r)]
        if (len(found) >= 1) if count is None else (len(found) == count):
            return found
        wanted = "at least 1 request" if count is None else f"{count} request(s)"
        waited = f" after waiting {timeout:g} s" if timeout else ""
        head = f"expected {wanted} matching {matcher.describe()}; found {len(found)}{waited}."
        if count is not None and len(found) > count:
            body = _listing("The matching requests:", found)
        else:
            body = _report_body(count_report(matcher, 1, 0, requests, target._situation()))
        raise failure(self, msg, f"{head}\n{body}")

    # -- assertNoRequestReceived ------------------------------------------------------

    def assertNoRequestReceived(
        self,
        path: Any = "",
        method: str | None = None,
        query: Any = None,
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
        matcher = make_matcher(path, method, query, headers, json, data, match)
        found = [r for r in target.requests.snapshot() if matcher.match(r)]
        if not found:
            return
        what = f"no request matching {matcher.describe()}" if matcher.fields else "no request"
        text = f"expected {what}; found {len(found)}.\n" + _listing("They arrived as:", found)
        raise failure(self, msg, text)

    # -- assertRequestsInOrder --------------------------------------------------------

    def assertRequestsInOrder(
        self,
        *steps: Any,
        timeout: float | None = None,
        msg: str | None = None,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """Check that requests matching *steps* arrived in this order.

        Other requests may come before, between and after them.

        Args:
            *steps: Each a path, a :class:`~localserver.RequestMatcher` (for a
                method, a body...) or an expectation.
            timeout: Wait up to this many seconds for the last of them.
            msg: Your message, shown with the report.
            server: The server to check, when the class has two.

        Returns:
            The request that matched each step.
        """
        target, matchers = self._in_order_setup(server, steps)
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            wait_for(journal.changed, lambda: _in_order(matchers, list(journal))[1] is None, limit)
        return self._in_order_check(target, matchers, limit, msg)

    async def assertRequestsInOrderAsync(
        self,
        *steps: Any,
        timeout: float | None = None,
        msg: str | None = None,
        server: HTTPServer | None = None,
    ) -> list[RecordedRequest]:
        """:meth:`assertRequestsInOrder`, waiting without blocking the event loop."""
        target, matchers = self._in_order_setup(server, steps)
        limit = check_timeout(timeout)
        if limit:
            journal = target.requests
            await wait_for_async(
                journal.changed, lambda: _in_order(matchers, list(journal))[1] is None, limit
            )
        return self._in_order_check(target, matchers, limit, msg)

    def _in_order_setup(
        self, server: HTTPServer | None, steps: Sequence[Any]
    ) -> tuple[HTTPServer, list[RequestMatcher]]:
        target = self._http_target(server)
        if not steps:
            raise TypeError("assertRequestsInOrder() needs at least one step (a path or matcher)")
        return target, [make_matcher(step, None, None, None, UNDEFINED, None, {}) for step in steps]

    def _in_order_check(
        self,
        target: HTTPServer,
        matchers: list[RequestMatcher],
        timeout: float | None,
        msg: str | None,
    ) -> list[RecordedRequest]:
        requests = target.requests.snapshot()
        chosen, missing = _in_order(matchers, requests)
        if missing is None:
            return [requests[i] for i in chosen]
        waited = f" (after waiting {timeout:g} s)" if timeout else ""
        step = matchers[missing]
        lines = [
            f"requests not in the expected order{waited}: step {missing + 1} of {len(matchers)}, "
            f"{step.describe()}, matched no request"
            + (f" after request #{chosen[-1] + 1}." if chosen else "."),
        ]
        earlier = [i for i, r in enumerate(requests) if step.match(r)]
        if earlier:
            numbers = ", ".join(f"#{i + 1}" for i in earlier[:LISTED])
            lines.append(f"It matched {numbers}, too early: the order differs.")
        if not requests:
            lines += ["", *nothing_arrived(target._situation())]
        else:
            lines += ["", f"{len(requests)} request(s) arrived, in this order:"]
            steps_of = {index: number for number, index in enumerate(chosen, 1)}
            for index, request in enumerate(requests[: LISTED * 2]):
                tag = f"step {steps_of[index]}" if index in steps_of else ""
                line = f"  #{index + 1:<3} {request_line(request)}"
                lines.append(f"{line:<{WIDTH - 10}} {tag}".rstrip())
            if len(requests) > LISTED * 2:
                lines.append(f"  ... and {len(requests) - LISTED * 2} more")
        raise failure(self, msg, "\n".join(lines) + "\n")

    # -- assertAllExpectationsMet -----------------------------------------------------

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

        Args:
            timeout: Wait up to this many seconds for them to be used.
            msg: Your message, shown with the report.
            server: The server to check, when the class has two.
        """
        target = self._http_target(server)
        limit = check_timeout(timeout)
        if limit:
            registry = target._registry
            wait_for(registry.changed, lambda: not registry.pending(), limit)
        self._met_check(target, msg)

    async def assertAllExpectationsMetAsync(
        self,
        timeout: float | None = None,
        msg: str | None = None,
        *,
        server: HTTPServer | None = None,
    ) -> None:
        """:meth:`assertAllExpectationsMet`, waiting without blocking the event loop."""
        target = self._http_target(server)
        limit = check_timeout(timeout)
        if limit:
            registry = target._registry
            await wait_for_async(registry.changed, lambda: not registry.pending(), limit)
        self._met_check(target, msg)

    def _met_check(self, target: HTTPServer, msg: str | None) -> None:
        try:
            target.assert_expectations_met()
        except UnmetExpectationError as exc:
            raise failure(self, msg, str(exc)) from None

    # -- which server -----------------------------------------------------------------

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


def make_matcher(
    path: Any,
    method: str | None,
    query: Any,
    headers: Any,
    json: Any,
    data: Any,
    match: dict[str, Any],
) -> RequestMatcher:
    if "query_string" in match:
        # expect_request's spelling, accepted here too.
        if query is not None:
            raise TypeError("pass 'query' or 'query_string', not both (they are the same)")
        query = match.pop("query_string")
    given = method is not None or query is not None or headers is not None
    given = given or json is not UNDEFINED or data is not None or bool(match)
    ready = path if isinstance(path, RequestMatcher) else getattr(path, "matcher", None)
    if isinstance(ready, RequestMatcher):
        if given:
            raise TypeError(
                "pass either a RequestMatcher (or expectation) or matching arguments, not both"
            )
        return ready
    return RequestMatcher(
        path,
        method=METHOD_ALL if method is None else method,
        data=data,
        headers=headers,
        query_string=query,
        json=json,
        **match,
    )


def _matching(matcher: RequestMatcher, journal: list[Any]) -> list[Any]:
    return [r for r in list(journal) if matcher.match(r)]


def _in_order(
    matchers: Sequence[RequestMatcher], requests: Sequence[Any]
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


def request_line(request: RecordedRequest) -> str:
    return format_request(request, "")[0]


def _listing(title: str, requests: Sequence[RecordedRequest]) -> str:
    lines = ["", title]
    for request in requests[:LISTED]:
        lines += format_request(request, "  ")
    if len(requests) > LISTED:
        lines.append(f"  ... and {len(requests) - LISTED} more")
    return "\n".join(lines) + "\n"


def _report_body(report: str) -> str:
    """A report of :mod:`._report` without its first line (the helper writes its own)."""
    return report.partition("\n")[2]
