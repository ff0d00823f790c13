"""The in-memory Store: source data, sync status and admin definitions, lost on restart."""

from __future__ import annotations

from mcp_registry_server.store.base import SourceChange, SourceData, SourceStatus, changed_data
from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    DefinitionsRevision,
    LoadedDefinitions,
    StoredDefinitions,
)
from mcp_registry_server.store.errors import DefinitionsConflictError
from mcp_registry_server.store.packed import packed


class MemoryStore:
    """A `Store` for one process without a database.

    Replacing a source swaps one dict value for an immutable `SourceData`, so a reader
    sees either the old data or the new data, never a mix: atomic by construction. Servers are
    kept packed (`PackedServers`: compact JSON, a fourth of their size as dicts). An update
    reads, calls its (synchronous) change and swaps without awaiting in between, so no other
    task's write can come between its read and its write.
    """

    def __init__(self) -> None:
        self._sources: dict[str, SourceData] = {}
        self._statuses: dict[str, SourceStatus] = {}
        self._definitions = LoadedDefinitions(StoredDefinitions(), NEVER_SAVED)

    async def replace_source(self, data: SourceData) -> None:
        """Atomically replace everything stored for `data.source`."""
        self._sources[data.source] = packed(data)

    async def update_source(
        self, source: str, change: SourceChange, *, while_defined: bool = False
    ) -> SourceData:
        """Replace `source`'s data with `change(current)` in one step; the new data (none,
        DefinitionsConflictError, if `while_defined` and the stored definitions lost it)."""
        stored = self._definitions.definitions.sources
        if while_defined and not any(item.name == source for item in stored):
            raise DefinitionsConflictError(f"source {source!r} was deleted by another replica")
        data = packed(changed_data(source, change, self._sources.get(source)))
        self._sources[source] = data
        return data

    async def delete_source(self, source: str) -> None:
        """Forget a source's data and status; unknown names are ignored."""
        self._sources.pop(source, None)
        self._statuses.pop(source, None)

    async def load_sources(self, *, mark_seen: bool = False) -> dict[str, SourceData]:
        """A copy of the source-name → data mapping (the values are immutable); there is no
        change feed, so `mark_seen` changes nothing."""
        return dict(self._sources)

    async def save_status(self, status: SourceStatus) -> None:
        """Persist one source's sync status."""
        self._statuses[status.name] = status

    async def load_statuses(self) -> dict[str, SourceStatus]:
        """A copy of the source-name → status mapping."""
        return dict(self._statuses)

    async def save_definitions(
        self, definitions: StoredDefinitions, *, expected: DefinitionsRevision
    ) -> DefinitionsRevision:
        """Replace the admin API's definitions (an immutable value: swapped, never shared) if
        they are still at `expected`; the new revision."""
        current = self._definitions.revision
        if current != expected:
            raise DefinitionsConflictError(
                f"the admin definitions were saved at revision {current}, not {expected}"
            )
        revision = DefinitionsRevision(current + 1)
        self._definitions = LoadedDefinitions(definitions, revision)
        return revision

    async def load_definitions(self) -> LoadedDefinitions:
        """The admin API's definitions; empty at `NEVER_SAVED` until saved."""
        return self._definitions
