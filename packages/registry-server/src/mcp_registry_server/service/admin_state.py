"""The admin API's shared state: live definitions, the write lock, and how a change is applied.

A change is persisted first (when the store keeps definitions), then swapped in, then handed
to the running parts: the sync engine (sources) and the catalog (registries, entry data).
Definitions another replica saved are applied the same way, without persisting (`reload`).
The running parts are brought from what they last followed without an error to the new
definitions, so a change whose hand-over failed halfway is redone: by the next change, by the
change feed (it calls `reload` again until it succeeds) or, for this replica's own saved
change, by a background catch-up with backoff.
A save is conditional on the revision this replica last saw: when another replica saved in
between, `write` adopts the stored definitions and runs the operation once more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

import structlog
from mcp_registry_common.config import ServerConfig, SourceConfig

from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.catchup import CatchUp
from mcp_registry_server.service.definitions import (
    Definitions,
    fetch_changed,
    merge_definitions,
)
from mcp_registry_server.service.engine import SyncEngineLike
from mcp_registry_server.service.errors import ConflictError, RuntimeUnavailableError
from mcp_registry_server.service.managed_entries import SERVER_KIND, EntriesChange, ManagedEntries
from mcp_registry_server.store.base import SourceData, Store
from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    ClaimMap,
    DefinitionsRevision,
    DefinitionStore,
    LoadedDefinitions,
    StoredDefinitions,
)
from mcp_registry_server.store.errors import DefinitionsConflictError

log = structlog.get_logger(__name__)
T = TypeVar("T")

Clock = Callable[[], datetime]
STARTING = "the server is starting: try again in a moment"
CONCURRENT_CHANGE = (
    "the definitions were changed by another replica at the same time: retry the request"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@runtime_checkable
class RuntimeSources(Protocol):
    """A sync engine that takes sources created and deleted at runtime."""

    async def add_source(
        self, config: SourceConfig, *, file_roots: Sequence[str] | None = None
    ) -> None:
        """Manage a new or changed source (whose local files must lie under `file_roots`,
        unless None)."""

    async def remove_source(self, source: str) -> None:
        """Stop managing a source and forget its stored data."""


class AdminState:
    """Owned by the app; `attach` once the store is open, before the sync engine is built."""

    def __init__(
        self,
        *,
        config: ServerConfig,
        catalog: Catalog,
        engine: Callable[[], SyncEngineLike | None],
        clock: Clock = utc_now,
        catch_up_after: float = 1.0,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.authz_enabled = config.auth.authz is not None
        """Claims are required on published entries (even in anonymous mode, as in ToolHive)."""
        self.lock = asyncio.Lock()
        """Serialises admin writes and reloads in this process (replicas coordinate through
        the store: conditional saves, and the change feed reports the others' saves)."""
        self.now = clock
        self.definitions = merge_definitions(config, StoredDefinitions(), now=clock())
        self.stored_revision = NEVER_SAVED
        """The revision of the stored definitions `definitions` was built on (the next save
        expects it)."""
        self._followed = self.definitions
        """The definitions the sync engine and the catalog were last brought to without an
        error (`apply` hands them the difference from these)."""
        self._engine = engine
        self._store: Store | None = None
        self.managed = ManagedEntries(catalog, clock)
        """The managed source's entries (a cache over the store)."""
        self._catch_up = CatchUp(
            self._follow_live, name="admin-definitions-catch-up", initial=catch_up_after
        )

    async def attach(self, store: Store) -> None:
        """Load the persisted definitions and the managed source's entries, then rebuild the
        catalog for the live registries."""
        stored = LoadedDefinitions(StoredDefinitions(), NEVER_SAVED)
        if isinstance(store, DefinitionStore):
            stored = await store.load_definitions()
        else:
            log.warning(
                "definitions_not_persisted",
                detail="this store keeps no admin definitions: API-created sources, "
                "registries and entry claims last until the process stops",
            )
        self.definitions = merge_definitions(self.config, stored.definitions, now=self.now())
        self.stored_revision = stored.revision
        self._store = store
        await self.managed.load(store, self.definitions.managed)
        await self.catalog.reconfigure(store, self.definitions.topology())
        self._followed = self.definitions  # the sync engine is built from them

    async def detach(self) -> None:
        await self._catch_up.stop()
        self._store = None

    def behind(self) -> bool:
        """True while the sync engine or the catalog have not followed the live definitions."""
        return self._followed is not self.definitions

    async def _follow_live(self) -> bool:
        """The catch-up's action: bring the running parts to the live definitions (done, too,
        once the store is detached: the next start builds everything from what is stored)."""
        async with self.lock:
            if self._store is None:
                return True
            if self.behind():
                await self.apply(self.definitions, persist=False)
            return not self.behind()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeUnavailableError(STARTING)
        return self._store

    def effective_config(self) -> ServerConfig:
        """The config with every live source and registry (the sync engine is built from it)."""
        return self.definitions.effective_config(self.config)

    def file_roots(self) -> dict[str, tuple[str, ...]]:
        """What the sync engine is built with besides `effective_config`: the roots each
        API-created source's local files must lie under."""
        return self.definitions.file_roots(self.config.sync)

    def running_engine(self) -> SyncEngineLike | None:
        """The sync engine, or None while the server starts or stops."""
        return self._engine()

    def engine(self) -> SyncEngineLike:
        """The sync engine (503 while the server starts or stops)."""
        engine = self._engine()
        if engine is None:
            raise RuntimeUnavailableError(STARTING)
        return engine

    def runtime_engine(self) -> RuntimeSources:
        """The engine, if it can take sources at runtime (503 otherwise)."""
        engine = self.engine()
        if not isinstance(engine, RuntimeSources):
            raise RuntimeUnavailableError("this server's sync engine cannot add sources at runtime")
        return engine

    async def write(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one admin write holding `lock`. When its save finds that another replica saved
        the definitions since this one last saw them (nothing was written), adopt the stored
        ones and run `operation` once more on them; a second such conflict is a 409."""
        async with self.lock:
            try:
                return await operation()
            except DefinitionsConflictError:
                log.info("definitions_conflict", revision=self.stored_revision, retry=True)
                await self._adopt_stored()
            try:
                return await operation()
            except DefinitionsConflictError as exc:
                log.info("definitions_conflict", revision=self.stored_revision, retry=False)
                await self._adopt_stored()
                raise ConflictError(CONCURRENT_CHANGE) from exc

    async def commit(self, definitions: Definitions) -> None:
        """Persist `definitions` (when the store can; DefinitionsConflictError, and nothing
        changed, if another replica saved first), then make them the live ones."""
        store = self.store
        if isinstance(store, DefinitionStore):
            self.stored_revision = await store.save_definitions(
                definitions.stored(), expected=self.stored_revision
            )
        self.definitions = definitions

    async def apply(self, definitions: Definitions, *, persist: bool = True) -> None:
        """Make `definitions` live (persisted first unless `persist` is False): the sync engine
        gains, re-fetches or loses each source whose definition changed beyond its claims, and
        the catalog follows the registries. Call it holding `lock`.

        The changes are counted from what the engine and the catalog last followed without an
        error, not from the live definitions: when a step raises (the database blinked), the
        next apply or reload does it again (the engine's add and remove may be repeated)."""
        old = self._followed
        sync = self.config.sync
        fetch = [
            (src.fetch_config(sync), src.file_roots(sync))
            for name, src in definitions.sources.items()
            if name not in old.sources or fetch_changed(old.sources[name].config, src.config)
        ]
        gone = [name for name in old.sources if name not in definitions.sources]
        engine: RuntimeSources | None = None
        if (fetch or gone) and (persist or self.running_engine() is not None):
            engine = self.runtime_engine()  # before persisting: 503 changes nothing
        if persist:
            await self.commit(definitions)
        else:
            self.definitions = definitions  # no engine yet: it will be built from these
        try:
            if engine is not None:
                for config, roots in fetch:
                    await engine.add_source(config, file_roots=roots)
                for name in gone:
                    await engine.remove_source(name)
                    self.managed.forget(name)
            if definitions.topology() != old.topology():
                await self.reconfigure_catalog()
        except Exception:
            if persist:  # saved: no other replica's feed will redo it for this one
                self._catch_up.start()
            raise
        self._followed = definitions

    async def reload(self) -> DefinitionsRevision:
        """Adopt the definitions stored now (another replica saved them): the store's change
        feed calls this and counts the returned revision, the one now applied, as seen (if
        this raises, nothing is counted and the feed calls again). Config-defined objects
        stay as they are."""
        store = self.store
        if not isinstance(store, DefinitionStore):
            return self.stored_revision
        async with self.lock:
            await self._adopt_stored()
            return self.stored_revision

    async def _adopt_stored(self) -> None:
        """`reload` holding `lock`: only what the committed definitions dropped is removed;
        `stored_revision` moves to the loaded revision once they are applied."""
        store = self.store
        if not isinstance(store, DefinitionStore):
            return
        loaded = await store.load_definitions()
        merged = merge_definitions(self.config, loaded.definitions, now=self.now())
        await self.apply(self.definitions.adopt(merged), persist=False)
        self.stored_revision = loaded.revision
        log.info(
            "definitions_reloaded",
            sources=len(self.definitions.sources),
            registries=len(self.definitions.registries),
            revision=self.definitions.revision,
            stored_revision=loaded.revision,
        )

    async def reconfigure_catalog(self) -> None:
        """Rebuild the catalog after registries were created, changed or deleted."""
        await self.catalog.reconfigure(self.store, self.definitions.topology())

    async def source_data(self, source: str) -> SourceData | None:
        """What the store holds for `source` (see `ManagedEntries.source_data`)."""
        return await self.managed.source_data(self.store, self.definitions, source)

    async def managed_entries(self, source: str, kind: str) -> list[Mapping[str, Any]]:
        """The managed source's documents of `kind` (see `ManagedEntries.entries`)."""
        return await self.managed.entries(self.store, self.definitions, source, kind)

    async def update_managed(
        self, source: str, change: EntriesChange, *, kind: str = SERVER_KIND
    ) -> Sequence[Mapping[str, Any]]:
        """The managed source's entries of `kind` replaced by `change(current)` (see
        `ManagedEntries.update`); the entries written."""
        return await self.managed.update(self.store, self.definitions, source, change, kind=kind)

    async def set_entry_claims(self, source: str, claims: Mapping[str, ClaimMap]) -> None:
        """Make `claims` (entry name -> claims) those of `source`'s entries, as its data says
        (a kubernetes source's authz-claims annotations); nothing is saved when unchanged."""

        async def change() -> None:
            wanted = {name: dict(value) for name, value in claims.items()}
            if dict(self.definitions.entry_claims.get(source, {})) == wanted:
                return
            entry_claims = {**self.definitions.entry_claims, source: wanted}
            await self.commit(self.definitions.evolve(entry_claims=entry_claims))

        await self.write(change)

    def forget_managed(self, source: str) -> None:
        """Drop the cached managed entries if they are `source`'s (see `ManagedEntries`)."""
        self.managed.forget(source)
