"""Lazy retry gate: exponential backoff with full jitter and a cap between failed fetches."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from mcp_registry_server.auth.settings import Clock


@dataclass(slots=True)
class RetryGate:
    """Tracks failures of one fetch; requests arriving during the backoff fail fast instead of
    hammering an unreachable IdP. A success resets it."""

    clock: Clock
    initial: float
    cap: float
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    not_before: float = 0.0

    def open(self) -> bool:
        """Whether an attempt may be made now."""
        return self.clock() >= self.not_before

    def failed(self) -> None:
        """Record a failure and schedule the earliest next attempt."""
        self.failures += 1
        ceiling = min(self.cap, self.initial * (2 ** min(self.failures - 1, 30)))
        self.not_before = self.clock() + self.rng.uniform(ceiling / 2, ceiling)

    def succeeded(self) -> None:
        """Forget earlier failures."""
        self.failures = 0
        self.not_before = 0.0
