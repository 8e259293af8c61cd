"""The lifecycle engine shared by every server kind.

One listening socket bound on the caller's thread, one daemon thread that accepts
connections, one daemon thread per connection, and a wake-up socket pair so that
``stop()`` never waits for a poll interval.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import queue
import selectors
import socket
import ssl
import threading
import time
from types import TracebackType
from typing import Any, TypeVar

from ._errors import ServerThreadError

__all__ = ["ServerEngine", "format_host"]

_log = logging.getLogger("localserver")

# Errors a rude or vanished client causes; they end one connection, never the server.
CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    BlockingIOError,  # a kernel-side send timeout (SO_SNDTIMEO) on a silent client
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    EOFError,
)

# How long stop() waits for connection threads that are busy in user code.
_JOIN_TIMEOUT = 2.0
# Finished connection threads kept waiting for the next connection, at most.
_MAX_IDLE_WORKERS = 16

_Job = tuple[socket.socket, Any, int]


def format_host(host: str) -> str:
    """Return *host* as it appears in a URL: IPv6 literals get brackets."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def _check_host(host: object) -> str:
    if not isinstance(host, str) or not host:
        raise TypeError(f"'host' must be a non-empty str (got {host!r})")
    return host


def _check_port(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"'port' must be an int (got {port!r})")
    if not 0 <= port <= 65535:
        raise ValueError(f"'port' must be between 0 and 65535 (got {port!r})")
    return port


_S = TypeVar("_S", bound="ServerEngine")


def _family_for(host: str) -> socket.AddressFamily:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return infos[0][0]
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


