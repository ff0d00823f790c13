"""Admin writes racing another replica's save of the definitions: adopted and retried once,
then refused with 409 (a store double that lets "another replica" save before each save)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.definitions import (
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
