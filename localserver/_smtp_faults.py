"""Injected SMTP failures: rules per stage, presets, and the record of what fired."""

from __future__ import annotations

import random
import re
import threading
from types import TracebackType
from typing import Any, Callable, NamedTuple, Union

from ._journal import Journal

__all__ = ["STAGES", "FaultRule", "Faults", "InjectedFault", "parse_reply"]

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
        hits: How many times the rule has fired.
    """

    def __init__(
        self,
        faults: Faults,
        stage: str,
        reply: str | None,
        delay: float,
        disconnect: bool,
        times: int | None,
        after: int,
        match: Match,
        probability: float,
        bytes_per_second: float | None,
    ) -> None:
        self._faults = faults
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
        self._matches = _matcher(match)
        self._seen = 0

    def remove(self) -> None:
        """Take this rule out of its server's rules."""
        self._faults.remove(self)

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


def _check_seconds(name: str, value: object, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name!r} must be a non-negative number (got {value!r})")
    return float(value)


class Faults:
    """The failure rules of one SMTP server: which stage fails, how, how often.

    Deterministic unless a rule has a ``probability``; :meth:`seed` makes those
    draws repeatable. Every fault that fires is appended to :attr:`injected`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random()
        self.injected: Journal[Any] = Journal()

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
        """
        if stage not in STAGES:
            raise ValueError(f"'stage' must be one of {', '.join(STAGES)} (got {stage!r})")
        line = None if reply is None else parse_reply(reply)
        if line is not None and stage == "connect":
            raise ValueError(
                "'connect' faults cannot reply (the TLS handshake of SMTPS comes later); "
                "use stage='greeting' to replace the banner"
            )
        if bytes_per_second is not None:
            if stage != "connect":
                raise ValueError(f"'bytes_per_second' needs stage='connect' (got {stage!r})")
            if (
                isinstance(bytes_per_second, bool)
                or not isinstance(bytes_per_second, (int, float))
                or bytes_per_second <= 0
            ):
                raise ValueError(
                    f"'bytes_per_second' must be a positive number (got {bytes_per_second!r})"
                )
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise ValueError(f"'times' must be a positive int or None (got {times!r})")
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValueError(f"'after' must be a non-negative int (got {after!r})")
        if (
            isinstance(probability, bool)
            or not isinstance(probability, (int, float))
            or not 0 <= probability <= 1
        ):
            raise ValueError(f"'probability' must be a number from 0 to 1 (got {probability!r})")
        rule = FaultRule(
            self,
            stage,
            line,
            _check_seconds("delay", delay) or 0.0,
            bool(disconnect),
            times,
            after,
            match,
            float(probability),
            None if bytes_per_second is None else float(bytes_per_second),
        )
        with self._lock:
            self._rules.append(rule)
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
        with self._lock:
            return list(self._rules)

    def remove(self, rule: FaultRule) -> None:
        """Take *rule* out; removing a rule twice is harmless."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Remove every rule and forget the faults that fired."""
        with self._lock:
            self._rules.clear()
        self.injected.clear()

    def seed(self, value: int | None) -> None:
        """Seed the draws of rules with a ``probability`` below 1, to repeat a run."""
        with self._lock:
            self._random.seed(value)

    def pick(self, stage: str, argument: str, connection_id: int) -> FaultRule | None:
        """Return the rule that fires for this event (and count it), or ``None``."""
        with self._lock:
            for rule in self._rules:
                if rule.stage != stage or not rule._matches(argument):
                    continue
                rule._seen += 1
                if rule._seen <= rule.after:
                    continue
                if rule.probability < 1 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.times is not None and rule.hits >= rule.times:
                    self._rules.remove(rule)
                break
            else:
                return None
        self.injected.append(
            InjectedFault(stage, argument, rule.reply, rule.delay, rule.disconnect, connection_id)
        )
        return rule
