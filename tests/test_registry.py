"""The registry: an expectation matches only once it can answer (issue 14, item 4).

``expect_request()`` makes a draft; the first ``respond_with_*`` makes it live. A
client thread hammering the server while expectations are registered never meets
one that matches without a response: before the response it gets the default
response (or, without one, a 500 reported as ``NoHandlerError``), after it the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from localserver import HTTPServer, NoHandlerError

from .conftest import TIMEOUT

ROUNDS = 40


class _Hammer(threading.Thread):
    """Requests ``target`` over and over on one keep-alive connection; keeps every answer."""

    def __init__(self, server: HTTPServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.target = "/warm-up"
        self.answers: list[tuple[str, int, str]] = []
        self.changed = threading.Condition()
        self.done = threading.Event()

    def run(self) -> None:
        with requests.Session() as session:
            session.trust_env = False
            while not self.done.is_set():
                path = self.target
                response = session.get(self.server.url_for(path), timeout=TIMEOUT)
                with self.changed:
                    self.answers.append((path, response.status_code, response.text))
                    self.changed.notify_all()

    def wait_for(self, path: str, accept: object) -> None:
        """Wait until an answer to *path* satisfies *accept(status, text)*."""

        def seen() -> bool:
            return any(
                p == path and accept(s, t)  # type: ignore[operator]
                for p, s, t in self.answers
            )

        with self.changed:
            assert self.changed.wait_for(seen, TIMEOUT), f"no such answer to {path}"


@pytest.fixture
def hammer(bare_server: HTTPServer) -> Iterator[_Hammer]:
    """The hammer thread, started by the test once the server is set up."""
    thread = _Hammer(bare_server)
    yield thread
    thread.done.set()
    if thread.is_alive():
        thread.join(TIMEOUT)


class TestAtomicRegistration:
    def test_a_draft_never_answers(self, bare_server: HTTPServer, hammer: _Hammer) -> None:
        """Requests between expect_request() and respond_with_*() get the default response."""
        server = bare_server
        server.serve_content("default")
        hammer.start()
        for number in range(ROUNDS):
            path = f"/r/{number}"
            hammer.target = path
            expectation = server.expect_request(path)
            # Requests do arrive while the expectation is a draft...
            hammer.wait_for(path, lambda status, text: text == "default")
            expectation.respond_with_data(f"answer {number}")
            # ...and the answer comes as soon as it is live.
            hammer.wait_for(path, lambda status, text, n=number: text == f"answer {n}")
        hammer.done.set()
        hammer.join(TIMEOUT)
        for path, status, text in hammer.answers:
            assert status == 200, (path, text)
            if path.startswith("/r/"):
                assert text in ("default", f"answer {path[3:]}"), (path, text)
        server.check()

    def test_without_a_default_the_draft_is_reported(
        self, bare_server: HTTPServer, hammer: _Hammer
    ) -> None:
        """Without a default response, a request meeting a draft is a NoHandlerError."""
        server = bare_server
        server.expect_request("/warm-up").respond_with_data("warm")
        hammer.start()
        for number in range(ROUNDS // 4):
            path = f"/r/{number}"
            hammer.target = path
            expectation = server.expect_request(path)
            hammer.wait_for(path, lambda status, text: "has no response" in text)
            expectation.respond_with_data(f"answer {number}")
            hammer.wait_for(path, lambda status, text, n=number: text == f"answer {n}")
        hammer.done.set()
        hammer.join(TIMEOUT)
        statuses = {(status, "has no response" in text) for _, status, text in hammer.answers}
        assert statuses <= {(200, False), (500, True)}
        failures = []
        while True:
            try:
                server.check_assertions()
            except AssertionError as failure:
                failures.append(failure)
                continue
            break
        assert failures
        assert all(isinstance(f, NoHandlerError) for f in failures)

    def test_respond_with_returns_the_live_expectation(self, bare_server: HTTPServer) -> None:
        """respond_with_* returns the expectation itself, live from then on."""
        expectation = bare_server.expect_request("/x")
        assert expectation.respond_with_data("x") is expectation
        assert requests.get(bare_server.url_for("/x"), timeout=TIMEOUT).text == "x"
