"""The current snapshot of every registry, rebuilt from the store when a source's data changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import structlog

from mcp_registry_server.memtrim import release_free_memory
from mcp_registry_server.service.topology import Topology
from mcp_registry_server.snapshot import RegistrySnapshot, build_snapshot
from mcp_registry_server.store.base import SourceData, Store

log = structlog.get_logger(__name__)


class Catalog:
    """Holds one immutable `RegistrySnapshot` per configured registry (empty until refreshed).

    Readers call `snapshot()` and keep the object they got for the whole request; a refresh
    swaps in a new object and never changes an old one. Refreshes are serialised and always
    read the store afresh, so the last refresh reflects the newest stored data. Whatever was
    kept for a snapshot's ETag can go once it is replaced: `on_retired` callbacks are told.
    """

    def __init__(self, *, topology: Topology, clock: Callable[[], float] = time.time) -> None:
        if not topology.registries:
            raise ValueError("a catalog needs at least one registry")
        self.topology = topology
        self._registries = topology.registries
        self._clock = clock
        self._lock = asyncio.Lock()
        self._snapshots = {name: self._empty(name) for name in self._registries}
        self._inputs: dict[str, tuple[SourceData, ...]] = {}
        self._retired: list[Callable[[str], object]] = []

    def on_retired(self, callback: Callable[[str], object]) -> None:
        """Call `callback(etag)` whenever a snapshot with `etag` stops being served (replaced
        by one with another ETag, or its registry deleted)."""
        self._retired.append(callback)

    def _retire(self, old: RegistrySnapshot | None, new: RegistrySnapshot | None) -> None:
        if old is not None and (new is None or new.etag != old.etag):
            for callback in self._retired:
                callback(old.etag)

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

    def served_bytes(self) -> int:
        """Bytes of every registry's rendered entries."""
        return sum(snapshot.body_bytes for snapshot in self._snapshots.values())

    def inputs(self, registry: str) -> tuple[SourceData, ...]:
        """The source data the current snapshot of `registry` was built from, in priority order
        (claim-filtered views are assembled from it); empty before the first refresh."""
        return self._inputs.get(registry, ())

    async def reconfigure(self, store: Store, topology: Topology) -> None:
        """Serve `topology` from now on (registries created or deleted through the admin API):
        forget removed registries, then rebuild every registry from `store`."""
        if not topology.registries:
            raise ValueError("a catalog needs at least one registry")
        async with self._lock:
            self.topology = topology
            self._registries = topology.registries
            for gone in self._snapshots.keys() - self._registries.keys():
                self._retire(self._snapshots.pop(gone), None)
                self._inputs.pop(gone, None)
            for name in self._registries.keys() - self._snapshots.keys():
                self._snapshots[name] = self._empty(name)
        await self.refresh(store)

    async def refresh(self, store: Store, *, source: str | None = None) -> None:
        """Rebuild from `store` the registries that include `source` (all when None), and any
        other registry whose stored inputs changed since its snapshot was built.

        At start-up this serves persisted data; afterwards the sync engine's `on_change` and
        the replicas' change feed call it with the source whose data changed. A refresh reads
        every source, and a store shared by replicas counts what it read as seen; so a change
        of another source read along the way (written by another replica) is built now, or it
        would wait for that source's next change.
        """
        registries = [
            name for name, srcs in self._registries.items() if source is None or source in srcs
        ]
        if registries:
            await self._rebuild(store, registries)

    async def _rebuild(self, store: Store, registries: Sequence[str]) -> None:
        async with self._lock:
            stored = await store.load_sources(mark_seen=True)
            for registry, sources in self._registries.items():
                data = [stored[name] for name in sources if name in stored]
                if registry not in registries and _fingerprint(data) == _fingerprint(
                    self._inputs.get(registry, ())
                ):
                    continue
                started = time.perf_counter()
                snapshot = await asyncio.to_thread(
                    build_snapshot, registry=registry, sources=data, built_at=self._clock()
                )
                built_in = time.perf_counter() - started  # not the old snapshot's release
                self._retire(self._snapshots.get(registry), snapshot)
                self._snapshots[registry] = snapshot
                self._inputs[registry] = tuple(data)
                log.info(
                    "snapshot_built",
                    registry=registry,
                    servers=snapshot.server_count,
                    entries=len(snapshot.entries),
                    skipped=snapshot.skipped,
                    duration_ms=round(built_in * 1000, 1),
                )
        await asyncio.to_thread(release_free_memory)  # what the sync and the build freed

    def _empty(self, registry: str) -> RegistrySnapshot:
        return build_snapshot(registry=registry, sources=(), built_at=self._clock())


def _fingerprint(data: Sequence[SourceData]) -> list[tuple[str, str, datetime]]:
    """What identifies stored source data: every write of a source has a new sync time."""
    return [(item.source, item.content_hash, item.synced_at) for item in data]
