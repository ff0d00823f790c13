"""Rate limiters for requeues: per-key exponential backoff with jitter, a global token bucket,
and their maximum (client-go's default controller rate limiter)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from mcp_registry_common.backoff import BackoffPolicy, upward_jitter

from .keys import Key

Clock = Callable[[], float]


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class RateLimiter(Protocol):
    def when(self, key: Key) -> float:
        """Seconds to wait before `key` may be retried; counts one more failure."""
        ...

    def forget(self, key: Key) -> None:
        """Stop tracking `key` (it succeeded)."""
        ...

    def retries(self, key: Key) -> int:
        """How many times `key` has been rate-limited since it was last forgotten."""
        ...


@dataclass
class ExponentialBackoff:
    """base · 2^failures, capped, times a random factor in [1, 1 + jitter] (then capped again):
    the common backoff with upward jitter (client-go's per-item limiter; the ceiling is a
    minimum, so a key is never retried sooner than it)."""

    base: float = 0.005
    cap: float = 300.0
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random)
    _failures: dict[Key, int] = field(default_factory=dict)
    _policy: BackoffPolicy = field(init=False)

    def __post_init__(self) -> None:
        self._policy = BackoffPolicy(self.base, cap=self.cap, jitter=upward_jitter(self.jitter))

    def when(self, key: Key) -> float:
        n = self._failures.get(key, 0) + 1
        self._failures[key] = n
        return self._policy.delay(n, self.rng.random())

    def forget(self, key: Key) -> None:
        self._failures.pop(key, None)

    def retries(self, key: Key) -> int:
        return self._failures.get(key, 0)


@dataclass
class TokenBucket:
    """A global bucket of `burst` tokens refilled at `qps`; a retry past the burst waits."""

    qps: float = 10.0
    burst: int = 100
    clock: Clock = _loop_time
    _tokens: float | None = None
    _last: float = 0.0

    def when(self, key: Key) -> float:
        now = self.clock()
        if self._tokens is None:
            self._tokens = float(self.burst)
        else:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: Key) -> None:
        return None

    def retries(self, key: Key) -> int:
        return 0


@dataclass
class MaxOf:
    """The longest delay of several limiters."""

    limiters: tuple[RateLimiter, ...]

    def when(self, key: Key) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: Key) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def retries(self, key: Key) -> int:
        return max(limiter.retries(key) for limiter in self.limiters)


def default_rate_limiter() -> RateLimiter:
    """max(5 ms · 2^n with 10 % jitter capped at 300 s, a 10 qps / burst 100 bucket)."""
    return MaxOf((ExponentialBackoff(), TokenBucket()))
