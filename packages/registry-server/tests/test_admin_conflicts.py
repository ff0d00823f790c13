"""Admin writes racing another replica: a save of the definitions (adopted and retried once,
then refused with 409) or a write to a name being published (store doubles that let "another
replica" write first)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    DefinitionsRevision,
    StoredDefinitions,
    StoredObject,
)
from mcp_registry_server.store.memory import MemoryStore
from pytest_aiohttp import AiohttpClient

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class RacingStore(MemoryStore):
    """Before each of its first `races` saves, another writer saves a registry `side-<n>`."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races
        self.raced = 0

    async def save_definitions(
        self, definitions: StoredDefinitions, *, expected: DefinitionsRevision
    ) -> DefinitionsRevision:
        if self.raced < self.races:
            self.raced += 1
            current = await self.load_definitions()
            name = f"side-{self.raced}"
            side = StoredObject(name, {"name": name, "sources": ["published"]}, T0, T0)
            theirs = replace(
                current.definitions, registries=(*current.definitions.registries, side)
            )
            await super().save_definitions(theirs, expected=current.revision)
        return await super().save_definitions(definitions, expected=expected)


async def start(aiohttp_client: AiohttpClient, store: MemoryStore) -> Any:
    document = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous"},
    }
    config = load_server_config_data(document).config
    return await aiohttp_client(create_apps(config, store=store, run_sync=False)[0])


async def registry_names(client: Any) -> list[str]:
    body = await (await client.get("/v1/registries")).json()
    return sorted(item["name"] for item in body["registries"])


async def test_a_write_that_lost_a_race_adopts_the_winner_and_is_saved_on_top(
    aiohttp_client: AiohttpClient,
) -> None:
    store = RacingStore(races=1)
    client = await start(aiohttp_client, store)
    response = await client.put("/v1/registries/mine", json={"sources": ["published"]})
    assert response.status == 201, await response.text()
    assert await registry_names(client) == ["default", "mine", "side-1"]
    stored = (await store.load_definitions()).definitions
    assert [r.name for r in stored.registries] == ["side-1", "mine"]
    assert (await client.get("/registry/side-1/v0.1/servers")).status == 200


async def test_a_write_that_loses_twice_is_a_409_problem_and_changes_nothing(
    aiohttp_client: AiohttpClient,
) -> None:
    store = RacingStore(races=2)
    client = await start(aiohttp_client, store)
    response = await client.put("/v1/registries/mine", json={"sources": ["published"]})
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert (body["status"], body["title"]) == (409, "Conflict")
    assert "changed by another replica" in body["detail"]
    # This replica now holds what was stored (both winners), and a retry succeeds.
    assert await registry_names(client) == ["default", "side-1", "side-2"]
    response = await client.put("/v1/registries/mine", json={"sources": ["published"]})
    assert response.status == 201
    stored = (await store.load_definitions()).definitions
    assert [r.name for r in stored.registries] == ["side-1", "side-2", "mine"]


NAME = "io.acme/n"
Interleave = Callable[[MemoryStore], Awaitable[None]]


