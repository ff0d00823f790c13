"""`wait_for`: wait on a condition with a timeout instead of sleeping to synchronise."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeoutError(AssertionError):
    """The condition did not hold before the timeout."""


async def wait_for(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 5.0,  # noqa: ASYNC109 - a polling helper; the name is the API tests use
    *,
    interval: float = 0.01,
    message: str = "",
) -> T:
    """Poll `predicate` (sync or async) until it returns a truthy value; return that value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise WaitTimeoutError(message or f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
