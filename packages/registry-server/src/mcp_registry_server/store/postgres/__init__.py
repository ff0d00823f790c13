"""PostgreSQL storage: asyncpg pool, SQL migrations, pgpass credentials, change feed.

The names below load on first use (PEP 562): a server on the in-memory store imports the
asyncpg-free modules (settings, pgpass, credentials, tls, commandline) through this package
and must not pay for asyncpg (the `asyncpg-loaded-lazily` test checks it)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp_registry_server.store.postgres.lifecycle import (
        open_store,
        postgres_store_opener,
        resolve_settings,
        run_migrations,
    )
    from mcp_registry_server.store.postgres.migrator import (
        DirtyDatabaseError,
        MigrationError,
        MigrationResult,
    )
    from mcp_registry_server.store.postgres.pgpass import PgpassError, PgpassPermissionError
    from mcp_registry_server.store.postgres.settings import DatabaseConfigError, DatabaseSettings
    from mcp_registry_server.store.postgres.store import PostgresStore, StoreOptions

_HOMES = {
    "DatabaseConfigError": "settings",
    "DatabaseSettings": "settings",
    "DirtyDatabaseError": "migrator",
    "MigrationError": "migrator",
    "MigrationResult": "migrator",
    "PgpassError": "pgpass",
    "PgpassPermissionError": "pgpass",
    "PostgresStore": "store",
    "StoreOptions": "store",
    "open_store": "lifecycle",
    "postgres_store_opener": "lifecycle",
    "resolve_settings": "lifecycle",
    "run_migrations": "lifecycle",
}

__all__ = [
    "DatabaseConfigError",
    "DatabaseSettings",
    "DirtyDatabaseError",
    "MigrationError",
    "MigrationResult",
    "PgpassError",
    "PgpassPermissionError",
    "PostgresStore",
    "StoreOptions",
    "open_store",
    "postgres_store_opener",
    "resolve_settings",
    "run_migrations",
]


def __getattr__(name: str) -> object:
    """Import the submodule that defines `name` (loading asyncpg only if it needs it)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
