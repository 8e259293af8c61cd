"""Tests as pytest-localserver users write them: they pass with its plugin and with ours.

Not collected by the main run (no ``test_`` prefix): tests/test_pytest_plugin_use.py
runs this file under both plugins, and docs/migrate-pytest-localserver.rst shows it.
"""

from __future__ import annotations

import smtplib

import requests


def test_serve_content(httpserver):
    httpserver.serve_content("hello", code=201, headers={"X-Answer": "42"})

    response = requests.get(httpserver.url + "/greeting", timeout=5)

    assert response.status_code == 201
    assert response.text == "hello"
    assert response.headers["X-Answer"] == "42"


def test_recorded_requests(httpserver):
    httpserver.serve_content("ok")

    requests.post(httpserver.url + "/form", data={"name": "Ada"}, timeout=5)

    assert len(httpserver.requests) == 1
    request = httpserver.requests[0]
    assert request.method == "POST"
    assert request.path == "/form"
    assert request.form["name"] == "Ada"


def test_content_attributes(httpserver):
    httpserver.code = 404
    httpserver.content = "missing"

    response = requests.get(httpserver.url, timeout=5)

    assert (response.status_code, response.text) == (404, "missing")
    host, port = httpserver.server_address
    assert httpserver.url == f"http://{host}:{port}"


def test_https(httpsserver):
    httpsserver.serve_content("secret")

    response = requests.get(httpsserver.url, verify=httpsserver.certificate, timeout=5)

    assert response.text == "secret"


def test_smtp(smtpserver):
    message = "From: ada@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
    with smtplib.SMTP(*smtpserver.addr, timeout=5) as client:
        client.sendmail("ada@example.com", ["bob@example.com"], message)

    assert len(smtpserver.outbox) == 1
    mail = smtpserver.outbox[0]
    assert mail["Subject"] == "hi"
    assert mail.get_payload().strip() == "hello"
    assert mail.details.mailfrom == "ada@example.com"
    assert mail.details.rcpttos == ["bob@example.com"]
