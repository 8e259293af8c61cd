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
