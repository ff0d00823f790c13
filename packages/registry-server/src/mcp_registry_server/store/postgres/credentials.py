"""Password resolution for one database role: explicit config → environment → pgpass file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mcp_registry_server.store.postgres.pgpass import pgpass_path, read_pgpass_password

APP_PASSWORD_ENV = "THV_REGISTRY_DATABASE_PASSWORD"
MIGRATION_PASSWORD_ENV = "THV_REGISTRY_DATABASE_MIGRATIONPASSWORD"


class PasswordOrigin(StrEnum):
    """Where a password came from (safe to log; the password itself never is)."""

    CONFIG = "config"
    ENV = "env"
    PGPASS = "pgpass"
    APP_USER = "app-user"
    """The migration user is the app user and reuses its password."""
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Credential:
    """A user name and its resolved password; `repr` hides the password."""

    user: str
    password: str | None = field(repr=False)
    origin: PasswordOrigin

    @property
    def has_password(self) -> bool:
        return bool(self.password)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What pgpass lines are matched against."""

    host: str
    port: int
    database: str


def resolve_password(
    user: str,
    *,
    explicit: str | None,
    env_var: str,
    env: Mapping[str, str],
    endpoint: Endpoint,
    home: Path,
) -> Credential:
    """Resolve `user`'s password: explicit value, then `env[env_var]`, then the pgpass file.

    Empty strings count as unset. The pgpass file is only read when neither gave a password
    (as libpq does); a pgpass file with group or world access then raises PgpassPermissionError.
    """
    if explicit:
        return Credential(user=user, password=explicit, origin=PasswordOrigin.CONFIG)
    from_env = env.get(env_var, "")
    if from_env:
        return Credential(user=user, password=from_env, origin=PasswordOrigin.ENV)
    found = read_pgpass_password(
        pgpass_path(env, home),
        host=endpoint.host,
        port=endpoint.port,
        database=endpoint.database,
        user=user,
    )
    if found:
        return Credential(user=user, password=found, origin=PasswordOrigin.PGPASS)
    return Credential(user=user, password=None, origin=PasswordOrigin.NONE)
