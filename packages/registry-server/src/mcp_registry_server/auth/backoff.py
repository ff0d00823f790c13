"""Lazy retry gate: exponential backoff with jitter and a cap between failed fetches (the one
`mcp_registry_common.backoff` policy, in the upper half of its window)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mcp_registry_common.backoff import BackoffPolicy, RetryWindow, equal_jitter

from mcp_registry_server.auth.settings import Clock


@dataclass(slots=True)
class RetryGate:
    """Tracks failures of one fetch; requests arriving during the backoff fail fast instead of
    hammering an unreachable IdP. A success resets it."""

    clock: Clock
    initial: float
    cap: float
    rng: random.Random = field(default_factory=random.Random)
    _window: RetryWindow = field(init=False)

    def __post_init__(self) -> None:
        policy = BackoffPolicy(base=self.initial, cap=self.cap, jitter=equal_jitter)
        self._window = RetryWindow(policy)

    @property
    def failures(self) -> int:
        return self._window.failures

    @property
    def not_before(self) -> float:
        return self._window.not_before

    def open(self) -> bool:
        """Whether an attempt may be made now."""
        return self._window.open(self.clock())

    def failed(self) -> None:
        """Record a failure and schedule the earliest next attempt."""
        self._window.failed(self.clock(), self.rng.random())

    def succeeded(self) -> None:
        """Forget earlier failures."""
        self._window.succeeded()
