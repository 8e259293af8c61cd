"""The unittest mixins: a server per class, isolation and checks per test, settings."""

from __future__ import annotations

import unittest
from typing import Any, ClassVar

import pytest
import requests

from localserver import (
    HTTPServer,
    HTTPServerMixin,
    HTTPSServer,
    HTTPSServerMixin,
    SMTPServer,
    SMTPServerMixin,
    UnmatchedRequestError,
    without_server_checks,
)

from ._unittest_runs import run_classes
from .conftest import TIMEOUT

# The names Django's LiveServerTestCase (and nose2's layers) own.
FOREIGN_NAMES = {
    "host",
    "port",
    "live_server_url",
    "server_thread",
    "server_thread_class",
    "allowed_host",
    "static_handler",
    "_start_server_thread",
    "_create_server_thread",
    "_terminate_thread",
    "layer",
}


def get(server: HTTPServer, path: str) -> int:
    with requests.get(server.url_for(path), timeout=TIMEOUT) as response:
        return response.status_code


class TestClassLifecycle:
    def test_one_server_per_class_stopped_after(self) -> None:
        """Every test of a class sees the same running server; it stops after the class."""
        seen: list[HTTPServer] = []

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_a(self) -> None:
                seen.append(self.http_server)
                self.assertTrue(self.http_server.running)

            def test_b(self) -> None:
                seen.append(self.http_server)

        outcome = run_classes(Case)
        assert outcome.ok, outcome
        assert outcome.run == 2
        assert seen[0] is seen[1]
        assert not seen[0].running
        with pytest.raises(AttributeError, match=r"Case\.http_server is not running"):
            Case.http_server.url  # noqa: B018

    def test_subclass_gets_its_own_server(self) -> None:
        """A subclass runs a server of its own and never stops its parent's."""

        class Parent(HTTPServerMixin, unittest.TestCase):
            pass

        class Child(Parent):
            def test_child(self) -> None:
                self.assertIsNot(self.http_server, Parent.http_server)

        Parent.setUpClass()
        try:
            parent_server = Parent.http_server
            outcome = run_classes(Child)
            assert outcome.ok, outcome
            assert parent_server.running
            assert Parent.http_server is parent_server
        finally:
            Parent.doClassCleanups()
        assert not parent_server.running

    def test_failing_setupclass_still_stops_the_server(self) -> None:
        """A setUpClass that raises after the server started still stops it."""
        started: list[HTTPServer] = []

        class Case(HTTPServerMixin, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                started.append(cls.http_server)
                raise RuntimeError("broken fixture")

            def test_never_runs(self) -> None:
                raise AssertionError("not reached")

        outcome = run_classes(Case)
        assert any("broken fixture" in text for text in outcome.errors.values())
        assert not started[0].running

    def test_failing_parent_setupclass_still_stops_the_server(self) -> None:
        """Servers start before super().setUpClass(); a base that raises still stops them."""
        started: list[HTTPServer] = []

        class Base(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                started.append(cls.http_server)  # type: ignore[attr-defined]
                raise RuntimeError("base fixture")

        class Case(HTTPServerMixin, Base):
            def test_never_runs(self) -> None:
                raise AssertionError("not reached")

        outcome = run_classes(Case)
        assert any("base fixture" in text for text in outcome.errors.values())
        assert started
        assert not started[0].running

    def test_setupclass_without_super_is_explained(self) -> None:
        """A setUpClass that forgets super() gives an error saying so, on each test."""

        class Case(HTTPServerMixin, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                pass

            def test_a(self) -> None:
                pass

        outcome = run_classes(Case)
        assert "call super().setUpClass()" in outcome.errors["test_a"]
        assert "LocalServerError" in outcome.errors["test_a"]

    def test_three_servers_in_one_class(self) -> None:
        """HTTP, HTTPS and SMTP mixins combine; each server is its own."""
        kinds: dict[str, Any] = {}

        class Case(HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin, unittest.TestCase):
            def test_all(self) -> None:
                kinds.update(http=self.http_server, https=self.https_server, smtp=self.smtp_server)
                self.assertEqual(get(self.http_server, "/"), 500)
                self.http_server_checks = False

        outcome = run_classes(Case)
        assert outcome.ok, outcome
        assert type(kinds["http"]) is HTTPServer
        assert type(kinds["https"]) is HTTPSServer
        assert type(kinds["smtp"]) is SMTPServer
        assert len({kinds["http"].port, kinds["https"].port, kinds["smtp"].port}) == 3

    def test_options_and_class_configure_the_server(self) -> None:
        """*_server_options are the constructor's arguments; *_server_class its class."""

        class Mine(HTTPSServer):
            pass

        class Case(HTTPSServerMixin, unittest.TestCase):
            https_server_class = Mine
            https_server_options: ClassVar[dict[str, Any]] = {"client_certs": "optional"}

            def test_it(self) -> None:
                self.assertIsInstance(self.https_server, Mine)
                self.assertEqual(self.https_server.client_certs, "optional")

        outcome = run_classes(Case)
        assert outcome.ok, outcome

    def test_defines_no_django_or_nose2_names(self) -> None:
        """The mixins leave LiveServerTestCase's names and nose2's `layer` alone."""
        for mixin in (HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin):
            assert not FOREIGN_NAMES & set(dir(mixin)), mixin

    def test_not_collected_as_tests(self) -> None:
        """The mixins are not TestCase subclasses, so no runner collects them."""
        for mixin in (HTTPServerMixin, HTTPSServerMixin, SMTPServerMixin):
            assert not issubclass(mixin, unittest.TestCase)


class TestSettingsChecked:
    def test_mixin_after_testcase(self) -> None:
        """A mixin placed after TestCase is refused, saying where it goes."""
        with pytest.raises(TypeError, match=r"put HTTPServerMixin before TestCase"):

            class Case(unittest.TestCase, HTTPServerMixin):
                pass

    def test_unknown_option(self) -> None:
        """A misspelt option is named, with the closest one."""
        with pytest.raises(TypeError, match=r"Case.http_server_options: 'prot' is not an option"):

            class Case(HTTPServerMixin, unittest.TestCase):
                http_server_options: ClassVar[dict[str, Any]] = {"prot": 80}

    def test_bad_option_value(self) -> None:
        """A wrong option value fails at class creation, naming the setting."""
        with pytest.raises(TypeError, match=r"Case.smtp_server_options: 'port' must be an int"):

            class Case(SMTPServerMixin, unittest.TestCase):
                smtp_server_options: ClassVar[dict[str, Any]] = {"port": "25"}

    def test_options_not_a_dict(self) -> None:
        """Options must be a mapping."""
        with pytest.raises(TypeError, match=r"http_server_options must be a dict"):

            class Case(HTTPServerMixin, unittest.TestCase):
                http_server_options = ["port", 0]  # type: ignore[assignment]

    def test_server_class_checked(self) -> None:
        """*_server_class must derive from the mixin's server."""
        with pytest.raises(TypeError, match=r"https_server_class must be HTTPSServer"):

            class Case(HTTPSServerMixin, unittest.TestCase):
                https_server_class = HTTPServer  # type: ignore[assignment]

    def test_checks_must_be_bool(self) -> None:
        """http_server_checks takes True or False."""
        with pytest.raises(TypeError, match=r"http_server_checks must be True or False"):

            class Case(HTTPServerMixin, unittest.TestCase):
                http_server_checks = "no"  # type: ignore[assignment]

    def test_server_attribute_is_not_a_setting(self) -> None:
        """Setting http_server on the class is refused: the mixin sets it."""
        with pytest.raises(TypeError, match=r"Case.http_server is set by HTTPServerMixin"):

            class Case(HTTPServerMixin, unittest.TestCase):
                http_server = HTTPServer()  # type: ignore[assignment]

    def test_misspelt_setting(self) -> None:
        """A near miss of a setting name is refused with the right name."""
        with pytest.raises(TypeError, match=r"did you mean http_server_options"):

            class Case(HTTPServerMixin, unittest.TestCase):
                http_server_option: ClassVar[dict[str, Any]] = {}

    def test_setting_of_a_missing_mixin(self) -> None:
        """A setting of a mixin the class lacks is refused, naming the mixin."""
        with pytest.raises(TypeError, match=r"configures HTTPSServerMixin"):

            class Case(HTTPServerMixin, unittest.TestCase):
                https_server_options: ClassVar[dict[str, Any]] = {}

    def test_missing_file_waits_for_setupclass(self) -> None:
        """A certificate file that does not exist yet is reported by setUpClass instead."""

        class Case(HTTPSServerMixin, unittest.TestCase):
            https_server_options: ClassVar[dict[str, Any]] = {"cert_file": "/nonexistent.pem"}

            def test_a(self) -> None:
                pass

        outcome = run_classes(Case)
        assert outcome.run == 0
        assert any("nonexistent.pem" in text for text in outcome.errors.values())


class TestPerTest:
    def test_journal_empty_and_test_expectations_removed(self) -> None:
        """Each test starts with no requests; setUpClass's expectations stay, a test's go."""

        class Case(HTTPServerMixin, unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                super().setUpClass()
                cls.http_server.expect_request("/class").respond_with_data("class")

            def setUp(self) -> None:  # deliberately without super().setUp()
                self.http_server.expect_request("/setup").respond_with_data("setup")

            def test_1(self) -> None:
                self.http_server.expect_request("/test").respond_with_data("test")
                for path in ("/class", "/setup", "/test"):
                    self.assertEqual(get(self.http_server, path), 200)
                self.assertEqual(len(self.http_server.requests), 3)

            def test_2(self) -> None:
                self.assertEqual(self.http_server.requests, [])
                self.assertEqual(len(self.http_server._registry), 2)  # class + setUp

        outcome = run_classes(Case)
        assert outcome.ok, outcome

    def test_unmatched_request_fails_that_test_only(self) -> None:
        """A request nothing answered fails its own test, as a failure with the report."""

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_bad(self) -> None:
                get(self.http_server, "/nowhere")

            def test_good(self) -> None:
                self.http_server.expect_request("/here").respond_with_data("x")
                get(self.http_server, "/here")

        outcome = run_classes(Case)
        assert set(outcome.failures) == {"test_bad"}
        assert not outcome.errors
        assert "UnmatchedRequestError" in outcome.failures["test_bad"]
        assert "GET /nowhere" in outcome.failures["test_bad"]
        assert "http_server, checked after the test" in outcome.failures["test_bad"]

    def test_unused_oneshot_fails_the_test(self) -> None:
        """A oneshot expectation the test never used fails it."""

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_a(self) -> None:
                self.http_server.expect_oneshot_request("/once").respond_with_data("x")

        outcome = run_classes(Case)
        assert "expect_oneshot_request('/once'): used 0 of 1" in outcome.failures["test_a"]

    def test_handler_error_is_an_error_of_the_test(self) -> None:
        """A response handler that raised is reported as that test's error, with its traceback."""

        def handler(request: Any) -> Any:
            raise KeyError("handler broke")

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_a(self) -> None:
                self.http_server.expect_request("/h").respond_with_handler(handler)
                get(self.http_server, "/h")

        outcome = run_classes(Case)
        assert "KeyError: 'handler broke'" in outcome.errors["test_a"]
        assert "in handler" in outcome.errors["test_a"]

    def test_opt_out_per_class(self) -> None:
        """http_server_checks = False on the class turns the checks off."""

        class Case(HTTPServerMixin, unittest.TestCase):
            http_server_checks = False

            def test_a(self) -> None:
                get(self.http_server, "/nowhere")

        assert run_classes(Case).ok

    def test_opt_out_during_a_test(self) -> None:
        """Setting self.http_server_checks = False in a test turns them off for it alone."""

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_off(self) -> None:
                self.http_server_checks = False
                get(self.http_server, "/nowhere")

            def test_on(self) -> None:
                get(self.http_server, "/nowhere")

        outcome = run_classes(Case)
        assert set(outcome.failures) == {"test_on"}

    def test_opt_out_by_decorator(self) -> None:
        """@without_server_checks skips all checks; with names, only those servers'."""

        class Case(HTTPServerMixin, HTTPSServerMixin, unittest.TestCase):
            @without_server_checks
            def test_none(self) -> None:
                get(self.http_server, "/nowhere")

            @without_server_checks("https_server")
            def test_http_still_checked(self) -> None:
                get(self.http_server, "/nowhere")

        outcome = run_classes(Case)
        assert set(outcome.failures) == {"test_http_still_checked"}

    def test_decorator_with_empty_parentheses(self) -> None:
        """@without_server_checks() works as the bare form: every server's checks are skipped."""

        class Case(HTTPServerMixin, HTTPSServerMixin, unittest.TestCase):
            @without_server_checks()
            def test_none(self) -> None:
                get(self.http_server, "/nowhere")

            def test_checked(self) -> None:
                get(self.http_server, "/nowhere")

        outcome = run_classes(Case)
        assert set(outcome.failures) == {"test_checked"}
        assert not outcome.errors

    def test_decorator_checks_names(self) -> None:
        """without_server_checks refuses a name that is no server."""
        with pytest.raises(ValueError, match=r"got 'http'"):
            without_server_checks("http")

    def test_expectations_rolled_back_without_checks(self) -> None:
        """Opting out of checks still removes the test's expectations."""

        class Case(HTTPServerMixin, unittest.TestCase):
            http_server_checks = False

            def test_1(self) -> None:
                self.http_server.expect_request("/t").respond_with_data("x")

            def test_2(self) -> None:
                self.assertEqual(get(self.http_server, "/t"), 500)

        assert run_classes(Case).ok

    def test_custom_failure_exception(self) -> None:
        """A class's own failureException carries the after-test failure."""

        class MyFailure(Exception):
            pass

        class Case(HTTPServerMixin, unittest.TestCase):
            failureException = MyFailure

            def test_a(self) -> None:
                get(self.http_server, "/nowhere")

        outcome = run_classes(Case)
        assert "MyFailure" in outcome.failures["test_a"]
        assert "GET /nowhere" in outcome.failures["test_a"]

    def test_skipped_test_leaves_no_state(self) -> None:
        """A skipped test neither begins nor checks; the next test is unaffected."""

        class Case(HTTPServerMixin, unittest.TestCase):
            @unittest.skip("not today")
            def test_a(self) -> None:
                pass

            def test_b(self) -> None:
                self.assertEqual(self.http_server.requests, [])

        outcome = run_classes(Case)
        assert outcome.ok
        assert set(outcome.skipped) == {"test_a"}

    def test_debug_runs_the_checks(self) -> None:
        """TestCase.debug() begins and checks the test too, raising the failure."""

        class Case(HTTPServerMixin, unittest.TestCase):
            def test_a(self) -> None:
                get(self.http_server, "/nowhere")

        Case.setUpClass()
        try:
            with pytest.raises(UnmatchedRequestError, match="GET /nowhere"):
                Case("test_a").debug()
        finally:
            Case.doClassCleanups()

    def test_smtp_outbox_emptied_and_faults_removed(self) -> None:
        """Each test starts with an empty outbox; fault rules a test added are gone after."""

        class Case(SMTPServerMixin, unittest.TestCase):
            def test_1(self) -> None:
                with self.smtp_server.client() as client:
                    client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx\r\n")
                self.smtp_server.faults.add("rcpt", 550)
                self.assertEqual(len(self.smtp_server.outbox), 1)

            def test_2(self) -> None:
                self.assertEqual(self.smtp_server.outbox, [])
                self.assertEqual(self.smtp_server.faults.rules, [])

        outcome = run_classes(Case)
        assert outcome.ok, outcome


class TestNotRunning:
    def test_placeholder_explains(self) -> None:
        """Outside the class's run the attribute is a false placeholder that explains itself."""
        placeholder = HTTPServerMixin.http_server
        assert not placeholder
        assert "HTTPServerMixin.http_server is not running" in repr(placeholder)
        with pytest.raises(AttributeError, match=r"super\(\)\.setUpClass\(\) first"):
            placeholder.expect_request("/")
