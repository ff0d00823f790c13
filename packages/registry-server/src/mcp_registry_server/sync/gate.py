"""One document parse at a time: its transient memory is paid once, however many sources sync.

A parse holds the decoded text and every Python object of the document at once, several times
the document's size (README, "Memory"); four sources syncing together would hold four. Under
the GIL parsing is no faster in parallel, so the engine runs every parse through one
`ParseGate`. A caller that gives up (its attempt is cancelled) returns at once, but the gate
stays closed until the worker thread has really finished: the memory is only free then.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ParseGateTimeoutError(Exception):
    """Another parse held the gate for longer than this one could wait."""


class ParseGate:
    """Runs blocking calls on the default executor, one at a time."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._waiting = 0

    @property
    def busy(self) -> bool:
        """A call is running (perhaps one whose caller gave up on it)."""
        return self._lock.locked()

    @property
    def waiting(self) -> int:
        """Callers waiting for the gate."""
        return self._waiting

    async def run(self, call: Callable[[], T], *, wait: float) -> T:
        """`call()` in a worker thread once no other call runs; waits at most `wait` seconds
        for the gate (ParseGateTimeoutError), then as long as the call takes."""
        self._waiting += 1
        try:
            async with asyncio.timeout(wait):
                await self._lock.acquire()
        except TimeoutError:
            raise ParseGateTimeoutError(
                f"another source's parse held the parse gate for more than {wait:g}s"
            ) from None
        finally:
            self._waiting -= 1
        try:
            context = contextvars.copy_context()
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(None, functools.partial(context.run, call))
        except BaseException:
            self._lock.release()
            raise
        future.add_done_callback(lambda _: self._lock.release())  # when the thread is done
        return await asyncio.shield(future)
