"""The one backoff: exponential from a base, capped, jittered; properties over all inputs."""

from __future__ import annotations

import asyncio
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp_registry_common.backoff import (
    BackoffPolicy,
    RetryWindow,
    equal_jitter,
    full_jitter,
    no_jitter,
    upward_jitter,
)
from mcp_registry_common.retrying import keep_trying

bases = st.floats(min_value=1e-3, max_value=100.0)
factors = st.floats(min_value=1.0, max_value=4.0)
caps = st.floats(min_value=1e-3, max_value=3600.0)
attempts = st.integers(min_value=1, max_value=10_000)
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
jitters = st.sampled_from([full_jitter, equal_jitter, no_jitter, upward_jitter(0.1)])


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (10_000, 60.0)],
)
def test_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert BackoffPolicy(base=1.0, cap=60.0).ceiling(attempt) == expected


def test_no_jitter_schedule_grows_then_caps() -> None:
    policy = BackoffPolicy(base=0.5, jitter=no_jitter)
    assert [policy.delay(n, 0.3, cap=5.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_full_jitter_spreads_over_the_whole_window() -> None:
    rng = random.Random(7)
    delays = [BackoffPolicy(base=1.0).delay(4, rng.random(), cap=300.0) for _ in range(500)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert max(delays) > 6.0
    assert min(delays) < 2.0


def test_a_misbehaving_jitter_cannot_leave_zero_to_cap() -> None:
    assert BackoffPolicy(base=1.0, jitter=lambda c, d: c * 10).delay(3, 0.5, cap=5.0) == 5.0
    assert BackoffPolicy(base=1.0, jitter=lambda c, d: -1.0).delay(3, 0.5) == 0.0


@given(bases, factors, caps, attempts, draws, jitters)
def test_delay_is_never_negative_nor_above_the_cap(
    base: float, factor: float, cap: float, attempt: int, draw: float, jitter: object
) -> None:
    policy = BackoffPolicy(base=base, factor=factor, cap=cap, jitter=jitter)  # type: ignore[arg-type]
    delay = policy.delay(attempt, draw)
    assert 0.0 <= delay <= cap
    assert math.isfinite(delay)


@given(bases, factors, caps, attempts)
def test_the_ceiling_never_shrinks_as_failures_add_up(
    base: float, factor: float, cap: float, attempt: int
) -> None:
    policy = BackoffPolicy(base=base, factor=factor, cap=cap)
    assert policy.ceiling(attempt) <= policy.ceiling(attempt + 1) <= cap


@given(bases, caps, attempts, draws)
def test_each_jitter_keeps_to_its_window(
    base: float, cap: float, attempt: int, draw: float
) -> None:
    ceiling = BackoffPolicy(base=base, cap=cap).ceiling(attempt)
    assert 0.0 <= BackoffPolicy(base=base, cap=cap).delay(attempt, draw) <= ceiling
    equal = BackoffPolicy(base=base, cap=cap, jitter=equal_jitter).delay(attempt, draw)
    assert ceiling / 2 <= equal <= ceiling
    upward = BackoffPolicy(base=base, cap=cap, jitter=upward_jitter(0.1)).delay(attempt, draw)
    assert min(ceiling, cap) <= upward <= min(ceiling * 1.1, cap) + 1e-9
    assert BackoffPolicy(base=base, cap=cap, jitter=no_jitter).delay(attempt, draw) == ceiling


@given(st.lists(draws, min_size=1, max_size=20), st.floats(min_value=0.0, max_value=1e6))
def test_a_retry_window_opens_after_the_delay_and_a_success_resets_it(
    draws_seen: list[float], now: float
) -> None:
    window = RetryWindow(BackoffPolicy(base=0.5, cap=30.0, jitter=equal_jitter))
    for failures, draw in enumerate(draws_seen, start=1):
        delay = window.failed(now, draw)
        assert window.failures == failures
        assert window.open(now + delay)
        assert delay >= 0.25  # equal jitter: at least half the first ceiling
        assert not window.open(now + delay / 2)
    window.succeeded()
    assert (window.failures, window.open(now)) == (0, True)


async def test_keep_trying_waits_the_policy_delay_after_each_failure() -> None:
    slept: list[float] = []
    seen: list[tuple[str, int, float]] = []
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise ConnectionError(f"down {calls}")
        return "up"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await keep_trying(
        flaky,
        policy=BackoffPolicy(base=1.0, cap=3.0, jitter=no_jitter),
        failed=lambda exc, n, delay: seen.append((str(exc), n, delay)),
        sleep=sleep,
    )
    assert result == "up"
    assert slept == [1.0, 2.0, 3.0]
    assert seen == [("down 1", 1, 1.0), ("down 2", 2, 2.0), ("down 3", 3, 3.0)]


async def test_keep_trying_never_retries_a_cancellation() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(keep_trying(forever, policy=BackoffPolicy(), failed=lambda *_: None))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
