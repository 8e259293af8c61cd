"""Waiting on a server's condition variable, from a thread or from an event loop.

Server threads notify a ``threading.Condition`` whenever a request or a mail
arrives. :func:`wait_for` waits on it directly; :func:`wait_for_async` waits on it
in a helper thread of its own so the event loop keeps running (an
``IsolatedAsyncioTestCase`` may be serving the very client whose request it
awaits), and wakes that thread at once if the awaiting task is cancelled.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable

__all__ = ["check_timeout", "wait_for", "wait_for_async"]


def check_timeout(timeout: object) -> float | None:
    """Return *timeout* as a float (``None`` stays ``None``), or raise naming it."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ValueError(f"'timeout' must be a number of seconds, 0 or more (got {timeout!r})")
    return float(timeout)


def wait_for(condition: threading.Condition, predicate: Callable[[], bool], timeout: float) -> bool:
    """Block until ``predicate()`` is true (checked under *condition*) or *timeout* passes.

    Returns:
        The last value of the predicate.
    """
    with condition:
        return condition.wait_for(predicate, timeout)


async def wait_for_async(
    condition: threading.Condition, predicate: Callable[[], bool], timeout: float
) -> bool:
    """Like :func:`wait_for`, without blocking the running event loop.

    Returns:
        The last value of the predicate.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bool] = loop.create_future()
    cancelled = threading.Event()

    def deliver(result: bool) -> None:
        if not done.done():
            done.set_result(result)

    def waiter() -> None:
        with condition:
            condition.wait_for(lambda: cancelled.is_set() or predicate(), timeout)
            result = predicate()
        if not cancelled.is_set():
            loop.call_soon_threadsafe(deliver, result)

    # A thread of our own, not the loop's executor: the loop's shutdown waits for
    # its executor, and nothing here may hold a test run up.
    thread = threading.Thread(target=waiter, name="localserver-async-wait", daemon=True)
    thread.start()
    try:
        return await done
    finally:
        cancelled.set()
        with condition:
            condition.notify_all()
