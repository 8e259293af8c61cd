"""The reports docs/failures.rst shows: each test makes one and compares it with its file.

The expected texts live in ``tests/examples/reports/``; the page includes them,
so what the page shows is what localserver prints. Port numbers, which change
from run to run, are written as 38211 in the files. After a deliberate change
to a report, ``LOCALSERVER_WRITE_REPORTS=1`` rewrites the files: review the diff.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import unittest
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from localserver import (
    HTTPServer,
    HTTPServerMixin,
    RequestCountError,
    SMTPServerMixin,
    UnmatchedRequestError,
)

REPORTS = Path(__file__).parent / "reports"
PORT = 38211


def assert_report(text: str, name: str, port: int) -> None:
    """*text*, with *port* written as 38211, equals tests/examples/reports/<name>.txt."""
    shown = re.sub(rf"\b{port}\b", str(PORT), text).rstrip() + "\n"
    path = REPORTS / f"{name}.txt"
    if os.environ.get("LOCALSERVER_WRITE_REPORTS") == "1":
        path.write_text(shown)  # after a deliberate change of a report: review the diff
    expected = path.read_text()
    assert shown == expected, (
        f"the report changed; update tests/examples/reports/{name}.txt:\n{shown}"
    )


def post_json(server: HTTPServer, path: str, value: Any) -> int:
    """POST *value* as JSON with http.client, whose few headers never vary."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        body = json.dumps(value)
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def get(server: HTTPServer, target: str, headers: dict[str, str]) -> int:
    """GET *target* with http.client and these headers."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def failure_of(case: type[unittest.TestCase]) -> str:
    """Run *case*'s tests; return the message of the one failure they must produce."""
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    assert result.errors == [], result.errors
    assert len(result.failures) == 1, result.failures
    traceback = result.failures[0][1]
    return traceback[traceback.index("AssertionError: ") :]


# -- the reports -------------------------------------------------------------------------


def test_unmatched_request() -> None:
    """A request no expectation matched, with the closest expectations field by field."""
    with HTTPServer() as server:
        server.expect_request("/api/users", method="POST", json={"name": "Ann"}).respond_with_json(
            {"id": 7}, status=201
        )
        server.expect_request("/api/users", method="GET").respond_with_json([])

        status = post_json(server, "/api/users", {"name": "Bob"})

        assert status == 500
        with pytest.raises(UnmatchedRequestError) as failure:
            server.check_assertions()
        assert_report(str(failure.value), "unmatched", server.port)


def test_nothing_arrived(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no request arrived at all, the report names the causes it can see."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    with HTTPServer() as server:
        with pytest.raises(RequestCountError) as failure:
            server.assert_request_made("/api/orders")
        assert_report(str(failure.value), "nothing_arrived", server.port)


def test_assertion_in_a_test_case() -> None:
    """A mixin's assertion shows the requests that arrived, closest first."""
    ports = []

    # Defined here, so that pytest does not collect a test case that must fail.
    class ForecastTests(HTTPServerMixin, unittest.TestCase):
        def test_fetch_forecast(self) -> None:
            ports.append(self.http_server.port)
            self.http_server.expect_request("/v1/forecast").respond_with_json({"sky": "snow"})
            get(self.http_server, "/v1/forecast?city=Oslo", {"Accept": "application/json"})

            self.assertRequestReceived(
                "/v1/forecast", query_string={"city": "Oslo"}, headers={"Accept": "text/html"}
            )

    message = failure_of(ForecastTests)
    assert_report(message, "assert_request_received", ports[0])


def test_mail_assertion() -> None:
    """assertMailSent shows the mails that arrived, field by field."""
    ports = []

    class ReceiptTests(SMTPServerMixin, unittest.TestCase):
        def test_receipt(self) -> None:
            ports.append(self.smtp_server.port)
            message = EmailMessage()
            message["From"] = "shop@example.com"
            message["To"] = "ada@example.org"
            message["Subject"] = "Receipt ch_1"
            message.set_content("We charged 4200 cents.")
            with self.smtp_server.client() as client:
                client.send_message(message)

            self.assertMailSent(to="ada@example.com", subject="Receipt ch_1")

    message = failure_of(ReceiptTests)
    assert_report(message, "assert_mail_sent", ports[0])
