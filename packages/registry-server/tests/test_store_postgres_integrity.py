"""What the foreign keys from the row tables to registry.source protected, kept by migration 6's
triggers: no row names a missing source, deleting a source deletes its rows (also when a
writer inserts them concurrently), a source with rows is not renamed; and an upgrade of a
database holding data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import pytest
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.postgres import PostgresStore, StoreOptions, resolve_settings
from mcp_registry_server.store.postgres.migrator import load_migrations, migrate_up
from mcp_registry_server.store.postgres.settings import DatabaseSettings
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.db

Conn: TypeAlias = "asyncpg.Connection[Any]"
T0 = datetime(2025, 3, 1, tzinfo=UTC)
ROW_TABLES = {  # table -> a row naming source "ghost"
    "server": {"source": "ghost", "revision": 1, "position": 0, "name": "n", "version": "1"},
    "extension_item": {"source": "ghost", "revision": 1, "kind": "skill", "position": 0},
}


def source(name: str, count: int) -> SourceData:
    servers = [{"name": f"{name}/s{i}", "version": "1.0.0"} for i in range(count)]
    skills = [{"name": f"{name}-skill", "version": "1"}]
    return SourceData(name, servers, "h", T0, skills=skills)


@pytest.fixture
async def settings(pg_db: PgDatabase, tmp_path: Path) -> DatabaseSettings:
    return resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)


@pytest.fixture
async def store(settings: DatabaseSettings, open_conn: Any) -> AsyncIterator[PostgresStore]:
    await migrate_up(await open_conn("migration"), app_user=settings.app.user)
    opened = await PostgresStore.open(settings.app, options=StoreOptions())
    yield opened
    await opened.close(grace=2)


async def counts(conn: Conn, name: str) -> tuple[int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM registry.server WHERE source = $1", name),
        await conn.fetchval("SELECT count(*) FROM registry.extension_item WHERE source = $1", name),
    )


@pytest.mark.parametrize("table", sorted(ROW_TABLES))
async def test_rows_naming_a_missing_source_are_refused(
    store: PostgresStore, open_conn: Any, table: str
) -> None:
    app = await open_conn("app")
    row = {**ROW_TABLES[table], "body": "{}"}
    columns, values = ", ".join(row), ", ".join(f"${i}" for i in range(1, len(row) + 1))
    with pytest.raises(asyncpg.ForeignKeyViolationError, match='names source "ghost"'):
        await app.execute(
            f"INSERT INTO registry.{table} ({columns}) VALUES ({values})", *row.values()
        )
    with pytest.raises(asyncpg.ForeignKeyViolationError, match='names source "ghost"'):
        await app.copy_records_to_table(
            table, schema_name="registry", columns=list(row), records=[tuple(row.values())]
        )
    await store.replace_source(source("real", 2))
    with pytest.raises(asyncpg.ForeignKeyViolationError, match='names source "ghost"'):
        await app.execute(f"UPDATE registry.{table} SET source = 'ghost'")
    assert await counts(app, "real") == (2, 1)


async def test_deleting_a_source_deletes_its_rows_only(
    store: PostgresStore, open_conn: Any
) -> None:
    await store.replace_source(source("gone", 3))
    await store.replace_source(source("kept", 2))
    app = await open_conn("app")
    await app.execute("DELETE FROM registry.source WHERE name = 'gone'")
    assert await counts(app, "gone") == (0, 0)
    assert await counts(app, "kept") == (2, 1)
    await store.delete_source("kept")
    assert await counts(app, "kept") == (0, 0)


async def test_a_delete_waits_for_a_writer_and_takes_its_rows_too(
    store: PostgresStore, open_conn: Any
) -> None:
    await store.replace_source(source("raced", 1))
    writer, deleter = await open_conn("app"), await open_conn("app")
    await writer.execute("BEGIN")
    await writer.execute(
        "INSERT INTO registry.server (source, revision, position, name, version, body)"
        " VALUES ('raced', 0, 7, 'late', '1', '{}')"
    )
    deleting = asyncio.create_task(
        deleter.execute("DELETE FROM registry.source WHERE name = 'raced'")
    )
    observer = await open_conn("migration")
    deleter_pid = deleter.get_server_pid()

    async def delete_waits() -> bool:
        return bool(
            await observer.fetchval(
                "SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", deleter_pid
            )
        )

    await wait_for(delete_waits, timeout=20, message="the delete waits for the writer")
    await writer.execute("COMMIT")
    await asyncio.wait_for(deleting, timeout=20)
    assert await counts(observer, "raced") == (0, 0)


async def test_a_source_with_rows_is_not_renamed(store: PostgresStore, open_conn: Any) -> None:
    await store.replace_source(source("named", 1))
    await store.replace_source(SourceData("empty", [], "h", T0))
    app = await open_conn("app")
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="cannot be renamed"):
        await app.execute("UPDATE registry.source SET name = 'other' WHERE name = 'named'")
    await app.execute("UPDATE registry.source SET name = 'renamed' WHERE name = 'empty'")
    migrator = await open_conn("migration")
    with pytest.raises(asyncpg.FeatureNotSupportedError, match="cannot truncate"):
        await migrator.execute("TRUNCATE registry.source")


async def test_upgrade_keeps_the_stored_rows_at_their_source_revision(
    settings: DatabaseSettings, open_conn: Any
) -> None:
    migrations = load_migrations()
    assert migrations[5].name == "revision_rows"
    migrator = await open_conn("migration")
    await migrate_up(migrator, app_user=settings.app.user, migrations=migrations[:5])
    await migrator.execute(
        "INSERT INTO registry.source (name, content_hash, synced_at) VALUES ('old', 'h', now());"
        "INSERT INTO registry.server (source, position, name, version, body) VALUES"
        " ('old', 0, 'old/a', '1', '{\"name\": \"old/a\"}'),"
        " ('old', 1, 'old/b', '1', '{\"name\": \"old/b\"}');"
        "INSERT INTO registry.extension_item (source, kind, position, body) VALUES"
        " ('old', 'plugin', 0, '{\"name\": \"p\"}')"
    )
    await migrate_up(migrator, app_user=settings.app.user)
    stale = await migrator.fetchval(
        "SELECT count(*) FROM registry.server r JOIN registry.source s ON s.name = r.source"
        " WHERE r.revision <> s.revision"
    )
    assert stale == 0
    store = await PostgresStore.open(settings.app, options=StoreOptions())
    try:
        loaded = (await store.load_sources())["old"]
        assert [s["name"] for s in loaded.servers] == ["old/a", "old/b"]
        assert [p["name"] for p in loaded.plugins] == ["p"]
        await store.replace_source(source("old", 1))
        loaded = (await store.load_sources())["old"]
        assert [s["name"] for s in loaded.servers] == ["old/s0"]
        assert (loaded.plugins, [s["name"] for s in loaded.skills]) == ((), ["old-skill"])
    finally:
        await store.close(grace=2)
