"""The benchmark scripts import and their measuring parts work (no timings checked)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from localserver import HTTPServer

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # the scripts import their sibling _table.py
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return load("run")


@pytest.fixture(scope="module")
def bench_http() -> ModuleType:
    return load("bench_http")


@pytest.fixture
def server():
    with HTTPServer() as server:
        server.serve_content(b"ok")
        yield server


class TestRunner:
    def test_every_script_is_a_topic(self, run: ModuleType) -> None:
        """Each bench_<topic>.py is found under its topic name."""
        topics = run.available_topics()
        assert "http" in topics
        assert topics["http"].name == "bench_http.py"

    def test_topics_select_scripts(self, run: ModuleType) -> None:
        """Named topics select their scripts, once each; none selects all."""
        assert [p.name for p in run.select_scripts(["http", "http"])] == ["bench_http.py"]
        assert len(run.select_scripts([])) == len(run.available_topics())

    def test_unknown_topic_names_the_known_ones(self, run: ModuleType) -> None:
        """An unknown topic stops the run with the list of topics."""
        with pytest.raises(SystemExit, match=r"no benchmark for 'nope'.*http"):
            run.select_scripts(["nope"])


class TestResponseParser:
    def test_incomplete_until_the_body_arrives(self, bench_http: ModuleType) -> None:
        """A response is complete only once Content-Length bytes follow the head."""
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
        assert bench_http._complete_response(bytearray(head + b"o"), eof=False) is None
        assert bench_http._complete_response(bytearray(head + b"okHTTP"), eof=False) == (
            len(head) + 2,
            False,
        )

    def test_connection_close_is_seen(self, bench_http: ModuleType) -> None:
        """Connection: close (any case) and HTTP/1.0 mean the server closes."""
        close = b"HTTP/1.1 200 OK\r\nconnection: Close\r\nContent-Length: 0\r\n\r\n"
        old = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"
        assert bench_http._complete_response(bytearray(close), eof=False) == (len(close), True)
        assert bench_http._complete_response(bytearray(old), eof=False) == (len(old), True)

    def test_no_length_ends_at_eof(self, bench_http: ModuleType) -> None:
        """Without Content-Length the body ends when the server closes."""
        response = bytearray(b"HTTP/1.1 200 OK\r\n\r\nok")
        assert bench_http._complete_response(response, eof=False) is None
        assert bench_http._complete_response(response, eof=True) == (len(response), True)


class TestMeasuringParts:
    def test_loadgen_keeps_connections_alive(
        self, bench_http: ModuleType, server: HTTPServer
    ) -> None:
        """The load generator completes requests on 8 reused connections, error-free."""
        result = bench_http.loadgen(*server.server_address, 8, seconds=0.2, warmup=0.05)
        assert result["requests"] > 0
        assert result["connects"] == 8
        assert result["errors"] == 0

    def test_loadgen_in_another_process(self, bench_http: ModuleType, server: HTTPServer) -> None:
        """run_loadgen runs the generator as a child process and reads its counts."""
        result = bench_http.run_loadgen(server.server_address, 2, 0.2)
        assert result["requests"] > 0
        assert result["errors"] == 0

    def test_clients_get_the_body(self, bench_http: ModuleType, server: HTTPServer) -> None:
        """The sequential clients return one duration per request."""
        bench_http.get_new_connection(server.server_address)
        assert len(bench_http.keepalive_httpclient(server.server_address, 3)) == 3
        assert len(bench_http.keepalive_requests(server.url + bench_http.PATH, 3)) == 3
        assert len(server.requests) == 7

    def test_peak_growth_sees_a_stored_body(self, bench_http: ModuleType) -> None:
        """A stored 16 MiB body raises the server process's peak RSS by about that much."""
        growth, _ = bench_http.peak_growth("localserver", True, 16 * bench_http.MiB)
        assert growth > 8

    def test_cycles_count_threads_and_fds(self, bench_http: ModuleType) -> None:
        """Start/stop cycles report (threads, fds) before and after."""
        before, after, _ = bench_http.cycles(5, with_request=True)
        assert after == before

    def test_table_prints_every_row(
        self, bench_http: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table shows values, ratios and verdicts."""
        row = bench_http.Row(
            "start+stop, idle",
            {"localserver": 0.001, "pytest-localserver": 0.5},
            "s",
            False,
            "t",
            True,
        )
        bench_http.print_table([row], ("pytest-localserver",))
        out = capsys.readouterr().out
        assert "1.00 ms" in out
        assert "500.00x" in out
        assert "PASS" in out


@pytest.fixture(scope="module")
def bench_waiting() -> ModuleType:
    return load("bench_waiting")


class TestWaitingBench:
    def test_pipelined_responses_are_counted(self, bench_waiting: ModuleType) -> None:
        """Complete responses are taken off the buffer; a partial one stays."""
        one = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        buffer = bytearray(one * 3 + one[:-1])
        assert bench_waiting._take_responses(buffer) == 3
        assert bytes(buffer) == one[:-1]

    @pytest.mark.parametrize("wait", [None, "count", "order", "met"])
    def test_runs_with_and_without_a_waiter(
        self, bench_waiting: ModuleType, wait: str | None
    ) -> None:
        """A short run completes, with each kind of waiter or none (no timing checked)."""
        waits = dict(zip(["count", "order", "met"], bench_waiting.WAITS.values()))
        seconds, cpu = bench_waiting.measure(200, waits[wait] if wait else None)
        assert seconds > 0
        assert cpu > 0

    def test_table_shows_ratio_spread_and_verdict(
        self, bench_waiting: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table prints the median ratio, its spread and PASS or MISS."""
        row = {"without": 1.0, "with": 1.1, "ratio": 1.1, "low": 1.0, "high": 1.2, "cpu": 1.05}
        slow = {**row, "ratio": 2.0}
        assert bench_waiting.print_table(100, 3, {"fast": row}) is True
        assert bench_waiting.print_table(100, 3, {"slow": slow}) is False
        out = capsys.readouterr().out
        assert "1.10x" in out
        assert "1.00-1.20x" in out
        assert "1.05x" in out
        assert "PASS" in out
        assert "MISS" in out


# -- issue 15's scripts: each runs in its quick mode (the figures are not checked) -------


def run_quick(name: str, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run *name*'s main() with *args*; return what it printed."""
    assert load(name).main(list(args)) == 0
    return capsys.readouterr().out


class TestWire:
    def test_quick_run_prints_every_figure(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Keep-alive, threads and CPU rows, each with a target and a verdict."""
        out = run_quick("bench_wire", capsys, "--quick", "--no-wrk")
        for figure in ("keep-alive GET", "8 client threads", "server CPU per GET"):
            assert figure in out
        assert "responder" in out
        assert out.count("PASS") + out.count("MISS") == 3

    def test_responder_keeps_the_connection(self) -> None:
        """The minimal responder answers several requests on one connection."""
        bench_wire = load("bench_wire")
        responder = bench_wire.Responder().start()
        try:
            assert bench_wire.keepalive_gets(responder.server_address, 5) > 0
            assert bench_wire.threaded_gets(responder.server_address, 2, 0.05) > 0
        finally:
            responder.stop()

    def test_wrk_report_is_read(self) -> None:
        """wrk's rate and error lines are found in its report."""
        report = (
            "  2 threads and 8 connections\n  Non-2xx or 3xx responses: 3\n"
            "Requests/sec:  12345.67\nTransfer/sec:      1.2MB\n"
        )
        result = load("bench_wire").parse_wrk(report)
        assert result.rate == 12345.67
        assert result.problems == "Non-2xx or 3xx responses: 3"
        assert load("bench_wire").parse_wrk("connection refused").rate is None


class TestQuickRuns:
    def test_templates(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = run_quick("bench_templates", capsys, "--quick")
        assert "1,000" in out
        assert "PASS" in out or "MISS" in out

    def test_template_paths_match_their_templates(self) -> None:
        """Each generated path matches its own template and no other (checked by werkzeug)."""
        from werkzeug.routing import Map, Rule

        bench = load("bench_templates")
        rules = Map([Rule(bench.template(i), endpoint=i) for i in range(60)])
        adapter = rules.bind("localhost")
        for index in range(60):
            assert adapter.match(bench.path(index))[0] == index
            assert bench.pattern(index).match(bench.path(index))

    def test_miss(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = run_quick("bench_miss", capsys, "--quick", "--count", "300")
        assert "unmatched GET -> 500, 300 expectations" in out
        assert "PASS" in out or "MISS" in out

    def test_smtp_read(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = run_quick("bench_smtp_read", capsys, "--quick")
        assert "mails sent, then Subject+To read" in out
        assert "PASS" in out or "MISS" in out

    def test_import(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = run_quick("bench_import", capsys, "--quick", "--top", "3")
        assert "fresh interpreter" in out
        assert "werkzeug" in out  # the breakdown names what localserver brings in

    def test_journal(self) -> None:
        """In a process of its own: tracemalloc over the test run's heap would be slow."""
        done = subprocess.run(
            [sys.executable, str(BENCH / "bench_journal.py"), "--quick"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "recorded GET, kept" in done.stdout
        assert "KiB" in done.stdout

    def test_shared_fixture_rounds(self, tmp_path: Path) -> None:
        """The shared-fixture comparison runs pytest with tests that make a request."""
        bench = load("bench_fixtures")
        (tmp_path / "conftest.py").write_text(bench.RECORDER)
        ours, theirs = bench.shared_rounds(tmp_path, 3, 1, request=True)
        assert len(ours) == len(theirs) == 1
        assert ours[0] > 0
        assert theirs[0] > 0

    def test_profile_requests(self) -> None:
        """The profile helper profiles the server's threads, not the client's."""
        done = subprocess.run(
            [sys.executable, str(BENCH / "profile_requests.py"), "--count", "30", "--top", "5"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "top 5 functions by tottime" in done.stdout
        assert "localserver/" in done.stdout
