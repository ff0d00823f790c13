"""Status transitions: what each step of an attempt keeps, sets and resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mcp_registry_server.store.base import SourceData, SourceStatus, SyncPhase
from mcp_registry_server.sync.status import (
    WAITING_MESSAGE,
    FailureStage,
    attempt_failed,
    attempt_started,
    attempt_succeeded,
    data_stored,
    initial_status,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SERVED = SourceStatus(
    name="s",
    phase=SyncPhase.COMPLETE,
    message="Sync completed successfully",
    last_attempt=T0,
    last_sync_time=T0,
    content_hash="old",
    filter_hash="fh",
    server_count=9,
)


def test_initial_status_variants() -> None:
    data = SourceData(source="s", servers=[{"name": "a/b"}], content_hash="h", synced_at=T0)
    fresh = initial_status("s", persisted=None, data=None, unsynced_message=None)
    assert (fresh.phase, fresh.message) == (SyncPhase.SYNCING, WAITING_MESSAGE)
    from_data = initial_status("s", persisted=None, data=data, unsynced_message=None)
    assert from_data.phase is SyncPhase.COMPLETE
    assert (from_data.content_hash, from_data.server_count, from_data.filter_hash) == ("h", 1, None)
    assert initial_status("s", persisted=SERVED, data=data, unsynced_message=None) == SERVED
    managed = initial_status("m", persisted=SERVED, data=data, unsynced_message="not synced (x)")
    assert (managed.phase, managed.message, managed.server_count) == (
        SyncPhase.COMPLETE,
        "not synced (x)",
        1,
    )


def test_failed_attempts_count_and_keep_the_served_data() -> None:
    status = SERVED
    for attempt in (1, 2, 3):
        now = T0 + timedelta(minutes=attempt)
        status = attempt_started(status, now=now, reason="interval-elapsed")
        assert status.phase is SyncPhase.SYNCING
        assert status.last_attempt == now
        status = attempt_failed(status, stage=FailureStage.FETCH, error="HTTP 500 for URL u")
        assert status.attempt_count == attempt
    assert status.phase is SyncPhase.FAILED
    assert status.message == "Fetch failed: HTTP 500 for URL u"
    assert (status.content_hash, status.filter_hash, status.server_count) == ("old", "fh", 9)
    assert status.last_sync_time == T0


def test_success_resets_the_streak() -> None:
    status = attempt_failed(
        attempt_started(SERVED, now=T0, reason="r"), stage=FailureStage.PARSE, error="x"
    )
    now = T0 + timedelta(hours=1)
    status = attempt_started(status, now=now, reason="retry-after-failure")
    data = SourceData(
        source="s",
        servers=[{"name": f"a/{i}"} for i in range(3)],
        content_hash="new",
        synced_at=now,
        skills=[{"namespace": "io.x", "name": "pdf"}],
        plugins=[{"namespace": "io.x", "name": "p1"}, {"namespace": "io.x", "name": "p2"}],
    )
    status = data_stored(status, now=now, content_hash="new", filter_hash="fh2", data=data)
    done = attempt_succeeded(status, now=now, changed=True)
    assert (done.phase, done.attempt_count, done.message) == (
        SyncPhase.COMPLETE,
        0,
        "Sync completed successfully",
    )
    assert (done.content_hash, done.filter_hash, done.server_count) == ("new", "fh2", 3)
    assert (done.skill_count, done.plugin_count) == (1, 2)
    unchanged = attempt_succeeded(SERVED, now=now, changed=False)
    assert unchanged.message == "Sync completed: data unchanged"
    assert unchanged.last_sync_time == now
    assert unchanged.content_hash == "old"


def test_every_stage_has_a_label() -> None:
    assert {stage.label.split()[0] for stage in FailureStage} >= {"Fetch", "Parse", "Storage"}
