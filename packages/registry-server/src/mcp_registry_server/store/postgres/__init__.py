"""PostgreSQL storage: asyncpg pool, SQL migrations, pgpass credentials, change feed."""

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