class ServerEngine:
    """Base class of every server: bind, serve on a thread, stop at once.

    Subclasses implement :meth:`_handle_connection`, which runs on a thread of its
    own for each accepted connection.

    Args:
        host: Address to bind; ``"127.0.0.1"`` by default, ``"::1"`` for IPv6.
        port: Port to bind; ``0`` (the default) lets the system pick a free one.
    """

    _thread_name = "localserver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = _check_host(host).strip("[]")
        self._requested_port = _check_port(port)
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._waker: tuple[socket.socket, socket.socket] | None = None
        self._serve_thread: threading.Thread | None = None
        self._connections: dict[int, socket.socket] = {}
        self._connection_threads: set[threading.Thread] = set()
        # Connection threads are reused: a finished one waits on this run's queue
        # for the next connection instead of exiting (thread start-up dominates the
        # cost of a short connection). None in the queue tells a worker to exit.
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._idle_workers = 0
        self._errors: list[BaseException] = []
        self._bound: tuple[Any, ...] | None = None
        self._connection_counter = 0
        # Set while the server is not serving; delays and hangs wait on it so that
        # stop() ends them at once.
        self._stopped = threading.Event()
        self._stopped.set()

    # -- public lifecycle -------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address the server binds (without brackets)."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port while running (or last run); the requested one before."""
        if self._bound is not None:
            return int(self._bound[1])
        return self._requested_port

    @property
    def server_address(self) -> tuple[str, int]:
        """``(host, port)`` of the listening socket."""
        return (self.host, self.port)

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._serve_thread is not None

    def is_running(self) -> bool:
        """Whether the server is accepting connections (pytest-localserver's name)."""
        return self.running

    def start(self: _S) -> _S:
        """Bind, listen and start serving on a daemon thread.

        The socket is bound here, on the caller's thread, so a busy port raises
        right away.

        Returns:
            The server itself, so ``server = HTTPServer().start()`` works.

        Raises:
            RuntimeError: The server is already running.
            OSError: The address cannot be bound; the message names host and port.
        """
        with self._lock:
            if self._serve_thread is not None:
                raise RuntimeError(f"{self!r} is already running; call stop() first")
            self._raise_pending_errors_locked()
            listener = self._bind()
            try:
                waker = socket.socketpair()
            except BaseException:
                listener.close()
                raise
            self._listener = listener
            self._waker = waker
            self._bound = listener.getsockname()
            self._stopped.clear()
            self._jobs = queue.SimpleQueue()
            self._idle_workers = 0
            self._on_start()
            thread = threading.Thread(
                target=self._serve, name=f"{self._thread_name}:{self.port}", daemon=True
            )
            self._serve_thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and release the port.

        Safe to call more than once and before :meth:`start`.

        Raises:
            ServerThreadError: The serve thread or a connection thread failed with
                an unexpected exception since the last check.
        """
        with self._lock:
            thread = self._serve_thread
            self._serve_thread = None
            waker = self._waker
            self._waker = None
            self._stopped.set()
        if thread is not None:
            if waker is not None:
                try:
                    waker[1].send(b"\0")
                except OSError:
                    pass
            if thread is not threading.current_thread():
                thread.join()
            self._close_connections()
            self._release_workers()
            self._join_connection_threads()
            if waker is not None:
                waker[0].close()
                waker[1].close()
            with self._lock:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
            self._on_stop()
        self.raise_pending_errors()

    def raise_pending_errors(self) -> None:
        """Raise, once, what went wrong on a server thread since the last call.

        Raises:
            ServerThreadError: With the first unexpected exception as its cause.
        """
        with self._lock:
            self._raise_pending_errors_locked()

    def __enter__(self: _S) -> _S:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {format_host(self.host)}:{self.port} {state}>"

    # -- hooks for subclasses ---------------------------------------------------------

    def _on_start(self) -> None:
        """Called with the lock held, after binding, before the serve thread starts."""

    def _on_stop(self) -> None:
        """Called after every thread has been joined."""

    def _handle_connection(self, conn: socket.socket, address: Any, conn_id: int) -> None:
        raise NotImplementedError

    def _track_connection(self, conn_id: int, conn: socket.socket) -> None:
        """Replace the socket stop() closes for *conn_id* (e.g. after a TLS wrap)."""
        with self._lock:
            if conn_id in self._connections:
                self._connections[conn_id] = conn

    def _record_error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)
        _log.error("error on a %s thread", type(self).__name__, exc_info=error)

    def _wait_stopped(self, timeout: float | None) -> bool:
        """Sleep up to *timeout* seconds; return True at once if the server stops."""
        return self._stopped.wait(timeout)

    # -- internals --------------------------------------------------------------------

    def _raise_pending_errors_locked(self) -> None:
        if self._errors:
            errors, self._errors = self._errors, []
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ServerThreadError(
                f"{type(self).__name__} on {format_host(self.host)}:{self.port}: a server "
                f"thread failed with {type(first).__name__}: {first}{more}"
            ) from first

    def _bind(self) -> socket.socket:
        host, port = self._host, self._requested_port
        try:
            family = _family_for(host)
        except socket.gaierror as exc:
            raise OSError(
                exc.errno,
                f"cannot listen on {format_host(host)}:{port}: the host name {host!r} "
                f"does not resolve ({exc.strerror}); use an address such as 127.0.0.1",
            ) from exc
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name == "posix":
                # Lets a fixed port be rebound while old connections sit in TIME_WAIT;
                # on POSIX it never allows two listeners on one port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            hint = ""
            if exc.errno == errno.EADDRINUSE:
                hint = "; another program holds that port: pass port=0 to get a free one"
            raise OSError(
                exc.errno,
                f"cannot listen on {format_host(host)}:{port}: {exc.strerror}{hint}",
            ) from exc
        except BaseException:
            sock.close()
            raise
        return sock

    def _serve(self) -> None:
        listener, waker = self._listener, self._waker
        if listener is None or waker is None:  # stopped before the thread ran
            return
        selector = selectors.DefaultSelector()
        try:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(waker[0], selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is waker[0]:
                        return
                    self._accept_ready(listener)
        except BaseException as exc:  # an accept-loop bug must not vanish
            if not self._stopped.is_set():
                self._record_error(exc)
        finally:
            selector.close()

    def _accept_ready(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                conn, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: back off instead of spinning; the pending
                    # connection is accepted once a descriptor is free.
                    _log.warning("accept() failed: %s", exc)
                    self._stopped.wait(0.05)
                    return
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO):
                    continue
                raise
            conn.setblocking(True)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connection_counter += 1
                conn_id = self._connection_counter
                self._connections[conn_id] = conn
                job = (conn, address, conn_id)
                if self._idle_workers:
                    self._idle_workers -= 1
                    self._jobs.put(job)
                    continue
                thread = threading.Thread(
                    target=self._worker,
                    args=(self._jobs, job),
                    name=f"{self._thread_name}:{self.port}:worker{conn_id}",
                    daemon=True,
                )
                self._connection_threads.add(thread)
            thread.start()

    def _worker(self, jobs: queue.SimpleQueue[_Job | None], job: _Job | None) -> None:
        """Serve connections one after another until the server stops."""
        try:
            while job is not None:
                self._connection_main(*job)
                with self._lock:
                    if (
                        self._stopped.is_set()
                        or jobs is not self._jobs
                        or self._idle_workers >= _MAX_IDLE_WORKERS
                    ):
                        return
                    self._idle_workers += 1
                job = jobs.get()
        finally:
            with self._lock:
                self._connection_threads.discard(threading.current_thread())

    def _connection_main(self, conn: socket.socket, address: Any, conn_id: int) -> None:
        try:
            self._handle_connection(conn, address, conn_id)
        except CLIENT_ERRORS:
            pass
        except OSError as exc:
            if not (self._stopped.is_set() or exc.errno in (errno.EBADF, errno.ENOTCONN)):
                self._record_error(exc)
        except BaseException as exc:
            self._record_error(exc)
        finally:
            with self._lock:
                tracked = self._connections.pop(conn_id, conn)
            for sock in {id(conn): conn, id(tracked): tracked}.values():
                try:
                    sock.close()
                except OSError:
                    pass

    def _close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            try:
                # The base-class method shuts the descriptor down without touching
                # an SSLSocket's TLS state, which the connection thread still owns.
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    def _release_workers(self) -> None:
        """Tell every worker waiting for a connection to exit."""
        with self._lock:
            count = len(self._connection_threads)
            jobs = self._jobs
            self._idle_workers = 0
        for _ in range(count):
            jobs.put(None)

    def _join_connection_threads(self) -> None:
        deadline = time.monotonic() + _JOIN_TIMEOUT
        current = threading.current_thread()
        while True:
            with self._lock:
                threads = [t for t in self._connection_threads if t is not current]
            if not threads:
                return
            for thread in threads:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    _log.warning(
                        "%d connection thread(s) of %r still busy after %.1f s; "
                        "left running as daemons",
                        len(threads),
                        self,
                        _JOIN_TIMEOUT,
                    )
                    return
                thread.join(remaining)
            # Threads started after the snapshot are covered by the next pass.
            with self._lock:
                self._connection_threads -= {t for t in threads if not t.is_alive()}
