"""Admin definitions across replicas on one PostgreSQL database: sources, registries and claims
created, changed or deleted through one replica's admin API reach the others without a restart,
and writes on two replicas within the notification delay (definitions or published entries)
keep both."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mcp_registry_common.backoff import BackoffPolicy
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.store.postgres import (
    PostgresStore,
    StoreOptions,
    open_store,
    postgres_store_opener,
    resolve_settings,
)
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_testing.authz import AuthzServer, file_source, server, upstream_document
from mcp_registry_testing.oidc import OidcIssuer
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for
from pytest_aiohttp import AiohttpClient

pytestmark = pytest.mark.db

NOTIFY_ONLY = StoreOptions(backoff=BackoffPolicy(base=0.02, cap=0.3), poll_interval=600.0)
"""No poll within a test: whatever converges is carried by the NOTIFY."""
POLL_ONLY = StoreOptions(backoff=BackoffPolicy(base=0.02, cap=0.3), poll_interval=0.2)

Client = TestClient[Any, Any]


def anonymous_config(db: PgDatabase) -> ServerConfig:
    document = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous", "authz": {"roles": {"superAdmin": [{"role": "root"}]}}},
        "database": db.config_data(),
        "sync": {"adminSources": {"fileRoots": ["/"]}},  # the tests' files: anywhere
    }
    return load_server_config_data(document).config


@pytest.fixture
def replica(
    pg_db: PgDatabase, tmp_path: Path, aiohttp_client: AiohttpClient
) -> Callable[..., Awaitable[Client]]:
    async def start(config: ServerConfig, *, options: StoreOptions = NOTIFY_ONLY) -> Client:
        assert config.database is not None
        opener = postgres_store_opener(
            config.database, env=pg_db.env, home=tmp_path, options=options
        )
        return await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])

    return start


async def listed(client: Client, registry: str) -> list[str] | None:
    """The server names `registry` serves, or None while it is not served (404)."""
    response = await client.get(f"/registry/{registry}/v0.1/servers")
    if response.status == 404:
        return None
    assert response.status == 200, await response.text()
    return sorted(item["server"]["name"] for item in (await response.json())["servers"])


async def source_names(client: Client) -> list[tuple[str, str]]:
    body = await (await client.get("/v1/sources")).json()
    return [(item["name"], item["creationType"]) for item in body["sources"]]


async def test_sources_and_registries_created_and_deleted_on_one_replica_reach_another(
    pg_db: PgDatabase, tmp_path: Path, replica: Callable[..., Awaitable[Client]]
) -> None:
    config = anonymous_config(pg_db)
    first, second = await replica(config), await replica(config)
    data = tmp_path / "extra.json"
    data.write_text(json.dumps(upstream_document([server("io.acme/extra")])))
    source = {"file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}}
    assert (await first.put("/v1/sources/extra", json=source)).status == 201
    assert (await first.post("/v1/sources/extra/sync")).status == 200
    registry = {"sources": ["published", "extra"]}
    assert (await first.put("/v1/registries/api", json=registry)).status == 201

    async def second_serves_api() -> bool:
        return await listed(second, "api") == ["io.acme/extra"]

    await wait_for(second_serves_api, timeout=10, message="the new registry reached replica 2")
    assert await source_names(second) == [("published", "CONFIG"), ("extra", "API")]
    shown = await (await second.get("/v1/registries/api")).json()
    assert (shown["creationType"], shown["sources"]) == ("API", ["published", "extra"])

    assert (await first.delete("/v1/registries/api")).status == 204
    assert (await first.delete("/v1/sources/extra")).status == 204

    async def second_dropped_both() -> bool:
        return await listed(second, "api") is None and await source_names(second) == [
            ("published", "CONFIG")
        ]

    await wait_for(second_dropped_both, timeout=10, message="the deletions reached replica 2")
    assert await listed(second, "default") == []  # config-defined: untouched
    # Replica 2 now accepts a source of that name again, and replica 1 learns of it.
    assert (await second.put("/v1/sources/extra", json=source)).status == 201

    async def first_sees_it() -> bool:
        return ("extra", "API") in await source_names(first)

    await wait_for(first_sees_it, timeout=10, message="replica 2's source reached replica 1")


async def test_a_missed_notification_is_caught_up_by_the_revision_poll(
    pg_db: PgDatabase, tmp_path: Path, replica: Callable[..., Awaitable[Client]]
) -> None:
    """A save that sends no NOTIFY (as if it was lost during a reconnect) still converges."""
    config = anonymous_config(pg_db)
    second = await replica(config, options=POLL_ONLY)
    await bare_save(pg_db, tmp_path, stored_registries("side"))

    async def served() -> bool:
        return await listed(second, "side") == []

    await wait_for(served, timeout=10, message="the poll found the new definitions")


class LoadFailsOnce(PostgresStore):
    """A replica's store whose next read of the source data fails (the database blinked)."""

    fail_load = False

    async def load_sources(self, *, mark_seen: bool = False) -> dict[str, SourceData]:
        if self.fail_load:
            self.fail_load = False
            raise StoreUnavailableError("database unavailable: connection reset")
        return await super().load_sources(mark_seen=mark_seen)


