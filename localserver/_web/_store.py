"""What the web page shows: a thread-safe store of entries and a feed of its changes.

An entry is one mail or one HTTP exchange, already turned into JSON-ready
summary and detail dictionaries (see ``_mail_entry`` and ``_request_entry``).
The store gives each a stable id, lists them newest first with paging, deletes
one or all, and numbers every change so that event streams can wait for the
next one on a ``threading.Condition`` instead of polling.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Iterable
from typing import Callable, NamedTuple

__all__ = ["KINDS", "Change", "Download", "Entry", "Page", "WebStore"]

# The kinds of entry, and the API collection that lists each.
KINDS = {"mail": "messages", "request": "requests"}

JSONObject = dict[str, object]

# Changes kept for streams that reconnect (the ``Last-Event-ID`` they send).
_HISTORY = 1000


@dataclasses.dataclass(frozen=True)
class Download:
    """One part offered as a download: an attachment, an uploaded file."""

    filename: str
    content_type: str
    data: bytes


@dataclasses.dataclass(frozen=True)
class Entry:
    """One mail or HTTP exchange, ready to be served.

    Attributes:
        kind: ``"mail"`` or ``"request"``.
        summary: The fields a list row shows (JSON-ready).
        detail: Everything the detail view shows (JSON-ready), summary included.
        raw: The bytes as received (a mail's source, a request's head and body).
        search: Lower-case text a search matches against.
        html: A mail's HTML part, served in a sandbox; ``None`` when there is none.
        body: A request's body bytes, offered as a download.
        downloads: Attachments or uploaded files, by index.
        id: Given by the store; 0 before.
    """

    kind: str
    summary: JSONObject
    detail: JSONObject
    raw: bytes
    search: str = ""
    html: str | None = None
    body: bytes = b""
    downloads: tuple[Download, ...] = ()
    id: int = 0


class Change(NamedTuple):
    """One numbered change: ``added``, ``deleted`` or ``cleared``."""

    seq: int
    event: str
    kind: str
    id: int | None
    summary: JSONObject | None


class Page(NamedTuple):
    """One page of a listing, newest first."""

    total: int
    offset: int
    limit: int
    entries: list[Entry]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {sorted(KINDS)} (got {kind!r})")
    return kind


class WebStore:
    """Entries shown by the web page, newest first, safe to use from any thread.

    Args:
        kinds: The kinds of entry this store holds (the page shows one list each).
        capacity: How many entries are kept; the oldest goes when one more arrives.
    """

    def __init__(self, kinds: Iterable[str] = ("mail", "request"), capacity: int = 1000) -> None:
        self.kinds = tuple(_check_kind(kind) for kind in kinds)
        if not self.kinds:
            raise ValueError("'kinds' must name at least one kind: 'mail' or 'request'")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"'capacity' must be a positive int (got {capacity!r})")
        self.capacity = capacity
        self.changed = threading.Condition(threading.Lock())
        self._entries: dict[int, Entry] = {}  # in arrival order: ids only grow
        self._next_id = 1
        self._seq = 0
        self._history: collections.deque[Change] = collections.deque(maxlen=_HISTORY)

    # -- changing ---------------------------------------------------------------------

    def add(self, entry: Entry) -> Entry:
        """Store *entry* under a new id and announce it; return the stored entry."""
        if entry.kind not in self.kinds:
            raise ValueError(
                f"this store holds {', '.join(self.kinds)} entries, not {entry.kind!r}: "
                f"create it with WebStore(kinds=[..., {entry.kind!r}])"
            )
        with self.changed:
            stored = dataclasses.replace(entry, id=self._next_id)
            self._next_id += 1
            self._entries[stored.id] = stored
            while len(self._entries) > self.capacity:
                oldest = self._entries.pop(next(iter(self._entries)))
                self._announce("deleted", oldest.kind, oldest.id, None)
            self._announce("added", stored.kind, stored.id, stored.summary)
            return stored

    def delete(self, kind: str, entry_id: int) -> bool:
        """Delete one entry; return whether it was there."""
        with self.changed:
            entry = self._entries.get(entry_id)
            if entry is None or entry.kind != kind:
                return False
            del self._entries[entry_id]
            self._announce("deleted", kind, entry_id, None)
            return True

    def clear(self, kind: str) -> int:
        """Delete every entry of *kind*; return how many there were."""
        _check_kind(kind)
        with self.changed:
            doomed = [key for key, entry in self._entries.items() if entry.kind == kind]
            for key in doomed:
                del self._entries[key]
            self._announce("cleared", kind, None, None)
            return len(doomed)

    def _announce(
        self, event: str, kind: str, entry_id: int | None, summary: JSONObject | None
    ) -> None:
        """Number a change and wake the streams; called with the lock held."""
        self._seq += 1
        self._history.append(Change(self._seq, event, kind, entry_id, summary))
        self.changed.notify_all()

    # -- reading ----------------------------------------------------------------------

    def get(self, kind: str, entry_id: int) -> Entry | None:
        """The entry with this id, or ``None`` (deleted, never there, another kind)."""
        with self.changed:
            entry = self._entries.get(entry_id)
        return entry if entry is not None and entry.kind == kind else None

    def page(self, kind: str, offset: int = 0, limit: int = 50, query: str = "") -> Page:
        """Entries of *kind*, newest first, from *offset*, at most *limit*.

        A *query* keeps the entries whose search text contains it (any case).
        """
        _check_kind(kind)
        needle = query.strip().lower()
        with self.changed:
            matching = [
                entry
                for entry in reversed(self._entries.values())
                if entry.kind == kind and needle in entry.search
            ]
        return Page(len(matching), offset, limit, matching[offset : offset + limit])

    def counts(self) -> dict[str, int]:
        """How many entries of each kind the store holds."""
        with self.changed:
            found = collections.Counter(entry.kind for entry in self._entries.values())
        return {kind: found[kind] for kind in self.kinds}

    # -- the change feed --------------------------------------------------------------

    @property
    def seq(self) -> int:
        """The number of the latest change (0 before any)."""
        with self.changed:
            return self._seq

    def changes_after(
        self, seq: int, timeout: float | None, stop: Callable[[], bool] = lambda: False
    ) -> tuple[list[Change], bool]:
        """Wait for changes numbered above *seq*; return them and whether some were lost.

        Returns at once when there are such changes, when ``stop()`` is true (call
        :meth:`wake` after making it true) or after *timeout* seconds with none.
        Changes are lost when *seq* is older than the kept history: the caller
        should then read the listings again.
        """
        with self.changed:
            self.changed.wait_for(lambda: self._seq > seq or stop(), timeout)
            if self._seq <= seq:
                return [], False
            changes = [change for change in self._history if change.seq > seq]
            lost = not changes or changes[0].seq != seq + 1
            return changes, lost

    def wake(self) -> None:
        """Wake every waiting :meth:`changes_after`, so it can look at its ``stop``."""
        with self.changed:
            self.changed.notify_all()
