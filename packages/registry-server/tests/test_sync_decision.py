"""The should-sync policy: each rule, and the order in which the rules apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mcp_registry_server.store.base import SourceStatus, SyncPhase
from mcp_registry_server.sync.decision import SyncReason, decide, next_check

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FILTER = "f" * 64


def status(phase: SyncPhase = SyncPhase.COMPLETE, *, ago: timedelta | None = None) -> SourceStatus:
    return SourceStatus(
        name="s",
        phase=phase,
        last_attempt=None if ago is None else NOW - ago,
        content_hash="c" * 64,
        filter_hash=FILTER,
    )


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("unsynced kinds never sync", {"synced": False, "manual": True}, SyncReason.NOT_SYNCED),
        ("manual beats backoff", {"manual": True, "retry_at": NOW + HOUR}, SyncReason.MANUAL),
        ("backoff beats no data", {"has_data": False, "retry_at": NOW + HOUR}, SyncReason.BACKOFF),
        ("no data", {"has_data": False}, SyncReason.NEVER_SYNCED),
        ("backoff over", {"has_data": False, "retry_at": NOW}, SyncReason.NEVER_SYNCED),
        ("filter changed", {"filter_hash": "other"}, SyncReason.FILTER_CHANGED),
        ("backoff beats filter", {"filter_hash": "x", "retry_at": NOW + HOUR}, SyncReason.BACKOFF),
        ("up to date", {}, SyncReason.UP_TO_DATE),
    ],
)
def test_rules_in_order(case: str, kwargs: dict[str, object], expected: SyncReason) -> None:
    args: dict[str, object] = {"filter_hash": FILTER, "has_data": True} | kwargs
    got = decide(status(ago=timedelta(minutes=5)), now=NOW, interval=HOUR, **args)  # type: ignore[arg-type]
    assert got is expected, case


@pytest.mark.parametrize(
    ("phase", "ago", "expected"),
    [
        (SyncPhase.FAILED, timedelta(minutes=1), SyncReason.RETRY),
        (SyncPhase.SYNCING, timedelta(minutes=1), SyncReason.RETRY),  # orphaned by a restart
        (SyncPhase.COMPLETE, None, SyncReason.INTERVAL_ELAPSED),
        (SyncPhase.COMPLETE, HOUR, SyncReason.INTERVAL_ELAPSED),
        (SyncPhase.COMPLETE, HOUR - timedelta(seconds=1), SyncReason.UP_TO_DATE),
    ],
)
def test_phase_and_interval(phase: SyncPhase, ago: timedelta | None, expected: SyncReason) -> None:
    got = decide(status(phase, ago=ago), now=NOW, interval=HOUR, filter_hash=FILTER, has_data=True)
    assert got is expected


def test_should_sync_splits_the_enum() -> None:
    syncing = {r for r in SyncReason if r.should_sync}
    assert syncing == {
        SyncReason.MANUAL,
        SyncReason.SOURCE_CHANGED,
        SyncReason.NEVER_SYNCED,
        SyncReason.FILTER_CHANGED,
        SyncReason.RETRY,
        SyncReason.INTERVAL_ELAPSED,
    }


def test_next_check() -> None:
    st = status(ago=timedelta(minutes=10))
    kw = {"now": NOW, "interval": HOUR}
    assert next_check(SyncReason.RETRY, st, retry_at=None, **kw) == NOW  # type: ignore[arg-type]
    at = next_check(SyncReason.UP_TO_DATE, st, retry_at=None, **kw)  # type: ignore[arg-type]
    assert at == NOW + timedelta(minutes=50)
    retry = NOW + timedelta(seconds=8)
    assert next_check(SyncReason.BACKOFF, st, retry_at=retry, **kw) == retry  # type: ignore[arg-type]
    assert next_check(SyncReason.NOT_SYNCED, st, retry_at=None, **kw) is None  # type: ignore[arg-type]


def test_a_change_a_watched_source_reports_always_syncs() -> None:
    fresh = status(SyncPhase.COMPLETE, ago=timedelta(seconds=1))
    common = {"now": NOW, "interval": HOUR, "filter_hash": FILTER, "has_data": True}
    assert decide(fresh, **common, synced=False) is SyncReason.NOT_SYNCED
    assert decide(fresh, **common, synced=False, pushed=True) is SyncReason.SOURCE_CHANGED
