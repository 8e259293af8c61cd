"""Per-test isolation on a shared server: what the mixins and the pytest module rely on."""

from __future__ import annotations

import pytest
import requests

from localserver import HTTPServer, UnmatchedRequestError, UnmetExpectationError

from .conftest import TIMEOUT


class TestBeginAndEnd:
    def test_begin_empties_journal_and_keeps_expectations(self) -> None:
        """begin_test() forgets requests; expectations from before stay."""
        with HTTPServer() as server:
            server.expect_request("/kept").respond_with_data("kept")
            requests.get(server.url_for("/kept"), timeout=TIMEOUT)
            server.begin_test()
            assert server.requests == []
            assert server.log == []
            assert requests.get(server.url_for("/kept"), timeout=TIMEOUT).text == "kept"

    def test_end_removes_the_tests_expectations(self) -> None:
        """Expectations added during a test are gone after end_test()."""
        with HTTPServer() as server:
            server.expect_request("/class").respond_with_data("class")
            mark = server.begin_test()
            server.expect_request("/test").respond_with_data("test")
            assert requests.get(server.url_for("/test"), timeout=TIMEOUT).text == "test"
            server.end_test(mark)
            assert requests.get(server.url_for("/test"), timeout=TIMEOUT).status_code == 500
            assert requests.get(server.url_for("/class"), timeout=TIMEOUT).text == "class"

    def test_end_reports_an_unmatched_request(self) -> None:
        """A request nothing matched during the test fails end_test()."""
        with HTTPServer() as server:
            mark = server.begin_test()
            server.expect_request("/right").respond_with_data("x")
            requests.get(server.url_for("/wrong"), timeout=TIMEOUT)
            with pytest.raises(UnmatchedRequestError, match="/wrong"):
                server.end_test(mark)
            mark = server.begin_test()
            server.end_test(mark)  # the failure was reported once, to its own test

    def test_end_reports_unused_oneshots_of_this_test_only(self) -> None:
        """An unused oneshot added during the test fails it; one from before does not."""
        with HTTPServer() as server:
            server.expect_oneshot_request("/from-setup").respond_with_data("x")
            mark = server.begin_test()
            server.expect_oneshot_request("/from-test").respond_with_data("x")
            with pytest.raises(UnmetExpectationError, match="/from-test") as info:
                server.end_test(mark)
            assert "/from-setup" not in str(info.value)

    def test_end_reports_every_problem_at_once(self) -> None:
        """Two unmatched requests and a failing handler are all in one failure."""
        from localserver import ExpectationError

        def broken(request: object) -> None:
            raise KeyError("handler bug")

        with HTTPServer() as server:
            mark = server.begin_test()
            server.expect_request("/boom").respond_with_handler(broken)
            requests.get(server.url_for("/first-miss"), timeout=TIMEOUT)
            requests.get(server.url_for("/second-miss"), timeout=TIMEOUT)
            requests.get(server.url_for("/boom"), timeout=TIMEOUT)
            with pytest.raises(ExpectationError) as info:
                server.end_test(mark)
            text = str(info.value)
            assert text.startswith("3 problems found when the test ended:")
            assert "/first-miss" in text
            assert "/second-miss" in text
            assert "a response handler raised KeyError" in text
            assert "call check_assertions() again" not in text
            server.end_test(server.begin_test())  # nothing left over

    def test_end_restores_the_default_response(self) -> None:
        """A default response set during a test is undone; the one from before comes back."""
        with HTTPServer() as server:
            server.serve_content("from setup", code=200)
            mark = server.begin_test()
            server.serve_content("from test", code=201, headers={"X-Test": "1"})
            server.headers["X-More"] = "2"
            server.no_handler_status_code = 418
            server.end_test(mark)
            response = requests.get(server.url, timeout=TIMEOUT)
            assert (response.status_code, response.text) == (200, "from setup")
            assert "X-Test" not in response.headers
            assert "X-More" not in response.headers
            assert server.no_handler_status_code == 500

    def test_end_restores_no_default_response(self) -> None:
        """On a server without a default response, a test's serve_content is undone."""
        with HTTPServer() as server:
            mark = server.begin_test()
            server.code = 204
            server.end_test(mark)
            assert requests.get(server.url, timeout=TIMEOUT).status_code == 500
            server.end_test(server.begin_test(), check=False)

    def test_end_without_checks_still_rolls_back(self) -> None:
        """check=False skips the checks but still removes the test's expectations."""
        with HTTPServer() as server:
            mark = server.begin_test()
            server.expect_oneshot_request("/never").respond_with_data("x")
            requests.get(server.url_for("/other"), timeout=TIMEOUT)
            server.end_test(mark, check=False)
            assert len(server._registry) == 0
            server.end_test(server.begin_test())  # nothing left over to report


class TestSMTPBeginAndEnd:
    def test_begin_empties_outbox_and_logs(self) -> None:
        """begin_test() empties the outbox, AUTH attempts and the fault log."""
        from localserver import SMTPServer

        with SMTPServer(auth="any") as server:
            server.faults.add("rcpt", 450, match="retry@", times=1)
            with server.client() as client:
                client.login("u", "p")
                client.sendmail("a@x", ["b@x", "retry@x"], b"Subject: s\r\n\r\nbody\r\n")
            assert len(server.outbox) == 1
            assert server.auth_attempts
            assert server.faults.injected
            server.begin_test()
            assert server.outbox == []
            assert server.auth_attempts == []
            assert server.faults.injected == []

    def test_end_removes_the_tests_fault_rules(self) -> None:
        """Fault rules added during a test are gone after end_test(); earlier ones stay."""
        from localserver import SMTPServer

        with SMTPServer() as server:
            kept = server.faults.reject_recipient("kept@x")
            mark = server.begin_test()
            server.faults.reject_recipient("test@x")
            server.end_test(mark)
            assert server.faults.rules == [kept]
