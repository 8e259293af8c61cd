"""Files of the test CA: owner-only, removed at exit, and never a server key left behind.

A server's private key is loaded into its ``SSLContext`` from an anonymous memory
file on Linux (``memfd_create``, opened through ``/proc/self/fd``), so it never
touches a file system. Elsewhere it is written to an owner-only file that is
unlinked as soon as ``load_cert_chain`` returns.

What clients need as files (the CA bundle, the client certificates a test asked
for) lives in a private directory, ``localserver-tls-<pid>-<random>`` in the
temporary folder: mode ``0700``, files ``0600``, removed when the interpreter
exits. A process killed outright cannot remove it, so the directory holds a lock
file the process keeps locked while it lives (the kernel drops the lock however
the process ends); the first test CA of a later process removes the directories
of this name whose lock is free, if they belong to the same user.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import ssl
import stat
import sys
import tempfile
import threading
from typing import Callable

if sys.platform != "win32":  # Windows has no flock: leftovers there wait for the OS to clean
    import fcntl

__all__ = [
    "PREFIX",
    "PrivateDirectory",
    "load_key_and_chain",
    "remove_stale_directories",
    "sweep_once",
]

PREFIX = "localserver-tls-"
LOCK_NAME = "owner.lock"
_NAME = re.compile(re.escape(PREFIX) + r"([0-9]+)-")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class PrivateDirectory:
    """A directory of owner-only files, removed at interpreter exit.

    Args:
        parent: Where to make it; the temporary folder by default.
    """

    def __init__(self, parent: str | None = None) -> None:
        parent = tempfile.gettempdir() if parent is None else parent
        sweep_once(parent)
        # mkdtemp makes the directory 0700; each file is created 0600 below.
        self.path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent)
        self._counter = 0
        self._lock = threading.Lock()
        remove = _Removal(self.path, _hold_owner_lock(self.path))
        atexit.register(remove)
        # Worker processes of multiprocessing (nose2's mp plugin, Pool) end with
        # os._exit(), which skips atexit; multiprocessing runs its finalizers first.
        # A process multiprocessing started has imported it already; any other
        # process has no need of it (and pays nothing to import it).
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            mp_util.Finalize(None, remove, exitpriority=10)

    def write(self, stem: str, data: bytes) -> str:
        """Write *data* to a new owner-only file named after *stem*; return its path."""
        with self._lock:
            self._counter += 1
            name = f"{self._counter:03d}-{stem}.pem"
        path = os.path.join(self.path, name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        return path


def load_key_and_chain(
    context: ssl.SSLContext, pem: bytes, directory: Callable[[], PrivateDirectory]
) -> None:
    """Load a private key and its certificate chain (one PEM) into *context*.

    The key is in no file once this returns: on Linux it never is; elsewhere it
    is in an owner-only file of *directory()* for the length of the call.
    """
    if _load_from_memory(context, pem):
        return
    path = directory().write("server-key", pem)
    try:
        context.load_cert_chain(path)
    finally:
        os.remove(path)


def _load_from_memory(context: ssl.SSLContext, pem: bytes) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        fd = os.memfd_create("localserver-server-key", os.MFD_CLOEXEC)
    except (AttributeError, OSError):  # an old libc, or a sandbox that forbids it
        return False
    try:
        view = memoryview(pem)
        while view:
            view = view[os.write(fd, view) :]
        # OpenSSL opens the path itself; /proc/self/fd/N opens the memory file.
        context.load_cert_chain(f"/proc/self/fd/{fd}")
    except ssl.SSLError:  # a bad key or certificate: a file would not help
        raise
    except OSError:  # no /proc mounted: load through a file instead
        return False
    finally:
        os.close(fd)
    return True


def _hold_owner_lock(directory: str) -> int | None:
    """Create the directory's lock file, locked, and return its descriptor (kept open)."""
    if sys.platform == "win32":
        return None
    # Locked under a temporary name and renamed: a sweeping process never sees
    # the lock file unlocked while its owner lives.
    draft = os.path.join(directory, LOCK_NAME + ".new")
    fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks: sweepers go by the pid alone
        os.close(fd)
        os.remove(draft)
        return None
    os.write(fd, b"%d\n" % os.getpid())
    os.rename(draft, os.path.join(directory, LOCK_NAME))
    return fd


class _Removal:
    """Removes a private directory, then lets go of its lock; once, in its owner only."""

    def __init__(self, path: str, lock_fd: int | None) -> None:
        self.path = path
        self.lock_fd = lock_fd
        self.owner_pid = os.getpid()
        self._done = threading.Lock()

    def __call__(self) -> None:
        # A forked child inherits atexit handlers; only the creating process cleans up.
        # Runs from a multiprocessing finalizer and from atexit: the second does nothing
        # (closing the descriptor twice could close an unrelated file).
        if os.getpid() != self.owner_pid or not self._done.acquire(blocking=False):
            return
        shutil.rmtree(self.path, ignore_errors=True)
        if self.lock_fd is not None:
            os.close(self.lock_fd)


_swept: set[str] = set()
_swept_lock = threading.Lock()


def sweep_once(parent: str | None = None) -> None:
    """Remove stale private directories from *parent* (the temporary folder), once per process."""
    parent = tempfile.gettempdir() if parent is None else parent
    with _swept_lock:
        if parent in _swept:
            return
        _swept.add(parent)
    remove_stale_directories(parent)


def remove_stale_directories(parent: str) -> list[str]:
    """Remove the private directories in *parent* left by this user's ended processes.

    A directory is stale when nobody holds its lock file (the owner is gone, even
    if another process now has its pid), or, lacking a lock file, when no process
    has the pid in its name. Other users' directories are never touched.

    Returns:
        The paths removed.
    """
    if sys.platform == "win32":
        return []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    removed = []
    for name in names:
        match = _NAME.match(name)
        if match is None:
            continue
        path = os.path.join(parent, name)
        if not _is_own_directory(path):
            continue
        claim = _claim(path, int(match.group(1)))
        if claim is None:
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            if claim >= 0:
                os.close(claim)
        removed.append(path)
    return removed


def _is_own_directory(path: str) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _claim(path: str, pid: int) -> int | None:
    """Take a dead owner's directory: the held lock's descriptor, -1 without one, None if alive."""
    if sys.platform == "win32":
        return None
    try:
        fd = os.open(os.path.join(path, LOCK_NAME), os.O_RDWR | _NOFOLLOW)
    except FileNotFoundError:
        # Made by a process that died before locking, or one that is making it now.
        return None if _pid_exists(pid) else -1
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its owner (or a child it forked) still runs
        os.close(fd)
        return None
    return fd


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # OverflowError: no pid is that large
        return False
    except OSError:  # e.g. PermissionError: it exists, as another user's process
        return True
    return True
