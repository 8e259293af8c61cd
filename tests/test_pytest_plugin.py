"""The opt-in pytest module: loading, conflicts, markers, ini options, teardown checks, xdist."""

from __future__ import annotations

import importlib.metadata

import pytest
import requests  # noqa: F401  (imported once here: inline runs must not re-import it)

pytest_plugins = ["pytester"]

# pytest-localserver and pytest-httpserver are installed in the test environment
# (to prove the conflict check); every run that loads our module disables them.
NO_RIVALS = ("-p", "no:localserver", "-p", "no:pytest_httpserver")
OURS = (*NO_RIVALS, "-p", "localserver.pytest_plugin")


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose runs treat warnings (a leaked socket too) as errors."""
    pytester.makeini(
        """
        [pytest]
        filterwarnings =
            error
        """
    )
    return pytester


def failed_reports(reprec: pytest.HookRecorder) -> list[pytest.TestReport]:
    """The failed reports of an inline run, in order."""
    return [r for r in reprec.getreports("pytest_runtest_logreport") if r.failed]


class TestLoading:
    def test_pytest_plugins_in_conftest_loads_it(self, inner: pytest.Pytester) -> None:
        """`pytest_plugins = ["localserver.pytest_plugin"]` in a conftest provides the fixtures."""
        inner.makeconftest('pytest_plugins = ["localserver.pytest_plugin"]')
        inner.makepyfile(
            """
            from localserver import HTTPServer

            def test_it(httpserver):
                assert isinstance(httpserver, HTTPServer)
                assert httpserver.running
            """
        )
        result = inner.runpytest(*NO_RIVALS)
        result.assert_outcomes(passed=1)

    def test_dash_p_loads_it(self, inner: pytest.Pytester) -> None:
        """`-p localserver.pytest_plugin` provides the fixtures."""
        inner.makepyfile(
            """
            def test_it(httpserver, httpsserver, httpserver_shared, make_httpserver, smtpserver):
                assert httpserver.url.startswith("http://")
                assert httpsserver.url.startswith("https://")
                assert smtpserver.url.startswith("smtp://")
            """
        )
        result = inner.runpytest(*OURS)
        result.assert_outcomes(passed=1)

    def test_nothing_loads_without_asking(self, inner: pytest.Pytester) -> None:
        """Without the plugin line the fixtures do not exist: installing changes no run."""
        inner.makepyfile("def test_it(httpserver): pass")
        result = inner.runpytest(*NO_RIVALS)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*fixture 'httpserver' not found*"])

    def test_no_entry_point_is_registered(self) -> None:
        """No installed distribution registers our module as a pytest11 entry point."""
        points = importlib.metadata.entry_points()
        group = (
            points.select(group="pytest11")
            if hasattr(points, "select")
            else points.get("pytest11", [])  # type: ignore[attr-defined]
        )
        ours = [ep.value for ep in group if ep.value.startswith("localserver")]
        assert ours == []

    def test_fixtures_are_listed(self, inner: pytest.Pytester) -> None:
        """`pytest --fixtures` lists every public fixture with its docstring."""
        result = inner.runpytest(*OURS, "--fixtures")
        result.stdout.fnmatch_lines_random(
            [
                "httpserver*",
                "httpsserver*",
                "httpserver_shared*",
                "httpsserver_shared*",
                "make_httpserver*",
                "make_httpsserver*",
                "smtpserver*",
                "smtpserver_shared*",
                "make_smtpserver*",
            ]
        )


class TestConflicts:
    def test_pytest_localserver_is_refused(self, inner: pytest.Pytester) -> None:
        """With pytest-localserver active, the run stops naming it and -p no:localserver."""
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest("-p", "no:pytest_httpserver", "-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            ["*cannot run beside other plugins*pytest-localserver's plugin*'-p no:localserver'*"]
        )

    def test_no_localserver_is_said_to_be_the_rivals_name(self, inner: pytest.Pytester) -> None:
        """The error says -p no:localserver turns pytest-localserver off, not this package."""
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest("-p", "no:pytest_httpserver", "-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                "*'localserver' is the name pytest-localserver registers its plugin under: "
                "'-p no:localserver' turns pytest-localserver off, not this package.*"
            ]
        )

    def test_no_note_when_only_pytest_httpserver_is_active(self, inner: pytest.Pytester) -> None:
        """The note about the name appears only when pytest-localserver is the rival."""
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest("-p", "no:localserver", "-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert "registers its plugin under" not in result.stderr.str()

    def test_pytest_httpserver_is_refused(self, inner: pytest.Pytester) -> None:
        """With pytest-httpserver active, the run stops naming it and -p no:pytest_httpserver."""
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest("-p", "no:localserver", "-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            ["*cannot run beside other plugins*pytest-httpserver's*'-p no:pytest_httpserver'*"]
        )

    def test_both_rivals_are_named_at_once(self, inner: pytest.Pytester) -> None:
        """With both rivals active, one message names both options to add."""
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest("-p", "localserver.pytest_plugin")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*'-p no:* -p no:*'*"])
        text = result.stderr.str()
        assert "pytest-localserver's plugin" in text
        assert "pytest-httpserver's plugin" in text

    def test_refused_when_loaded_from_a_conftest(self, inner: pytest.Pytester) -> None:
        """The refusal comes from a conftest's pytest_plugins too; no test runs."""
        inner.makeconftest('pytest_plugins = ["localserver.pytest_plugin"]')
        inner.makepyfile("def test_it(): raise RuntimeError('must not run')")
        result = inner.runpytest("-p", "no:pytest_httpserver")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert "must not run" not in result.stdout.str()

    def test_a_rival_loaded_by_module_name_gets_its_own_advice(
        self, inner: pytest.Pytester
    ) -> None:
        """A rival loaded by module name is named so, and the advised option works."""
        inner.makeconftest(
            'pytest_plugins = ["pytest_httpserver.pytest_plugin", "localserver.pytest_plugin"]'
        )
        inner.makepyfile("def test_it(httpserver): assert httpserver.running")
        refused = inner.runpytest(*NO_RIVALS)
        assert refused.ret == pytest.ExitCode.USAGE_ERROR
        refused.stderr.fnmatch_lines(["*'-p no:pytest_httpserver.pytest_plugin'*"])
        advised = inner.runpytest(*NO_RIVALS, "-p", "no:pytest_httpserver.pytest_plugin")
        advised.assert_outcomes(passed=1)

    def test_rivals_alone_still_work(self, inner: pytest.Pytester) -> None:
        """Without our module the installed rivals run as before (we change nothing)."""
        inner.makepyfile("def test_it(httpserver): assert httpserver.url.startswith('http://')")
        result = inner.runpytest("-p", "no:pytest_httpserver")
        result.assert_outcomes(passed=1)


