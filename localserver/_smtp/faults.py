"""Injected SMTP failures: rules per stage, presets, and the record of what fired.

:class:`Faults` is what users get as ``server.faults``: it checks and adds rules.
The :class:`FaultBook` behind it holds the rules and their counters; the
sessions ask it which rule fires (:meth:`FaultBook.pick`).
"""

from __future__ import annotations

import random
import re
import threading
from types import TracebackType
from typing import Callable, NamedTuple, Union

from .._args import check_choice, check_count, check_seconds
from .._journal import Journal

__all__ = ["STAGES", "FaultBook", "FaultRule", "Faults", "InjectedFault", "parse_reply"]

#: Where a fault can strike, in the order a session meets them.
STAGES = ("connect", "greeting", "ehlo", "auth", "mail", "rcpt", "data", "data_end")

Match = Union[str, "re.Pattern[str]", Callable[[str], bool], None]

# Default texts for a reply given as a bare code.
_REPLY_TEXT = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.1 Mailbox temporarily unavailable",
    451: "4.3.0 Temporary failure, try again later",
    452: "4.3.1 Insufficient system storage",
    454: "4.7.0 Temporary authentication failure",
    530: "5.7.0 Authentication required",
    535: "5.7.8 Authentication credentials invalid",
    550: "5.1.1 Mailbox unavailable",
    551: "5.1.6 User not local",
    552: "5.3.4 Message size exceeds fixed limit",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.0.0 Transaction failed",
}

_REPLY_RE = re.compile(r"[2-5][0-9][0-9]( [^\r\n]*)?")


def parse_reply(reply: object) -> str:
    """Check an injected reply; a bare code gets a default text.

    Raises:
        ValueError: Not a code from 200 to 599, or a line with CR or LF in it.
    """
    if isinstance(reply, int) and not isinstance(reply, bool):
        if not 200 <= reply <= 599:
            raise ValueError(f"'reply' code must be between 200 and 599 (got {reply!r})")
        return f"{reply} {_REPLY_TEXT.get(reply, 'Injected reply')}"
    if isinstance(reply, str) and _REPLY_RE.fullmatch(reply):
        return reply
    raise ValueError(
        f"'reply' must be a code such as 550 or a line such as '550 5.1.1 No such user' "
        f"(got {reply!r})"
    )


def _matcher(match: Match) -> Callable[[str], bool]:
    if match is None:
        return lambda argument: True
    if isinstance(match, str):
        needle = match.lower()
        return lambda argument: needle in argument.lower()
    if isinstance(match, re.Pattern):
        pattern = match
        return lambda argument: pattern.search(argument) is not None
    if callable(match):
        return match
    raise TypeError(f"'match' must be a str, a compiled regex, a callable or None (got {match!r})")


class InjectedFault(NamedTuple):
    """A record of one fault that fired.

    Attributes:
        stage: Where it struck (one of :data:`STAGES`).
        argument: What the rule matched against (the address, the EHLO name, ...).
        reply: The reply sent instead of the normal one, or ``None``.
        delay: Seconds the reply was held back.
        disconnect: Whether the connection was dropped.
        connection_id: Which connection it struck.
    """

    stage: str
    argument: str
    reply: str | None
    delay: float
    disconnect: bool
    connection_id: int


class FaultRule:
    """One rule of :class:`Faults`; also a context manager that removes it on exit.

    Attributes:
        stage: Where it strikes (one of :data:`STAGES`).
        reply: The reply sent instead of the normal one, or ``None``.
        delay: Seconds the reply is held back.
        disconnect: Whether the connection is dropped.
        times: How many times it fires (``None``: for ever).
        after: How many matching events pass before it fires.
        match: What limits it to some events (as given to ``add``).
        probability: The chance that a matching event fires it.
        bytes_per_second: The throttle of a ``connect`` rule, or ``None``.
        hits: How many times the rule has fired.
    """

    def __init__(
        self,
        book: FaultBook,
        stage: str,
        reply: str | None,
        *,
        delay: float,
        disconnect: bool,
        times: int | None,
        after: int,
        match: Match,
        probability: float,
        bytes_per_second: float | None,
    ) -> None:
        self._book = book
        self.stage = stage
        self.reply = reply
        self.delay = delay
        self.disconnect = disconnect
        self.times = times
        self.after = after
        self.match = match
        self.probability = probability
        self.bytes_per_second = bytes_per_second
        self.hits = 0

    def remove(self) -> None:
        """Take this rule out of its server's rules."""
        self._book.remove(self)

    def __enter__(self) -> FaultRule:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return (
            f"<FaultRule {self.stage} reply={self.reply!r} delay={self.delay} "
            f"disconnect={self.disconnect} times={self.times} hits={self.hits}>"
        )


