"""Retry delays: exponential, capped at the source's interval, full jitter within the ceiling."""

from __future__ import annotations

import random

import pytest
from mcp_registry_server.sync.backoff import BackoffPolicy, backoff_ceiling, full_jitter, no_jitter


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (10_000, 60.0)],
)
def test_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_ceiling(attempt, base=1.0, cap=60.0) == expected


def test_no_jitter_schedule_grows_then_caps() -> None:
    policy = BackoffPolicy(base=0.5, jitter=no_jitter)
    assert [policy.delay(n, cap=5.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_full_jitter_stays_within_the_ceiling() -> None:
    random.seed(7)
    draws = [BackoffPolicy(base=1.0).delay(4, cap=300.0) for _ in range(500)]
    assert all(0.0 <= d <= 8.0 for d in draws)
    assert max(draws) > 6.0, "spread over the whole range"
    assert min(draws) < 2.0


def test_a_misbehaving_jitter_cannot_exceed_the_cap() -> None:
    policy = BackoffPolicy(base=1.0, jitter=lambda ceiling: ceiling * 10)
    assert policy.delay(3, cap=5.0) == 5.0
    assert 0.0 <= full_jitter(0.0) <= 0.0
