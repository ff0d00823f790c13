"""The storage contract shared by the sync engine (writer) and the snapshot builder (reader)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from mcp_registry_common.formats import ExtensionKind


class SyncPhase(StrEnum):
    """Phase of one source's sync (the CR's syncStatus uses the same words)."""

    SYNCING = "Syncing"
    COMPLETE = "Complete"
    FAILED = "Failed"


@dataclass(frozen=True, slots=True)
class SourceData:
    """Everything one successful sync produced for one source, replaced as a unit."""

    source: str
    servers: Sequence[Mapping[str, Any]]
    """Upstream server.json objects, already converted and filtered."""
    content_hash: str
    """sha256 hex of the fetched payload (change detection)."""
    synced_at: datetime
    skills: Sequence[Mapping[str, Any]] = ()
    """ToolHive skill documents, already filtered (by `namespace/name`)."""
    plugins: Sequence[Mapping[str, Any]] = ()
    """ToolHive plugin documents, already filtered (by `namespace/name`)."""

    def items(self, kind: ExtensionKind) -> Sequence[Mapping[str, Any]]:
        """The skills or the plugins."""
        return self.skills if kind is ExtensionKind.SKILL else self.plugins


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """The persisted sync state of one source, as shown on the internal status endpoint."""

    name: str
    phase: SyncPhase
    message: str = ""
    attempt_count: int = 0
    """Consecutive failed attempts; reset to 0 by a success."""
    last_attempt: datetime | None = None
    last_sync_time: datetime | None = None
    """End of the last successful sync."""
    content_hash: str | None = None
    """Hash of the data currently served (kept across failures)."""
    filter_hash: str | None = None
    """Hash of the filter the served data was produced with; a change forces a re-sync."""
    server_count: int = 0
    """Servers served for this source, after filters."""
    skill_count: int = 0
    """Skills served for this source, after filters."""
    plugin_count: int = 0
    """Plugins served for this source, after filters."""


SourceChange = Callable[[SourceData | None], SourceData]
"""Computes a source's new data from what is stored for it now (None: nothing). It may raise
to write nothing (the error reaches the caller); it must only compute, no I/O: a store may
call it again after a retry on a fresh connection."""


class Store(Protocol):
    """Source of truth across restarts and replicas; snapshots are its read cache."""

    async def replace_source(self, data: SourceData) -> None:
        """Atomically replace everything stored for `data.source`."""

    async def update_source(
        self, source: str, change: SourceChange, *, while_defined: bool = False
    ) -> SourceData:
        """Read what is stored for `source`, store `change(current)` in its place and return it,
        as one step that excludes every other replace, update or delete of `source` (across all
        the processes sharing the store): a read-modify-write that never loses a concurrent one.
        With `while_defined` (an API-created source, which another replica may delete), nothing
        is written (DefinitionsConflictError) unless the stored admin definitions still list
        `source`: a replica deleting it saves them before it deletes the data."""

    async def delete_source(self, source: str) -> None:
        """Forget a source that left the configuration."""

    async def load_sources(self, *, mark_seen: bool = False) -> dict[str, SourceData]:
        """All stored source data, keyed by source name. With `mark_seen`, a store shared by
        replicas counts what it read as seen (its change feed reports only later writes):
        only a reader that builds everything it read, the catalog, may pass it."""

    async def save_status(self, status: SourceStatus) -> None:
        """Persist one source's sync status."""

    async def load_statuses(self) -> dict[str, SourceStatus]:
        """All persisted statuses, keyed by source name."""


def changed_data(source: str, change: SourceChange, current: SourceData | None) -> SourceData:
    """`change(current)`, checked to be data for `source` (an update cannot move data)."""
    data = change(current)
    if data.source != source:
        raise ValueError(f"an update of source {source!r} returned data for {data.source!r}")
    return data
