"""The limits page's examples: each is included into docs/limits.rst."""

from __future__ import annotations

import smtplib
import socket
import unittest
from email.message import EmailMessage

import pytest
import requests

from localserver import HTTPServer, HTTPServerMixin, ProtocolViolationError, SMTPServer


def test_raise_the_body_limit():
    """A body over max_body_size gets 413; raise the limit (or pass None) to take it."""
    upload = b"x" * (2 * 1024 * 1024)

    with HTTPServer(max_body_size=1024 * 1024) as server:
        server.serve_content("stored")
        response = requests.post(server.url, data=upload, timeout=5)
        assert response.status_code == 413
        assert "max_body_size" in response.text
        with pytest.raises(ProtocolViolationError, match="answered 413"):
            server.check_assertions()

    with HTTPServer(max_body_size=8 * 1024 * 1024) as server:
        server.serve_content("stored")
        assert requests.post(server.url, data=upload, timeout=5).text == "stored"
        assert len(server.requests[0].get_data()) == len(upload)


def test_head_deadline():
    """A client that does not finish its request head within head_timeout gets 408."""
    with HTTPServer(head_timeout=0.2) as server:
        with socket.create_connection(server.server_address, timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: loc")  # ... and nothing more
            answer = client.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert server.protocol_errors[0].endswith("(head_timeout)")


class SlowClientTests(HTTPServerMixin, unittest.TestCase):
    # The same arguments, for the server a mixin starts for the class.
    http_server_options = {"head_timeout": 30.0, "connection_timeout": 120.0}

    def test_options_reach_the_server(self):
        self.assertEqual(self.http_server.connection_timeout, 120.0)


def test_smtp_limits():
    """max_recipients and max_message_size change what one mail may hold."""
    message = EmailMessage()
    message["Subject"] = "report"
    message.set_content("x" * 5000)

    with SMTPServer(max_recipients=2, max_message_size=4096) as server:
        with server.client() as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(message, "a@example.com", ["b@example.com"])
            assert refused.value.smtp_code == 552
        with server.client() as client:
            message.set_content("short")
            refused_rcpts = client.send_message(
                message, "a@example.com", ["b@example.com", "c@example.com", "d@example.com"]
            )
            assert list(refused_rcpts) == ["d@example.com"]
            assert refused_rcpts["d@example.com"][0] == 452
        assert server.outbox[0].rcpt_tos == ["b@example.com", "c@example.com"]