class _Entry:
    """A rule in the book, with what deciding whether it fires needs."""

    __slots__ = ("matches", "rule", "seen")

    def __init__(self, rule: FaultRule) -> None:
        self.rule = rule
        self.matches = _matcher(rule.match)
        self.seen = 0


class FaultBook:
    """The rules of one server and what fired: thread-safe, consulted by every session."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._random = random.Random()
        #: Every fault that fired, oldest first.
        self.injected: Journal[InjectedFault] = Journal()

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in the order they are tried."""
        with self._lock:
            return [entry.rule for entry in self._entries]

    def add(self, rule: FaultRule) -> None:
        """Make *rule* the last one tried."""
        with self._lock:
            self._entries.append(_Entry(rule))

    def remove(self, rule: FaultRule) -> None:
        """Take *rule* out; removing a rule twice is harmless."""
        with self._lock:
            self._entries = [entry for entry in self._entries if entry.rule is not rule]

    def clear(self) -> None:
        """Remove every rule and forget the faults that fired."""
        with self._lock:
            self._entries = []
        self.injected.clear()

    def seed(self, value: int | None) -> None:
        """Seed the draws of rules with a ``probability`` below 1."""
        with self._lock:
            self._random.seed(value)

    def pick(self, stage: str, argument: str, connection_id: int) -> FaultRule | None:
        """Return the rule that fires for this event (and count it), or ``None``."""
        if not self._entries:  # the common case, without the lock
            return None
        with self._lock:
            for entry in self._entries:
                rule = entry.rule
                if rule.stage != stage or not entry.matches(argument):
                    continue
                entry.seen += 1
                if entry.seen <= rule.after:
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.times is not None and rule.hits >= rule.times:
                    self._entries.remove(entry)
                break
            else:
                return None
        self.injected.append(
            InjectedFault(stage, argument, rule.reply, rule.delay, rule.disconnect, connection_id)
        )
        return rule


def _check_fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name!r} must be a number from 0 to 1 (got {value!r})")
    if not 0 <= value <= 1:
        raise ValueError(f"{name!r} must be a number from 0 to 1 (got {value!r})")
    return float(value)


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name!r} must be a positive number (got {value!r})")
    if not value > 0:
        raise ValueError(f"{name!r} must be a positive number (got {value!r})")
    return float(value)


