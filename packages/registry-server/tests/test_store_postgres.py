"""PostgresStore beyond the shared contract: atomic replace, limits, change feed, pool settings."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import pytest
from mcp_registry_common.backoff import BackoffPolicy
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.errors import StoreError, StoreUnavailableError
from mcp_registry_server.store.postgres import (
    PgpassPermissionError,
    PostgresStore,
    StoreOptions,
    open_store,
    postgres_store_opener,
    resolve_settings,
    run_migrations,
)
from mcp_registry_server.store.postgres.pool import create_pool, pooled
from mcp_registry_server.store.postgres.records import MetaTooLargeError, UnencodableServerError
from mcp_registry_server.store.postgres.settings import DatabaseSettings
from mcp_registry_testing.pgrows import hold_next_server_row
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.db

Conn: TypeAlias = "asyncpg.Connection[Any]"
T0 = datetime(2025, 3, 1, tzinfo=UTC)
FAST = StoreOptions(backoff=BackoffPolicy(base=0.02, cap=0.2), poll_interval=0.2)
Opener = Callable[..., Awaitable[PostgresStore]]


def servers(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix}/s{i:05d}", "version": "1.0.0", "description": "d"} for i in range(count)
    ]


def data(source: str, items: list[dict[str, Any]], digest: str = "h") -> SourceData:
    return SourceData(source=source, servers=items, content_hash=digest, synced_at=T0)


@pytest.fixture
async def settings(pg_db: PgDatabase, tmp_path: Path) -> DatabaseSettings:
    resolved = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    await run_migrations(resolved)
    return resolved


@pytest.fixture
async def open_pg(settings: DatabaseSettings) -> AsyncIterator[Opener]:
    """open_pg(**StoreOptions fields) → a PostgresStore on the test database; closed after."""
    stores: list[PostgresStore] = []

    async def opener(**overrides: Any) -> PostgresStore:
        store = await PostgresStore.open(settings.app, options=replace(FAST, **overrides))
        stores.append(store)
        return store

    yield opener
    for store in stores:
        await store.close()


@pytest.fixture
async def superuser(pg_db: PgDatabase) -> AsyncIterator[Conn]:
    """A superuser session on the test database (sees every backend in pg_stat_activity)."""
    conn = await asyncpg.connect(
        host=pg_db.cluster.host,
        port=pg_db.cluster.port,
        user=pg_db.cluster.superuser,
        password=pg_db.cluster.superuser_password,
        database=pg_db.name,
    )
    yield conn
    await conn.close()


async def test_open_refuses_an_unmigrated_database(pg_db: PgDatabase, tmp_path: Path) -> None:
    unmigrated = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    with pytest.raises(StoreError, match=r"schema is at version None.*migrate up"):
        await PostgresStore.open(unmigrated.app)


async def test_sessions_carry_name_timeouts_and_search_path(settings: DatabaseSettings) -> None:
    pool = await create_pool(settings.app)
    try:
        async with pooled(pool, acquire_timeout=5) as conn:
            row = await conn.fetchrow(
                "SELECT current_setting('application_name') AS app,"
                " current_setting('statement_timeout') AS st,"
                " current_setting('search_path') AS sp, current_user AS who"
            )
    finally:
        await pool.close()
    assert row is not None
    assert dict(row) == {
        "app": "mcp-registry-server",
        "st": "30s",
        "sp": "registry",
        "who": settings.app.user,
    }


async def test_connections_older_than_the_lifetime_are_replaced(
    settings: DatabaseSettings,
) -> None:
    short = replace(settings.app, pool=replace(settings.app.pool, min_size=1, max_size=1))
    short = replace(short, pool=replace(short.pool, max_lifetime=0.05))
    pool = await create_pool(short)

    async def backend_pid() -> int:
        async with pooled(pool, acquire_timeout=5) as conn:
            return int(await conn.fetchval("SELECT pg_backend_pid()"))

    try:
        first = await backend_pid()
        await wait_for(
            lambda: _differs(backend_pid, first), timeout=10, message="a fresh connection"
        )
    finally:
        await pool.close()


async def _differs(probe: Callable[[], Awaitable[int]], old: int) -> bool:
    return await probe() != old


async def test_meta_size_limit_fails_the_replace_and_keeps_old_data(
    pg_db: PgDatabase, settings: DatabaseSettings, tmp_path: Path
) -> None:
    limited = resolve_settings(pg_db.config(maxMetaSize=64), env=pg_db.env, home=tmp_path)
    store = await open_store(limited, migrate=False)
    try:
        await store.replace_source(data("src", servers("a", 3)))
        huge = servers("b", 2)
        huge[1]["_meta"] = {"io.modelcontextprotocol.registry/publisher-provided": {"x": "y" * 100}}
        with pytest.raises(MetaTooLargeError, match=r"'b/s00001' \(index 1\).*maxMetaSize \(64\)"):
            await store.replace_source(data("src", huge, digest="new"))
        kept = (await store.load_sources())["src"]
        assert (kept.content_hash, len(kept.servers)) == ("h", 3)
    finally:
        await store.close()


async def test_a_replace_failing_mid_copy_rolls_back_and_the_store_keeps_working(
    open_pg: Opener,
) -> None:
    store = await open_pg()
    await store.replace_source(data("src", servers("a", 100)))
    broken = servers("b", 100)
    broken[60]["name"] = "b/nul\x00"  # PostgreSQL text cannot hold NUL: COPY fails at row 60
    with pytest.raises(StoreError, match="database error"):
        await store.replace_source(data("src", broken, digest="broken"))
    kept = (await store.load_sources())["src"]
    assert (kept.content_hash, kept.servers[0]["name"], len(kept.servers)) == ("h", "a/s00000", 100)
    await store.replace_source(data("src", servers("c", 5), digest="c"))
    assert len((await store.load_sources())["src"].servers) == 5


async def test_an_unencodable_server_is_named_and_nothing_is_written(open_pg: Opener) -> None:
    store = await open_pg()
    await store.replace_source(data("src", servers("a", 3)))
    broken = servers("b", 3)
    broken[1]["tags"] = {"a", "set"}
    with pytest.raises(UnencodableServerError, match=r"'b/s00001' \(index 1\).*not JSON"):
        await store.replace_source(data("src", broken, digest="broken"))
    assert (await store.load_sources())["src"].content_hash == "h"


async def block_copy_at(conn: Conn, *, source: str, position: int) -> asyncpg.Transaction:
    """Hold uncommitted rows at (source, next revisions, position): the next replace's COPY
    waits on them."""
    tx = conn.transaction()
    await tx.start()
    await hold_next_server_row(conn, source=source, position=position)
    return tx


async def copy_is_waiting(observer: Conn) -> bool:
    count = await observer.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mcp-registry-server'"
        " AND wait_event_type = 'Lock' AND query LIKE 'COPY%'"
    )
    return bool(count == 1)


async def test_a_replace_cancelled_mid_copy_keeps_the_previous_data(
    open_pg: Opener, superuser: Conn, pg_db: PgDatabase, settings: DatabaseSettings
) -> None:
    store = await open_pg()
    await store.replace_source(data("src", servers("old", 10)))
    blocker = await asyncpg.connect(
        host=pg_db.cluster.host,
        port=pg_db.cluster.port,
        user=settings.migration.user,
        password=settings.migration.credential.password,
        database=pg_db.name,
    )
    try:
        tx = await block_copy_at(blocker, source="src", position=5000)
        task = asyncio.create_task(store.replace_source(data("src", servers("new", 10_000))))
        await wait_for(lambda: copy_is_waiting(superuser), timeout=20, message="COPY blocked")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await tx.rollback()
    finally:
        await blocker.close()
    kept = (await store.load_sources())["src"]
    assert [s["name"] for s in kept.servers] == [s["name"] for s in servers("old", 10)]
    await store.replace_source(data("src", servers("after", 3)))
    assert len((await store.load_sources())["src"].servers) == 3


async def test_concurrent_replaces_of_one_source_serialise(open_pg: Opener) -> None:
    first, second = await open_pg(), await open_pg()
    writes = [
        store.replace_source(data("src", servers(f"{label}{i}", 300), digest=f"{label}{i}"))
        for i in range(5)
        for store, label in ((first, "a"), (second, "b"))
    ]
    await asyncio.gather(*writes)
    final = (await first.load_sources())["src"]
    prefix = final.content_hash
    assert [s["name"] for s in final.servers] == [s["name"] for s in servers(prefix, 300)]


class Recorder:
    """Collects change-feed callbacks; can be told to fail a number of times first."""

    def __init__(self, failures: int = 0) -> None:
        self.seen: list[str] = []
        self.failures = failures

    async def __call__(self, source: str) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("consumer failed")
        self.seen.append(source)


@pytest.fixture
async def watching(open_pg: Opener) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    tasks: list[asyncio.Task[None]] = []

    async def start(store: PostgresStore, recorder: Recorder) -> None:
        await store.load_sources()
        tasks.append(asyncio.create_task(store.watch_changes(recorder)))

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_change_feed_reports_other_replicas_writes_only(
    open_pg: Opener, watching: Callable[..., Awaitable[Any]]
) -> None:
    writer, reader = await open_pg(), await open_pg(poll_interval=30.0)  # NOTIFY, not the poll
    recorder = Recorder()
    await watching(reader, recorder)
    await writer.replace_source(data("x", servers("x", 2)))
    await wait_for(lambda: recorder.seen == ["x"], timeout=10, message="x replaced")
    await reader.replace_source(data("own", servers("own", 1)))  # its own write: not reported
    await writer.delete_source("x")
    await wait_for(lambda: recorder.seen == ["x", "x"], timeout=10, message="x deleted")
    await writer.replace_source(data("z", servers("z", 1)))
    await wait_for(lambda: recorder.seen == ["x", "x", "z"], timeout=10, message="z replaced")
    await reader.delete_source("own")
    await writer.replace_source(data("last", servers("l", 1)))
    await wait_for(lambda: recorder.seen[-1:] == ["last"], timeout=10, message="last")
    assert "own" not in recorder.seen


async def test_change_feed_polls_when_no_notification_comes(
    open_pg: Opener, watching: Callable[..., Awaitable[Any]], superuser: Conn
) -> None:
    writer, reader = await open_pg(), await open_pg(poll_interval=0.1)
    await writer.replace_source(data("x", servers("x", 1)))
    recorder = Recorder()
    await watching(reader, recorder)
    # A change that sends no NOTIFY (as if the notification were lost).
    await superuser.execute(
        "UPDATE registry.source SET revision = nextval('registry.revision_seq') WHERE name = 'x'"
    )
    await wait_for(lambda: recorder.seen == ["x"], timeout=10, message="poll found x")


async def test_a_failing_consumer_gets_the_change_again(
    open_pg: Opener, watching: Callable[..., Awaitable[Any]]
) -> None:
    writer, reader = await open_pg(), await open_pg(poll_interval=0.1)
    recorder = Recorder(failures=2)
    await watching(reader, recorder)
    await writer.replace_source(data("x", servers("x", 1)))
    await wait_for(lambda: recorder.seen == ["x"], timeout=10, message="x after two failures")


async def test_world_readable_pgpass_stops_start_up_with_a_clear_error(
    pg_db: PgDatabase, tmp_path: Path
) -> None:
    leaky = tmp_path / "leaky-pgpass"
    shutil.copyfile(pg_db.roles.pgpass_file, leaky)
    leaky.chmod(0o644)
    with pytest.raises(PgpassPermissionError) as info:
        postgres_store_opener(pg_db.config(), env={"PGPASSFILE": str(leaky)}, home=tmp_path)
    assert str(info.value).startswith(f'password file "{leaky}" has group or world access')
    assert "permissions should be u=rw (0600) or less" in str(info.value)


async def test_wrong_password_is_an_outage_not_a_crash(pg_db: PgDatabase, tmp_path: Path) -> None:
    wrong = resolve_settings(pg_db.config(password="Zebra-Secret-1"), env={}, home=tmp_path)
    with pytest.raises(StoreUnavailableError, match="password authentication failed") as info:
        await open_store(wrong)
    assert "Zebra-Secret-1" not in str(info.value)


async def test_opener_migrates_and_opens(pg_db: PgDatabase, tmp_path: Path) -> None:
    opener = postgres_store_opener(pg_db.config(), env=pg_db.env, home=tmp_path)
    async with opener() as store:
        await store.check()
        await store.replace_source(data("src", servers("a", 1)))
    async with opener() as store:  # a restart: data and schema are still there
        assert list(await store.load_sources()) == ["src"]


async def test_naive_times_are_taken_as_utc(open_pg: Opener) -> None:
    store = await open_pg()
    naive = datetime(2025, 6, 1, 8, 30)
    await store.replace_source(SourceData("src", servers("a", 1), "h", naive))
    assert (await store.load_sources())["src"].synced_at == naive.replace(tzinfo=UTC)