class TestMarker:
    def test_marker_is_registered(self, inner: pytest.Pytester) -> None:
        """`--strict-markers` accepts the opt-out marker, and `--markers` describes it."""
        inner.makepyfile(
            """
            import pytest

            @pytest.mark.localserver_no_checks
            def test_it():
                pass
            """
        )
        inner.runpytest(*OURS, "--strict-markers").assert_outcomes(passed=1)
        listed = inner.runpytest(*OURS, "--markers")
        listed.stdout.fnmatch_lines(["@pytest.mark.localserver_no_checks: *"])

    def test_marker_turns_checks_off(self, inner: pytest.Pytester) -> None:
        """A marked test, class or module leaves unmatched requests and oneshots unreported."""
        inner.makepyfile(
            test_function="""
            import pytest, requests

            @pytest.mark.localserver_no_checks
            def test_function(httpserver):
                httpserver.expect_oneshot_request("/never").respond_with_data("x")
                requests.get(httpserver.url_for("/other"), timeout=5)
            """,
            test_class="""
            import pytest, requests

            @pytest.mark.localserver_no_checks
            class TestIt:
                def test_method(self, httpserver_shared):
                    requests.get(httpserver_shared.url_for("/other"), timeout=5)
            """,
            test_module="""
            import pytest, requests

            pytestmark = pytest.mark.localserver_no_checks

            def test_factory(make_httpserver):
                server = make_httpserver()
                requests.get(server.url_for("/other"), timeout=5)
            """,
        )
        inner.runpytest(*OURS, "--strict-markers").assert_outcomes(passed=3)


