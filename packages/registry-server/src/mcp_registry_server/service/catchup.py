"""A supervised retry of one idempotent action until it succeeds, for state left behind.

An admin change that was saved but whose hand-over to the sync engine or the catalog failed
(the database blinked) must not wait for the next admin change: `CatchUp` runs the action again
after about `initial` seconds, doubling up to `cap` (the common backoff, in the upper half of
its window), until it succeeds or is stopped. One task at a time; asking again while it runs
changes nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import structlog
from mcp_registry_common.backoff import BackoffPolicy, Random, equal_jitter

log = structlog.get_logger(__name__)


class CatchUp:
    def __init__(
        self,
        action: Callable[[], Awaitable[bool]],
        *,
        name: str,
        initial: float = 1.0,
        cap: float = 30.0,
        draw: Random = random.random,
    ) -> None:
        """`action` returns True once there is nothing left to do (then the task ends)."""
        self._action = action
        self._name = name
        self._backoff = BackoffPolicy(base=initial, cap=cap, jitter=equal_jitter)
        self._draw = draw
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Retry the action in the background (no-op while a retry task runs, or once
        stopped)."""
        if not self.running and not self._stopped:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Cancel the retry task, if any, wait for it to end, and start none after this."""
        self._stopped = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(self._backoff.delay(attempt + 1, self._draw()))
            attempt += 1
            try:
                if await self._action():
                    log.info("caught_up", task=self._name, attempts=attempt)
                    return
            except Exception as exc:  # retried: the task must outlive a failing attempt
                log.warning("catch_up_failed", task=self._name, attempt=attempt, error=str(exc))