class InterleavingStore(MemoryStore):
    """A store shared with "another replica" (so the admin service reads it afresh, as with
    PostgreSQL) that runs `before_update`, that replica's write, once before the next update."""

    before_update: Interleave | None = None

    async def watch_changes(
        self,
        callback: Callable[[str], Awaitable[None]],
        *,
        on_definitions: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        await asyncio.Event().wait()  # no notifications: the races are what is tested

    async def update_source(
        self, source: str, change: Any, *, while_defined: bool = False
    ) -> SourceData:
        interleave, self.before_update = self.before_update, None
        if interleave is not None:
            await interleave(self)
        return await super().update_source(source, change, while_defined=while_defined)


def server(version: str) -> dict[str, Any]:
    return {"name": NAME, "description": NAME, "version": version}


async def stored(store: MemoryStore) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    claims = (await store.load_definitions()).definitions.entry_claims.get("published", {})
    data = (await store.load_sources()).get("published")
    versions = [(s["name"], s["version"]) for s in data.servers] if data else []
    return dict(claims), versions


async def test_claims_saved_by_a_publish_on_its_way_own_the_name(
    aiohttp_client: AiohttpClient,
) -> None:
    store = InterleavingStore()
    # another replica saved the name's claims; its entry is not written yet
    definitions = StoredDefinitions(entry_claims={"published": {NAME: {"team": "a"}}})
    await store.save_definitions(definitions, expected=NEVER_SAVED)
    client = await start(aiohttp_client, store)
    theirs = client.post("/v1/entries", json={"server": server("2.0.0"), "claims": {"team": "b"}})
    response = await theirs
    assert response.status == 409
    assert "claims mismatch" in (await response.json(content_type=None))["detail"]
    assert await stored(store) == ({NAME: {"team": "a"}}, [])  # nothing taken over
    same = {"server": server("2.0.0"), "claims": {"team": "a"}}
    assert (await client.post("/v1/entries", json=same)).status == 201  # the owner's claims


async def test_a_publish_whose_name_was_deleted_meanwhile_decides_again(
    aiohttp_client: AiohttpClient,
) -> None:
    store = InterleavingStore()
    client = await start(aiohttp_client, store)
    first = {"server": server("1.0.0"), "claims": {"team": "a"}}
    assert (await client.post("/v1/entries", json=first)).status == 201

    async def another_replica_deletes_the_last_version(store: MemoryStore) -> None:
        await MemoryStore.update_source(
            store, "published", lambda current: replace(current, servers=())
        )
        loaded = await store.load_definitions()
        forgotten = replace(loaded.definitions, entry_claims={})
        await store.save_definitions(forgotten, expected=loaded.revision)

    store.before_update = another_replica_deletes_the_last_version
    second = {"server": server("2.0.0"), "claims": {"team": "a"}}
    assert (await client.post("/v1/entries", json=second)).status == 201
    # published again as a new name: with its claims, never without them
    assert await stored(store) == ({NAME: {"team": "a"}}, [(NAME, "2.0.0")])


async def start_with_api_managed_source(aiohttp_client: AiohttpClient, store: MemoryStore) -> Any:
    """A server whose managed source `published` was created through the admin API."""
    document = {
        "sources": [
            {"name": "files", "file": {"path": "x.json"}, "syncPolicy": {"interval": "1h"}}
        ],
        "registries": [{"name": "default", "sources": ["files"]}],
        "auth": {"mode": "anonymous"},
    }
    config = load_server_config_data(document).config
    client = await aiohttp_client(create_apps(config, store=store, run_sync=False)[0])
    assert (await client.put("/v1/sources/published", json={"managed": {}})).status == 201
    return client


async def test_a_publish_racing_the_deletion_of_its_source_leaves_no_entry_behind(
    aiohttp_client: AiohttpClient,
) -> None:
    """Another replica deletes the API-created managed source (saving the definitions first,
    then deleting its data) just before this replica's publish writes: the write finds the
    source gone from the stored definitions, decides again on them, and there is nothing to
    publish to (409); no entry of the deleted source is left in the store."""
    store = InterleavingStore()
    client = await start_with_api_managed_source(aiohttp_client, store)

    async def another_replica_deletes_the_source(store: MemoryStore) -> None:
        loaded = await store.load_definitions()
        sources = tuple(s for s in loaded.definitions.sources if s.name != "published")
        await store.save_definitions(
            replace(loaded.definitions, sources=sources), expected=loaded.revision
        )
        await store.delete_source("published")

    store.before_update = another_replica_deletes_the_source
    response = await client.post("/v1/entries", json={"server": server("1.0.0")})
    assert response.status == 409, await response.text()
    assert "no managed source" in (await response.json(content_type=None))["detail"]
    assert "published" not in await store.load_sources()


async def test_an_unrelated_save_by_another_replica_does_not_fail_a_publish(
    aiohttp_client: AiohttpClient,
) -> None:
    store = InterleavingStore()
    client = await start_with_api_managed_source(aiohttp_client, store)
    assert (await client.post("/v1/entries", json={"server": server("1.0.0")})).status == 201

    async def another_replica_creates_a_registry(store: MemoryStore) -> None:
        loaded = await store.load_definitions()
        side = StoredObject("side", {"name": "side", "sources": ["files"]}, T0, T0)
        theirs = replace(loaded.definitions, registries=(*loaded.definitions.registries, side))
        await store.save_definitions(theirs, expected=loaded.revision)

    store.before_update = another_replica_creates_a_registry
    response = await client.post("/v1/entries", json={"server": server("2.0.0")})
    assert response.status == 201, await response.text()
    assert (await stored(store))[1] == [(NAME, "1.0.0"), (NAME, "2.0.0")]