async def test_definitions_whose_adoption_failed_halfway_are_adopted_at_the_next_poll(
    pg_db: PgDatabase,
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    replica: Callable[..., Awaitable[Client]],
) -> None:
    """Replica 2 adopts replica 1's new registry, but rebuilding its catalog fails: the change
    feed counts nothing as seen, and its next poll adopts the registry completely."""
    config = anonymous_config(pg_db)
    first = await replica(config)
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    flaky = await LoadFailsOnce.open(settings.app, options=POLL_ONLY)

    @contextlib.asynccontextmanager
    async def opener() -> AsyncIterator[PostgresStore]:
        yield flaky

    try:
        second = await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])
        registry = {"sources": ["published"]}
        assert (await first.put("/v1/registries/early", json=registry)).status == 201

        async def feed_delivered() -> bool:
            return await listed(second, "early") == []

        await wait_for(feed_delivered, timeout=10, message="the change feed reported a save")
        flaky.fail_load = True
        assert (await first.put("/v1/registries/side", json=registry)).status == 201

        async def side_served() -> bool:
            return await listed(second, "side") == []

        await wait_for(side_served, timeout=10, message="the next poll adopted the registry")
        assert not flaky.fail_load  # the failure did happen
        await second.close()
    finally:
        await flaky.close()


@pytest.fixture
async def issuer() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer() as idp:
        yield idp


async def test_a_claims_change_on_one_replica_changes_what_another_shows(
    pg_db: PgDatabase, tmp_path: Path, issuer: OidcIssuer, aiohttp_client: AiohttpClient
) -> None:
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    stores = [await open_store(settings, options=NOTIFY_ONLY) for _ in range(2)]
    first, second = AuthzServer(issuer, tmp_path), AuthzServer(issuer, tmp_path)
    try:
        tools = first.write_source("tools", [server("io.acme/deploy")])
        for replica, store in zip((first, second), stores, strict=True):
            replica.build_config(
                sources=[file_source("tools", tools, claims={"org": "acme"})],
                registries=[{"name": "default", "sources": ["tools"], "claims": {"org": "acme"}}],
            )
            await replica.start(aiohttp_client, store=store)
        await first.sync("tools")

        async def synced_data_served() -> bool:
            return await second.names("default", "acme-data") == [("io.acme/deploy", "1.0.0")]

        await wait_for(synced_data_served, timeout=10, message="the data reached replica 2")

        status, body = await first.call(
            "PUT",
            "/v1/registries/acme",
            "acme-admin",
            body={"sources": ["tools"], "claims": {"org": "acme"}},
        )
        assert status == 201, body

        async def acme_served() -> bool:
            status, _ = await second.call("GET", "/registry/acme/v0.1/servers", "acme-data")
            return status == 200

        await wait_for(acme_served, timeout=10, message="the new registry reached replica 2")
        status, _ = await second.call("GET", "/registry/acme/v0.1/servers", "globex-admin")
        assert status == 403

        # Narrow the registry to team platform: acme-data (team data) loses it on replica 2.
        narrowed = {"sources": ["tools"], "claims": {"org": "acme", "team": "platform"}}
        status, body = await first.call("PUT", "/v1/registries/acme", "acme-admin", body=narrowed)
        assert status == 200, body

        async def data_team_refused() -> bool:
            status, _ = await second.call("GET", "/registry/acme/v0.1/servers", "acme-data")
            return status == 403

        await wait_for(data_team_refused, timeout=10, message="the claims reached replica 2")
        assert await second.names("acme", "acme-writer") == [("io.acme/deploy", "1.0.0")]
        status, shown = await second.call("GET", "/v1/registries/acme", "acme-admin")
        assert (status, shown["claims"]) == (200, narrowed["claims"])
    finally:
        for replica in (first, second):
            if replica.client is not None:
                await replica.client.close()  # stop the apps before closing their stores
        for store in stores:
            await store.close()


