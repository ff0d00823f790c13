"""Sync status transitions as pure functions: start, success and failure of one attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from mcp_registry_server.store.base import SourceData, SourceStatus, SyncPhase

WAITING_MESSAGE = "Waiting for the first sync"


class FailureStage(StrEnum):
    """Which step of an attempt failed; the status message and the metric label start with it."""

    CONFIG = "config"
    FETCH = "fetch"
    PARSE = "parse"
    VALIDATION = "validation"
    STORAGE = "storage"
    PUBLISH = "publish"
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    FailureStage.CONFIG: "Configuration error",
    FailureStage.FETCH: "Fetch failed",
    FailureStage.PARSE: "Parse failed",
    FailureStage.VALIDATION: "Validation failed",
    FailureStage.STORAGE: "Storage failed",
    FailureStage.PUBLISH: "Publish failed",
    FailureStage.INTERNAL: "Unexpected failure",
}


def initial_status(
    name: str,
    *,
    persisted: SourceStatus | None,
    data: SourceData | None,
    unsynced_message: str | None,
) -> SourceStatus:
    """The status a source starts with: persisted state if any, else derived from stored data.

    `unsynced_message` is set for managed/kubernetes sources, which are always Complete.
    """
    counts = data_counts(data)
    if unsynced_message is not None:
        return SourceStatus(name=name, phase=SyncPhase.COMPLETE, message=unsynced_message, **counts)
    if persisted is not None:
        return replace(persisted, name=name)
    if data is not None:
        return SourceStatus(
            name=name,
            phase=SyncPhase.COMPLETE,
            message="Loaded from the store",
            last_sync_time=data.synced_at,
            content_hash=data.content_hash,
            **counts,
        )
    return SourceStatus(name=name, phase=SyncPhase.SYNCING, message=WAITING_MESSAGE)


def attempt_started(status: SourceStatus, *, now: datetime, reason: str) -> SourceStatus:
    """Syncing, one more attempt, stamped with its start time."""
    return replace(
        status,
        phase=SyncPhase.SYNCING,
        message=f"Sync in progress ({reason})",
        attempt_count=status.attempt_count + 1,
        last_attempt=now,
    )


class Counts(TypedDict):
    """A status's counts of what is served."""

    server_count: int
    skill_count: int
    plugin_count: int


def data_counts(data: SourceData | None) -> Counts:
    """The status counts of `data`: servers, skills and plugins served (0 without data)."""
    if data is None:
        return {"server_count": 0, "skill_count": 0, "plugin_count": 0}
    return {
        "server_count": len(data.servers),
        "skill_count": len(data.skills),
        "plugin_count": len(data.plugins),
    }


def data_stored(
    status: SourceStatus,
    *,
    now: datetime,
    content_hash: str,
    filter_hash: str | None,
    data: SourceData,
) -> SourceStatus:
    """The store now holds new `data` (still mid-attempt: publishing may fail)."""
    return replace(
        status,
        content_hash=content_hash,
        filter_hash=filter_hash,
        last_sync_time=now,
        **data_counts(data),
    )


def attempt_succeeded(
    status: SourceStatus, *, now: datetime, changed: bool, skipped: Sequence[str] = ()
) -> SourceStatus:
    """Complete; the failure streak ends. `skipped` names what the source left out, and why."""
    message = "Sync completed successfully" if changed else "Sync completed: data unchanged"
    if skipped:
        message += f"; skipped {len(skipped)}: " + "; ".join(skipped)
    return replace(
        status, phase=SyncPhase.COMPLETE, message=message, attempt_count=0, last_sync_time=now
    )


def attempt_failed(status: SourceStatus, *, stage: FailureStage, error: str) -> SourceStatus:
    """Failed with what failed; hash, counts and last sync time still describe the served data."""
    return replace(status, phase=SyncPhase.FAILED, message=f"{stage.label}: {error}")
