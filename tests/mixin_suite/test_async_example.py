"""The mixins in IsolatedAsyncioTestCase, with three servers in one class."""

from __future__ import annotations

import asyncio
import unittest
import urllib.request

from localserver import HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin


def ping(url: str, context: object = None) -> bytes:
    with urllib.request.urlopen(url, context=context, timeout=5) as response:  # type: ignore[arg-type]
        return response.read()  # type: ignore[no-any-return]


class AllServersAsyncTests(
    HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin, unittest.IsolatedAsyncioTestCase
):
    async def test_requests_from_worker_threads(self) -> None:
        """Awaited assertions wait for requests sent from threads, without blocking the loop."""
        self.http_server.expect_request("/a").respond_with_data("a")
        self.https_server.expect_request("/b").respond_with_data("b")
        context = self.https_server.client_ssl_context()
        results = await asyncio.gather(
            asyncio.to_thread(ping, self.http_server.url_for("/a")),
            asyncio.to_thread(ping, self.https_server.url_for("/b"), context),
            self.assertRequestReceivedAsync("/a", timeout=5, server=self.http_server),
            self.assertRequestReceivedAsync("/b", timeout=5, server=self.https_server),
        )
        self.assertEqual(results[:2], [b"a", b"b"])

    async def test_no_mail(self) -> None:
        """The SMTP server of the class is there too."""
        self.assertTrue(self.smtp_server.running)
        self.assertNoMailSent()
