"""Entry points for the app and CLI: resolve settings, run migrations, open the store."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Literal

import structlog

from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.store.postgres.availability import describe, is_unavailable
from mcp_registry_server.store.postgres.migrator import (
    MigrationResult,
    force_version,
    migrate_down,
    migrate_up,
)
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_server.store.postgres.settings import (
    DatabaseConfigLike,
    DatabaseSettings,
    database_settings,
)
from mcp_registry_server.store.postgres.store import PostgresStore, StoreOptions

log = structlog.get_logger(__name__)


def resolve_settings(
    config: DatabaseConfigLike,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> DatabaseSettings:
    """Both roles' settings from `database:`, the environment and the pgpass file."""
    return database_settings(
        config,
        env=os.environ if env is None else env,
        home=Path.home() if home is None else home,
    )


async def run_migrations(
    settings: DatabaseSettings,
    *,
    direction: Literal["up", "down", "force"] = "up",
    steps: int = 1,
    version: int | None = None,
    lock_timeout: float = 300.0,
) -> MigrationResult | None:
    """Connect as the migration user and migrate; StoreUnavailableError if unreachable.

    up: apply everything pending and grant the app user; down: revert `steps`;
    force: record `version` as clean (returns None).
    """
    log.info("migration_connecting", direction=direction, **settings.migration.log_fields())
    try:
        conn = await connect(settings.migration)
    except Exception as exc:
        if is_unavailable(exc):
            raise StoreUnavailableError(
                f"cannot connect as migration user: {describe(exc)}"
            ) from exc
        raise
    try:
        if direction == "up":
            app_user = settings.app.user if settings.separate_roles else None
            return await migrate_up(conn, app_user=app_user, lock_timeout=lock_timeout)
        if direction == "down":
            return await migrate_down(conn, steps=steps, lock_timeout=lock_timeout)
        await force_version(conn, version, lock_timeout=lock_timeout)
        return None
    finally:
        await conn.close(timeout=10)


async def open_store(
    settings: DatabaseSettings,
    *,
    migrate: bool = True,
    options: StoreOptions | None = None,
) -> PostgresStore:
    """What `serve` does: `migrate up` as the migration user, then the app user's pool."""
    if migrate:
        await run_migrations(settings, direction="up")
    opts = options or StoreOptions()
    opts = replace(opts, max_meta_size=settings.max_meta_size)
    return await PostgresStore.open(settings.app, options=opts)


def postgres_store_opener(
    config: DatabaseConfigLike,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    migrate: bool = True,
    options: StoreOptions | None = None,
) -> Callable[[], AbstractAsyncContextManager[PostgresStore]]:
    """A zero-argument opener for `create_apps(store_opener=...)`.

    Credentials are resolved when it is called (so a bad pgpass fails at start-up with its
    own message); entering the context migrates up, opens the pool, and closes it on exit.
    """
    settings = resolve_settings(config, env=env, home=home)

    @asynccontextmanager
    async def opened() -> AsyncIterator[PostgresStore]:
        store = await open_store(settings, migrate=migrate, options=options)
        try:
            yield store
        finally:
            await store.close()

    return opened
