"""The retry loop of both programs: run an attempt until it returns, waiting a `BackoffPolicy`
delay after each consecutive failure. Cancellation ends it at once (it is never retried)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from mcp_registry_common.backoff import BackoffPolicy, Random

Failed = Callable[[Exception, int, float], None]
"""(the error, consecutive failures so far, seconds until the next attempt) -> None: log it."""
Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")


async def keep_trying(
    attempt: Callable[[], Awaitable[_T]],
    *,
    policy: BackoffPolicy,
    failed: Failed,
    cap: float | None = None,
    draw: Random = random.random,
    sleep: Sleep = asyncio.sleep,
) -> _T:
    """`attempt()`'s result, once a call returns; `cap`: a tighter cap than the policy's."""
    failures = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:  # retried: the loop outlives a failing attempt
            failures += 1
            delay = policy.delay(failures, draw(), cap=cap)
            failed(exc, failures, delay)
        await sleep(delay)
