"""Migrations on real PostgreSQL 15: up/down/up, one run under concurrency, dirty state, grants."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import pytest
from mcp_registry_server.store.postgres.lifecycle import resolve_settings, run_migrations
from mcp_registry_server.store.postgres.migrator import (
    LOCK_KEY,
    DirtyDatabaseError,
    Migration,
    MigrationError,
    MigrationLockTimeoutError,
    force_version,
    load_migrations,
    migrate_down,
    migrate_up,
    read_state,
)
from mcp_registry_server.store.postgres.settings import DatabaseSettings
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.db

LATEST = len(load_migrations())
ALL = tuple(range(1, LATEST + 1))
Conn: TypeAlias = "asyncpg.Connection[Any]"


def _settings(db: PgDatabase, tmp_path: Path) -> DatabaseSettings:
    return resolve_settings(db.config(), env=db.env, home=tmp_path)


@pytest.fixture
def settings(pg_db: PgDatabase, tmp_path: Path) -> DatabaseSettings:
    return _settings(pg_db, tmp_path)


def test_packaged_migrations_are_paired_and_ordered() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, LATEST + 1))
    assert all(m.up_sql.strip() and m.down_sql.strip() for m in migrations)


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({"000001_a.up.sql": "x"}, "needs both"),
        ({"000001_a.up.sql": "x", "000001_b.down.sql": "y"}, "share version 1"),
    ],
)
def test_bad_migration_directories(tmp_path: Path, files: dict[str, str], error: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(MigrationError, match=error):
        load_migrations(tmp_path)


def test_unrelated_files_are_ignored_and_versions_sorted(tmp_path: Path) -> None:
    for name in ("000010_b.up.sql", "000010_b.down.sql", "000002_a.up.sql", "000002_a.down.sql"):
        (tmp_path / name).write_text("SELECT 1")
    (tmp_path / "README.md").write_text("notes")
    assert [m.version for m in load_migrations(tmp_path)] == [2, 10]


async def test_up_records_the_version_and_is_idempotent(
    settings: DatabaseSettings, open_conn: Any
) -> None:
    first = await run_migrations(settings)
    assert first is not None
    assert (first.before, first.after, first.applied) == (None, LATEST, ALL)
    again = await run_migrations(settings)
    assert again is not None
    assert (again.before, again.after, again.applied) == (LATEST, LATEST, ())
    conn = await open_conn("migration")
    rows = await conn.fetch("SELECT version, dirty FROM registry.schema_migrations")
    assert [tuple(r) for r in rows] == [(LATEST, False)]


async def test_up_down_up_leaves_the_same_schema(
    pg_db: PgDatabase, settings: DatabaseSettings
) -> None:
    await run_migrations(settings)
    after_up = pg_db.cluster.dump_schema(pg_db.name, schema="registry")
    assert "CREATE TABLE registry.server" in after_up

    down = await run_migrations(settings, direction="down", steps=1)
    assert down is not None
    assert (down.after, down.applied) == (LATEST - 1, (LATEST,))
    assert after_up != pg_db.cluster.dump_schema(pg_db.name, schema="registry")

    down = await run_migrations(settings, direction="down", steps=5)
    assert down is not None
    assert (down.after, down.applied) == (None, tuple(reversed(ALL[:-1])))
    emptied = pg_db.cluster.dump_schema(pg_db.name, schema="registry")
    assert "CREATE TABLE registry.server" not in emptied

    await run_migrations(settings)
    assert pg_db.cluster.dump_schema(pg_db.name, schema="registry") == after_up


async def test_two_servers_starting_together_migrate_once(
    settings: DatabaseSettings, open_conn: Any
) -> None:
    holder = await open_conn("migration")
    await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    first, second = await open_conn("migration"), await open_conn("migration")
    runs = [
        asyncio.create_task(migrate_up(conn, app_user=settings.app.user))
        for conn in (first, second)
    ]

    async def both_waiting() -> bool:
        waiting = await holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
        return bool(waiting == 2)

    await wait_for(both_waiting, timeout=10, message="both migrators waiting on the lock")
    await holder.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    results = await asyncio.gather(*runs)
    assert sorted(r.applied for r in results) == [(), ALL]
    assert all(r.after == LATEST for r in results)


async def test_lock_timeout_is_reported(settings: DatabaseSettings, open_conn: Any) -> None:
    holder = await open_conn("migration")
    await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    with pytest.raises(MigrationLockTimeoutError, match="migration lock"):
        await migrate_up(await open_conn("migration"), app_user=None, lock_timeout=0.2)


async def test_failed_migration_rolls_back_and_leaves_the_database_dirty(open_conn: Any) -> None:
    conn = await open_conn("migration")
    plan = [
        *load_migrations(),
        Migration(
            LATEST + 1, "broken", "CREATE TABLE registry.half (a int); SELECT 1/0;", "SELECT 1"
        ),
    ]
    with pytest.raises(MigrationError, match=rf"{LATEST + 1}_broken \(up\) failed .* dirty"):
        await migrate_up(conn, app_user=None, migrations=plan)
    state = await read_state(conn)
    assert (state.version, state.dirty) == (LATEST + 1, True)
    assert await conn.fetchval("SELECT to_regclass('registry.half')") is None

    with pytest.raises(DirtyDatabaseError, match=f"dirty at version {LATEST + 1}"):
        await migrate_up(conn, app_user=None, migrations=plan)
    await force_version(conn, LATEST, lock_timeout=5)
    result = await migrate_up(conn, app_user=None)
    assert (result.after, result.applied) == (LATEST, ())


async def test_unknown_version_is_refused(open_conn: Any) -> None:
    conn = await open_conn("migration")
    await migrate_up(conn, app_user=None)
    await force_version(conn, 99, lock_timeout=5)
    with pytest.raises(MigrationError, match="version 99 is unknown"):
        await migrate_up(conn, app_user=None)
    with pytest.raises(MigrationError, match="at least 1"):
        await migrate_down(conn, steps=0)


async def test_app_user_has_dml_only(settings: DatabaseSettings, open_conn: Any) -> None:
    await run_migrations(settings)
    app = await open_conn("app")
    assert await app.fetchval("SELECT current_user") == settings.app.user

    for ddl, error in [
        ("CREATE TABLE registry.evil (a int)", "permission denied for schema registry"),
        ("CREATE TABLE public.evil (a int)", "permission denied for schema public"),
        ("DROP TABLE registry.server", "must be owner of table server"),
        ("ALTER TABLE registry.source ADD COLUMN x int", "must be owner of table source"),
        ("TRUNCATE registry.source CASCADE", "permission denied for table source"),
        ("UPDATE registry.schema_migrations SET dirty = true", "permission denied"),
        ("CREATE SCHEMA evil", "permission denied for database"),
    ]:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=error):
            await app.execute(ddl)

    await app.execute(
        "INSERT INTO registry.source (name, content_hash, synced_at) VALUES ('s', 'h', now())"
    )
    await app.execute("UPDATE registry.source SET content_hash = 'h2' WHERE name = 's'")
    assert await app.fetchval("SELECT content_hash FROM registry.source") == "h2"
    await app.execute("DELETE FROM registry.source")
    assert await app.fetchval("SELECT version FROM registry.schema_migrations") == LATEST


async def test_tables_from_later_migrations_are_granted_too(
    settings: DatabaseSettings, open_conn: Any
) -> None:
    await run_migrations(settings)
    later = Migration(
        LATEST + 1, "later", "CREATE TABLE registry.later (a int)", "DROP TABLE registry.later"
    )
    migrator = await open_conn("migration")
    await migrate_up(migrator, app_user=None, migrations=[*load_migrations(), later])
    app = await open_conn("app")
    await app.execute("INSERT INTO registry.later VALUES (1)")
    assert await app.fetchval("SELECT a FROM registry.later") == 1


async def test_missing_app_role_is_named(open_conn: Any) -> None:
    with pytest.raises(MigrationError, match=r"'nobody' .* does not exist"):
        await migrate_up(await open_conn("migration"), app_user="nobody")
