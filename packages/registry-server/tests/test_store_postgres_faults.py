"""PostgreSQL going away: outages are reported and recovered; a crash mid-sync loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from mcp_registry_common.backoff import BackoffPolicy
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.store.postgres import (
    PostgresStore,
    StoreOptions,
    resolve_settings,
    run_migrations,
)
from mcp_registry_server.store.postgres.settings import DatabaseSettings
from mcp_registry_testing.pgrows import hold_next_server_row
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for
from structlog.testing import capture_logs

pytestmark = pytest.mark.db

FAST = StoreOptions(
    backoff=BackoffPolicy(base=0.02, cap=0.3), poll_interval=0.2, operation_timeout=5.0
)
T0 = datetime(2025, 3, 1, tzinfo=UTC)


def data(source: str, prefix: str, count: int) -> SourceData:
    servers = [{"name": f"{prefix}/s{i:05d}", "version": "1"} for i in range(count)]
    return SourceData(source=source, servers=servers, content_hash=prefix, synced_at=T0)


@pytest.fixture
async def settings(own_pg: PgDatabase, tmp_path: Path) -> DatabaseSettings:
    resolved = resolve_settings(own_pg.config(), env=own_pg.env, home=tmp_path)
    await run_migrations(resolved)
    return resolved


@pytest.fixture
async def store(settings: DatabaseSettings) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(settings.app, options=FAST)
    yield opened
    await opened.close(grace=2)


async def healthy(store: PostgresStore) -> bool:
    try:
        await store.check()
    except StoreUnavailableError:
        return False
    return True


async def test_outage_is_reported_and_recovered_without_reopening(
    own_pg: PgDatabase, store: PostgresStore
) -> None:
    await store.replace_source(data("src", "before", 20))
    own_pg.cluster.stop()

    with pytest.raises(StoreUnavailableError, match="database unavailable"):
        await store.check()
    assert not store.available
    with pytest.raises(StoreUnavailableError):
        await store.load_sources()
    with pytest.raises(StoreUnavailableError):
        await store.replace_source(data("src", "during", 1))

    own_pg.cluster.start()
    await wait_for(lambda: healthy(store), timeout=20, message="store healthy after restart")
    assert store.available
    assert (await store.load_sources())["src"].content_hash == "before"
    await store.replace_source(data("src", "after", 5))
    assert (await store.load_sources())["src"].content_hash == "after"


async def test_postmaster_killed_mid_copy_keeps_the_previous_data(
    own_pg: PgDatabase, settings: DatabaseSettings, store: PostgresStore
) -> None:
    await store.replace_source(data("src", "old", 10))
    cluster = own_pg.cluster
    blocker = await asyncpg.connect(
        host=cluster.host,
        port=cluster.port,
        user=cluster.superuser,
        password=cluster.superuser_password,
        database=own_pg.name,
    )
    observer = await asyncpg.connect(
        host=cluster.host,
        port=cluster.port,
        user=cluster.superuser,
        password=cluster.superuser_password,
        database=own_pg.name,
    )
    await blocker.execute("BEGIN")
    await hold_next_server_row(blocker, source="src", position=5000)
    sync = asyncio.create_task(store.replace_source(data("src", "new", 10_000)))

    async def copy_waiting() -> bool:
        count = await observer.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'"
            " AND wait_event_type = 'Lock'"
        )
        return bool(count == 1)

    await wait_for(copy_waiting, timeout=20, message="COPY blocked half-way")
    cluster.kill()
    with pytest.raises(StoreUnavailableError):
        await sync
    blocker.terminate()
    observer.terminate()

    cluster.start()
    await wait_for(lambda: healthy(store), timeout=30, message="store healthy after crash")
    kept = (await store.load_sources())["src"]
    assert kept.content_hash == "old"
    assert [s["name"] for s in kept.servers] == [f"old/s{i:05d}" for i in range(10)]


async def test_change_feed_survives_a_restart(
    own_pg: PgDatabase, settings: DatabaseSettings, store: PostgresStore
) -> None:
    reader = await PostgresStore.open(settings.app, options=FAST)
    seen: list[str] = []

    async def record(source: str) -> None:
        seen.append(source)

    await reader.load_sources()
    feed = asyncio.create_task(reader.watch_changes(record))
    try:
        await store.replace_source(data("one", "a", 1))
        await wait_for(lambda: seen == ["one"], timeout=10, message="first change")
        own_pg.cluster.restart()
        await wait_for(lambda: healthy(store), timeout=20, message="writer healthy")
        await store.replace_source(data("two", "b", 1))
        await wait_for(lambda: seen == ["one", "two"], timeout=20, message="change after restart")
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)
        await reader.close(grace=2)


async def test_a_revision_read_slower_than_the_poll_interval_keeps_the_feed(
    own_pg: PgDatabase, settings: DatabaseSettings, store: PostgresStore
) -> None:
    """A loaded database answers the feed's read after its 0.2 s poll interval: the read
    waits (up to the operation timeout) instead of dropping the connection and reconnecting
    in a loop that, on a slow enough database, never delivers a change."""
    reader = await PostgresStore.open(settings.app, options=FAST)
    seen: list[str] = []

    async def record(source: str) -> None:
        seen.append(source)

    cluster = own_pg.cluster
    locker, observer = [
        await asyncpg.connect(
            host=cluster.host,
            port=cluster.port,
            user=cluster.superuser,
            password=cluster.superuser_password,
            database=own_pg.name,
        )
        for _ in range(2)
    ]

    async def feed_read_waited(seconds: float) -> bool:
        waited = await observer.fetchval(
            "SELECT max(extract(epoch FROM now() - query_start)) FROM pg_stat_activity"
            " WHERE query LIKE 'SELECT name, revision FROM registry.source%'"
            " AND wait_event_type = 'Lock'"
        )
        return waited is not None and waited >= seconds

    await reader.load_sources()
    with capture_logs() as logs:
        feed = asyncio.create_task(reader.watch_changes(record))
        try:
            await wait_for(lambda: any(e["event"] == "change_feed_listening" for e in logs))
            await locker.execute("BEGIN")
            await locker.execute("LOCK TABLE registry.source IN ACCESS EXCLUSIVE MODE")
            # one read held for five poll intervals (the old read gave up after one)
            await wait_for(lambda: feed_read_waited(5 * FAST.poll_interval), timeout=20)
            await locker.execute("COMMIT")
            await store.replace_source(data("one", "a", 1))
            await wait_for(lambda: seen == ["one"], timeout=20, message="change after the wait")
        finally:
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)
            await reader.close(grace=2)
            locker.terminate()
            observer.terminate()
    events = [e["event"] for e in logs]
    assert "change_feed_retry" not in events, events
    assert events.count("change_feed_listening") == 1, events


async def test_store_opened_while_the_database_is_down_reports_unavailable(
    own_pg: PgDatabase, settings: DatabaseSettings
) -> None:
    own_pg.cluster.stop()
    with pytest.raises(StoreUnavailableError, match="database unavailable"):
        await PostgresStore.open(settings.app, options=FAST)
    with pytest.raises(StoreUnavailableError, match="migration user"):
        await run_migrations(settings)
    own_pg.cluster.start()
