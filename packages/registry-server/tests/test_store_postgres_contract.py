"""The Store protocol behaves the same on PostgreSQL as in memory (shared behavioural tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_server.store.base import SourceData, SourceStatus, Store, SyncPhase
from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    DefinitionStore,
    LoadedDefinitions,
    StoredDefinitions,
    StoredObject,
)
from mcp_registry_server.store.errors import (
    DefinitionsConflictError,
    StoreError,
    StoreUnavailableError,
)
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.store.postgres import StoreOptions, open_store, resolve_settings
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_testing.postgres import PgDatabase

T0 = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def server(name: str, version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": name,
        "description": f"{name} server",
        "version": version,
        **extra,
    }


def data(source: str, servers: Sequence[Mapping[str, Any]], digest: str = "h1") -> SourceData:
    return SourceData(source=source, servers=tuple(servers), content_hash=digest, synced_at=T0)


def same(left: SourceData, right: SourceData) -> bool:
    """Equal as the snapshot builder sees them (list vs tuple of the same dicts is equal)."""
    return (
        left.source == right.source
        and [dict(s) for s in left.servers] == [dict(s) for s in right.servers]
        and left.content_hash == right.content_hash
        and left.synced_at == right.synced_at
    )


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.db)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    db: PgDatabase = request.getfixturevalue("pg_db")
    opened = await open_store(resolve_settings(db.config(), env=db.env, home=tmp_path))
    try:
        yield opened
    finally:
        await opened.close()


async def test_empty(store: Store) -> None:
    assert await store.load_sources() == {}
    assert await store.load_statuses() == {}


async def test_replace_then_load_round_trips(store: Store) -> None:
    rich = server(
        "io.github.example/ünïcode",
        title='Ünïcode ✓ "quoted" \\ back',
        packages=[{"registryType": "npm", "identifier": "@x/y", "version": "1.2.3"}],
        _meta={
            "io.modelcontextprotocol.registry/publisher-provided": {
                "io.github.stacklok": {"x/y": {"tags": ["a", "b"], "stars": 3, "ok": True}}
            }
        },
        remotes=[],
        nested={"null": None, "float": 1.5, "big": 2**53},
    )
    written = data("src", [rich, server("b/two")])
    await store.replace_source(written)
    loaded = await store.load_sources()
    assert list(loaded) == ["src"]
    assert same(loaded["src"], written)


async def test_server_order_is_kept(store: Store) -> None:
    names = [f"z/{i:03d}" for i in reversed(range(50))]
    await store.replace_source(data("src", [server(n) for n in names]))
    loaded = await store.load_sources()
    assert [s["name"] for s in loaded["src"].servers] == names


async def test_duplicates_and_versions_are_stored_as_given(store: Store) -> None:
    servers = [server("a/x", "1.0.0"), server("a/x", "2.0.0"), server("a/x", "1.0.0")]
    await store.replace_source(data("src", servers))
    loaded = (await store.load_sources())["src"]
    assert [(s["name"], s["version"]) for s in loaded.servers] == [
        ("a/x", "1.0.0"),
        ("a/x", "2.0.0"),
        ("a/x", "1.0.0"),
    ]


async def test_replace_replaces_everything_for_the_source(store: Store) -> None:
    await store.replace_source(data("src", [server("a/1"), server("a/2"), server("a/3")]))
    newer = SourceData(
        source="src",
        servers=(server("b/1"),),
        content_hash="h2",
        synced_at=T0 + timedelta(hours=1),
    )
    await store.replace_source(newer)
    assert same((await store.load_sources())["src"], newer)


async def test_sources_are_independent(store: Store) -> None:
    first, second = data("one", [server("a/1")]), data("two", [server("b/1"), server("b/2")])
    await store.replace_source(first)
    await store.replace_source(second)
    await store.replace_source(data("one", [server("a/9")], digest="h9"))
    loaded = await store.load_sources()
    assert same(loaded["two"], second)
    assert [s["name"] for s in loaded["one"].servers] == ["a/9"]


async def test_empty_source_is_kept(store: Store) -> None:
    await store.replace_source(data("src", [server("a/1")]))
    await store.replace_source(data("src", [], digest="empty"))
    loaded = await store.load_sources()
    assert same(loaded["src"], data("src", [], digest="empty"))


def appending(*servers: Mapping[str, Any], seen: list[SourceData | None] | None = None) -> Any:
    """A change that adds `servers` to what is stored (recording what it was given)."""

    def change(current: SourceData | None) -> SourceData:
        if seen is not None:
            seen.append(current)
        before = tuple(current.servers) if current is not None else ()
        return data("src", [*before, *servers], digest=f"h{len(before) + len(servers)}")

    return change


async def test_update_creates_then_changes_what_is_stored(store: Store) -> None:
    seen: list[SourceData | None] = []
    first = await store.update_source("src", appending(server("a/1"), seen=seen))
    assert seen == [None]
    assert same(first, data("src", [server("a/1")], digest="h1"))
    second = await store.update_source("src", appending(server("a/2"), seen=seen))
    assert seen[1] is not None
    assert same(seen[1], first)  # the change saw what is stored
    assert same(second, data("src", [server("a/1"), server("a/2")], digest="h2"))
    assert same((await store.load_sources())["src"], second)


async def test_update_sees_a_replace_and_leaves_other_sources_alone(store: Store) -> None:
    await store.replace_source(data("src", [server("a/1")]))
    await store.replace_source(data("other", [server("b/1")]))
    await store.update_source("src", appending(server("a/2")))
    loaded = await store.load_sources()
    assert [s["name"] for s in loaded["src"].servers] == ["a/1", "a/2"]
    assert same(loaded["other"], data("other", [server("b/1")]))


class Refused(Exception):
    """An error of the caller's own, raised by a change function."""


