"""Private TLS files: no server key on disk, and the leftovers of dead processes removed."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import signal
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from localserver import HTTPSServer, TestAuthority
from localserver._tls_files import (
    LOCK_NAME,
    PREFIX,
    PrivateDirectory,
    load_key_and_chain,
    remove_stale_directories,
)

ROOT = Path(__file__).resolve().parent.parent
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX signals, locks and owners")

# A child that serves HTTPS and makes one request trusting ca_bundle (so its
# private directory exists), prints that directory, then ends as it is told.
SERVING_CHILD = textwrap.dedent(
    """
    import http.client, os, ssl, sys
    from localserver import HTTPSServer

    server = HTTPSServer().start()
    server.serve_content("ok")
    context = ssl.create_default_context(cafile=server.ca_bundle)
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"ok"
    if "client-cert" in sys.argv:
        server.issue_client_cert("alice")
    print(os.path.dirname(server.ca_bundle), flush=True)
    if "os._exit" in sys.argv:
        os._exit(0)
    sys.stdin.read()  # until a signal ends it
    """
)


def child_env(tmp: Path) -> dict[str, str]:
    """The environment of a child process whose temporary folder is *tmp*."""
    path = os.pathsep.join([str(ROOT), *sys.path])
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": path}


@pytest.fixture
def children(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Child processes started by the test, killed and reaped after it."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=60)


def start_child(
    children: list[subprocess.Popen[str]], tmp: Path, code: str, *args: str
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -c code args`` with *tmp* as its temporary folder.

    Returns:
        The child and the first line it printed.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp),
    )
    children.append(child)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if not line:
        _, err = child.communicate(timeout=60)
        pytest.fail(f"the child printed nothing; its stderr:\n{err}")
    return child, line


def run_python(tmp: Path, code: str) -> str:
    """Run ``python -c code`` to its end with *tmp* as its temporary folder; return stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=child_env(tmp),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def files_with_private_keys(root: Path) -> list[Path]:
    """Every file under *root* that holds a PEM private key."""
    return [p for p in root.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]


def private_directories(root: Path) -> list[Path]:
    return sorted(root.glob(PREFIX + "*"))


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(out.stdout)


