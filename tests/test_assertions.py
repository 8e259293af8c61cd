"""Waiting assertions look at each arriving request once (issue 14, item 9).

A test thread waiting in ``assert_request_made(..., count=N, timeout=...)``,
``assert_requests_in_order(..., timeout=...)`` or ``assert_expectations_met(timeout)``
while requests arrive does O(1) work per request. Counted here, not timed: the
path matchers count how often they are asked, and the registry's sorted listing
counts how often it is built. A quadratic wait would ask about N²/2 times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from localserver import HTTPServer
from localserver._registry import Registry

from .conftest import TIMEOUT

N = 150


class CountingPath:
    """A path matcher (an object with ``match(path)``) that counts how often it is asked."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.calls = 0
        self.asked = threading.Condition()

    def match(self, path: str) -> bool:
        with self.asked:
            self.calls += 1
            self.asked.notify_all()
        return path == self.path

    def wait_asked(self) -> None:
        """Wait until the matcher was asked once (the waiting thread is looking)."""
        with self.asked:
            assert self.asked.wait_for(lambda: self.calls > 0, TIMEOUT)

    def __repr__(self) -> str:
        return f"CountingPath({self.path!r})"


class Waiter(threading.Thread):
    """Runs one waiting assertion on a thread of its own; keeps its result or error."""

    def __init__(self, check: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.check = check
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.check()
        except BaseException as exc:
            self.error = exc

    def outcome(self) -> Any:
        self.join(TIMEOUT * 4)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def server(bare_server: HTTPServer) -> HTTPServer:
    bare_server.serve_content("ok")
    return bare_server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.trust_env = False
        yield client


def send(server: HTTPServer, session: requests.Session, *paths: str) -> None:
    for path in paths:
        assert session.get(server.url_for(path), timeout=TIMEOUT).status_code == 200


class TestEachRequestLookedAtOnce:
    def test_assert_request_made_with_count(
        self, server: HTTPServer, session: requests.Session
    ) -> None:
        """count=N with a waiting thread: each request is matched once while waiting."""
        path = CountingPath("/w")
        waiter = Waiter(lambda: server.assert_request_made(path, count=N, timeout=TIMEOUT * 4))
        send(server, session, "/noise")
        waiter.start()
        path.wait_asked()
        for _ in range(N):
            send(server, session, "/w", "/noise")
        assert len(waiter.outcome()) == N
        arrived = len(server.requests)
        # Once while waiting, once for the final tally; quadratic would be ~arrived²/2.
        assert path.calls <= 2 * arrived + 2

    def test_assert_requests_in_order(self, server: HTTPServer, session: requests.Session) -> None:
        """Waiting for steps in order tests each request against the current step only."""
        first, last = CountingPath("/first"), CountingPath("/last")
        waiter = Waiter(lambda: server.assert_requests_in_order(first, last, timeout=TIMEOUT * 4))
        send(server, session, "/noise")
        waiter.start()
        first.wait_asked()
        send(server, session, "/first", *["/noise"] * N, "/last")
        assert [r.path for r in waiter.outcome()] == ["/first", "/last"]
        arrived = len(server.requests)
        assert first.calls + last.calls <= 2 * arrived + 4

    def test_assert_expectations_met(
        self, server: HTTPServer, session: requests.Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Waiting for expectations to be used never lists or sorts them per request."""
        listings = {"pending": 0, "snapshot": 0}
        for name in listings:
            original = getattr(Registry, name)

            def counted(self: Registry, _name: str = name, _original: Any = original) -> Any:
                listings[_name] += 1
                return _original(self)

            monkeypatch.setattr(Registry, name, counted)
        server.expect_request("/w", times=N).respond_with_data("x")
        changed = server._registry.changed
        wakes = {"notify_all": 0}
        notify_all = changed.notify_all

        def counted_notify() -> None:
            wakes["notify_all"] += 1
            notify_all()

        monkeypatch.setattr(changed, "notify_all", counted_notify)
        waiter = Waiter(lambda: server.assert_expectations_met(timeout=TIMEOUT * 4))
        waiter.start()
        send(server, session, *["/w"] * N)
        waiter.outcome()
        # One listing for the final answer, whatever the number of requests...
        assert listings == {"pending": 1, "snapshot": 0}
        # ...and the waiter is woken when the expectation is used up, not per request.
        assert wakes["notify_all"] == 1

    def test_wait_block_with_many_requests(
        self, server: HTTPServer, session: requests.Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """server.wait() ends when the limited expectations are used, without listing them."""
        calls = {"pending": 0}
        original = Registry.pending

        def counted(self: Registry) -> Any:
            calls["pending"] += 1
            return original(self)

        monkeypatch.setattr(Registry, "pending", counted)
        server.expect_request("/w", times=N).respond_with_data("x")
        with server.wait(timeout=TIMEOUT * 4) as waiting:
            send(server, session, *["/w"] * N)
        assert waiting.result
        assert calls["pending"] == 0
