"""A WSGI application over HTTPS, as suites moved from pytest-localserver serve it.

docs/migrate-pytest-localserver.rst shows it.
"""

import requests

from localserver.compat.pytest_localserver import http, https


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


class SecureApp(http.WSGIServer):
    def __init__(self):
        # The peer's certificate files, made at run time from localserver's test CA.
        context = (https.DEFAULT_CERTIFICATE, https.DEFAULT_KEY)
        http.WSGIServer.__init__(self, "localhost", 0, application, ssl_context=context)


def test_secure_app():
    server = SecureApp()
    server.start()
    try:
        response = requests.get(server.url, verify=https.DEFAULT_CERTIFICATE, timeout=5)
        assert response.text == "hello"
    finally:
        server.stop()
