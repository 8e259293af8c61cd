"""The web page's store: stable ids, newest first, paging, deleting, a change feed."""

from __future__ import annotations

import threading

import pytest

from localserver._web import Entry, WebStore

from .conftest import TIMEOUT


def entry(kind: str = "mail", search: str = "") -> Entry:
    return Entry(kind=kind, summary={"n": search}, detail={}, raw=b"", search=search)


class TestEntries:
    def test_ids_are_stable_and_grow(self) -> None:
        """Each added entry gets the next id; deleting one never renumbers the others."""
        store = WebStore()
        ids = [store.add(entry()).id for _ in range(3)]
        assert ids == [1, 2, 3]
        assert store.delete("mail", 2)
        assert store.add(entry()).id == 4
        assert [e.id for e in store.page("mail").entries] == [4, 3, 1]

    def test_page_is_newest_first_with_offset_and_limit(self) -> None:
        """page() lists newest first; offset and limit cut it; total counts them all."""
        store = WebStore()
        for _ in range(7):
            store.add(entry())
        page = store.page("mail", offset=2, limit=3)
        assert (page.total, page.offset, page.limit) == (7, 2, 3)
        assert [e.id for e in page.entries] == [5, 4, 3]
        assert store.page("mail", offset=10).entries == []

    def test_kinds_are_listed_apart(self) -> None:
        """Mail and requests share the ids but never a listing."""
        store = WebStore()
        store.add(entry("mail"))
        store.add(entry("request"))
        assert [e.id for e in store.page("mail").entries] == [1]
        assert [e.id for e in store.page("request").entries] == [2]
        assert store.get("mail", 2) is None
        assert not store.delete("mail", 2)
        assert store.counts() == {"mail": 1, "request": 1}

    def test_query_matches_search_text_in_any_case(self) -> None:
        """A query keeps the entries whose search text contains it, ignoring case."""
        store = WebStore()
        store.add(entry(search="bob@example.com\ninvoice"))
        store.add(entry(search="carl@example.com\nreceipt"))
        assert [e.id for e in store.page("mail", query="  INVOICE ").entries] == [1]
        assert store.page("mail", query="example").total == 2

    def test_clear_deletes_one_kind(self) -> None:
        """clear(kind) empties that kind's list and says how many went."""
        store = WebStore()
        store.add(entry("mail"))
        store.add(entry("mail"))
        store.add(entry("request"))
        assert store.clear("mail") == 2
        assert store.counts() == {"mail": 0, "request": 1}

    def test_capacity_drops_the_oldest(self) -> None:
        """Past its capacity the store forgets the oldest entry, and says so."""
        store = WebStore(capacity=2)
        for _ in range(3):
            store.add(entry())
        assert [e.id for e in store.page("mail").entries] == [3, 2]
        changes, _ = store.changes_after(0, 0)
        assert [(c.event, c.id) for c in changes] == [
            ("added", 1),
            ("added", 2),
            ("deleted", 1),
            ("added", 3),
        ]

    def test_wrong_kind_or_arguments_are_refused(self) -> None:
        """A kind the store does not hold, or a bad setting, raises naming it."""
        with pytest.raises(ValueError, match="'kinds' must name"):
            WebStore(kinds=[])
        with pytest.raises(ValueError, match=r"'kind' must be one of .* \(got 'fax'\)"):
            WebStore(kinds=["fax"])
        with pytest.raises(ValueError, match=r"'capacity' must be a positive int \(got 0\)"):
            WebStore(capacity=0)
        with pytest.raises(ValueError, match="holds mail entries, not 'request'"):
            WebStore(kinds=["mail"]).add(entry("request"))


class TestChanges:
    def test_changes_are_numbered(self) -> None:
        """Each add, delete and clear is one change with the next number."""
        store = WebStore()
        store.add(entry())
        store.delete("mail", 1)
        store.clear("mail")
        changes, lost = store.changes_after(0, 0)
        assert [(c.seq, c.event, c.kind, c.id) for c in changes] == [
            (1, "added", "mail", 1),
            (2, "deleted", "mail", 1),
            (3, "cleared", "mail", None),
        ]
        assert not lost
        assert store.seq == 3
        assert changes[0].summary == {"n": ""}

    def test_a_waiting_reader_wakes_on_a_change(self) -> None:
        """changes_after() waits for the next change made on another thread."""
        store = WebStore()
        got: list[object] = []
        # Whether the add comes before or after the reader waits, change 1 is
        # after 0: the reader returns it either way, at once or when woken.
        thread = threading.Thread(
            target=lambda: got.append(store.changes_after(0, TIMEOUT)), daemon=True
        )
        thread.start()
        store.add(entry())
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        changes, _lost = got[0]  # type: ignore[misc]
        assert [c.event for c in changes] == ["added"]

    def test_stop_wakes_a_waiting_reader(self) -> None:
        """A reader whose stop() turns true returns at wake(), with no change."""
        store = WebStore()
        stop = threading.Event()
        got: list[object] = []
        thread = threading.Thread(
            target=lambda: got.append(store.changes_after(0, None, stop.is_set)), daemon=True
        )
        thread.start()
        stop.set()
        store.wake()
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert got == [([], False)]

    def test_timeout_without_change(self) -> None:
        """With nothing new, changes_after() returns nothing once the timeout passes."""
        store = WebStore()
        store.add(entry())
        assert store.changes_after(1, 0) == ([], False)

    def test_a_reader_too_far_behind_is_told(self) -> None:
        """Changes older than the kept history are lost, and the reader learns so."""
        store = WebStore(capacity=1)
        for _ in range(600):  # 1,199 changes: one add and one delete each, but the first
            store.add(entry())
        changes, lost = store.changes_after(0, 0)
        assert lost
        assert changes[-1].seq == store.seq
        _, lost = store.changes_after(store.seq - 5, 0)
        assert not lost
