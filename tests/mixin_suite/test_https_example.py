"""HTTPSServerMixin: verified TLS and mutual TLS with certificates made at run time."""

from __future__ import annotations

import ssl
import unittest
import urllib.error
import urllib.request
from typing import Any, ClassVar

from localserver import HTTPSServerMixin


class MutualTLSTests(HTTPSServerMixin, unittest.TestCase):
    https_server_options: ClassVar[dict[str, Any]] = {"require_client_cert": True}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.https_server.expect_request("/secure").respond_with_data("secret")

    def test_client_certificate(self) -> None:
        """A client presenting a certificate the server trusts gets through."""
        cert = self.https_server.issue_client_cert("alice")
        context = self.https_server.client_ssl_context(cert)
        with urllib.request.urlopen(
            self.https_server.url_for("/secure"), context=context, timeout=5
        ) as response:
            self.assertEqual(response.read(), b"secret")
        self.assertClientCertPresented(cert, "/secure")

    def test_refused_without_certificate(self) -> None:
        """A client without a certificate is refused at the handshake."""
        context = ssl.create_default_context(cafile=self.https_server.ca_bundle)
        url = self.https_server.url_for("/secure")
        refused = (ssl.SSLError, ConnectionError, urllib.error.URLError)
        with self.assertRaises(refused), urllib.request.urlopen(url, context=context, timeout=5):
            pass
        self.assertNoRequestReceived()
