"""Apply the packaged SQL migrations under an advisory lock, golang-migrate style bookkeeping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import structlog

from mcp_registry_server.store.postgres.pool import Connection
from mcp_registry_server.store.postgres.settings import SCHEMA
from mcp_registry_server.store.postgres.sqltext import quote_ident

log = structlog.get_logger(__name__)

LOCK_KEY = 0x6D63_7072_6567_6D67
"""pg_advisory_lock key ("mcpregmg"); advisory locks are per database."""
NIL_VERSION = -1
"""golang-migrate's "no version", stored only together with dirty=true."""
_FILE = re.compile(r"^(?P<version>\d+)_(?P<name>[A-Za-z0-9_-]+)\.(?P<direction>up|down)\.sql$")


class MigrationError(Exception):
    """Migrations cannot be applied; the message says what to do."""


class DirtyDatabaseError(MigrationError):
    """A previous migration run stopped half-way; a human must repair and force the version."""


class MigrationLockTimeoutError(MigrationError):
    """Another process held the migration lock for longer than the timeout."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up_sql: str
    down_sql: str


@dataclass(frozen=True, slots=True)
class MigrationState:
    version: int | None
    dirty: bool


@dataclass(frozen=True, slots=True)
class MigrationResult:
    before: int | None
    after: int | None
    applied: tuple[int, ...]
    """Versions run by this call, in order (up or down); empty when nothing was pending."""


def load_migrations(directory: Traversable | None = None) -> list[Migration]:
    """Read `NNNNNN_name.up.sql` / `.down.sql` pairs, sorted by version."""
    root = directory or files("mcp_registry_server.store.postgres").joinpath("migrations")
    found: dict[int, dict[str, str]] = {}
    names: dict[int, str] = {}
    for entry in root.iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        version = int(match["version"])
        if names.setdefault(version, match["name"]) != match["name"]:
            raise MigrationError(f"two migrations share version {version}: {entry.name}")
        found.setdefault(version, {})[match["direction"]] = entry.read_text(encoding="utf-8")
    migrations = []
    for version in sorted(found):
        parts = found[version]
        if set(parts) != {"up", "down"}:
            raise MigrationError(f"migration {version} needs both an .up.sql and a .down.sql file")
        migrations.append(Migration(version, names[version], parts["up"], parts["down"]))
    return migrations


def latest_version(migrations: Sequence[Migration]) -> int | None:
    return migrations[-1].version if migrations else None


@asynccontextmanager
async def advisory_lock(conn: Connection, *, lock_timeout: float) -> AsyncIterator[None]:
    """Hold the migration lock; concurrent servers wait here and then find nothing to do."""
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY, timeout=lock_timeout)
    except TimeoutError as exc:
        raise MigrationLockTimeoutError(
            f"another process held the migration lock for more than {lock_timeout:.0f}s"
        ) from exc
    try:
        yield
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


async def ensure_bookkeeping(conn: Connection) -> None:
    await conn.execute(
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};"
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations"
        " (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
    )


async def read_state(conn: Connection) -> MigrationState:
    """The recorded version; None when the table is missing or empty."""
    exists = await conn.fetchval(
        "SELECT to_regclass($1) IS NOT NULL", f"{SCHEMA}.schema_migrations"
    )
    if not exists:
        return MigrationState(version=None, dirty=False)
    row = await conn.fetchrow(f"SELECT version, dirty FROM {SCHEMA}.schema_migrations LIMIT 1")
    if row is None:
        return MigrationState(version=None, dirty=False)
    version = int(row["version"])
    return MigrationState(version=None if version == NIL_VERSION else version, dirty=row["dirty"])


async def _set_version(conn: Connection, version: int | None, *, dirty: bool) -> None:
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {SCHEMA}.schema_migrations")
        if version is not None or dirty:
            await conn.execute(
                f"INSERT INTO {SCHEMA}.schema_migrations (version, dirty) VALUES ($1, $2)",
                NIL_VERSION if version is None else version,
                dirty,
            )


async def force_version(conn: Connection, version: int | None, *, lock_timeout: float) -> None:
    """Record `version` as clean without running anything (after a manual repair)."""
    async with advisory_lock(conn, lock_timeout=lock_timeout):
        await ensure_bookkeeping(conn)
        await _set_version(conn, version, dirty=False)
    log.warning("migration_version_forced", version=version)


def _check_state(state: MigrationState, migrations: Sequence[Migration]) -> None:
    if state.dirty:
        raise DirtyDatabaseError(
            f"database schema is dirty at version {state.version}: a migration stopped half-way."
            " Repair the schema by hand, then run `mcp-registry-server migrate force VERSION`"
        )
    known = {m.version for m in migrations}
    if state.version is not None and state.version not in known:
        raise MigrationError(
            f"database schema version {state.version} is unknown to this server"
            f" (it knows up to {latest_version(migrations)}): upgrade the server"
        )


async def _run(conn: Connection, sql: str, *, target: int | None, label: str) -> None:
    await _set_version(conn, target, dirty=True)
    try:
        async with conn.transaction():
            await conn.execute(sql)
    except Exception as exc:
        raise MigrationError(
            f"migration {label} failed and left the database dirty: {exc}"
        ) from exc
    await _set_version(conn, target, dirty=False)


async def grant_app_access(conn: Connection, app_user: str) -> None:
    """DML-only rights for the app role on every table, now and for tables created later."""
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", app_user)
    if not exists:
        raise MigrationError(
            f"database user {app_user!r} (database.user) does not exist: create it first,"
            " e.g. with `mcp-registry-server prime-db`"
        )
    role = quote_ident(app_user)
    async with conn.transaction():
        await conn.execute(
            f"GRANT USAGE ON SCHEMA {SCHEMA} TO {role};"
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO {role};"
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {role};"
            f"REVOKE INSERT, UPDATE, DELETE ON {SCHEMA}.schema_migrations FROM {role};"
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA}"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};"
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA}"
            f" GRANT USAGE, SELECT ON SEQUENCES TO {role};"
        )


def _version_after_revert(applied: Sequence[Migration], reverted: int) -> int | None:
    remaining = applied[: len(applied) - reverted]
    return remaining[-1].version if remaining else None


async def migrate_up(
    conn: Connection,
    *,
    app_user: str | None,
    lock_timeout: float = 300.0,
    migrations: Sequence[Migration] | None = None,
) -> MigrationResult:
    """Apply every pending migration, then (re)grant the app user; safe to run concurrently.

    `conn` must belong to the migration user. The state is read only after the lock is held,
    so a second server that waited finds everything applied and runs nothing.
    """
    plan = list(migrations) if migrations is not None else load_migrations()
    async with advisory_lock(conn, lock_timeout=lock_timeout):
        await ensure_bookkeeping(conn)
        state = await read_state(conn)
        _check_state(state, plan)
        pending = [m for m in plan if state.version is None or m.version > state.version]
        log.info("migrate_up_start", version=state.version, pending=[m.version for m in pending])
        for migration in pending:
            label = f"{migration.version}_{migration.name} (up)"
            await _run(conn, migration.up_sql, target=migration.version, label=label)
            log.info("migration_applied", version=migration.version, name=migration.name)
        if app_user is not None and app_user != await conn.fetchval("SELECT current_user"):
            await grant_app_access(conn, app_user)
    after = pending[-1].version if pending else state.version
    log.info("migrate_up_done", version=after, applied=len(pending))
    return MigrationResult(state.version, after, tuple(m.version for m in pending))


async def migrate_down(
    conn: Connection,
    *,
    steps: int,
    lock_timeout: float = 300.0,
    migrations: Sequence[Migration] | None = None,
) -> MigrationResult:
    """Revert the last `steps` applied migrations (newest first)."""
    if steps < 1:
        raise MigrationError(f"--steps must be at least 1, got {steps}")
    plan = list(migrations) if migrations is not None else load_migrations()
    async with advisory_lock(conn, lock_timeout=lock_timeout):
        await ensure_bookkeeping(conn)
        state = await read_state(conn)
        _check_state(state, plan)
        applied = [m for m in plan if state.version is not None and m.version <= state.version]
        to_revert = list(reversed(applied))[:steps]
        for index, migration in enumerate(to_revert):
            target = _version_after_revert(applied, index + 1)
            label = f"{migration.version}_{migration.name} (down)"
            await _run(conn, migration.down_sql, target=target, label=label)
            log.info("migration_reverted", version=migration.version, name=migration.name)
    after = _version_after_revert(applied, len(to_revert))
    log.info("migrate_down_done", version=after, reverted=len(to_revert))
    return MigrationResult(state.version, after, tuple(m.version for m in to_revert))
