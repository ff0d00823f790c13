"""The admin state: definitions another replica saved are adopted completely, even when
handing them to the catalog failed the first time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp_registry_common.config import RegistryConfig, SourceConfig, load_server_config_data
from mcp_registry_server.service.admin_state import AdminState
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.definitions import Origin, RegistryDef, SourceDef
from mcp_registry_server.service.topology import Topology
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.definitions import NEVER_SAVED, StoredDefinitions, StoredObject
from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_testing.waiting import wait_for

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DOCUMENT = {
    "sources": [{"name": "published", "managed": {}}],
    "registries": [{"name": "default", "sources": ["published"]}],
    "auth": {"mode": "anonymous"},
}


class LoadFailsOnce(MemoryStore):
    """A store whose next read of the source data fails (the database blinked)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_load = False

    async def load_sources(self, *, mark_seen: bool = False) -> dict[str, SourceData]:
        if self.fail_load:
            self.fail_load = False
            raise StoreUnavailableError("database unavailable: connection reset")
        return await super().load_sources(mark_seen=mark_seen)


async def attached(
    store: MemoryStore, *, engine: Any = None, catch_up_after: float = 1.0
) -> tuple[AdminState, Catalog]:
    """An admin state for DOCUMENT, attached to `store`, and the catalog it serves."""
    catalog = Catalog(topology=Topology(registries={"default": ("published",)}, synced=frozenset()))
    config = load_server_config_data(DOCUMENT).config
    state = AdminState(
        config=config, catalog=catalog, engine=lambda: engine, catch_up_after=catch_up_after
    )
    await state.attach(store)
    return state, catalog


def served(catalog: Catalog, registry: str) -> int | None:
    snapshot = catalog.snapshot(registry)
    return None if snapshot is None else snapshot.server_count


async def test_a_reload_that_failed_halfway_is_completed_by_the_next_one() -> None:
    store = LoadFailsOnce()
    server = {"name": "io.acme/x", "description": "x", "version": "1.0.0"}
    await store.replace_source(SourceData("published", (server,), "h1", T0))
    state, catalog = await attached(store, engine=None)
    # Another replica saves a registry "side"; rebuilding the catalog for it fails once.
    side = StoredObject("side", {"name": "side", "sources": ["published"]}, T0, T0)
    saved = await store.save_definitions(
        StoredDefinitions(registries=(side,)), expected=NEVER_SAVED
    )
    store.fail_load = True
    with pytest.raises(StoreUnavailableError):
        await state.reload()
    assert state.stored_revision == NEVER_SAVED  # not applied: not counted as seen
    assert await state.reload() == saved  # the change feed calls again
    assert served(catalog, "side") == 1
    assert served(catalog, "default") == 1


async def test_a_saved_change_whose_hand_over_failed_is_caught_up_in_the_background() -> None:
    """This replica's own saved change: no change feed reports it back, so a background
    catch-up brings the catalog to it without waiting for the next admin change."""
    store = LoadFailsOnce()
    server = {"name": "io.acme/x", "description": "x", "version": "1.0.0"}
    await store.replace_source(SourceData("published", (server,), "h1", T0))
    state, catalog = await attached(store, engine=None, catch_up_after=0.01)
    side = RegistryDef(RegistryConfig(name="side", sources=["published"]), Origin.API, T0, T0)
    changed = state.definitions.evolve(registries={**state.definitions.registries, "side": side})
    store.fail_load = True
    try:
        async with state.lock:
            with pytest.raises(StoreUnavailableError):
                await state.apply(changed)
        assert state.behind()
        stored = (await store.load_definitions()).definitions
        assert [registry.name for registry in stored.registries] == ["side"]  # it was saved
        await wait_for(lambda: served(catalog, "side") == 1, timeout=5)
        await wait_for(lambda: not state.behind(), timeout=5)
    finally:
        await state.detach()


class AddFailsOnce:
    """A runtime sync engine whose first `add_source` fails (the database blinked)."""

    def __init__(self) -> None:
        self.added: list[str] = []
        self.failed = False

    async def add_source(
        self, config: SourceConfig, *, file_roots: Sequence[str] | None = None
    ) -> None:
        if not self.failed:
            self.failed = True
            raise StoreUnavailableError("database unavailable: connection reset")
        self.added.append(config.name)

    async def remove_source(self, source: str) -> None:
        raise AssertionError("nothing is removed here")


async def test_a_saved_source_the_engine_failed_to_take_is_given_to_it_again() -> None:
    store = MemoryStore()
    engine = AddFailsOnce()
    state, _catalog = await attached(store, engine=engine, catch_up_after=0.01)
    files = {
        **DOCUMENT,
        "sources": [
            *DOCUMENT["sources"],
            {"name": "files", "file": {"path": "x.json"}, "syncPolicy": {"interval": "1h"}},
        ],
    }
    source = load_server_config_data(files).config.sources[1]
    new = SourceDef(source, Origin.API, T0, T0)
    changed = state.definitions.evolve(sources={**state.definitions.sources, "files": new})
    try:
        async with state.lock:
            with pytest.raises(StoreUnavailableError):
                await state.apply(changed)
        await wait_for(lambda: engine.added == ["files"], timeout=5)
        await wait_for(lambda: not state.behind(), timeout=5)
    finally:
        await state.detach()


async def test_no_catch_up_starts_once_the_state_is_detached() -> None:
    store = LoadFailsOnce()
    state, _catalog = await attached(store, engine=None, catch_up_after=0.01)
    side = RegistryDef(RegistryConfig(name="side", sources=["published"]), Origin.API, T0, T0)
    changed = state.definitions.evolve(registries={**state.definitions.registries, "side": side})
    await state.detach()
    state._store = store  # a write still in flight when the app detached (a shutdown race)
    store.fail_load = True
    async with state.lock:
        with pytest.raises(StoreUnavailableError):
            await state.apply(changed)
    assert not state._catch_up.running
