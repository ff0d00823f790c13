"""The managed source's entries: what the admin API publishes, cached over the store.

The admin state hands definitions over to the running parts; this module only keeps the
managed source's data (servers, skills, plugins): loaded at start, read afresh from a store
shared by replicas, updated as one store update, and forgotten when its source is deleted or
another replica wrote it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mcp_registry_common.formats import ExtensionKind

from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.definitions import Definitions, Origin, SourceDef
from mcp_registry_server.store.base import SourceData, Store
from mcp_registry_server.store.capabilities import ChangeFeed
from mcp_registry_server.store.definitions import DefinitionStore

EntriesChange = Callable[[list[Mapping[str, Any]]], Sequence[Mapping[str, Any]]]
"""The managed source's new documents of one kind (server.json, skill or plugin) from its
current ones (it may raise)."""
SERVER_KIND = "server"
"""The kind of `SourceData.servers` (`ExtensionKind` names the others)."""


def managed_data(
    source: str,
    servers: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    skills: Sequence[Mapping[str, Any]] = (),
    plugins: Sequence[Mapping[str, Any]] = (),
) -> SourceData:
    """The managed source's data holding `servers` (and `skills`, `plugins`), hashed like a
    synced payload."""
    document: Any = list(servers)
    if skills or plugins:
        document = {"servers": document, "skills": list(skills), "plugins": list(plugins)}
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return SourceData(
        source=source,
        servers=tuple(servers),
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
        synced_at=now,
        skills=tuple(skills),
        plugins=tuple(plugins),
    )


def entries_of(data: SourceData | None, kind: str) -> list[Mapping[str, Any]]:
    """The documents of `kind` (`server`, `skill`, `plugin`) in `data` (none without data)."""
    if data is None:
        return []
    return list(data.servers if kind == SERVER_KIND else data.items(ExtensionKind(kind)))


def with_entries(
    source: str,
    current: SourceData | None,
    kind: str,
    docs: Sequence[Mapping[str, Any]],
    now: datetime,
) -> SourceData:
    """The managed source's data with its documents of `kind` replaced by `docs`."""
    parts = {k: entries_of(current, k) for k in (SERVER_KIND, *ExtensionKind)}
    parts[kind] = list(docs)
    return managed_data(
        source,
        parts[SERVER_KIND],
        now,
        skills=parts[ExtensionKind.SKILL],
        plugins=parts[ExtensionKind.PLUGIN],
    )


class ManagedEntries:
    """The managed source's data as last read or written by this replica (None: not cached)."""

    def __init__(self, catalog: Catalog, clock: Callable[[], datetime]) -> None:
        self._catalog = catalog
        self._now = clock
        self._data: SourceData | None = None

    async def load(self, store: Store, managed: SourceDef | None) -> None:
        """Cache the stored data of `managed` (the managed source's definition, if any)."""
        if managed is not None:
            self._data = (await store.load_sources()).get(managed.name)

    async def source_data(
        self, store: Store, definitions: Definitions, source: str
    ) -> SourceData | None:
        """What the store holds for `source`: from the catalog's inputs when a registry uses
        it (no store read), else from the store."""
        if self._data is not None and self._data.source == source:
            return self._data
        for registry in definitions.registries_using(source):
            for data in self._catalog.inputs(registry):
                if data.source == source:
                    return data
        return (await store.load_sources()).get(source)

    async def entries(
        self, store: Store, definitions: Definitions, source: str, kind: str
    ) -> list[Mapping[str, Any]]:
        """The managed source's documents of `kind` (empty when nothing was published),
        read afresh from a store shared by replicas: another one may have published since."""
        if isinstance(store, ChangeFeed):
            self._data = data = (await store.load_sources()).get(source)
        else:
            data = self._data
            if data is None or data.source != source:
                data = await self.source_data(store, definitions, source)
        return entries_of(data, kind)

    async def update(
        self,
        store: Store,
        definitions: Definitions,
        source: str,
        change: EntriesChange,
        *,
        kind: str = SERVER_KIND,
    ) -> Sequence[Mapping[str, Any]]:
        """Replace the managed source's entries of `kind` with `change(current ones)` as one
        store update (replicas' updates of the source never interleave: `change` sees the
        entries as they are now, and may raise to write nothing), then rebuild the registries
        that serve it; the entries written."""
        now = self._now()

        def apply(current: SourceData | None) -> SourceData:
            return with_entries(source, current, kind, change(entries_of(current, kind)), now)

        defined = definitions.sources.get(source)
        if isinstance(store, DefinitionStore) and defined and defined.origin is Origin.API:
            # Under the source's lock the stored definitions must still list it: a replica
            # that deleted it saved them first (then DefinitionsConflictError, and `write`
            # decides again on the stored ones), so no entry outlives its source.
            data = await store.update_source(source, apply, while_defined=True)
        else:
            data = await store.update_source(source, apply)
        self._data = data
        await self._catalog.refresh(store, source=source)
        return entries_of(data, kind)

    def forget(self, source: str) -> None:
        """Drop the cached entries if they are `source`'s (it was deleted, or another replica
        wrote it: the next read goes to the catalog or the store)."""
        if self._data is not None and self._data.source == source:
            self._data = None
