"""A keyed work queue with client-go semantics: fair, deduplicated, one worker per key.

Invariants: a key is queued at most once (re-adding a queued key does nothing); a key handed
out by `get` is never handed out again until `done`; a key added while being processed is
marked dirty and re-queued on `done`; `add_after` keeps the earliest pending deadline;
`add_rate_limited` delays by the rate limiter, and `forget` resets the key's backoff.
"""

from __future__ import annotations

import asyncio
from collections import deque

from .keys import Key
from .ratelimit import RateLimiter, default_rate_limiter


class QueueShutDownError(Exception):
    """`get` was called on a queue that is shut down and drained."""


class WorkQueue:
    def __init__(self, *, rate_limiter: RateLimiter | None = None) -> None:
        self._queue: deque[Key] = deque()
        self._dirty: set[Key] = set()
        self._processing: set[Key] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._timers: dict[Key, tuple[float, asyncio.TimerHandle]] = {}
        self._limiter = rate_limiter or default_rate_limiter()
        self._shutting_down = False

    def __len__(self) -> int:
        """The queue depth: keys waiting to be handed out (not delayed, not in progress)."""
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def add(self, key: Key) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self._wake_one()

    def add_after(self, key: Key, delay: float) -> None:
        """Add `key` after `delay` seconds; an earlier pending deadline for it wins."""
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        pending = self._timers.get(key)
        if pending is not None:
            if pending[0] <= deadline:
                return
            pending[1].cancel()
        self._timers[key] = (deadline, loop.call_at(deadline, self._fire, key))

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: Key) -> None:
        self.add_after(key, self._limiter.when(key))

    def forget(self, key: Key) -> None:
        self._limiter.forget(key)

    def retries(self, key: Key) -> int:
        return self._limiter.retries(key)

    def pending_delay(self, key: Key) -> float | None:
        """Seconds until a delayed add of `key` fires, or None when none is pending."""
        pending = self._timers.get(key)
        return None if pending is None else pending[0] - asyncio.get_running_loop().time()

    async def get(self) -> Key:
        """The next key; raises QueueShutDownError once shut down and empty."""
        while not self._queue:
            if self._shutting_down:
                raise QueueShutDownError("the work queue is shut down")
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._getters:
                    self._getters.remove(waiter)
                elif self._queue:
                    self._wake_one()
                raise
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Key) -> None:
        """Mark `key` processed; re-queue it if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake_one()

    def shutdown(self) -> None:
        """Stop accepting keys, cancel delayed adds and wake every waiting `get`."""
        self._shutting_down = True
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
