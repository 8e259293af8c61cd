"""The journal: a sequence that server threads append to and tests wait on."""

from __future__ import annotations

import threading

from localserver._journal import Journal

from .conftest import TIMEOUT


class TestWaitCount:
    def test_each_entry_is_tested_once(self) -> None:
        """A waiter tests each entry once, however many appends wake it (O(1) per entry)."""
        journal: Journal[int] = Journal([0])
        tested: list[int] = []
        looking = threading.Event()

        def accept(entry: int) -> bool:
            tested.append(entry)
            looking.set()
            return entry % 2 == 0

        found: list[int] = []
        waiter = threading.Thread(
            target=lambda: found.append(journal.wait_count(accept, 500, TIMEOUT))
        )
        waiter.start()
        assert looking.wait(TIMEOUT)
        for entry in range(1, 1000):
            journal.append(entry)
        waiter.join(TIMEOUT)
        assert found == [500]
        assert sorted(tested) == list(range(len(tested)))  # no entry tested twice

    def test_clear_starts_over(self) -> None:
        """Entries cleared while waiting no longer count."""
        journal: Journal[str] = Journal(["a", "a"])
        journal.clear()
        assert journal.wait_count(lambda entry: entry == "a", 1, 0.01) == 0
        journal.append("a")
        assert journal.wait_count(lambda entry: entry == "a", 1, TIMEOUT) == 1

    def test_later_entries_are_tested_by_the_appending_thread(self) -> None:
        """Entries arriving during a wait are tested as they are appended, on that thread."""
        journal: Journal[str] = Journal(["old"])
        testers: dict[str, str] = {}
        looking = threading.Event()

        def accept(entry: str) -> bool:
            testers[entry] = threading.current_thread().name
            looking.set()
            return entry.startswith("new")

        found: list[int] = []
        waiter = threading.Thread(
            target=lambda: found.append(journal.wait_count(accept, 2, TIMEOUT)), name="waiter"
        )
        waiter.start()
        assert looking.wait(TIMEOUT)
        appender = threading.Thread(
            target=lambda: [journal.append(e) for e in ("new-1", "other", "new-2")],
            name="appender",
        )
        appender.start()
        appender.join(TIMEOUT)
        waiter.join(TIMEOUT)
        assert found == [2]
        assert testers == {
            "old": "waiter",
            "new-1": "appender",
            "other": "appender",
            "new-2": "appender",
        }

    def test_an_error_of_the_test_reaches_the_waiter(self) -> None:
        """What accept raises on the appending thread is raised in the waiting one."""
        journal: Journal[int] = Journal([1])
        looking = threading.Event()

        def accept(entry: int) -> bool:
            looking.set()
            return 10 // entry > 100  # never true; 0 raises

        outcome: list[object] = []

        def wait() -> None:
            try:
                outcome.append(journal.wait_count(accept, 1, TIMEOUT))
            except ZeroDivisionError as exc:
                outcome.append(exc)

        waiter = threading.Thread(target=wait)
        waiter.start()
        assert looking.wait(TIMEOUT)
        journal.append(0)  # the appending thread is not disturbed...
        journal.append(2)
        waiter.join(TIMEOUT)
        assert len(outcome) == 1
        assert isinstance(outcome[0], ZeroDivisionError)  # ...the waiter gets the error
        assert list(journal) == [1, 0, 2]

    def test_entries_cleared_during_a_wait_no_longer_count(self) -> None:
        """clear() while waiting: the wait counts only what arrives afterwards."""
        journal: Journal[str] = Journal(["-"])
        looking = threading.Event()

        def accept(entry: str) -> bool:
            looking.set()
            return entry == "a"

        found: list[int] = []

        def wait() -> None:
            found.append(journal.wait_count(accept, 2, TIMEOUT))

        waiter = threading.Thread(target=wait)
        waiter.start()
        assert looking.wait(TIMEOUT)
        journal.append("a")
        journal.clear()
        journal.append("a")
        with journal.changed:  # the wait under way has counted the new entry only
            assert [watch.found for watch in journal._watches] == [1]
        journal.append("a")
        waiter.join(TIMEOUT)
        assert found == [2]
