"""A scripted stand-in for the registry sync engine: tests decide what each source holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.store.base import SourceData, SourceStatus, Store, SyncPhase
from mcp_registry_server.sync.errors import NotSyncableError, UnknownSourceError

OnChange = Callable[[str], Awaitable[None]]
FIXED_TIME = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)


def one_source_config(*registries: str, auth: Mapping[str, Any] | None = None) -> ServerConfig:
    """A config whose one file source `s` (published by hand through `FakeSyncEngine`) feeds
    each of `registries` (`default` when none is named); anonymous unless `auth` says."""
    document = {
        "sources": [{"name": "s", "file": {"path": "s.json"}, "syncPolicy": {"interval": "1h"}}],
        "registries": [{"name": name, "sources": ["s"]} for name in registries or ("default",)],
        "auth": dict(auth) if auth is not None else {"mode": "anonymous"},
    }
    return load_server_config_data(document).config


class FakeSyncEngine:
    """Fulfils the engine protocol `create_apps` expects, without fetching anything.

    `publish()` stores a source's servers and calls `on_change`, as a successful sync does;
    `fail()` records a failed attempt. `sync_now()` publishes what `stage()` queued for the
    source (or re-stamps its status) and counts the call.
    """

    def __init__(
        self,
        *,
        config: Any,
        store: Store,
        on_change: OnChange,
        http: Any = None,
        metrics: Any = None,
        file_roots: Any = None,
    ) -> None:
        self._store = store
        self._on_change = on_change
        self._kinds = {src.name: str(src.kind) for src in config.sources}
        self._synced = {src.name for src in config.sources if src.synced}
        self._statuses = {
            name: SourceStatus(
                name=name, phase=SyncPhase.SYNCING if name in self._synced else SyncPhase.COMPLETE
            )
            for name in self._kinds
        }
        self._staged: dict[str, Sequence[Mapping[str, Any]]] = {}
        self._has_data: set[str] = set()
        self.sync_calls: list[str] = []
        self.running = asyncio.Event()

    async def run(self) -> None:
        """Idle until cancelled (syncs happen only when a test asks)."""
        self.running.set()
        await asyncio.Event().wait()

    async def publish(
        self,
        source: str,
        servers: Sequence[Mapping[str, Any]],
        *,
        synced_at: datetime = FIXED_TIME,
    ) -> SourceStatus:
        """Store `servers` as `source`'s data, mark it synced and notify the read side."""
        self._check(source)
        data = SourceData(
            source=source,
            servers=list(servers),
            content_hash=f"h{len(servers)}",
            synced_at=synced_at,
        )
        await self._store.replace_source(data)
        self._has_data.add(source)
        status = SourceStatus(
            name=source,
            phase=SyncPhase.COMPLETE,
            last_attempt=synced_at,
            last_sync_time=synced_at,
            content_hash=data.content_hash,
            server_count=len(servers),
        )
        self._statuses[source] = status
        await self._store.save_status(status)
        await self._on_change(source)
        return status

    def fail(self, source: str, message: str, *, at: datetime = FIXED_TIME) -> SourceStatus:
        """Record a failed attempt for `source` (its served data, if any, stays)."""
        self._check(source)
        old = self._statuses[source]
        status = replace(
            old,
            phase=SyncPhase.FAILED,
            message=message,
            attempt_count=old.attempt_count + 1,
            last_attempt=at,
        )
        self._statuses[source] = status
        return status

    def stage(self, source: str, servers: Sequence[Mapping[str, Any]]) -> None:
        """What the next `sync_now(source)` will publish."""
        self._staged[source] = servers

    async def sync_now(self, source: str) -> SourceStatus:
        self._check(source)
        if source not in self._synced:
            raise NotSyncableError(source, self._kinds[source])
        self.sync_calls.append(source)
        staged = self._staged.pop(source, None)
        if staged is not None:
            return await self.publish(source, staged)
        return self._statuses[source]

    def statuses(self) -> list[SourceStatus]:
        return list(self._statuses.values())

    def ever_synced(self, source: str) -> bool:
        self._check(source)
        return source in self._has_data or source not in self._synced

    def entry_claims(self, source: str) -> Mapping[str, Mapping[str, Any]] | None:
        """No per-entry claims: nothing here watches a cluster."""
        return None

    def _check(self, source: str) -> None:
        if source not in self._kinds:
            raise UnknownSourceError(source)


class FakeEngineFactory:
    """An `engine_factory` for `create_apps` that remembers the engine it built."""

    def __init__(self) -> None:
        self._engine: FakeSyncEngine | None = None

    def __call__(self, **kwargs: Any) -> FakeSyncEngine:
        self._engine = FakeSyncEngine(**kwargs)
        return self._engine

    @property
    def engine(self) -> FakeSyncEngine:
        """The engine, once the public app has started."""
        if self._engine is None:
            raise RuntimeError("the app has not started: no engine was built yet")
        return self._engine
