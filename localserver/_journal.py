"""The journal: what a server received, in arrival order, safe to read while it grows.

Server threads append; tests read it as a sequence (``len``, indexing, iteration,
comparison with a list) and wait on it. A counting wait (:meth:`Journal.wait_count`)
tests each entry once: those already there when it starts, then each new one as
the appending thread adds it. The waiting thread sleeps until the count is reached,
so a test thread waiting while thousands of requests arrive costs each of them
O(1), with no wake-up per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Callable, Generic, TypeVar, overload

__all__ = ["Changed", "Journal", "JournalView"]

_T = TypeVar("_T")


class Changed(threading.Condition):
    """A condition that knows whether anyone waits on it, so a notify can be skipped.

    Appending costs one lock and one list append when nobody waits, which is the
    common case: the journal is written once per request.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        super().__init__(self.lock)
        self.waiting = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting += 1  # under the lock, as wait() requires
        try:
            return super().wait(timeout)
        finally:
            self.waiting -= 1


class _Watch:
    """One :meth:`Journal.wait_count` under way: its test, its count, what it raised."""

    __slots__ = ("accept", "count", "error", "found")

    def __init__(self, accept: Callable[[Any], bool], count: int, found: int) -> None:
        self.accept = accept
        self.count = count
        self.found = found
        self.error: Exception | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or self.found >= self.count


class Journal(Sequence[_T], Generic[_T]):
    """A thread-safe, append-only (until cleared) sequence that can be waited on.

    Args:
        items: The first entries.
        view: Turns a stored entry into what readers get (once per entry, cached).
    """

    def __init__(
        self, items: Iterable[Any] = (), *, view: Callable[[Any], _T] | None = None
    ) -> None:
        self._items: list[Any] = list(items)
        self._view = view
        self._viewed: dict[int, _T] = {}
        self.changed = Changed()
        # wait_count() sleeps on a condition of its own (the same lock), woken only
        # once an append completed its count; made by the first wait_count().
        self._counted: threading.Condition | None = None
        self._watches: list[_Watch] = []

    # -- writing (server threads) -----------------------------------------------------

    def append(self, item: Any) -> None:
        """Add *item*, test it for the counting waits under way, wake every waiter."""
        changed = self.changed
        with changed.lock:  # the lock itself: a C-level context manager
            self._items.append(item)
            if self._watches:
                self._test_new_entry()
            if changed.waiting:
                changed.notify_all()

    def _test_new_entry(self) -> None:
        entry = self._get(len(self._items) - 1)
        completed = False
        for watch in self._watches:
            if watch.done:
                continue
            try:
                if watch.accept(entry):
                    watch.found += 1
            except Exception as exc:  # raised in the waiting thread, never here
                watch.error = exc
            completed = completed or watch.done
        if completed and self._counted is not None:
            self._counted.notify_all()

    def clear(self) -> None:
        """Forget everything (waiters start over from the new, empty journal)."""
        if not self._items:  # already empty (an atomic read): nothing to forget or tell
            return
        with self.changed:
            self._items = []
            self._viewed = {}
            for watch in self._watches:
                watch.found = 0
            self.changed.notify_all()

    def drain(self) -> list[_T]:
        """Take every entry out at once (nothing appended meanwhile is lost)."""
        with self.changed:
            items = [self._get(i) for i in range(len(self._items))]
            self._items = []
            self._viewed = {}
            for watch in self._watches:
                watch.found = 0
            return items

    # -- reading ----------------------------------------------------------------------

    def _get(self, index: int) -> _T:
        item = self._items[index]
        if self._view is None:
            return item  # type: ignore[no-any-return]
        key = id(item)
        viewed = self._viewed.get(key)
        if viewed is None:
            viewed = self._viewed[key] = self._view(item)
        return viewed

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        with self.changed:
            if isinstance(index, slice):
                return [self._get(i) for i in range(*index.indices(len(self._items)))]
            return self._get(index)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[_T]:
        return iter(self.snapshot())

    def entries(self) -> list[Any]:
        """The stored entries, before the view is applied."""
        with self.changed:
            return list(self._items)

    def snapshot(self) -> list[_T]:
        """A list of every entry, taken under the lock."""
        with self.changed:
            return [self._get(i) for i in range(len(self._items))]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Journal):
            return self.snapshot() == other.snapshot()
        if isinstance(other, (list, tuple)):
            return self.snapshot() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.snapshot())

    # -- waiting ----------------------------------------------------------------------

    def wait_count(self, accept: Callable[[_T], bool], count: int, timeout: float | None) -> int:
        """Wait until *count* entries satisfy *accept*; return how many do.

        Each entry is tested once, under the journal's lock: those already here
        on this thread, now; each later one on the thread that appends it, as it
        arrives. So *accept* must be quick, must not touch the journal, and may
        run on a server thread; what it raises there is raised here. Entries
        cleared meanwhile no longer count. Returns the number found so far on
        timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.changed:
            found = sum(1 for index in range(len(self._items)) if accept(self._get(index)))
            if found >= count:
                return found
            watch = _Watch(accept, count, found)
            if self._counted is None:
                self._counted = threading.Condition(self.changed.lock)
            counted = self._counted
            self._watches.append(watch)
            try:
                while not watch.done:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    counted.wait(remaining)
            finally:
                self._watches.remove(watch)
            if watch.error is not None:
                raise watch.error
            return watch.found

    def wait_for_more(self, seen: int, timeout: float | None) -> list[_T]:
        """The entries after the first *seen*, waiting up to *timeout* for one to arrive.

        Returns ``[]`` on timeout. If the journal was cleared and holds fewer than
        *seen* entries, returns all it holds.
        """
        with self.changed:
            if len(self._items) <= seen:
                self.changed.wait_for(lambda: len(self._items) != seen, timeout)
            start = seen if len(self._items) >= seen else 0
            return [self._get(i) for i in range(start, len(self._items))]


class JournalView(Sequence[_T], Generic[_T]):
    """A read-only window on a :class:`Journal`: read it, wait on it, never change it."""

    def __init__(self, journal: Journal[_T]) -> None:
        self._journal = journal

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        return self._journal[index]

    def __len__(self) -> int:
        return len(self._journal)

    def __iter__(self) -> Iterator[_T]:
        return iter(self._journal)

    def __eq__(self, other: object) -> bool:
        return self._journal == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._journal)

    def snapshot(self) -> list[_T]:
        """A list of every entry, taken under the lock."""
        return self._journal.snapshot()

    def wait_for_more(self, seen: int, timeout: float | None) -> list[_T]:
        """The entries after the first *seen*, waiting up to *timeout* for one to arrive."""
        return self._journal.wait_for_more(seen, timeout)
