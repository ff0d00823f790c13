"""Retry delays after failed syncs: exponential from a base, capped, with full jitter."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Jitter = Callable[[float], float]
"""Maps the exponential ceiling to the actual delay."""


def full_jitter(ceiling: float) -> float:
    """A uniform draw in [0, ceiling] (AWS "full jitter": spreads retries of many sources)."""
    return random.uniform(0.0, ceiling)


def no_jitter(ceiling: float) -> float:
    """The ceiling itself (deterministic; for tests and reasoning)."""
    return ceiling


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """`base * 2**(attempt-1)` capped at `cap`; 0 for attempt 0 (nothing failed yet)."""
    if attempt <= 0:
        return 0.0
    return min(cap, base * 2.0 ** min(attempt - 1, 64))


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How long to wait before retrying a source after its `attempt`-th consecutive failure."""

    base: float = 1.0
    """Seconds before the first retry (before jitter)."""
    jitter: Jitter = full_jitter

    def delay(self, attempt: int, *, cap: float) -> float:
        """The delay in seconds; never above `cap` (the source's sync interval)."""
        return min(cap, max(0.0, self.jitter(backoff_ceiling(attempt, base=self.base, cap=cap))))
