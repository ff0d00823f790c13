"""The sync slots' four rules, each on looptime's virtual clock (exact, and no real waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from mcp_registry_server.sync.slots import Lane, SlotPool, Ticket
from mcp_registry_testing.virtualtime import advance_virtual_time

pytestmark = pytest.mark.looptime
LONG = 10_000.0


@dataclass
class Attempt:
    """A task that takes a slot and keeps it until `done` is set."""

    name: str
    task: asyncio.Task[None] | None = None
    ticket: Ticket | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return self.ticket is not None and not self.done.is_set()

    @property
    def got(self) -> Ticket:
        """The ticket of an attempt that has started."""
        assert self.ticket is not None, f"{self.name} has not started"
        return self.ticket


def start(
    pool: SlotPool,
    name: str,
    *,
    lane: Lane = Lane.HEALTHY,
    wait: float = LONG,
    lease: float = LONG,
    order: list[str] | None = None,
    on_overrun: Callable[[], None] | None = None,
) -> Attempt:
    attempt = Attempt(name)

    async def run() -> None:
        async with pool.slot(lane=lane, wait=wait, lease=lease, on_overrun=on_overrun) as ticket:
            attempt.ticket = ticket
            if order is not None:
                order.append(name)
            await attempt.done.wait()

    attempt.task = asyncio.create_task(run(), name=name)
    return attempt


async def finish(*attempts: Attempt) -> None:
    for attempt in attempts:
        attempt.done.set()
    await asyncio.gather(*(a.task for a in attempts if a.task is not None))


async def test_slots_bound_concurrency_and_serve_lanes_then_deadlines() -> None:
    pool = SlotPool(2)
    order: list[str] = []
    first = [start(pool, name, order=order) for name in ("a", "b")]
    await advance_virtual_time(1)
    waiting = [
        start(pool, "failing", lane=Lane.FAILING, wait=5, order=order),
        start(pool, "hourly", wait=3600, order=order),
        start(pool, "minutely", wait=60, order=order),
        start(pool, "manual", lane=Lane.MANUAL, wait=3600, order=order),
    ]
    await advance_virtual_time(1)
    assert order == ["a", "b"], "two slots, two holders; the rest wait"
    assert pool.in_use == 2
    for holder in first:
        await finish(holder)
        await advance_virtual_time(0)
    await finish(*waiting[1:])  # each hands its slot on as it finishes
    assert order == ["a", "b", "manual", "minutely", "hourly", "failing"]
    await finish(waiting[0])
    assert pool.in_use == 0


async def test_a_holder_past_its_lease_runs_on_and_its_slot_goes_to_the_next() -> None:
    pool = SlotPool(1)
    overruns: list[float] = []
    loop = asyncio.get_running_loop()
    slow = start(pool, "slow", lease=30, on_overrun=lambda: overruns.append(loop.time()))
    await advance_virtual_time(1)
    fast = start(pool, "fast")
    await advance_virtual_time(28)
    assert fast.ticket is None, "within its lease the slow one keeps the slot"
    await advance_virtual_time(2)
    assert fast.running, "the next one got the slot"
    assert slow.running, "the slow attempt goes on, without its slot"
    assert (slow.got.overran, slow.got.holding) == (True, False)
    assert (fast.got.slotted, fast.got.waited) == (True, 29)
    assert overruns == [30]
    assert pool.in_use == 1
    await finish(slow)
    assert pool.in_use == 1, "the slow one gave its slot away already: nothing to release"
    await finish(fast)
    assert pool.in_use == 0


async def test_a_waiter_starts_without_a_slot_at_its_deadline() -> None:
    pool = SlotPool(1)
    hung = start(pool, "hung")
    await advance_virtual_time(1)
    healthy = start(pool, "healthy", wait=3)
    await advance_virtual_time(2.9)
    assert healthy.ticket is None
    await advance_virtual_time(0.2)
    assert (healthy.got.slotted, healthy.got.waited) == (False, 3)
    assert pool.in_use == 1, "it runs beside the holder, not in its place"
    await finish(healthy)
    assert pool.in_use == 1
    await finish(hung)
    assert pool.in_use == 0


async def test_a_waiter_that_gives_up_leaves_nothing_behind() -> None:
    pool = SlotPool(1)
    holder = start(pool, "holder")
    await advance_virtual_time(1)
    quitter = start(pool, "quitter")
    await advance_virtual_time(1)
    assert quitter.task is not None
    quitter.task.cancel()
    await asyncio.gather(quitter.task, return_exceptions=True)
    await finish(holder)
    assert pool.in_use == 0
    late = start(pool, "late")
    await advance_virtual_time(0)
    assert (late.got.slotted, late.got.waited) == (True, 0)
    await finish(late)


async def test_a_slot_handed_to_a_waiter_being_cancelled_is_passed_on() -> None:
    pool = SlotPool(1)
    doomed: list[Attempt] = []

    def cancel_doomed() -> None:  # runs right after the slot was handed to "doomed"
        task = doomed[0].task
        assert task is not None
        task.cancel()

    holder = start(pool, "holder", lease=5, on_overrun=cancel_doomed)
    await advance_virtual_time(1)
    doomed.append(start(pool, "doomed"))
    next_in_line = start(pool, "next")
    await advance_virtual_time(5)
    assert doomed[0].ticket is None, "cancelled before it could run"
    assert (next_in_line.got.slotted, next_in_line.got.waited) == (True, 4)
    await finish(holder, next_in_line)
    assert pool.in_use == 0


def test_a_pool_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SlotPool(0)