class TestIniOptions:
    def test_host_sets_the_bind_address(self, inner: pytest.Pytester) -> None:
        """`localserver_host` is the address every fixture's server binds."""
        inner.makeini(
            """
            [pytest]
            localserver_host = localhost
            """
        )
        inner.makepyfile(
            """
            import requests

            def test_it(httpserver, httpserver_shared, make_httpsserver, smtpserver):
                https = make_httpsserver()
                for server in (httpserver, httpserver_shared, https, smtpserver):
                    assert server.host == "localhost"
                    assert server.url.split("://")[1].startswith("localhost:")
                httpserver.serve_content("here")
                assert requests.get(httpserver.url, timeout=5).text == "here"
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=1)

    def test_factory_options_win_over_the_ini_host(self, inner: pytest.Pytester) -> None:
        """A host passed to a factory beats the ini option."""
        inner.makeini(
            """
            [pytest]
            localserver_host = localhost
            """
        )
        inner.makepyfile(
            """
            def test_it(make_httpserver):
                assert make_httpserver(host="127.0.0.1").host == "127.0.0.1"
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=1)

    def test_checks_false_turns_checks_off(self, inner: pytest.Pytester) -> None:
        """`localserver_checks = false` turns the teardown checks off for the run."""
        inner.makeini(
            """
            [pytest]
            localserver_checks = false
            """
        )
        inner.makepyfile(
            """
            import requests

            def test_it(httpserver):
                requests.get(httpserver.url_for("/nothing-here"), timeout=5)
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=1)

    def test_bad_checks_value_is_a_usage_error(self, inner: pytest.Pytester) -> None:
        """A value that is not a truth value stops the run, naming the option."""
        inner.makeini(
            """
            [pytest]
            localserver_checks = maybe
            """
        )
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest(*OURS)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*'localserver_checks' must be true or false*maybe*"])

    def test_empty_host_is_a_usage_error(self, inner: pytest.Pytester) -> None:
        """An empty host stops the run, naming the option."""
        inner.makeini(
            """
            [pytest]
            localserver_host =
            """
        )
        inner.makepyfile("def test_it(): pass")
        result = inner.runpytest(*OURS)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*'localserver_host' must be an address*"])


class TestTeardownChecks:
    def test_unmatched_request_is_an_error_of_its_test(self, inner: pytest.Pytester) -> None:
        """The test that left an unmatched request gets a teardown error with the report."""
        inner.makepyfile(
            """
            import requests

            def test_before(httpserver):
                httpserver.serve_content("ok")
                assert requests.get(httpserver.url, timeout=5).text == "ok"

            def test_culprit(httpserver):
                httpserver.expect_request("/right").respond_with_data("x")
                assert requests.get(httpserver.url_for("/wrong"), timeout=5).status_code == 500

            def test_after(httpserver):
                assert httpserver.requests == []
            """
        )
        reprec = inner.inline_run(*OURS)
        [report] = failed_reports(reprec)
        assert report.nodeid.endswith("::test_culprit")
        assert report.when == "teardown"
        text = report.longreprtext
        assert "UnmatchedRequestError" in text
        assert "GET /wrong" in text
        assert "expect_request('/right')" in text

    def test_handler_error_is_reported(self, inner: pytest.Pytester) -> None:
        """A response handler that raised fails its test at teardown with that exception."""
        inner.makepyfile(
            """
            import requests

            def boom(request):
                raise ValueError("handler broke on " + request.path)

            def test_it(httpserver):
                httpserver.expect_request("/boom").respond_with_handler(boom)
                requests.get(httpserver.url_for("/boom"), timeout=5)
            """
        )
        reprec = inner.inline_run(*OURS)
        [report] = failed_reports(reprec)
        assert report.when == "teardown"
        assert "ValueError: handler broke on /boom" in report.longreprtext

    def test_shared_server_blames_the_right_test(self, inner: pytest.Pytester) -> None:
        """On the shared server an unused oneshot fails its own test, not the next one."""
        inner.makepyfile(
            """
            import requests

            def test_culprit(httpserver_shared):
                httpserver_shared.expect_oneshot_request("/once").respond_with_data("x")

            def test_next(httpserver_shared):
                httpserver_shared.expect_request("/fine").respond_with_data("fine")
                url = httpserver_shared.url_for
                assert requests.get(url("/once"), timeout=5).status_code == 500
                assert requests.get(url("/fine"), timeout=5).text == "fine"
            """
        )
        reprec = inner.inline_run(*OURS)
        reports = failed_reports(reprec)
        assert [(r.nodeid.split("::")[-1], r.when) for r in reports] == [
            ("test_culprit", "teardown"),
            ("test_next", "teardown"),
        ]
        assert "expect_oneshot_request('/once'): used 0 of 1" in reports[0].longreprtext
        # The next test's unmatched /once is its own failure: the oneshot was rolled back.
        assert "GET /once" in reports[1].longreprtext
        assert "UnmatchedRequestError" in reports[1].longreprtext

    def test_shared_server_in_lenient_mode_notes_the_right_test(
        self, inner: pytest.Pytester
    ) -> None:
        """Lenient notes and markers on the shared server belong to the test being run."""
        inner.makeini(
            """
            [pytest]
            localserver_strict = false
            filterwarnings =
                error
            """
        )
        inner.makepyfile(
            """
            import pytest
            import requests

            def test_sends_stray(httpserver_shared):
                requests.get(httpserver_shared.url_for("/stray"), timeout=5)

            def test_quiet(httpserver_shared):
                assert not httpserver_shared.strict

            @pytest.mark.localserver_strict
            def test_strict(httpserver_shared):
                assert httpserver_shared.strict
            """
        )
        reprec = inner.inline_run(*OURS)
        reprec.assertoutcome(passed=3)
        teardowns = {
            r.nodeid.split("::")[-1]: r.user_properties
            for r in reprec.getreports("pytest_runtest_logreport")
            if r.when == "teardown"
        }
        assert [name for name, props in teardowns.items() if props] == ["test_sends_stray"]
        [(_, notes)] = teardowns["test_sends_stray"]
        assert any("GET /stray" in note for note in notes)

    def test_shared_fixture_needs_its_plugin(self) -> None:
        """Without our plugin to say which test runs, a shared fixture says what to load."""
        from localserver._pytest_support import current_test

        class Config:
            stash = pytest.Stash()

        with pytest.raises(pytest.UsageError, match=r"-p localserver\.pytest_plugin"):
            current_test(Config(), "httpserver_shared")  # type: ignore[arg-type]

    def test_every_problem_of_a_test_in_one_error(self, inner: pytest.Pytester) -> None:
        """An unmatched request and an unused oneshot make one error, each report once."""
        inner.makepyfile(
            """
            import requests

            def test_it(httpserver):
                httpserver.expect_oneshot_request("/never").respond_with_data("x")
                requests.get(httpserver.url_for("/other"), timeout=5)
            """
        )
        reprec = inner.inline_run(*OURS)
        [report] = failed_reports(reprec)
        text = report.longreprtext
        assert "2 problems found when the test ended" in text
        assert "expect_oneshot_request('/never'): used 0 of 1" in text
        assert text.count("no expectation matched this request") == 1

    def test_factory_servers_are_checked(self, inner: pytest.Pytester) -> None:
        """Each server a factory made is checked at teardown too."""
        inner.makepyfile(
            """
            def test_it(make_httpserver):
                make_httpserver()
                server = make_httpserver()
                server.expect_ordered_request("/first").respond_with_data("x")
            """
        )
        reprec = inner.inline_run(*OURS)
        [report] = failed_reports(reprec)
        assert report.when == "teardown"
        assert "expect_ordered_request('/first')" in report.longreprtext

    def test_failed_test_also_gets_the_explanation(self, inner: pytest.Pytester) -> None:
        """A test that failed on a 500 also gets the report saying why nothing matched."""
        inner.makepyfile(
            """
            import requests

            def test_it(httpserver):
                httpserver.expect_request("/api/users").respond_with_json([])
                assert requests.get(httpserver.url_for("/api/user"), timeout=5).ok
            """
        )
        reprec = inner.inline_run(*OURS)
        reports = failed_reports(reprec)
        assert [r.when for r in reports] == ["call", "teardown"]
        assert "GET /api/user" in reports[1].longreprtext

    def test_traceback_is_the_message(self, inner: pytest.Pytester) -> None:
        """The teardown error shows our message, not frames from inside localserver."""
        inner.makepyfile(
            """
            import requests

            def test_it(httpserver):
                requests.get(httpserver.url_for("/x"), timeout=5)
            """
        )
        result = inner.runpytest(*OURS)
        result.assert_outcomes(passed=1, errors=1)
        result.stdout.fnmatch_lines(["*ERROR at teardown of test_it*", "E*no expectation*"])
        assert "_checks.py" not in result.stdout.str()


class TestSharedSMTP:
    def test_fault_rules_of_a_test_are_undone(self, inner: pytest.Pytester) -> None:
        """A fault rule added in one test of the shared SMTP server is gone in the next."""
        inner.makepyfile(
            """
            import smtplib
            import pytest

            def test_rejecting(smtpserver_shared):
                smtpserver_shared.faults.reject_recipient("bob@")
                with smtpserver_shared.client() as client:
                    with pytest.raises(smtplib.SMTPRecipientsRefused):
                        client.sendmail("a@x", ["bob@x"], "Subject: s\\r\\n\\r\\nbody\\r\\n")

            def test_accepting_again(smtpserver_shared):
                with smtpserver_shared.client() as client:
                    client.sendmail("a@x", ["bob@x"], "Subject: s\\r\\n\\r\\nbody\\r\\n")
                assert len(smtpserver_shared.outbox) == 1
            """
        )
        inner.runpytest(*OURS).assert_outcomes(passed=2)


class TestXdist:
    def test_each_worker_has_its_own_servers(self, inner: pytest.Pytester) -> None:
        """Under `-n 2` both workers run tests, each on its own shared server."""
        inner.makepyfile(
            """
            import os
            import pytest, requests

            @pytest.mark.parametrize("n", range(8))
            def test_it(n, httpserver, httpserver_shared, smtpserver, worker_id, tmp_path_factory):
                httpserver_shared.expect_request("/n").respond_with_data(str(n))
                assert requests.get(httpserver_shared.url_for("/n"), timeout=5).text == str(n)
                httpserver.serve_content("mine")
                assert requests.get(httpserver.url, timeout=5).text == "mine"
                with smtpserver.client() as client:
                    client.sendmail("a@x", ["b@x"], f"Subject: {n}\\r\\n\\r\\nbody\\r\\n")
                assert smtpserver.outbox[0]["Subject"] == str(n)
                seen = tmp_path_factory.getbasetemp().parent / f"seen-{worker_id}-{n}"
                seen.write_text(str(httpserver_shared.port))
            """
        )
        result = inner.runpytest_subprocess(*OURS, "-n", "2")
        result.assert_outcomes(passed=8)
        ports: dict[str, set[str]] = {}
        for path in inner.path.rglob("seen-gw*"):
            ports.setdefault(path.name.split("-")[1], set()).add(path.read_text())
        assert sorted(ports) == ["gw0", "gw1"]
        assert all(len(p) == 1 for p in ports.values())  # one shared server per worker
        assert ports["gw0"] != ports["gw1"]
