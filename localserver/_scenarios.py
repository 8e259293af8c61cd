"""Stateful scenarios: named state machines that expectations share.

An expectation made with ``scenario="cart", state="empty", new_state="filled"``
matches only while the scenario ``cart`` is in the state ``empty``, and moves it to
``filled`` when it answers. Every scenario starts in :data:`STARTED`. The
registry keeps the states and changes them under its lock, in the same step
that chooses the expectation, so concurrent requests make each transition once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ._fields import FieldResult

__all__ = ["STARTED", "ScenarioStep", "check_name", "scenario_step"]

#: The state every scenario is in until an expectation (or the test) moves it.
STARTED = "started"


class ScenarioStep(NamedTuple):
    """The scenario condition of one expectation.

    Attributes:
        name: The scenario, e.g. ``"cart"``.
        state: The state the scenario must be in; ``None`` for any state.
        new_state: The state an answer moves it to; ``None`` leaves it.
    """

    name: str
    state: str | None
    new_state: str | None

    def allows(self, states: Mapping[str, str]) -> bool:
        """Whether the scenario is in the state this step needs."""
        return self.state is None or states.get(self.name, STARTED) == self.state

    def describe(self) -> str:
        """The arguments that made it: ``scenario='cart', state='empty', new_state='filled'``."""
        parts = [f"scenario={self.name!r}"]
        if self.state is not None:
            parts.append(f"state={self.state!r}")
        if self.new_state is not None:
            parts.append(f"new_state={self.new_state!r}")
        return ", ".join(parts)

    def explain(self, states: Mapping[str, str]) -> FieldResult:
        """The report row: the state needed beside the state the scenario is in."""
        current = states.get(self.name, STARTED)
        needed = "any state" if self.state is None else f"state {self.state}"
        ok = self.allows(states)
        reason = (
            ""
            if ok
            else f"scenario {self.name} is in state {current}, this expectation needs {self.state}"
        )
        return FieldResult(
            "scenario", ok, f"{self.name} in {needed}", f"{self.name} in state {current}", reason
        )


def check_name(argument: str, value: object) -> str:
    """A scenario or state name: a non-empty str.

    Raises:
        TypeError: *value* is not a str.
        ValueError: *value* is empty.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument!r} must be a str (got {type(value).__name__}: {value!r:.60})")
    if not value:
        raise ValueError(f"{argument!r} must not be empty")
    return value


def scenario_step(
    scenario: str | None, state: str | None, new_state: str | None
) -> ScenarioStep | None:
    """The condition ``expect_request(scenario=, state=, new_state=)`` describes, or None.

    Raises:
        ValueError: *state* or *new_state* without *scenario*, or an empty name.
        TypeError: A name is not a str.
    """
    if scenario is None:
        given = [n for n, v in (("state", state), ("new_state", new_state)) if v is not None]
        if given:
            raise ValueError(
                f"{given[0]!r} needs 'scenario': name the scenario whose state it is, "
                f"e.g. scenario='cart', {given[0]}={(state or new_state)!r}"
            )
        return None
    return ScenarioStep(
        check_name("scenario", scenario),
        None if state is None else check_name("state", state),
        None if new_state is None else check_name("new_state", new_state),
    )
