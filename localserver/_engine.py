"""The lifecycle engine every server composes: bind, accept, serve, stop at once.

One listening socket bound on the caller's thread, one daemon thread that accepts
connections, one daemon thread per connection (reused for the next one), and a
wake-up socket pair so that ``stop()`` never waits for a poll interval. The engine
knows nothing of HTTP or SMTP: each accepted connection goes to the handler the
server gave it.
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
from typing import Any, Callable

from ._args import check_host, check_port
from ._errors import ServerThreadError

__all__ = ["CLIENT_ERRORS", "Address", "ConnectionHandler", "Engine", "format_host"]

_log = logging.getLogger("localserver")

# Errors a rude or vanished client causes; they end one connection, never the server.
CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    BlockingIOError,  # a kernel-side timeout (SO_RCVTIMEO/SO_SNDTIMEO) on a silent client
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    EOFError,
)

#: How long stop() waits for connection threads that are busy in user code.
JOIN_TIMEOUT = 2.0
# Finished connection threads kept waiting for the next connection, at most.
_MAX_IDLE_WORKERS = 16

Address = Any  # (host, port) for TCP, (host, port, flow, scope) for IPv6
#: Serves one accepted connection on its own thread: ``handler(sock, address, conn_id)``.
ConnectionHandler = Callable[[socket.socket, Address, int], None]
_Job = tuple[socket.socket, Address, int]


def format_host(host: str) -> str:
    """Return *host* as it appears in a URL: IPv6 literals get brackets."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def _family_for(host: str) -> socket.AddressFamily:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return infos[0][0]
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


class Engine:
    """Binds, accepts and hands each connection to *handler*, on threads of its own.

    Args:
        host: Address to bind (brackets around IPv6 literals are removed).
        port: Port to bind; ``0`` lets the system pick a free one.
        handler: Called on a connection thread for each accepted connection
            (may be set later, as the ``handler`` attribute, before ``start()``).
        name: The server's name in thread names, logs and errors.
    """

    def __init__(
        self, host: str, port: int, handler: ConnectionHandler | None = None, *, name: str
    ) -> None:
        self.host = check_host(host)
        self.requested_port = check_port(port)
        self.name = name
        #: Serves each accepted connection; set before start() at the latest.
        self.handler = handler
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
        #: Set while the engine is not serving; delays and hangs wait on it so that
        #: stop() ends them at once.
        self.stopped = threading.Event()
        self.stopped.set()

    @property
    def port(self) -> int:
        """The bound port while running (or last run); the requested one before."""
        return int(self._bound[1]) if self._bound is not None else self.requested_port

    @property
    def running(self) -> bool:
        """Whether the engine is accepting connections."""
        return self._serve_thread is not None

    def describe(self) -> str:
        """``"HTTPServer on 127.0.0.1:40123"``, for messages."""
        return f"{self.name} on {format_host(self.host)}:{self.port}"

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Bind, listen and start accepting on a daemon thread.

        Raises:
            RuntimeError: Already running.
            ServerThreadError: A thread of the previous run failed unnoticed.
            OSError: The address cannot be bound; the message names host and port.
        """
        with self._lock:
            if self._serve_thread is not None:
                raise RuntimeError(f"{self.describe()} is already running; call stop() first")
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
            self.stopped.clear()
            self._jobs = queue.SimpleQueue()
            self._idle_workers = 0
            thread = threading.Thread(
                target=self._serve, name=f"localserver:{self.port}", daemon=True
            )
            self._serve_thread = thread
        thread.start()

    def stop(self) -> None:
        """Stop accepting, shut every connection down, join the threads, release the port.

        Safe to call more than once and before :meth:`start`. Connection threads
        busy in user code are waited for at most :data:`JOIN_TIMEOUT` seconds (their
        sockets are shut down at once, so their clients see the end right away).

        Raises:
            ServerThreadError: A thread failed with an unexpected exception since
                the last check.
        """
        with self._lock:
            thread = self._serve_thread
            self._serve_thread = None
            waker = self._waker
            self._waker = None
            self.stopped.set()
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
        self.raise_pending_errors()

    def raise_pending_errors(self) -> None:
        """Raise, once, what went wrong on a server thread since the last call.

        Raises:
            ServerThreadError: With the first unexpected exception as its cause.
        """
        with self._lock:
            self._raise_pending_errors_locked()

    # -- for the handlers -------------------------------------------------------------

    def record_error(self, error: BaseException) -> None:
        """Keep an unexpected exception of a server thread for the next check."""
        with self._lock:
            self._errors.append(error)
        _log.error("error on a %s thread", self.name, exc_info=error)

    def track(self, conn_id: int, sock: socket.socket) -> None:
        """Replace the socket stop() shuts down for *conn_id* (after a TLS wrap, say)."""
        with self._lock:
            if conn_id in self._connections:
                self._connections[conn_id] = sock

    def wait_stopped(self, timeout: float | None) -> bool:
        """Sleep up to *timeout* seconds; return True at once if the engine stops."""
        return self.stopped.wait(timeout)

    # -- internals --------------------------------------------------------------------

    def _raise_pending_errors_locked(self) -> None:
        if self._errors:
            errors, self._errors = self._errors, []
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ServerThreadError(
                f"{self.describe()}: a server thread failed with "
                f"{type(first).__name__}: {first}{more}"
            ) from first

    def _bind(self) -> socket.socket:
        host, port = self.host, self.requested_port
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
            if not self.stopped.is_set():
                self.record_error(exc)
        finally:
            selector.close()

    def _accept_ready(self, listener: socket.socket) -> None:
        while not self.stopped.is_set():
            try:
                conn, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: back off instead of spinning; the pending
                    # connection is accepted once a descriptor is free.
                    _log.warning("accept() failed: %s", exc)
                    self.stopped.wait(0.05)
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
                    name=f"localserver:{self.port}:worker{conn_id}",
                    daemon=True,
                )
                self._connection_threads.add(thread)
            thread.start()

    def _worker(self, jobs: queue.SimpleQueue[_Job | None], job: _Job | None) -> None:
        """Serve connections one after another until the engine stops."""
        try:
            while job is not None:
                self._connection_main(*job)
                with self._lock:
                    if (
                        self.stopped.is_set()
                        or jobs is not self._jobs
                        or self._idle_workers >= _MAX_IDLE_WORKERS
                    ):
                        return
                    self._idle_workers += 1
                job = jobs.get()
        finally:
            with self._lock:
                self._connection_threads.discard(threading.current_thread())

    def _connection_main(self, conn: socket.socket, address: Address, conn_id: int) -> None:
        try:
            if self.handler is None:
                raise RuntimeError(f"{self.describe()} has no connection handler")
            self.handler(conn, address, conn_id)
        except CLIENT_ERRORS:
            pass
        except OSError as exc:
            if not (self.stopped.is_set() or exc.errno in (errno.EBADF, errno.ENOTCONN)):
                self.record_error(exc)
        except BaseException as exc:
            self.record_error(exc)
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
        deadline = time.monotonic() + JOIN_TIMEOUT
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
                        "%d connection thread(s) of %s still busy after %.1f s; "
                        "left running as daemons",
                        len(threads),
                        self.describe(),
                        JOIN_TIMEOUT,
                    )
                    return
                thread.join(remaining)
            # Threads started after the snapshot are covered by the next pass.
            with self._lock:
                self._connection_threads -= {t for t in threads if not t.is_alive()}
