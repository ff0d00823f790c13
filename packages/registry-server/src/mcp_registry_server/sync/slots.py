"""Sync slots: how many attempts run at once, who goes next, and why a slow or hung source
cannot hold up the others.

1. At most `size` attempts hold a slot.
2. A freed slot goes to the waiter with the lowest (lane, deadline, arrival): manual syncs,
   then sources in good standing, then sources whose last attempt failed; within a lane the
   earliest deadline first (a 1-minute source is not stuck behind hourly ones).
3. A holder keeps its slot at most `lease` seconds. An attempt still running then (a slow or
   hung remote) runs on without it, bounded by its own timeout: it delays others by `lease`.
4. A waiter still waiting at its deadline (`wait` seconds, the source's interval) starts
   without a slot: however many slow sources are ahead, no source waits longer than that.

So `size` bounds the attempts that are starting or working normally; one attempt per source
(the engine's per-source lock) bounds the rest.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import IntEnum


class Lane(IntEnum):
    """Who is served first when a slot frees up (lower first)."""

    MANUAL = 0
    HEALTHY = 1
    FAILING = 2


@dataclass(slots=True)
class Ticket:
    """How one attempt got to run."""

    lane: Lane
    waited: float = 0.0
    """Seconds spent waiting for a slot."""
    slotted: bool = False
    """It got a slot; False when it started at its deadline without one (rule 4)."""
    overran: bool = False
    """It held its slot longer than the lease and gave it up (rule 3)."""
    holding: bool = False
    """It holds a slot right now."""


@dataclass(order=True, slots=True)
class _Waiter:
    key: tuple[int, float, int]
    granted: asyncio.Future[None] = field(compare=False)


class SlotPool:
    """The slots of one sync engine (event-loop only)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"slot count must be at least 1, got {size}")
        self.size = size
        self._free = size
        self._waiting: list[_Waiter] = []
        self._arrivals = itertools.count()

    @property
    def in_use(self) -> int:
        """Slots held right now."""
        return self.size - self._free

    @asynccontextmanager
    async def slot(
        self,
        *,
        lane: Lane,
        wait: float,
        lease: float,
        on_overrun: Callable[[], None] | None = None,
    ) -> AsyncIterator[Ticket]:
        """Hold a slot (or start at the deadline without one) for the body of the block."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        ticket = Ticket(lane)
        ticket.slotted = ticket.holding = await self._acquire(lane, wait)
        ticket.waited = loop.time() - started

        def overrun() -> None:
            if ticket.holding:
                ticket.holding, ticket.overran = False, True
                self._release()
                if on_overrun is not None:
                    on_overrun()

        timer = loop.call_later(lease, overrun) if ticket.holding else None
        try:
            yield ticket
        finally:
            if timer is not None:
                timer.cancel()
            if ticket.holding:
                ticket.holding = False
                self._release()

    async def _acquire(self, lane: Lane, wait: float) -> bool:
        """True once a slot is ours; False when `wait` seconds passed without one."""
        while self._waiting and self._waiting[0].granted.done():
            heapq.heappop(self._waiting)  # withdrawn waiters
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return True
        loop = asyncio.get_running_loop()
        waiter = _Waiter((lane, loop.time() + wait, next(self._arrivals)), loop.create_future())
        heapq.heappush(self._waiting, waiter)
        try:
            await asyncio.wait({waiter.granted}, timeout=max(0.0, wait))
        except asyncio.CancelledError:
            self._withdraw(waiter)
            raise
        if waiter.granted.done():
            return True
        waiter.granted.cancel()  # withdrawn: `_release` passes it over
        return False

    def _withdraw(self, waiter: _Waiter) -> None:
        if waiter.granted.done() and not waiter.granted.cancelled():
            self._release()  # handed a slot while being cancelled: pass it on
        else:
            waiter.granted.cancel()

    def _release(self) -> None:
        """Hand a slot to the first waiter still waiting, else put it back."""
        while self._waiting:
            waiter = heapq.heappop(self._waiting)
            if not waiter.granted.done():
                waiter.granted.set_result(None)
                return
        self._free += 1
