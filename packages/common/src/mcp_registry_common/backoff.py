"""Retry delays, for every retry loop of both programs: exponential from a base, capped, jittered.

Pure: the random draw (a float in [0, 1)) is an argument, and `RetryWindow` takes the time as
one, so a caller injects its own clock and random source (tests pass fixed ones).

The ceiling after the n-th consecutive failure is `base * factor**(n-1)`, at most `cap`; the
delay is a jittered point below it (DESIGN: every retry has exponential backoff with jitter and
a cap), so many clients that failed together do not retry together:

- `full_jitter` (the default): uniform in [0, ceiling] (AWS "full jitter"; spreads the most);
- `equal_jitter`: uniform in [ceiling/2, ceiling] (never retries at once: for gates that fail
  callers fast while they wait, and loops that restart after a crash);
- `upward_jitter(f)`: uniform in [ceiling, ceiling·(1+f)], capped again (client-go's per-item
  rate limiter: the ceiling is a minimum);
- `no_jitter`: the ceiling itself (deterministic; for tests and reasoning).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Jitter = Callable[[float, float], float]
"""(ceiling, a uniform draw in [0, 1)) -> the delay."""
Random = Callable[[], float]
"""A source of uniform draws in [0, 1) (`random.random`, or a seeded `Random().random`)."""
Clock = Callable[[], float]
"""Seconds on a monotonic clock."""

MAX_EXPONENT = 64
"""Attempts past this do not grow the ceiling further (it is capped long before)."""


def full_jitter(ceiling: float, draw: float) -> float:
    return ceiling * draw


def equal_jitter(ceiling: float, draw: float) -> float:
    return ceiling / 2 + ceiling / 2 * draw


def no_jitter(ceiling: float, draw: float) -> float:
    return ceiling


def upward_jitter(fraction: float) -> Jitter:
    """Up to `fraction` above the ceiling (the policy's cap still holds)."""

    def jitter(ceiling: float, draw: float) -> float:
        return ceiling * (1.0 + fraction * draw)

    return jitter


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long to wait after the `attempt`-th consecutive failure."""

    base: float = 1.0
    """Ceiling after the first failure, in seconds."""
    factor: float = 2.0
    cap: float = math.inf
    """No delay is longer than this."""
    jitter: Jitter = full_jitter

    def ceiling(self, attempt: int, *, cap: float | None = None) -> float:
        """`base * factor**(attempt-1)`, at most the cap (and `cap`); 0 for attempt 0 (nothing
        failed yet)."""
        if attempt <= 0:
            return 0.0
        limit = self.cap if cap is None else min(self.cap, cap)
        return min(limit, self.base * self.factor ** min(attempt - 1, MAX_EXPONENT))

    def delay(self, attempt: int, draw: float, *, cap: float | None = None) -> float:
        """The jittered delay for `draw` in [0, 1); within [0, cap] whatever the jitter does.
        `cap`: a tighter cap for this call (a source's sync interval)."""
        limit = self.cap if cap is None else min(self.cap, cap)
        return min(limit, max(0.0, self.jitter(self.ceiling(attempt, cap=cap), draw)))


@dataclass(slots=True)
class RetryWindow:
    """Consecutive failures of one thing, and the earliest time it may be tried again: callers
    that arrive before then fail fast instead of hammering what is down. A success resets it."""

    policy: BackoffPolicy
    failures: int = 0
    not_before: float = 0.0
    """Clock time of the earliest next attempt (0: at once)."""

    def open(self, now: float) -> bool:
        """Whether an attempt may be made at `now`."""
        return now >= self.not_before

    def failed(self, now: float, draw: float) -> float:
        """Count a failure at `now`; returns the delay until the next attempt may be made."""
        self.failures += 1
        delay = self.policy.delay(self.failures, draw)
        self.not_before = now + delay
        return delay

    def succeeded(self) -> None:
        """Forget earlier failures."""
        self.failures = 0
        self.not_before = 0.0
