"""A settable wall clock for tests of expiry, TTLs and rate limits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class FakeClock:
    """Callable like ``time.time``; starts at the real time and moves only when told."""

    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