class Faults:
    """The failure rules of one SMTP server: which stage fails, how, how often.

    Deterministic unless a rule has a ``probability``; :meth:`seed` makes those
    draws repeatable. Every fault that fires is appended to :attr:`injected`.
    """

    def __init__(self, book: FaultBook) -> None:
        self._book = book

    @property
    def injected(self) -> Journal[InjectedFault]:
        """Every fault that fired, oldest first (stage, argument, reply, ...)."""
        return self._book.injected

    def add(
        self,
        stage: str,
        reply: int | str | None = None,
        *,
        delay: float = 0.0,
        disconnect: bool = False,
        times: int | None = None,
        after: int = 0,
        match: Match = None,
        probability: float = 1.0,
        bytes_per_second: float | None = None,
    ) -> FaultRule:
        """Add a rule: at *stage*, reply with *reply*, after *delay*, or drop the line.

        Args:
            stage: One of ``connect``, ``greeting``, ``ehlo`` (also HELO), ``auth``,
                ``mail``, ``rcpt``, ``data`` (the DATA command), ``data_end`` (after
                the final dot, before the mail is kept).
            reply: A code (``550``) or a full line (``"550 5.1.1 No such user"``)
                sent instead of the normal reply; the command is not carried out.
                ``None`` keeps the normal reply (use with *delay* or *disconnect*).
            delay: Seconds to wait before answering; ends at once when the server stops.
            disconnect: Close the connection (after *reply*, if one is given).
            times: How many times the rule fires; ``None`` (default) for ever.
            after: Let this many matching events pass before the rule fires.
            match: Limit the rule to events whose argument contains this str
                (case-insensitive), matches this compiled regex, or satisfies this
                callable. The argument is the client host (connect, greeting), the
                EHLO name, the AUTH user name, the sender address (mail, data), the
                recipient address (rcpt), or the message text (data_end).
            probability: Chance from 0 to 1 that a matching event fires the rule.
            bytes_per_second: For ``connect`` only: throttle the whole connection
                to this rate, both ways (a slow link).

        Returns:
            The rule; ``with server.faults.add(...):`` removes it on exit.

        Raises:
            TypeError: An argument of the wrong type.
            ValueError: An argument out of range, or options that do not go together.
        """
        check_choice("stage", stage, STAGES)
        line = None if reply is None else parse_reply(reply)
        if line is not None and stage == "connect":
            raise ValueError(
                "'connect' faults cannot reply (the TLS handshake of SMTPS comes later); "
                "use stage='greeting' to replace the banner"
            )
        if bytes_per_second is not None and stage != "connect":
            raise ValueError(f"'bytes_per_second' needs stage='connect' (got {stage!r})")
        _matcher(match)  # refuse a bad match now, not in a session
        rule = FaultRule(
            self._book,
            stage,
            line,
            delay=check_seconds("delay", delay) or 0.0,
            disconnect=bool(disconnect),
            times=check_count("times", times, minimum=1, none=True),
            after=check_count("after", after) or 0,
            match=match,
            probability=_check_fraction("probability", probability),
            bytes_per_second=(
                None
                if bytes_per_second is None
                else _check_rate("bytes_per_second", bytes_per_second)
            ),
        )
        self._book.add(rule)
        return rule

    # -- presets ------------------------------------------------------------------------

    def reject_recipient(
        self, match: Match, reply: int | str = "550 5.1.1 Mailbox unavailable"
    ) -> FaultRule:
        """Refuse every recipient that *match* selects (``RCPT TO``)."""
        return self.add("rcpt", reply, match=match)

    def temporary_failure(
        self,
        stage: str = "mail",
        *,
        times: int | None = 1,
        match: Match = None,
        reply: int | str = "451 4.3.0 Temporary failure, try again later",
    ) -> FaultRule:
        """Answer *stage* with a 4xx reply *times* times, then behave normally."""
        return self.add(stage, reply, times=times, match=match)

    def rate_limit(
        self,
        after: int,
        reply: int | str = "421 4.7.0 Rate limit exceeded, closing connection",
    ) -> FaultRule:
        """Accept *after* ``MAIL FROM`` commands, then refuse each later one."""
        return self.add("mail", reply, after=after)

    def slow_link(self, bytes_per_second: float, *, times: int | None = None) -> FaultRule:
        """Throttle new connections to *bytes_per_second*, replies and client data alike."""
        return self.add("connect", bytes_per_second=bytes_per_second, times=times)

    def disconnect(self, stage: str, *, match: Match = None, times: int | None = 1) -> FaultRule:
        """Drop the connection at *stage* without a reply."""
        return self.add(stage, disconnect=True, match=match, times=times)

    # -- management ---------------------------------------------------------------------

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in the order they are tried."""
        return self._book.rules

    def remove(self, rule: FaultRule) -> None:
        """Take *rule* out; removing a rule twice is harmless."""
        self._book.remove(rule)

    def clear(self) -> None:
        """Remove every rule and forget the faults that fired."""
        self._book.clear()

    def seed(self, value: int | None) -> None:
        """Seed the draws of rules with a ``probability`` below 1, to repeat a run."""
        self._book.seed(value)
