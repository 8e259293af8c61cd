"""A root conftest.py of a suite moved from pytest-httpserver (docs/migrate-pytest-httpserver.rst).

tests/test_compat_httpserver_plugin.py runs a suite with it.
"""

import pytest

from localserver.compat.pytest_httpserver import HTTPServer

pytest_plugins = ["localserver.compat.pytest_httpserver.pytest_plugin"]


@pytest.fixture(scope="session")
def make_httpserver():
    # Every response closes its connection, as pytest-httpserver's HTTP/1.0 did:
    # a client that keeps a connection across event loops then always opens a new one.
    server = HTTPServer(keep_alive=False)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
