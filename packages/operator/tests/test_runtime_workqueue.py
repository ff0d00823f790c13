"""The work queue's client-go properties, each on virtual loop time (looptime)."""

from __future__ import annotations

import asyncio
import random

import pytest
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_operator.runtime.ratelimit import ExponentialBackoff, MaxOf, TokenBucket
from mcp_registry_operator.runtime.workqueue import QueueShutDownError, WorkQueue
from mcp_registry_testing.virtualtime import advance_virtual_time

A, B, C = Key("ns/a"), Key("ns/b"), Key("ns/c")


def _now() -> float:
    return asyncio.get_running_loop().time()


async def test_adds_are_deduplicated_while_queued_and_served_fifo() -> None:
    q = WorkQueue()
    for key in (A, B, A, C, B):
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == [A, B, C]
    assert len(q) == 0


async def test_a_key_in_progress_is_not_handed_out_again_and_requeues_on_done() -> None:
    q = WorkQueue()
    q.add(A)
    assert await q.get() == A
    q.add(A)
    q.add(A)
    assert len(q) == 0  # dirty, but not queued while a worker holds it
    q.add(B)
    assert await q.get() == B
    q.done(A)
    assert len(q) == 1
    assert await q.get() == A
    q.done(A)
    assert len(q) == 0  # no further re-queue: it was not re-added during the second run


@pytest.mark.looptime
async def test_get_waits_for_an_add_and_concurrent_getters_get_distinct_keys() -> None:
    q = WorkQueue()
    getters = [asyncio.create_task(q.get()) for _ in range(2)]
    await advance_virtual_time(1)
    assert not any(t.done() for t in getters)
    q.add(A)
    q.add(B)
    assert sorted(await asyncio.gather(*getters)) == [A, B]


@pytest.mark.looptime
async def test_add_after_delivers_at_the_deadline() -> None:
    q = WorkQueue()
    start = _now()
    q.add_after(A, 5.0)
    assert len(q) == 0
    assert await q.get() == A
    assert _now() - start == pytest.approx(5.0)


@pytest.mark.looptime
@pytest.mark.parametrize("delays", [(10.0, 3.0), (3.0, 10.0)])
async def test_add_after_keeps_the_earliest_deadline_only(delays: tuple[float, float]) -> None:
    q = WorkQueue()
    start = _now()
    for delay in delays:
        q.add_after(A, delay)
    assert await q.get() == A
    assert _now() - start == pytest.approx(3.0)
    q.done(A)
    await advance_virtual_time(20)
    assert len(q) == 0  # the later deadline was dropped, not kept as a second add


@pytest.mark.looptime
async def test_add_after_of_a_queued_key_does_not_duplicate_it() -> None:
    q = WorkQueue()
    q.add(A)
    q.add_after(A, 1.0)
    await advance_virtual_time(2)
    assert len(q) == 1


def test_exponential_backoff_doubles_is_capped_and_reset_by_forget() -> None:
    limiter = ExponentialBackoff(base=0.005, cap=1.0, jitter=0.0)
    delays = [limiter.when(A) for _ in range(10)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert max(delays) == 1.0
    assert limiter.when(B) == 0.005  # per key
    assert limiter.retries(A) == 10
    limiter.forget(A)
    assert limiter.retries(A) == 0
    assert limiter.when(A) == 0.005


def test_exponential_backoff_jitter_stays_within_its_band_and_the_cap() -> None:
    limiter = ExponentialBackoff(base=1.0, cap=300.0, jitter=0.1, rng=random.Random(7))
    for n in range(12):
        delay = limiter.when(A)
        exact = min(2.0**n, 300.0)
        assert exact <= delay <= min(exact * 1.1, 300.0)


@pytest.mark.looptime
async def test_token_bucket_allows_the_burst_then_paces_at_qps() -> None:
    bucket = TokenBucket(qps=10.0, burst=100)
    assert all(bucket.when(A) == 0.0 for _ in range(100))
    assert bucket.when(A) == pytest.approx(0.1)
    assert bucket.when(A) == pytest.approx(0.2)
    await advance_virtual_time(10.2)  # repays the two reservations and refills the full burst
    assert all(bucket.when(B) == 0.0 for _ in range(100))


def test_the_default_limiter_takes_the_longer_of_backoff_and_bucket() -> None:
    now = [0.0]
    limiter = MaxOf(
        (ExponentialBackoff(jitter=0.0), TokenBucket(qps=1.0, burst=1, clock=lambda: now[0]))
    )
    assert limiter.when(A) == 0.005  # bucket has a token; backoff wins
    assert limiter.when(A) == pytest.approx(1.0)  # bucket empty: 1 s at 1 qps beats 10 ms
    limiter.forget(A)
    assert limiter.retries(A) == 0


@pytest.mark.looptime
async def test_add_rate_limited_waits_longer_each_time_until_forget() -> None:
    q = WorkQueue(rate_limiter=ExponentialBackoff(base=1.0, cap=60.0, jitter=0.0))
    waits = []
    for _ in range(4):
        start = _now()
        q.add_rate_limited(A)
        assert await q.get() == A
        q.done(A)
        waits.append(_now() - start)
    assert waits == pytest.approx([1.0, 2.0, 4.0, 8.0])
    assert q.retries(A) == 4
    q.forget(A)
    start = _now()
    q.add_rate_limited(A)
    await q.get()
    assert _now() - start == pytest.approx(1.0)


@pytest.mark.looptime
async def test_shutdown_wakes_getters_cancels_delayed_adds_and_ignores_new_keys() -> None:
    q = WorkQueue()
    q.add_after(A, 5.0)
    getter = asyncio.create_task(q.get())
    await advance_virtual_time(1)
    q.shutdown()
    with pytest.raises(QueueShutDownError):
        await getter
    q.add(B)
    await advance_virtual_time(10)
    assert len(q) == 0
    assert q.pending_delay(A) is None


@pytest.mark.looptime
async def test_a_cancelled_getter_passes_its_wakeup_on() -> None:
    q = WorkQueue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await advance_virtual_time(1)
    first.cancel()
    q.add(A)
    assert await second == A
    assert first.cancelled()
