"""The request assertions of the mixins, as real TestCase classes using them."""

from __future__ import annotations

import asyncio
import threading
import unittest
from typing import Any, ClassVar

import httpx
import requests

from localserver import (
    HTTPServerMixin,
    HTTPSServerMixin,
    RequestMatcher,
)

from ._unittest_runs import run_classes
from .conftest import TIMEOUT


class RequestsMixin:
    """Send requests to the class's server with a real client."""

    http_server: Any

    def get(self, path: str, **kwargs: Any) -> int:
        with requests.get(self.http_server.url_for(path), timeout=TIMEOUT, **kwargs) as response:
            return response.status_code

    def post(self, path: str, **kwargs: Any) -> int:
        with requests.post(self.http_server.url_for(path), timeout=TIMEOUT, **kwargs) as response:
            return response.status_code


class AssertRequestReceivedTests(RequestsMixin, HTTPServerMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.http_server.serve_content("ok")

    def test_passes_and_returns_the_requests(self) -> None:
        """A matching request passes; the matching requests are returned."""
        self.post("/items", json={"name": "a"}, params={"x": "1"}, headers={"X-Key": "k"})
        found = self.assertRequestReceived(
            "/items",
            method="POST",
            query_string={"x": "1"},
            headers={"X-Key": "k"},
            json={"name": "a"},
        )
        self.assertEqual([r.path for r in found], ["/items"])

    def test_query_has_one_spelling(self) -> None:
        """query_string= (expect_request's name) is the spelling; query= says so."""
        self.get("/q", params={"x": "1"})
        self.assertRequestReceived("/q", query_string={"x": "1"})
        with self.assertRaisesRegex(TypeError, "'query': the query is matched with query_string="):
            self.assertRequestReceived("/q", query={"x": "1"})

    def test_mistyped_keyword_suggests_the_right_one(self) -> None:
        """A misspelt criterion names the one meant."""
        with self.assertRaisesRegex(TypeError, "'header': did you mean 'headers'"):
            self.assertRequestReceived("/f", header={"X": "1"})

    def test_mistyped_keyword_on_the_server(self) -> None:
        """The server's own assertion suggests the right keyword too."""
        with self.assertRaisesRegex(TypeError, "'header': did you mean 'headers'"):
            self.http_server.assert_request_made("/f", header={"X": "1"})
        with self.assertRaisesRegex(TypeError, "'metod': did you mean 'method'"):
            self.assertRequestReceived("/f", metod="GET")

    def test_data_and_other_matcher_arguments(self) -> None:
        """data= compares the raw body; form= and friends are passed on."""
        self.post("/form", data={"a": "1"})
        self.assertRequestReceived("/form", data="a=1")
        self.assertRequestReceived("/form", form={"a": "1"})

    def test_matcher_or_expectation(self) -> None:
        """A RequestMatcher or an expectation stands for the arguments."""
        expectation = self.http_server.expect_request("/e")
        expectation.respond_with_data("e")
        self.get("/e")
        self.assertRequestReceived(RequestMatcher("/e", method="GET"))
        self.assertRequestReceived(expectation)
        with self.assertRaisesRegex(TypeError, "not both"):
            self.assertRequestReceived(RequestMatcher("/e"), method="GET")

    def test_count(self) -> None:
        """count=None means at least one; an int means exactly that many."""
        self.get("/n")
        self.get("/n")
        self.assertRequestReceived("/n")
        self.assertRequestReceived("/n", count=2)
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/n", count=1)
        self.assertIn("expected 1 request(s) matching '/n'; found 2.", str(caught.exception))
        self.assertIn("They arrived as:", str(caught.exception))

    def test_failure_shows_the_closest_first(self) -> None:
        """The report ranks what arrived by how many fields agree, best first."""
        self.get("/other")
        self.post("/items")
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/items", method="PUT")
        text = str(caught.exception)
        self.assertTrue(
            text.startswith("expected at least 1 request matching '/items', method='PUT'")
        )
        self.assertLess(text.index("1. POST /items"), text.index("2. GET /other"))
        self.assertIn(">> method         PUT", text)

    def test_nothing_arrived_names_the_causes(self) -> None:
        """With no request at all, the report says so and names the server's URL."""
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/x")
        self.assertIn("received no request at all", str(caught.exception))
        self.assertIn(self.http_server.url, str(caught.exception))

    def test_msg_heads_the_report(self) -> None:
        """msg= heads the report; with longMessage off it replaces it."""
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/x", msg="the webhook")
        self.assertTrue(str(caught.exception).startswith("the webhook\nexpected at least 1"))
        self.longMessage = False
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/x", msg="the webhook")
        self.assertEqual(str(caught.exception), "the webhook")

    def test_timeout_waits_for_a_request_from_another_thread(self) -> None:
        """timeout= waits until the request arrives; without it the check is immediate."""
        with self.assertRaises(self.failureException):
            self.assertRequestReceived("/later")
        sender = threading.Timer(0.05, self.get, ("/later",))
        sender.start()
        self.addCleanup(sender.join, TIMEOUT)
        self.assertRequestReceived("/later", timeout=TIMEOUT)

    def test_timeout_expired_says_so(self) -> None:
        """A timeout that expires is named in the report."""
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestReceived("/never", timeout=0.01)
        self.assertIn("found 0 after waiting 0.01 s", str(caught.exception))

    def test_bad_arguments(self) -> None:
        """count and timeout are checked, naming the argument."""
        with self.assertRaisesRegex(ValueError, "'count' must be 0 or more or None"):
            self.assertRequestReceived("/", count=-1)
        with self.assertRaisesRegex(TypeError, "'timeout' must be a number"):
            self.assertRequestReceived("/", timeout="1")  # type: ignore[arg-type]

    def test_failure_frames_are_hidden(self) -> None:
        """unittest's report of a failed assertion stops at the test's own line."""

        class Inner(HTTPServerMixin, unittest.TestCase):
            def test_a(self) -> None:
                self.assertRequestReceived("/x")

        text = run_classes(Inner).failures["test_a"]
        self.assertIn('self.assertRequestReceived("/x")', text)
        self.assertNotRegex(text, r"[/\\]_http_asserts\.py")


class AssertNoRequestTests(RequestsMixin, HTTPServerMixin, unittest.TestCase):
    http_server_checks = False

    def test_bare_means_no_request_at_all(self) -> None:
        """With no arguments it checks that nothing arrived."""
        self.assertNoRequestReceived()
        self.get("/a")
        with self.assertRaises(self.failureException) as caught:
            self.assertNoRequestReceived()
        self.assertIn("expected no request; found 1.", str(caught.exception))
        self.assertIn("GET /a", str(caught.exception))

    def test_with_arguments(self) -> None:
        """With arguments, other requests are fine."""
        self.get("/a")
        self.assertNoRequestReceived("/b")
        self.assertNoRequestReceived("/a", method="POST")
        with self.assertRaises(self.failureException) as caught:
            self.assertNoRequestReceived("/a", msg="no pings")
        self.assertTrue(str(caught.exception).startswith("no pings\nexpected no request matching"))


class AssertInOrderTests(RequestsMixin, HTTPServerMixin, unittest.TestCase):
    http_server_checks = False

    def test_in_order_with_others_between(self) -> None:
        """The steps must arrive in order; other requests may come between."""
        for path in ("/login", "/noise", "/cart", "/pay"):
            self.get(path)
        found = self.assertRequestsInOrder("/login", "/cart", "/pay")
        self.assertEqual([r.path for r in found], ["/login", "/cart", "/pay"])

    def test_out_of_order_is_explained(self) -> None:
        """A step that arrived too early is named, with every request numbered."""
        for path in ("/pay", "/login"):
            self.get(path)
        with self.assertRaises(self.failureException) as caught:
            self.assertRequestsInOrder("/login", "/pay")
        text = str(caught.exception)
        self.assertIn("step 2 of 2, '/pay', matched no request after request #2.", text)
        self.assertIn("It matched #1, too early", text)
        self.assertRegex(text, r"#2 +GET /login +step 1")

    def test_matcher_steps(self) -> None:
        """A RequestMatcher step can ask for a method."""
        self.get("/a")
        self.post("/a")
        self.assertRequestsInOrder(
            RequestMatcher("/a", method="GET"), RequestMatcher("/a", method="POST")
        )
        with self.assertRaises(self.failureException):
            self.assertRequestsInOrder(
                RequestMatcher("/a", method="POST"), RequestMatcher("/a", method="GET")
            )

    def test_steps_as_a_list(self) -> None:
        """A list (or tuple) of steps is the same as the steps given one by one."""
        for path in ("/x", "/noise", "/y"):
            self.get(path)
        found = self.assertRequestsInOrder(["/x", "/y"])
        self.assertEqual([r.path for r in found], ["/x", "/y"])
        self.assertRequestsInOrder(("/x", "/y"))
        self.assertEqual(len(self.http_server.assert_requests_in_order(["/x", "/y"])), 2)
        with self.assertRaises(self.failureException):
            self.assertRequestsInOrder(["/y", "/x"])

    def test_needs_a_step(self) -> None:
        """At least one step is required."""
        with self.assertRaisesRegex(TypeError, "at least one step"):
            self.assertRequestsInOrder()

    def test_timeout(self) -> None:
        """timeout= waits for the last step."""
        self.get("/first")
        sender = threading.Timer(0.05, self.get, ("/second",))
        sender.start()
        self.addCleanup(sender.join, TIMEOUT)
        self.assertRequestsInOrder("/first", "/second", timeout=TIMEOUT)


class AssertExpectationsMetTests(RequestsMixin, HTTPServerMixin, unittest.TestCase):
    def test_met_and_unmet(self) -> None:
        """Passes once every oneshot is used; fails listing the unused ones."""
        self.http_server.expect_oneshot_request("/once").respond_with_data("x")
        with self.assertRaises(self.failureException) as caught:
            self.assertAllExpectationsMet()
        self.assertIn("expect_oneshot_request('/once'): used 0 of 1", str(caught.exception))
        self.get("/once")
        self.assertAllExpectationsMet()

    def test_timeout(self) -> None:
        """timeout= waits for the expectations to be used."""
        self.http_server.expect_oneshot_request("/once").respond_with_data("x")
        sender = threading.Timer(0.05, self.get, ("/once",))
        sender.start()
        self.addCleanup(sender.join, TIMEOUT)
        self.assertAllExpectationsMet(timeout=TIMEOUT)


class TwoServersTests(HTTPServerMixin, HTTPSServerMixin, unittest.TestCase):
    def test_server_must_be_named(self) -> None:
        """With two HTTP servers, the helpers ask which one to check."""
        with self.assertRaisesRegex(
            TypeError, "server=self.http_server or server=self.https_server"
        ):
            self.assertNoRequestReceived()
        self.assertNoRequestReceived(server=self.https_server)
        with self.assertRaisesRegex(TypeError, "'server' must be an HTTPServer"):
            self.assertNoRequestReceived(server="x")  # type: ignore[arg-type]


class ClientCertTests(HTTPSServerMixin, unittest.TestCase):
    https_server_options: ClassVar[dict[str, Any]] = {"client_certs": "optional"}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.https_server.serve_content("ok")

    def fetch(self, path: str, cert: Any = None) -> None:
        pem = cert.pem_file if cert is not None else None
        url = self.https_server.url_for(path)
        with requests.get(url, verify=self.https_server.ca_bundle, cert=pem, timeout=TIMEOUT):
            pass

    def test_cert_by_object_name_and_subject(self) -> None:
        """The certificate can be named by object, common name or subject."""
        alice = self.https_server.issue_client_cert("alice")
        self.fetch("/secure", alice)
        self.assertClientCertPresented()
        self.assertClientCertPresented(alice, "/secure")
        self.assertClientCertPresented("alice")
        self.assertClientCertPresented(alice.subject)

    def test_failure_lists_what_each_request_presented(self) -> None:
        """A miss lists each request with the certificate it presented, or none."""
        bob = self.https_server.issue_client_cert("bob")
        self.fetch("/anonymous")
        self.fetch("/secure", bob)
        with self.assertRaises(self.failureException) as caught:
            self.assertClientCertPresented("alice", "/secure")
        text = str(caught.exception)
        self.assertIn(
            "expected a request to '/secure' with client certificate CN=alice; none.", text
        )
        self.assertLess(
            text.index("GET /secure  [CN=bob"), text.index("GET /anonymous  [no client")
        )


class AsyncTests(HTTPServerMixin, unittest.IsolatedAsyncioTestCase):
    """The awaitable twins wait while the event loop keeps serving the client."""

    async def test_received_while_the_loop_sends(self) -> None:
        """The client on the same loop gets to send while the assertion waits."""
        self.http_server.expect_request("/async").respond_with_data("ok")
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            waiting = asyncio.ensure_future(
                self.assertRequestReceivedAsync("/async", timeout=TIMEOUT)
            )
            await asyncio.sleep(0)  # let the assertion start waiting first
            response = await client.get(self.http_server.url_for("/async"))
            found = await waiting
        self.assertEqual(response.text, "ok")
        self.assertEqual(len(found), 1)

    async def test_in_order_and_expectations_met(self) -> None:
        """assertRequestsInOrderAsync and assertAllExpectationsMetAsync wait the same way."""
        self.http_server.expect_ordered_request("/1").respond_with_data("1")
        self.http_server.expect_ordered_request("/2").respond_with_data("2")
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            waiting = asyncio.gather(
                self.assertRequestsInOrderAsync("/1", "/2", timeout=TIMEOUT),
                self.assertAllExpectationsMetAsync(timeout=TIMEOUT),
            )
            await asyncio.sleep(0)
            await client.get(self.http_server.url_for("/1"))
            await client.get(self.http_server.url_for("/2"))
            await waiting

    async def test_failure_after_timeout(self) -> None:
        """An awaited assertion that times out fails with the report."""
        with self.assertRaises(self.failureException) as caught:
            await self.assertRequestReceivedAsync("/never", timeout=0.01)
        self.assertIn("after waiting 0.01 s", str(caught.exception))

    async def test_cancelled_wait_ends_its_thread(self) -> None:
        """Cancelling an awaited assertion ends its helper thread at once."""
        task = asyncio.ensure_future(self.assertRequestReceivedAsync("/never", timeout=60))
        await asyncio.sleep(0)
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        for thread in threading.enumerate():
            if thread.name == "localserver-async-wait":
                thread.join(TIMEOUT)
                self.assertFalse(thread.is_alive())


class AsyncClientCertTests(HTTPSServerMixin, unittest.IsolatedAsyncioTestCase):
    https_server_options: ClassVar[dict[str, Any]] = {"require_client_cert": True}

    async def test_cert_presented(self) -> None:
        """assertClientCertPresentedAsync waits for a request with the certificate."""
        self.https_server.serve_content("ok")
        carol = self.https_server.issue_client_cert("carol")
        context = self.https_server.client_ssl_context(carol)
        async with httpx.AsyncClient(verify=context, timeout=TIMEOUT) as client:
            waiting = asyncio.ensure_future(
                self.assertClientCertPresentedAsync(carol, timeout=TIMEOUT)
            )
            await asyncio.sleep(0)
            await client.get(self.https_server.url)
            await waiting
