"""Whether a source should sync now, and why: one enum carries both (house style §6.17)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from mcp_registry_server.store.base import SourceStatus, SyncPhase


class SyncReason(StrEnum):
    """The decision and its reason; `should_sync` tells which half of the enum a member is in."""

    MANUAL = "manual"
    SOURCE_CHANGED = "source-changed"
    """A watched source (kubernetes) reported a change."""
    NEVER_SYNCED = "never-synced"
    FILTER_CHANGED = "filter-changed"
    RETRY = "retry-after-failure"
    INTERVAL_ELAPSED = "interval-elapsed"
    BACKOFF = "backoff"
    UP_TO_DATE = "up-to-date"
    NOT_SYNCED = "not-synced"

    @property
    def should_sync(self) -> bool:
        return self in _SYNC


_SYNC = frozenset(
    {
        SyncReason.MANUAL,
        SyncReason.SOURCE_CHANGED,
        SyncReason.NEVER_SYNCED,
        SyncReason.FILTER_CHANGED,
        SyncReason.RETRY,
        SyncReason.INTERVAL_ELAPSED,
    }
)


def decide(
    status: SourceStatus,
    *,
    now: datetime,
    interval: timedelta,
    filter_hash: str | None,
    has_data: bool,
    retry_at: datetime | None = None,
    manual: bool = False,
    synced: bool = True,
    pushed: bool = False,
) -> SyncReason:
    """The first rule that applies wins; the order is the policy.

    A change a watched source reports always syncs (it is never scheduled otherwise); a
    manual request always syncs; a failed source waits out its backoff (so a failing filter
    change cannot bypass it); then missing data, a changed filter, a previous failure (also an
    attempt orphaned by a restart) and an elapsed interval each trigger a sync.
    """
    if pushed:
        return SyncReason.SOURCE_CHANGED
    if not synced:
        return SyncReason.NOT_SYNCED
    if manual:
        return SyncReason.MANUAL
    if retry_at is not None and now < retry_at:
        return SyncReason.BACKOFF
    if not has_data:
        return SyncReason.NEVER_SYNCED
    if filter_hash != status.filter_hash:
        return SyncReason.FILTER_CHANGED
    if status.phase is not SyncPhase.COMPLETE:
        return SyncReason.RETRY
    if status.last_attempt is None or now >= status.last_attempt + interval:
        return SyncReason.INTERVAL_ELAPSED
    return SyncReason.UP_TO_DATE


def next_check(
    reason: SyncReason,
    status: SourceStatus,
    *,
    now: datetime,
    interval: timedelta,
    retry_at: datetime | None,
) -> datetime | None:
    """When `decide` may answer differently without outside events; None means never."""
    if reason.should_sync:
        return now
    if reason is SyncReason.BACKOFF:
        return retry_at
    if reason is SyncReason.UP_TO_DATE and status.last_attempt is not None:
        return status.last_attempt + interval
    return None