class TestNoServerKeyOnDisk:
    def test_server_contexts_write_no_key(self) -> None:
        """Making server contexts (every mode) leaves no private key in the CA's directory."""
        authority = TestAuthority()
        for mode in ("none", "optional", "required"):
            authority.server_context(mode)
        directory = Path(authority.ca_bundle).parent
        assert files_with_private_keys(directory) == []

    def test_server_pem_file_only_when_asked(self) -> None:
        """server_pem_file is written on demand, owner-only, and still loads."""
        authority = TestAuthority()
        authority.server_context()
        path = Path(authority.server_pem_file)
        assert b"PRIVATE KEY" in path.read_bytes()
        if os.name == "posix":
            assert path.stat().st_mode & 0o777 == 0o600
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(path)

    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memfd_create is Linux's")
    def test_linux_loads_the_key_from_memory(self, tmp_path: Path) -> None:
        """On Linux the key never reaches a file system: no directory is even made."""
        pem = trustme.CA().issue_cert("localhost").private_key_and_cert_chain_pem.bytes()
        made: list[PrivateDirectory] = []

        def directory() -> PrivateDirectory:
            made.append(PrivateDirectory(str(tmp_path)))
            return made[-1]

        load_key_and_chain(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), pem, directory)
        assert made == []

    def test_file_fallback_unlinks_the_key(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without memfd the key goes through a file removed once the context has it."""
        monkeypatch.setattr("localserver._tls_files._load_from_memory", lambda *_: False)
        ca = trustme.CA()
        pem = ca.issue_cert("localhost").private_key_and_cert_chain_pem.bytes()
        private = PrivateDirectory(str(tmp_path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        load_key_and_chain(context, pem, lambda: private)
        assert files_with_private_keys(tmp_path) == []
        with HTTPSServer(ssl_context=context) as server:
            server.serve_content("ok")
            client = ssl.create_default_context(cadata=ca.cert_pem.bytes().decode("ascii"))
            conn = http.client.HTTPSConnection("localhost", server.port, context=client)
            conn.request("GET", "/")
            assert conn.getresponse().read() == b"ok"
            conn.close()


@POSIX_ONLY
class TestAbruptExits:
    @pytest.mark.parametrize("ending", ["SIGKILL", "SIGTERM", "os._exit"])
    def test_no_private_key_is_left(
        self, tmp_path: Path, children: list[subprocess.Popen[str]], ending: str
    ) -> None:
        """A serving child ended abruptly leaves no file holding a private key."""
        child, directory = start_child(children, tmp_path, SERVING_CHILD, ending)
        assert Path(directory).parent == tmp_path
        assert Path(directory, LOCK_NAME).exists()
        assert files_with_private_keys(tmp_path) == []  # not even while it runs
        if ending != "os._exit":
            child.send_signal(getattr(signal, ending))
        child.communicate(timeout=60)
        assert files_with_private_keys(tmp_path) == []

    def test_next_run_removes_what_a_killed_process_left(
        self, tmp_path: Path, children: list[subprocess.Popen[str]]
    ) -> None:
        """Client keys a SIGKILLed process had asked for go with the next run's first CA."""
        child, directory = start_child(children, tmp_path, SERVING_CHILD, "client-cert")
        child.kill()
        child.communicate(timeout=60)
        assert Path(directory).is_dir()
        assert files_with_private_keys(tmp_path) != []  # the client key it asked for
        run_python(tmp_path, "from localserver import TestAuthority; TestAuthority()")
        assert not Path(directory).exists()
        assert files_with_private_keys(tmp_path) == []

    @pytest.mark.parametrize("method", ["fork", "spawn"])
    def test_pool_workers_leave_no_key(self, tmp_path: Path, method: str) -> None:
        """Pool workers serving HTTPS leave no key; what they leave goes with the next run."""
        if method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"no {method} start method here")
        script = textwrap.dedent(
            f"""
            import http.client, multiprocessing, os
            from localserver import HTTPSServer

            def serve(i):
                with HTTPSServer() as server:
                    server.serve_content("ok")
                    # Half the workers trust the CA through its file, half through a context.
                    context = server.client_ssl_context()
                    if i % 2:
                        import ssl
                        context = ssl.create_default_context(cafile=server.ca_bundle)
                    conn = http.client.HTTPSConnection(
                        "127.0.0.1", server.port, context=context, timeout=10
                    )
                    conn.request("GET", "/")
                    assert conn.getresponse().read() == b"ok"
                    conn.close()
                return os.getpid()

            if __name__ == "__main__":
                with multiprocessing.get_context({method!r}).Pool(2) as pool:
                    print(len(set(pool.map(serve, range(20)))))
            """
        )
        script_file = tmp_path / "pool_script.py"
        script_file.write_text(script)
        result = subprocess.run(
            [sys.executable, str(script_file)],
            capture_output=True,
            text=True,
            env=child_env(tmp_path),
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert files_with_private_keys(tmp_path) == []
        run_python(tmp_path, "from localserver import TestAuthority; TestAuthority()")
        assert private_directories(tmp_path) == []


@POSIX_ONLY
class TestStaleDirectories:
    def make(self, parent: Path, pid: int, *, lock: bool) -> Path:
        """A directory as a process *pid* would leave it, with an unheld lock file or none."""
        path = parent / f"{PREFIX}{pid}-test{len(list(parent.iterdir()))}"
        path.mkdir(mode=0o700)
        (path / "001-client-key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\n")
        if lock:
            (path / LOCK_NAME).write_text(f"{pid}\n")
        return path

    def test_dead_process_directories_are_removed(self, tmp_path: Path) -> None:
        """A dead pid's directory goes, with a lock file or without one."""
        pid = dead_pid()
        locked = self.make(tmp_path, pid, lock=True)
        unlocked = self.make(tmp_path, pid, lock=False)
        assert sorted(remove_stale_directories(str(tmp_path))) == sorted(
            [str(locked), str(unlocked)]
        )
        assert private_directories(tmp_path) == []

    def test_live_process_directory_is_kept(
        self, tmp_path: Path, children: list[subprocess.Popen[str]]
    ) -> None:
        """Another live process's directory stays; once it is killed, it goes."""
        code = textwrap.dedent(
            f"""
            import sys
            from localserver._tls_files import PrivateDirectory
            directory = PrivateDirectory({str(tmp_path)!r})
            directory.write("client-key", b"-----BEGIN PRIVATE KEY-----\\n")
            print(directory.path, flush=True)
            sys.stdin.read()
            """
        )
        child, directory = start_child(children, tmp_path, code)
        assert Path(directory).name.startswith(f"{PREFIX}{child.pid}-")
        assert remove_stale_directories(str(tmp_path)) == []
        assert Path(directory).is_dir()
        child.kill()
        child.communicate(timeout=60)
        assert remove_stale_directories(str(tmp_path)) == [directory]

    def test_reused_pid_does_not_keep_a_directory(self, tmp_path: Path) -> None:
        """A live pid with a free lock is a reused pid: the owner is gone, the directory goes."""
        stale = self.make(tmp_path, os.getpid(), lock=True)
        assert remove_stale_directories(str(tmp_path)) == [str(stale)]

    def test_directory_being_made_is_kept(self, tmp_path: Path) -> None:
        """A live pid's directory without its lock file yet is left alone."""
        young = self.make(tmp_path, os.getpid(), lock=False)
        assert remove_stale_directories(str(tmp_path)) == []
        assert young.is_dir()

    def test_this_process_directory_is_kept(self, tmp_path: Path) -> None:
        """A directory of this very process, lock held, stays."""
        mine = PrivateDirectory(str(tmp_path))
        assert remove_stale_directories(str(tmp_path)) == []
        assert Path(mine.path, LOCK_NAME).is_file()

    def test_other_names_and_symlinks_are_kept(self, tmp_path: Path) -> None:
        """Only real directories named localserver-tls-<pid>-... are candidates."""
        pid = dead_pid()
        (tmp_path / f"{PREFIX}abc").mkdir()
        (tmp_path / f"{PREFIX}{pid}").mkdir()
        target = tmp_path / "target"
        target.mkdir()
        (target / "keep").write_text("kept")
        link = tmp_path / f"{PREFIX}{pid}-link"
        link.symlink_to(target)
        (tmp_path / f"{PREFIX}{pid}-file").write_text("not a directory")
        remove_stale_directories(str(tmp_path))
        assert (tmp_path / f"{PREFIX}abc").is_dir()
        assert (tmp_path / f"{PREFIX}{pid}").is_dir()
        assert link.is_symlink()
        assert (target / "keep").read_text() == "kept"
        assert (tmp_path / f"{PREFIX}{pid}-file").is_file()

    @pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="chown needs root")
    def test_other_users_directories_are_kept(self, tmp_path: Path) -> None:
        """A dead pid's directory that belongs to another user is never touched."""
        theirs = self.make(tmp_path, dead_pid(), lock=True)
        os.chown(theirs, 4242, 4242)
        assert remove_stale_directories(str(tmp_path)) == []
        assert theirs.is_dir()