async def test_a_change_that_raises_writes_nothing_and_its_error_reaches_the_caller(
    store: Store,
) -> None:
    await store.replace_source(data("src", [server("a/1")]))

    def refuse(current: SourceData | None) -> SourceData:
        raise Refused("version already exists")

    with pytest.raises(Refused, match="version already exists"):
        await store.update_source("src", refuse)
    with pytest.raises(ValueError, match="returned data for 'elsewhere'"):
        await store.update_source("src", lambda current: data("elsewhere", []))
    assert set(await store.load_sources()) == {"src"}
    assert same((await store.load_sources())["src"], data("src", [server("a/1")]))


async def test_an_update_while_defined_writes_only_while_the_definitions_list_the_source(
    store: Store,
) -> None:
    assert isinstance(store, DefinitionStore)
    with pytest.raises(DefinitionsConflictError):  # nothing saved yet: not defined
        await store.update_source("src", appending(server("a/1")), while_defined=True)
    assert "src" not in await store.load_sources()
    listed = StoredDefinitions(sources=(StoredObject("src", {"name": "src"}, T0, T0),))
    saved = await store.save_definitions(listed, expected=NEVER_SAVED)
    first = await store.update_source("src", appending(server("a/1")), while_defined=True)
    await store.save_definitions(registry_only("unrelated"), expected=saved)  # src deleted
    with pytest.raises(DefinitionsConflictError):
        await store.update_source("src", appending(server("a/2")), while_defined=True)
    assert same((await store.load_sources())["src"], first)
    await store.update_source("src", appending(server("a/2")))  # unbound: as before
    assert [s["name"] for s in (await store.load_sources())["src"].servers] == ["a/1", "a/2"]


def status(name: str, **overrides: Any) -> SourceStatus:
    fields: dict[str, Any] = {
        "name": name,
        "phase": SyncPhase.COMPLETE,
        "message": "Sync completed successfully",
        "attempt_count": 0,
        "last_attempt": T0,
        "last_sync_time": T0 + timedelta(seconds=2),
        "content_hash": "h1",
        "filter_hash": "f1",
        "server_count": 2,
    }
    return SourceStatus(**{**fields, **overrides})


@pytest.mark.parametrize(
    "saved",
    [
        status("src"),
        status("src", phase=SyncPhase.FAILED, message="Fetch failed: 404", attempt_count=3),
        status(
            "src",
            phase=SyncPhase.SYNCING,
            message="",
            last_attempt=None,
            last_sync_time=None,
            content_hash=None,
            filter_hash=None,
            server_count=0,
        ),
    ],
)
async def test_status_round_trips(store: Store, saved: SourceStatus) -> None:
    await store.save_status(saved)
    assert await store.load_statuses() == {"src": saved}


async def test_status_is_overwritten_and_independent_of_data(store: Store) -> None:
    await store.save_status(status("a", phase=SyncPhase.SYNCING))
    await store.save_status(status("a", phase=SyncPhase.FAILED, attempt_count=1))
    await store.save_status(status("b"))
    statuses = await store.load_statuses()
    assert statuses["a"] == status("a", phase=SyncPhase.FAILED, attempt_count=1)
    assert set(statuses) == {"a", "b"}
    assert await store.load_sources() == {}


async def test_delete_forgets_data_and_status(store: Store) -> None:
    await store.replace_source(data("gone", [server("a/1")]))
    await store.save_status(status("gone"))
    await store.replace_source(data("kept", [server("b/1")]))
    await store.save_status(status("kept"))
    await store.delete_source("gone")
    await store.delete_source("never-existed")
    assert set(await store.load_sources()) == {"kept"}
    assert set(await store.load_statuses()) == {"kept"}


