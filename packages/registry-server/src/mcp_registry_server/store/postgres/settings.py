"""Connection and pool settings for the app and migration roles, derived from `database:`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from mcp_registry_common.durations import parse_go_duration
from pydantic import SecretStr

from mcp_registry_server.store.postgres.credentials import (
    APP_PASSWORD_ENV,
    MIGRATION_PASSWORD_ENV,
    Credential,
    Endpoint,
    PasswordOrigin,
    resolve_password,
)
from mcp_registry_server.store.postgres.tls import SslMode

APPLICATION_NAME = "mcp-registry-server"
SCHEMA = "registry"
"""Every table lives in this schema, owned by the migration user."""

DEFAULT_MAX_INACTIVE_SECONDS = 300.0
"""Idle connections above the pool's minimum are closed after this long (or the lifetime)."""


DEFAULT_MAX_META_SIZE = 262_144


class DatabaseConfigError(ValueError):
    """The `database:` settings ask for something this server cannot do."""


class DatabaseConfigLike(Protocol):
    """The fields of `mcp_registry_common.config.DatabaseConfig` this package reads."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def user(self) -> str: ...
    @property
    def database(self) -> str: ...
    @property
    def migration_user(self) -> str | None: ...
    @property
    def password(self) -> SecretStr | None: ...
    @property
    def migration_password(self) -> SecretStr | None: ...
    @property
    def ssl_mode(self) -> str: ...
    @property
    def ssl_root_cert(self) -> str | os.PathLike[str] | None: ...
    @property
    def max_open_conns(self) -> int: ...
    @property
    def max_idle_conns(self) -> int: ...
    @property
    def conn_max_lifetime(self) -> str | None: ...
    @property
    def max_meta_size(self) -> int: ...
    @property
    def dynamic_auth(self) -> object | None: ...


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """asyncpg pool sizing: maxOpenConns → max_size, maxIdleConns → min_size."""

    min_size: int = 2
    max_size: int = 10
    max_lifetime: float = 1800.0
    """connMaxLifetime in seconds; older connections are replaced when acquired (0 = no limit)."""
    max_inactive_lifetime: float = DEFAULT_MAX_INACTIVE_SECONDS
    max_queries: int = 50_000
    """A connection is replaced after this many queries (asyncpg's default)."""


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Everything needed to open connections for one role; the password never appears in repr."""

    host: str
    port: int
    database: str
    credential: Credential
    ssl_mode: SslMode = SslMode.PREFER
    ssl_root_cert: Path | None = None
    pool: PoolSettings = field(default_factory=PoolSettings)
    application_name: str = APPLICATION_NAME
    statement_timeout: float = 30.0
    """Server-side statement_timeout in seconds (0 = none); also asyncpg's command timeout."""
    connect_timeout: float = 10.0

    @property
    def user(self) -> str:
        return self.credential.user

    def log_fields(self) -> dict[str, object]:
        """Fields for a log event: has_password, never the password."""
        return {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "has_password": self.credential.has_password,
            "password_origin": self.credential.origin.value,
            "ssl_mode": self.ssl_mode.value,
            "pool_min_size": self.pool.min_size,
            "pool_max_size": self.pool.max_size,
        }


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """The two roles: `app` for the pool (DML only) and `migration` for DDL."""

    app: ConnectionSettings
    migration: ConnectionSettings
    max_meta_size: int = DEFAULT_MAX_META_SIZE
    """Byte cap on one server's publisher-provided `_meta` (maxMetaSize)."""

    @property
    def separate_roles(self) -> bool:
        return self.app.user != self.migration.user


def pool_settings(
    *, max_open_conns: int, max_idle_conns: int, conn_max_lifetime: str | None
) -> PoolSettings:
    """Map the Go-style knobs onto asyncpg; 0 open conns means max(4, CPUs) as pgx does."""
    max_size = max_open_conns if max_open_conns > 0 else max(4, os.cpu_count() or 1)
    min_size = min(max(max_idle_conns, 0), max_size)
    lifetime = parse_go_duration(conn_max_lifetime) if conn_max_lifetime else 3600.0
    inactive = min(lifetime, DEFAULT_MAX_INACTIVE_SECONDS) if lifetime > 0 else 0.0
    return PoolSettings(
        min_size=min_size,
        max_size=max_size,
        max_lifetime=lifetime,
        max_inactive_lifetime=inactive or DEFAULT_MAX_INACTIVE_SECONDS,
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _migration_credential(
    config: DatabaseConfigLike,
    *,
    app: Credential,
    env: Mapping[str, str],
    endpoint: Endpoint,
    home: Path,
) -> Credential:
    """The migration user's own password, or the app user's when they are the same user."""
    user = config.migration_user or config.user
    explicit = _secret(config.migration_password)
    if user == config.user and not explicit and not env.get(MIGRATION_PASSWORD_ENV):
        origin = PasswordOrigin.APP_USER if app.has_password else PasswordOrigin.NONE
        return Credential(user=user, password=app.password, origin=origin)
    return resolve_password(
        user,
        explicit=explicit,
        env_var=MIGRATION_PASSWORD_ENV,
        env=env,
        endpoint=endpoint,
        home=home,
    )


def database_settings(
    config: DatabaseConfigLike, *, env: Mapping[str, str], home: Path
) -> DatabaseSettings:
    """Resolve both roles' credentials and build their settings.

    The migration user defaults to the app user; when they are the same and no migration
    password is given, the app password is reused. pgpass is consulted with each role's name.
    """
    if config.dynamic_auth is not None:
        raise DatabaseConfigError(
            "database.dynamicAuth (AWS RDS IAM tokens) is not supported by this server:"
            " use database.password, THV_REGISTRY_DATABASE_PASSWORD or a pgpass file"
        )
    endpoint = Endpoint(host=config.host, port=config.port, database=config.database)
    app_cred = resolve_password(
        config.user,
        explicit=_secret(config.password),
        env_var=APP_PASSWORD_ENV,
        env=env,
        endpoint=endpoint,
        home=home,
    )
    migration_cred = _migration_credential(
        config, app=app_cred, env=env, endpoint=endpoint, home=home
    )
    root_cert = Path(config.ssl_root_cert) if config.ssl_root_cert else None
    app = ConnectionSettings(
        host=config.host,
        port=config.port,
        database=config.database,
        credential=app_cred,
        ssl_mode=SslMode(str(config.ssl_mode)),
        ssl_root_cert=root_cert,
        pool=pool_settings(
            max_open_conns=config.max_open_conns,
            max_idle_conns=config.max_idle_conns,
            conn_max_lifetime=config.conn_max_lifetime,
        ),
    )
    migration = replace(
        app,
        credential=migration_cred,
        pool=PoolSettings(min_size=0, max_size=1),
        statement_timeout=0.0,
        application_name=f"{APPLICATION_NAME}-migrate",
    )
    return DatabaseSettings(app=app, migration=migration, max_meta_size=config.max_meta_size)


def admin_settings(
    config: DatabaseConfigLike, *, credential: Credential, database: str
) -> ConnectionSettings:
    """A one-off superuser connection to `database` on the configured server (prime-db)."""
    return ConnectionSettings(
        host=config.host,
        port=config.port,
        database=database,
        credential=credential,
        ssl_mode=SslMode(str(config.ssl_mode)),
        ssl_root_cert=Path(config.ssl_root_cert) if config.ssl_root_cert else None,
        pool=PoolSettings(min_size=0, max_size=1),
        application_name=f"{APPLICATION_NAME}-prime-db",
        statement_timeout=0.0,
    )