async def test_sources_created_at_once_on_two_replicas_are_both_kept(
    pg_db: PgDatabase, tmp_path: Path, replica: Callable[..., Awaitable[Client]]
) -> None:
    """Replica 2 writes without waiting for replica 1's notification: its save either finds
    replica 1's (then it adopts it and saves again) or comes after it; nothing is lost."""
    config = anonymous_config(pg_db)
    first, second = await replica(config), await replica(config)
    data = tmp_path / "extra.json"
    data.write_text(json.dumps(upstream_document([server("io.acme/extra")])))
    source = {"file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}}
    assert (await first.put("/v1/sources/x", json=source)).status == 201
    assert (await second.put("/v1/sources/y", json=source)).status == 201
    both = [("published", "CONFIG"), ("x", "API"), ("y", "API")]
    assert await source_names(second) == both

    async def first_has_both() -> bool:
        return await source_names(first) == both

    await wait_for(first_has_both, timeout=10, message="replica 2's source reached replica 1")
    assert await source_names(second) == both  # replica 1's reload dropped nothing


async def bare_save(pg_db: PgDatabase, tmp_path: Path, stored: dict[str, Any]) -> None:
    """Save definitions as another replica would, but send no NOTIFY (as if it was lost)."""
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    conn = await connect(settings.app)
    try:
        await conn.execute(
            "INSERT INTO registry.definitions (singleton, document) VALUES (true, $1)"
            " ON CONFLICT (singleton) DO UPDATE SET document = EXCLUDED.document,"
            " revision = nextval('registry.revision_seq')",
            stored,
        )
    finally:
        await conn.close()


async def bare_publish(pg_db: PgDatabase, tmp_path: Path, name: str) -> None:
    """Write the managed source as another replica would, but send no NOTIFY yet (as if this
    replica's change feed had not handled it yet); `wake_feeds` sends one later."""
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    conn = await connect(settings.app)
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO registry.source (name, content_hash, synced_at, server_count)"
                " VALUES ('published', $1, now(), 1) ON CONFLICT (name) DO UPDATE SET"
                " content_hash = EXCLUDED.content_hash, synced_at = EXCLUDED.synced_at,"
                " server_count = 1, revision = nextval('registry.revision_seq')",
                f"hash-{name}",
            )
            await conn.execute("DELETE FROM registry.server WHERE source = 'published'")
            await conn.execute(
                "INSERT INTO registry.server (source, revision, position, name, version, body)"
                " SELECT 'published', revision, 0, $1, '1.0.0', $2 FROM registry.source"
                " WHERE name = 'published'",
                name,
                server(name),
            )
    finally:
        await conn.close()


async def wake_feeds(pg_db: PgDatabase, tmp_path: Path) -> None:
    """A notification that makes every replica's change feed re-read the revisions."""
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    conn = await connect(settings.app)
    try:
        await conn.execute("SELECT pg_notify('mcp_registry_changes', 'wake')")
    finally:
        await conn.close()


async def feed_has_read_revisions(pg_db: PgDatabase, tmp_path: Path) -> bool:
    """A change feed's connection has read the source revisions and waits (idle): a write
    made after this is news to it, not part of its first read."""
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    conn = await connect(settings.app)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle' AND query = $1",
            "SELECT name, revision FROM registry.source",
        )
    finally:
        await conn.close()
    return bool(count)


async def test_an_admin_read_does_not_hide_another_replicas_write_from_the_change_feed(
    pg_db: PgDatabase, tmp_path: Path, replica: Callable[..., Awaitable[Client]]
) -> None:
    """The admin API reads the managed source afresh; that read does not count another
    replica's write as seen, so the change feed still rebuilds the catalog for it."""
    config = anonymous_config(pg_db)
    client = await replica(config)
    assert await listed(client, "default") == []
    # The write must come after the feed's first read, or that read delivers it (the race
    # this test once lost: the catalog was rebuilt before "not notified yet" was checked).
    await wait_for(
        lambda: feed_has_read_revisions(pg_db, tmp_path),
        timeout=10,
        interval=0.05,
        message="the change feed never read the revisions",
    )
    await bare_publish(pg_db, tmp_path, "io.acme/x")
    response = await client.get("/v1/entries/server/io.acme%2Fnone/claims")
    assert response.status == 404  # read the managed source (another replica's entry in it)
    assert await listed(client, "default") == []  # not notified yet
    await wake_feeds(pg_db, tmp_path)

    async def served() -> bool:
        return await listed(client, "default") == ["io.acme/x"]

    await wait_for(served, timeout=10, message="the change feed rebuilt the catalog")


def stored_registries(*names: str) -> dict[str, Any]:
    """A definitions document with registries of the config's `published` source."""
    at = "2026-01-01T00:00:00+00:00"
    return {
        "sources": [],
        "registries": [
            {
                "name": name,
                "document": {"name": name, "sources": ["published"]},
                "createdAt": at,
                "updatedAt": at,
            }
            for name in names
        ],
        "entryClaims": {},
    }


