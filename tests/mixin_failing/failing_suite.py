"""Two tests that fail on purpose between tests that pass."""

from __future__ import annotations

import unittest
import urllib.error
import urllib.request

from localserver import HTTPServerMixin


class FailingTests(HTTPServerMixin, unittest.TestCase):
    def test_1_passes(self) -> None:
        """Nothing wrong here."""
        self.assertNoRequestReceived()

    def test_2_unmatched_request(self) -> None:
        """Fails in the after-test check: a request no expectation answered."""
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(self.http_server.url_for("/not-expected"), timeout=5)
        caught.exception.close()

    def test_3_passes(self) -> None:
        """The failure of the test before does not leak into this one."""
        self.assertNoRequestReceived()

    def test_4_assertion_fails(self) -> None:
        """Fails in an assertion helper."""
        self.assertRequestReceived("/never-sent")
