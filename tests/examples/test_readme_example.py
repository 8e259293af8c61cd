"""README.rst's example, line for line (tests/test_docs.py checks that the two agree)."""

from __future__ import annotations

import requests

from localserver import HTTPServer


def test_client_reads_the_greeting():
    with HTTPServer() as server:
        server.serve_content("hello")
        response = requests.get(server.url, timeout=5)
        assert response.text == "hello"
        assert server.requests[0].path == "/"