async def test_a_save_over_definitions_this_replica_has_not_seen_adopts_them_first(
    pg_db: PgDatabase, tmp_path: Path, replica: Callable[..., Awaitable[Client]]
) -> None:
    """Deterministic: another replica's save is not notified and not polled for, so the
    replica's own save is the first to find it (a conflict), adopts it and saves again."""
    config = anonymous_config(pg_db)
    client, other = await replica(config), await replica(config)
    registry = {"sources": ["published"]}
    assert (await other.put("/v1/registries/early", json=registry)).status == 201

    async def feed_delivered() -> bool:  # so the change feed is listening from here on
        return await listed(client, "early") == []

    await wait_for(feed_delivered, timeout=10, message="the change feed reported a save")
    await bare_save(pg_db, tmp_path, stored_registries("early", "side"))
    assert await listed(client, "side") is None  # not seen: no NOTIFY, no poll
    assert (await client.put("/v1/registries/mine", json=registry)).status == 201
    everything = ["default", "early", "mine", "side"]
    for name in everything:
        assert await listed(client, name) == [], name
    shown = await (await client.get("/v1/registries")).json()
    assert sorted(r["name"] for r in shown["registries"]) == everything
    # What is stored holds them all: a replica starting now serves them.
    third = await replica(config)
    for name in everything:
        assert await listed(third, name) == [], name


async def test_entries_published_on_two_replicas_are_both_kept(
    pg_db: PgDatabase, replica: Callable[..., Awaitable[Client]]
) -> None:
    """Replica 2 publishes right after replica 1 without waiting for its notification."""
    config = anonymous_config(pg_db)
    first, second = await replica(config), await replica(config)
    for client in (first, second):
        assert await listed(client, "default") == []  # each cached the empty managed source
    for client, name in ((first, "io.acme/one"), (second, "io.acme/two")):
        publication = {"server": server(name), "claims": {"t": "a"}}
        response = await client.post("/v1/entries", json=publication)
        assert response.status == 201, await response.text()
    both = ["io.acme/one", "io.acme/two"]
    assert await listed(second, "default") == both

    async def first_serves_both() -> bool:
        return await listed(first, "default") == both

    await wait_for(first_serves_both, timeout=10, message="replica 2's entry reached replica 1")
    # Replica 1 publishes again on top of what replica 2 wrote: nothing is lost.
    publication = {"server": server("io.acme/three"), "claims": {"t": "a"}}
    assert (await first.post("/v1/entries", json=publication)).status == 201
    everything = sorted([*both, "io.acme/three"])
    assert await listed(first, "default") == everything

    async def second_serves_all() -> bool:
        return await listed(second, "default") == everything

    await wait_for(second_serves_all, timeout=10, message="replica 1's entry reached replica 2")


async def test_many_publishes_at_once_on_two_replicas_are_all_kept(
    pg_db: PgDatabase, replica: Callable[..., Awaitable[Client]]
) -> None:
    """Twenty new versions published at the same moment, half through each replica: each
    publish reads and rewrites the managed source under its lock, so none is lost."""
    config = anonymous_config(pg_db)
    first, second = await replica(config), await replica(config)
    names = ["io.acme/one", "io.acme/two"]
    for name in names:  # owned first (their claims are saved once, not raced for)
        publication = {"server": server(name, "0.0.1"), "claims": {"t": "a"}}
        assert (await first.post("/v1/entries", json=publication)).status == 201

    async def second_knows_the_owners() -> bool:
        return await listed(second, "default") == names

    await wait_for(second_knows_the_owners, timeout=10, message="the entries reached replica 2")
    versions = [(names[index % 2], f"1.0.{index}") for index in range(20)]

    async def publish(client: Client, name: str, version: str) -> int:
        publication = {"server": server(name, version), "claims": {"t": "a"}}
        response = await client.post("/v1/entries", json=publication)
        return response.status

    statuses = await asyncio.gather(
        *(
            publish((first, second)[index // 2 % 2], name, version)
            for index, (name, version) in enumerate(versions)
        )
    )
    assert statuses == [201] * len(versions)
    everything = sorted([(name, "0.0.1") for name in names] + versions)

    async def served_versions(client: Client) -> list[tuple[str, str]]:
        body = await (await client.get("/registry/default/v0.1/servers")).json()
        return sorted((s["server"]["name"], s["server"]["version"]) for s in body["servers"])

    for client in (first, second):

        async def all_served(client: Client = client) -> bool:
            return await served_versions(client) == everything

        await wait_for(all_served, timeout=10, message="every version is served by both")
