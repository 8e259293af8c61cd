"""HTTPServerMixin: a client of a JSON API, tested against a real server."""

from __future__ import annotations

import json
import unittest
import urllib.request

from localserver import HTTPServerMixin


def fetch_user(base_url: str, user_id: int) -> dict[str, object]:
    """The code under test: a tiny API client."""
    request = urllib.request.Request(
        f"{base_url}/users/{user_id}", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


class UserClientTests(HTTPServerMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # Stays for every test of the class.
        cls.http_server.expect_request("/health").respond_with_data("ok")

    def test_fetch_user(self) -> None:
        """The client asks for JSON and decodes it."""
        self.http_server.expect_request("/users/7").respond_with_json({"id": 7, "name": "Ada"})
        self.assertEqual(fetch_user(self.http_server.url, 7), {"id": 7, "name": "Ada"})
        self.assertRequestReceived("/users/7", method="GET", headers={"Accept": "application/json"})

    def test_journal_starts_empty(self) -> None:
        """Requests of other tests are forgotten; setUpClass's expectation stays."""
        self.assertNoRequestReceived()
        with urllib.request.urlopen(self.http_server.url_for("/health"), timeout=5) as response:
            self.assertEqual(response.read(), b"ok")

    def test_oneshot_used(self) -> None:
        """A oneshot expectation used by the test passes the after-test check."""
        self.http_server.expect_oneshot_request("/users/1").respond_with_json({"id": 1})
        fetch_user(self.http_server.url, 1)
        self.assertRequestsInOrder("/users/1")