async def test_admin_definitions_round_trip(store: Store) -> None:
    assert isinstance(store, DefinitionStore)
    assert await store.load_definitions() == LoadedDefinitions(StoredDefinitions(), NEVER_SAVED)
    later = T0 + timedelta(minutes=5)
    definitions = StoredDefinitions(
        sources=(
            StoredObject(
                "api-src",
                {"name": "api-src", "api": {"endpoint": "https://r.example"}, "format": "upstream"},
                T0,
                later,
            ),
        ),
        registries=(StoredObject("team", {"name": "team", "sources": ["api-src"]}, T0, T0),),
        entry_claims={"managed": {"io.x/y": {"team": ["a", "b"], "org": "acme"}}},
    )
    first = await store.save_definitions(definitions, expected=NEVER_SAVED)
    assert await store.load_definitions() == LoadedDefinitions(definitions, first)
    second = await store.save_definitions(StoredDefinitions(), expected=first)
    assert second > first
    assert await store.load_definitions() == LoadedDefinitions(StoredDefinitions(), second)


def registry_only(name: str) -> StoredDefinitions:
    return StoredDefinitions(
        registries=(StoredObject(name, {"name": name, "sources": ["s"]}, T0, T0),)
    )


async def test_definitions_save_only_over_the_expected_revision(store: Store) -> None:
    """A save over a revision someone else already replaced is refused and changes nothing."""
    assert isinstance(store, DefinitionStore)
    first = await store.save_definitions(registry_only("one"), expected=NEVER_SAVED)
    with pytest.raises(DefinitionsConflictError):  # someone saved first: not "never saved"
        await store.save_definitions(registry_only("lost"), expected=NEVER_SAVED)
    second = await store.save_definitions(registry_only("two"), expected=first)
    with pytest.raises(DefinitionsConflictError):  # saved on top of `first`, stale now
        await store.save_definitions(registry_only("lost"), expected=first)
    assert await store.load_definitions() == LoadedDefinitions(registry_only("two"), second)
    third = await store.save_definitions(registry_only("three"), expected=second)
    assert third > second


@pytest.mark.db
@pytest.mark.parametrize("stored_before", [False, True])
async def test_concurrent_definition_saves_from_two_replicas_one_wins(
    pg_db: PgDatabase, tmp_path: Path, stored_before: bool
) -> None:
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    stores = [await open_store(settings) for _ in range(2)]
    try:
        base = NEVER_SAVED
        if stored_before:
            base = await stores[0].save_definitions(registry_only("base"), expected=NEVER_SAVED)
        outcomes = await asyncio.gather(
            *(
                replica.save_definitions(registry_only(f"r{index}"), expected=base)
                for index, replica in enumerate(stores)
            ),
            return_exceptions=True,
        )
        won = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, int)]
        lost = [o for o in outcomes if isinstance(o, DefinitionsConflictError)]
        assert (len(won), len(lost)) == (1, 1), outcomes
        loaded = await stores[1].load_definitions()
        assert loaded == LoadedDefinitions(registry_only(f"r{won[0]}"), outcomes[won[0]])
    finally:
        for opened in stores:
            await opened.close()


@pytest.mark.db
async def test_writes_that_may_have_committed_are_not_retried(
    pg_db: PgDatabase, tmp_path: Path
) -> None:
    """An update or a definitions save whose connection timed out fails as unavailable at
    once (a retry could apply a committed change twice); a replace is still retried."""
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    options = StoreOptions(operation_timeout=0.3)
    store = await open_store(settings, options=options)
    blocker = await connect(settings.app)
    calls: list[SourceData | None] = []

    def change(current: SourceData | None) -> SourceData:
        calls.append(current)
        return data("published", [server("io.acme/b")])

    try:
        await store.replace_source(data("published", [server("io.acme/a")]))
        saved = await store.save_definitions(registry_only("one"), expected=NEVER_SAVED)
        async with blocker.transaction():  # holds the source's lock and the definitions row
            await blocker.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))", 0x6D637372, "published"
            )
            await blocker.execute("SELECT * FROM registry.definitions FOR UPDATE")
            with pytest.raises(StoreUnavailableError, match="may have been applied"):
                await store.update_source("published", change)
            with pytest.raises(StoreUnavailableError, match="may have been applied"):
                await store.save_definitions(registry_only("two"), expected=saved)
            with pytest.raises(StoreError) as replaced:  # retried on every pooled connection
                await store.replace_source(data("published", [server("io.acme/c")]))
            assert not isinstance(replaced.value, StoreUnavailableError)
        assert calls == []
        assert (await store.load_definitions()).revision == saved
        written = await store.update_source("published", change)
        assert written.servers == (server("io.acme/b"),)
        assert len(calls) == 1
    finally:
        await blocker.close()
        await store.close()
