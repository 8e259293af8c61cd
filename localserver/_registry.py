"""The registry of live expectations, and the choice of one for each request.

Precedence, among the expectations whose matcher accepts a request: the lowest
``priority`` number wins (default 5, as in WireMock); at equal priority ordered
expectations come first, then those with a limited lifetime (oneshot, ``times=``),
then permanent ones (pytest-httpserver's order). Limited ones queue up: the oldest
is used first. Among permanent ones the most recently added wins, so a later
registration overrides a catch-all.

Only the expectations that could match a request's path are tried: exact paths are
looked up in a dict and path templates in an index of their static segments, so a
request costs the same with ten or ten thousand of them.

The registry also keeps the states of the scenarios (:mod:`._scenarios`): an
expectation whose scenario is in another state is passed over, and the one chosen
moves its scenario on in the same locked step, once per answered request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from werkzeug.wrappers import Request

from ._expectation import Expectation, HandlerType
from ._path_index import PathIndex
from ._responders import Responder
from ._scenarios import STARTED, check_name

__all__ = ["MatchError", "Registry", "Selection"]


class Selection(NamedTuple):
    """What the registry chose for a request.

    ``states``: when no expectation could answer, the scenarios that were not in
    ``"started"`` then, for the report; None when there were none.
    """

    expectation: Expectation | None
    responder: Responder | None
    out_of_order: bool = False
    states: Mapping[str, str] | None = None


class MatchError(Exception):
    """A matcher raised while the registry compared a request with an expectation."""

    def __init__(self, expectation: Expectation, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.expectation = expectation
        self.error = error


_NOTHING = Selection(None, None)


def _rank(exp: Expectation) -> tuple[int, int, int]:
    if exp.kind is HandlerType.ORDERED:
        return (exp.priority, 0, exp.seq)
    if exp.times is not None:
        return (exp.priority, 1, exp.seq)
    return (exp.priority, 2, -exp.seq)


def _copied(states: dict[str, str]) -> dict[str, str] | None:
    return dict(states) if states else None  # no copy in the usual case: no scenario moved


class Registry:
    """The live expectations, safe to use from many threads.

    ``changed`` is notified whenever an expectation is added or removed (a use that
    leaves it live changes nothing a waiter watches).
    """

    def __init__(self) -> None:
        # Re-entrant: checks wait on it and read the registry inside their predicates.
        self.changed = threading.Condition(threading.RLock())
        self._index = PathIndex[Expectation]()
        self._ordered: list[Expectation] = []
        self._all: dict[int, Expectation] = {}
        self._drafts: dict[int, Expectation] = {}
        self._pending = 0  # live expectations with a limited lifetime
        self._counter = 0
        self._states: dict[str, str] = {}  # scenarios not in STARTED

    # -- adding and removing ----------------------------------------------------------

    def draft(self, expectation: Expectation) -> None:
        """Note an expectation that has no response yet (for reports)."""
        with self.changed:
            self._counter += 1
            expectation.seq = self._counter
            self._drafts[expectation.seq] = expectation

    def add(self, expectation: Expectation) -> Expectation:
        """Make *expectation* live: from now on it matches requests."""
        with self.changed:
            if expectation.seq in self._drafts:
                del self._drafts[expectation.seq]
            else:
                self._counter += 1
                expectation.seq = self._counter
            self._all[expectation.seq] = expectation
            self._index.add(expectation.matcher.path, expectation)
            if expectation.kind is HandlerType.ORDERED:
                # Their turn follows the order they were made in, not answered in.
                later = [i for i, e in enumerate(self._ordered) if e.seq > expectation.seq]
                self._ordered.insert(later[0] if later else len(self._ordered), expectation)
            if expectation.times is not None:
                self._pending += 1
            self.changed.notify_all()
        return expectation

    def _remove_locked(self, expectation: Expectation) -> None:
        if self._all.pop(expectation.seq, None) is None:
            return
        self._index.remove(expectation.matcher.path, expectation)
        if expectation.kind is HandlerType.ORDERED:
            self._ordered.remove(expectation)
        if expectation.times is not None:
            self._pending -= 1

    def remove(self, expectation: Expectation) -> None:
        """Remove one expectation, live or draft: it matches no request from now on."""
        with self.changed:
            self._drafts.pop(expectation.seq, None)
            self._remove_locked(expectation)
            self.changed.notify_all()

    def clear(self) -> None:
        """Remove every expectation, live or draft."""
        with self.changed:
            self._index = PathIndex[Expectation]()
            self._ordered.clear()
            self._all.clear()
            self._drafts.clear()
            self._pending = 0
            self._states.clear()
            self.changed.notify_all()

    def checkpoint(self) -> int:
        """A mark to :meth:`rollback` to: expectations added later are removed then."""
        with self.changed:
            return self._counter

    def rollback(self, checkpoint: int) -> None:
        """Remove every expectation (live or draft) added after *checkpoint*."""
        if self._counter == checkpoint:  # nothing added since (an atomic read)
            return
        with self.changed:
            for expectation in [e for s, e in self._all.items() if s > checkpoint]:
                self._remove_locked(expectation)
            for seq in [s for s in self._drafts if s > checkpoint]:
                del self._drafts[seq]
            self.changed.notify_all()

    # -- choosing ---------------------------------------------------------------------

    def select(self, request: Request) -> Selection:
        """Choose the expectation for *request* and use it up by one, atomically.

        Raises:
            MatchError: A matcher raised; the request cannot be matched.
        """
        if not self._all:  # nothing to choose from (read without the lock: atomic)
            return _NOTHING
        with self.changed:
            best: Expectation | None = None
            best_key: tuple[int, int, int] | None = None
            states = self._states
            for exp in self._index.candidates(request.path):
                key = _rank(exp)
                if best_key is not None and key >= best_key:
                    continue
                step = exp.scenario
                if step is not None and step.state is not None and not step.allows(states):
                    continue
                try:
                    matched = exp.matcher.match(request)
                except Exception as exc:
                    raise MatchError(exp, exc) from exc
                if matched:
                    best, best_key = exp, key
            if best is None:
                return Selection(None, None, states=_copied(states))
            if best.kind is HandlerType.ORDERED and self._ordered[0] is not best:
                return Selection(best, None, out_of_order=True, states=_copied(states))
            responder = best.next_responder()
            if best.times is not None and best.call_count >= best.times:
                self._remove_locked(best)
                # Waiters watch what is left (pending_count), so only a removal
                # wakes them: a test waiting while thousands of requests use a
                # permanent or times=N expectation is not woken by each one.
                self.changed.notify_all()
            step = best.scenario
            if step is not None and step.new_state is not None:
                self._move_locked(step.name, step.new_state)
                self.changed.notify_all()  # a waiter may watch a scenario's state
            return Selection(best, responder)

    # -- scenarios --------------------------------------------------------------------

    def scenario_state(self, name: str) -> str:
        """The state scenario *name* is in (``"started"`` until something moves it)."""
        check_name("name", name)
        with self.changed:
            return self._states.get(name, STARTED)

    def set_scenario_state(self, name: str, state: str) -> None:
        """Put scenario *name* in *state*."""
        check_name("name", name)
        check_name("state", state)
        with self.changed:
            self._move_locked(name, state)
            self.changed.notify_all()

    def reset_scenarios(self) -> None:
        """Put every scenario back in ``"started"``."""
        if not self._states:  # all in "started" already (an atomic read)
            return
        with self.changed:
            self._states.clear()
            self.changed.notify_all()

    def scenario_states(self) -> dict[str, str]:
        """The scenarios not in ``"started"``, with their states."""
        with self.changed:
            return dict(self._states)

    def _move_locked(self, name: str, state: str) -> None:
        if state == STARTED:
            self._states.pop(name, None)
        else:
            self._states[name] = state

    # -- reading ----------------------------------------------------------------------

    def ordered_head(self) -> Expectation | None:
        """The ordered expectation whose turn it is."""
        with self.changed:
            return self._ordered[0] if self._ordered else None

    def snapshot(self) -> list[Expectation]:
        """The live expectations in precedence order."""
        with self.changed:
            return sorted(self._all.values(), key=_rank)

    def expectations(self) -> list[Expectation]:
        """The live expectations, in no particular order (cheaper than :meth:`snapshot`)."""
        with self.changed:
            return list(self._all.values())

    def drafts(self) -> list[Expectation]:
        """Expectations still waiting for their response, oldest first."""
        with self.changed:
            return list(self._drafts.values())

    def pending(self) -> list[Expectation]:
        """Live expectations with a lifetime not yet used up (oneshot, ordered, ``times=``)."""
        with self.changed:
            return sorted(
                (e for e in self._all.values() if e.times is not None), key=lambda e: e.seq
            )

    @property
    def pending_count(self) -> int:
        """How many live expectations have a lifetime not yet used up (O(1))."""
        return self._pending

    def format(self) -> str:
        """The live expectations, grouped as pytest-httpserver's ``format_matchers`` does."""
        expectations = self.snapshot()
        lines: list[str] = []
        for title, kind in (
            ("Ordered matchers:", HandlerType.ORDERED),
            ("Oneshot matchers:", HandlerType.ONESHOT),
            ("Persistent matchers:", HandlerType.PERMANENT),
        ):
            group = [e for e in expectations if e.kind is kind]
            lines.append(title)
            lines.extend(f"    {e!r}" for e in group)
            if not group:
                lines.append("    none")
            lines.append("")
        named = sorted({e.scenario.name for e in expectations if e.scenario is not None})
        if named:
            lines.append("Scenarios:")
            states = self.scenario_states()
            lines.extend(f"    {name}: {states.get(name, STARTED)}" for name in named)
            lines.append("")
        return "\n".join(lines[:-1])

    def __len__(self) -> int:
        with self.changed:
            return len(self._all)

    def __iter__(self) -> Iterator[Expectation]:
        return iter(self.snapshot())
