"""The async how-to's examples: each is included into docs/async.rst."""

from __future__ import annotations

import asyncio
import smtplib
import unittest
from email.message import EmailMessage

import httpx

from localserver import HTTPServer, HTTPServerMixin, SMTPServerMixin

# -- the code under test ----------------------------------------------------------------


async def fetch_forecast(client: httpx.AsyncClient, base_url: str, city: str) -> str:
    """Ask a weather API for a city's sky, asynchronously."""
    response = await client.get(f"{base_url}/v1/forecast", params={"city": city})
    response.raise_for_status()
    return str(response.json()["sky"])


def send_alert(smtp_address: tuple[str, int], sky: str) -> None:
    """Mail a storm alert (blocking: async code runs it in a thread)."""
    message = EmailMessage()
    message["From"] = "weather@example.com"
    message["To"] = "ops@example.com"
    message["Subject"] = f"Alert: {sky}"
    message.set_content(f"The sky: {sky}.")
    with smtplib.SMTP(*smtp_address, local_hostname="localhost", timeout=5) as client:
        client.send_message(message)


# -- IsolatedAsyncioTestCase ------------------------------------------------------------


class AsyncForecastTests(HTTPServerMixin, unittest.IsolatedAsyncioTestCase):
    async def test_fetch(self) -> None:
        self.http_server.expect_request("/v1/forecast").respond_with_json({"sky": "rain"})

        async with httpx.AsyncClient(timeout=5) as client:
            sky = await fetch_forecast(client, self.http_server.url, "Oslo")

        self.assertEqual(sky, "rain")
        self.assertRequestReceived("/v1/forecast", query_string={"city": "Oslo"})

    async def test_many_at_once(self) -> None:
        self.http_server.expect_request("/v1/forecast").respond_with_json({"sky": "sun"})

        async with httpx.AsyncClient(timeout=5) as client:
            skies = await asyncio.gather(
                *(fetch_forecast(client, self.http_server.url, city) for city in "ABCDE")
            )

        self.assertEqual(skies, ["sun"] * 5)
        self.assertRequestReceived("/v1/forecast", count=5)


class BackgroundAlertTests(SMTPServerMixin, unittest.IsolatedAsyncioTestCase):
    async def test_alert_sent_in_the_background(self) -> None:
        task = asyncio.create_task(asyncio.to_thread(send_alert, self.smtp_server.addr, "storm"))

        await self.assertMailSentAsync(subject="Alert: storm", timeout=5)
        await task


# -- without a test case class ----------------------------------------------------------


def test_with_asyncio_run() -> None:
    async def scenario(server: HTTPServer) -> str:
        async with httpx.AsyncClient(timeout=5) as client:
            return await fetch_forecast(client, server.url, "Lima")

    with HTTPServer() as server:
        server.expect_request("/v1/forecast").respond_with_json({"sky": "mist"})

        assert asyncio.run(scenario(server)) == "mist"
        server.check_assertions()


# -- one client across event loops ------------------------------------------------------


def test_one_client_across_event_loops() -> None:
    # keep_alive=False: each response closes its connection, so the client never
    # reuses a connection that belongs to an event loop already closed.
    with HTTPServer(keep_alive=False) as server:
        server.serve_content("ok")
        client = httpx.AsyncClient()

        async def fetch() -> str:
            return (await client.get(server.url)).text

        assert asyncio.run(fetch()) == "ok"
        assert asyncio.run(fetch()) == "ok"  # another loop: a new connection
        asyncio.run(client.aclose())
