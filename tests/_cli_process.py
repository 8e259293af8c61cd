"""``python -m localserver`` in a subprocess, whose output lines can be awaited."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from types import TracebackType

# Bounds every wait on the child: no test can hang on a CLI that does not answer.
LINE_TIMEOUT = 20.0


class CLIProcess:
    """A running ``python -m localserver`` (or another Python command line).

    Use it as a context manager: the process is killed and its pipes closed on exit.
    """

    def __init__(self, *args: str, command: tuple[str, ...] = ("-m", "localserver")) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, *command, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.buffers = {"out": b"", "err": b""}
        self.selector.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self.selector.register(self.proc.stderr, selectors.EVENT_READ, "err")
        self.lines: dict[str, list[str]] = {"out": [], "err": []}

    def __enter__(self) -> CLIProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _pump(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        events = self.selector.select(remaining)
        for key, _ in events:
            data = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if not data:
                self.selector.unregister(key.fileobj)
                continue
            self.buffers[key.data] += data
            *complete, self.buffers[key.data] = self.buffers[key.data].split(b"\n")
            self.lines[key.data].extend(line.decode() for line in complete)
        return bool(events) or bool(self.selector.get_map())

    def wait_line(self, stream: str, pattern: str) -> re.Match[str]:
        """Wait for a line of *stream* ("out"/"err") matching *pattern*."""
        deadline = time.monotonic() + LINE_TIMEOUT
        seen = 0
        while True:
            for line in self.lines[stream][seen:]:
                match = re.search(pattern, line)
                if match:
                    return match
            seen = len(self.lines[stream])
            if not self._pump(deadline):
                raise AssertionError(
                    f"no line matching {pattern!r} on std{stream}; got {self.lines}"
                )

    def send(self, text: str) -> None:
        """Write *text* to the process's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.finish()

    def finish(self) -> int:
        """Read the rest of the output and return the exit status.

        Raises:
            AssertionError: The process did not exit within ``LINE_TIMEOUT`` seconds.
        """
        deadline = time.monotonic() + LINE_TIMEOUT
        while self.selector.get_map() and self._pump(deadline):
            pass
        try:
            code = self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the process did not exit within {LINE_TIMEOUT} s; got {self.lines}"
            ) from None
        for stream in ("out", "err"):
            if self.buffers[stream]:
                self.lines[stream].append(self.buffers[stream].decode())
                self.buffers[stream] = b""
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.selector.close()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m localserver *args`` to the end (it must exit by itself)."""
    return subprocess.run(
        [sys.executable, "-m", "localserver", *args],
        capture_output=True,
        text=True,
        timeout=LINE_TIMEOUT,
    )
