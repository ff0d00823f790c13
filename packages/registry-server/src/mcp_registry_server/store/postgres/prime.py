"""prime-db: create the app and migration roles and the database from a superuser connection."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from mcp_registry_server.store.postgres.pool import Connection, connect
from mcp_registry_server.store.postgres.scram import scram_verifier
from mcp_registry_server.store.postgres.settings import ConnectionSettings
from mcp_registry_server.store.postgres.sqltext import quote_ident, quote_literal

log = structlog.get_logger(__name__)

REDACTED = "'********'"


class PrimeError(Exception):
    """prime-db cannot do what it was asked (e.g. an empty password)."""


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """A LOGIN role and its password (hidden from repr)."""

    name: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PrimePlan:
    """What `prime-db` sets up: two roles (one if the names match) and a database."""

    database: str
    app: RoleSpec
    migration: RoleSpec

    def roles(self) -> list[RoleSpec]:
        if self.app.name == self.migration.name:
            return [self.migration]
        return [self.migration, self.app]


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement, and its printable form (password verifiers redacted)."""

    sql: str = field(repr=False)
    shown: str


def role_statement(role: RoleSpec, *, exists: bool, verifier: str) -> Statement:
    """CREATE (or ALTER, when it exists) ROLE ... LOGIN PASSWORD '<SCRAM verifier>'."""
    verb = "ALTER" if exists else "CREATE"
    head = f"{verb} ROLE {quote_ident(role.name)} WITH LOGIN PASSWORD "
    return Statement(sql=head + quote_literal(verifier), shown=head + REDACTED)


def database_statements(plan: PrimePlan, *, exists: bool) -> list[Statement]:
    """Create the database owned by the migration user (if missing) and grant CONNECT."""
    db = quote_ident(plan.database)
    migrator, app = quote_ident(plan.migration.name), quote_ident(plan.app.name)
    sql = []
    if not exists:
        sql += [
            f"CREATE DATABASE {db} OWNER {migrator} ENCODING 'UTF8'",
            f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC",
        ]
    sql += [
        f"GRANT CONNECT, CREATE ON DATABASE {db} TO {migrator}",
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
    ]
    return [Statement(sql=s, shown=s) for s in sql]


def check_plan(plan: PrimePlan) -> None:
    for role in plan.roles():
        if not role.password.strip():
            raise PrimeError(f"the password for database user {role.name!r} must not be empty")


async def plan_statements(conn: Connection, plan: PrimePlan) -> list[Statement]:
    """Statements for the current state of the cluster (roles or database may exist)."""
    existing = {
        row["rolname"]
        for row in await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])",
            [r.name for r in plan.roles()],
        )
    }
    db_exists = bool(
        await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", plan.database)
    )
    statements = [
        role_statement(r, exists=r.name in existing, verifier=scram_verifier(r.password))
        for r in plan.roles()
    ]
    return statements + database_statements(plan, exists=db_exists)


async def prime_database(
    admin: ConnectionSettings, plan: PrimePlan, *, dry_run: bool = False
) -> list[str]:
    """Connect as a superuser (or a CREATEROLE + CREATEDB role) and set everything up.

    Passwords are sent only as SCRAM verifiers, so they appear in no server log. Each
    statement runs on its own (CREATE DATABASE cannot run in a transaction); running it
    again updates the passwords and changes nothing else. Returns the printable statements.
    """
    check_plan(plan)
    conn = await connect(admin)
    try:
        statements = await plan_statements(conn, plan)
        if not dry_run:
            for statement in statements:
                await conn.execute(statement.sql)
                log.info("prime_db_statement", sql=statement.shown)
    finally:
        await conn.close(timeout=10)
    return [s.shown for s in statements]
