"""Running a blocking check from an event loop without blocking the loop.

The servers' checks wait on condition variables that server threads notify. An
``async`` test (``IsolatedAsyncioTestCase``, pytest-asyncio) may be serving the very
client whose request it awaits, so the loop must keep running: :func:`in_thread`
runs the check on a daemon thread of its own and hands back its result or its
exception. A daemon thread, not the loop's executor: the loop's shutdown waits for
its executor, and a check must never hold a test run up.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Callable, TypeVar

__all__ = ["in_thread"]

_T = TypeVar("_T")


async def in_thread(func: Callable[[], _T]) -> _T:
    """``await`` *func()* run on a thread of its own; its exception is raised here."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[_T] = loop.create_future()

    def deliver(result: _T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: _T | None = None
        error: BaseException | None = None
        try:
            result = func()
        except BaseException as exc:  # handed to the awaiting task
            error = exc
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:  # the loop closed meanwhile: nobody awaits any more
            pass

    threading.Thread(target=run, name="localserver-async-check", daemon=True).start()
    return await done
