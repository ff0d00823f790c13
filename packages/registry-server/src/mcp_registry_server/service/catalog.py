"""The current snapshot of every registry, rebuilt from the store when a source's data changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence

import structlog

from mcp_registry_server.service.topology import Topology
from mcp_registry_server.snapshot import RegistrySnapshot, build_snapshot
from mcp_registry_server.store.base import Store

log = structlog.get_logger(__name__)


class Catalog:
    """Holds one immutable `RegistrySnapshot` per configured registry (empty until refreshed).

    Readers call `snapshot()` and keep the object they got for the whole request; a refresh
    swaps in a new object and never changes an old one. Refreshes are serialised and always
    read the store afresh, so the last refresh reflects the newest stored data.
    """

    def __init__(self, *, topology: Topology, clock: Callable[[], float] = time.time) -> None:
        if not topology.registries:
            raise ValueError("a catalog needs at least one registry")
        self.topology = topology
        self._registries = topology.registries
        self._clock = clock
        self._lock = asyncio.Lock()
        self._snapshots = {name: self._empty(name) for name in self._registries}

    @property
    def default_registry(self) -> str:
        """The registry the unscoped `/v0.1` and `/v0` routes serve."""
        return self.topology.default_registry

    @property
    def registries(self) -> Mapping[str, tuple[str, ...]]:
        """Registry name → its source names in priority order."""
        return self._registries

    def snapshot(self, registry: str) -> RegistrySnapshot | None:
        """The current snapshot of `registry`, or None when no such registry is configured."""
        return self._snapshots.get(registry)

    async def refresh(self, store: Store, *, source: str | None = None) -> None:
        """Rebuild from `store` the registries that include `source` (all when None).

        At start-up this serves persisted data; afterwards the sync engine's `on_change`
        calls it with the source whose data changed.
        """
        registries = [
            name for name, srcs in self._registries.items() if source is None or source in srcs
        ]
        if registries:
            await self._rebuild(store, registries)

    async def _rebuild(self, store: Store, registries: Sequence[str]) -> None:
        async with self._lock:
            stored = await store.load_sources()
            for registry in registries:
                data = [stored[name] for name in self._registries[registry] if name in stored]
                started = time.perf_counter()
                snapshot = await asyncio.to_thread(
                    build_snapshot, registry=registry, sources=data, built_at=self._clock()
                )
                self._snapshots[registry] = snapshot
                log.info(
                    "snapshot_built",
                    registry=registry,
                    servers=snapshot.server_count,
                    entries=len(snapshot.entries),
                    skipped=snapshot.skipped,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )

    def _empty(self, registry: str) -> RegistrySnapshot:
        return build_snapshot(registry=registry, sources=(), built_at=self._clock())
