"""The `migrate` and `prime-db` subcommands' arguments. Free of asyncpg: every `serve`
builds this parser; the handlers (`commands`) load only when one of these commands runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from mcp_registry_server.store.postgres.credentials import APP_PASSWORD_ENV, MIGRATION_PASSWORD_ENV

ADMIN_PASSWORD_ENV = "PGPASSWORD"


def add_database_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `migrate` and `prime-db` on the CLI's subcommand set."""
    migrate = commands.add_parser(
        "migrate",
        help="apply (up), revert (down) or force the database schema version",
        description="Runs as database.migrationUser. `serve` runs `migrate up` by itself.",
    )
    migrate.add_argument("direction", choices=("up", "down", "force"))
    migrate.add_argument("version", nargs="?", type=int, help="force: the version to record")
    migrate.add_argument("--config", type=Path, required=True, help="config.yaml with database:")
    migrate.add_argument(
        "--steps", "-n", "--num-steps", type=int, help="down: how many migrations to revert"
    )
    migrate.add_argument("--yes", "-y", action="store_true", help="down: do not ask to confirm")
    migrate.add_argument("--lock-timeout", type=float, default=300.0, metavar="SECONDS")
    prime = commands.add_parser(
        "prime-db",
        help="create the app and migration users and the database (local set-up)",
        description=(
            "Connects as a superuser to create database.user, database.migrationUser and"
            f" database.database. Passwords come from ${APP_PASSWORD_ENV},"
            f" ${MIGRATION_PASSWORD_ENV} and ${ADMIN_PASSWORD_ENV} (admin), else a prompt, else"
            " one line each on stdin (admin, migration user, app user): never from arguments."
        ),
    )
    prime.add_argument("--config", type=Path, required=True, help="config.yaml with database:")
    prime.add_argument("--admin-user", default="postgres", help="superuser (default postgres)")
    prime.add_argument("--admin-database", default="postgres", help="database to connect to")
    prime.add_argument("--database", help="database to create (default database.database)")
    prime.add_argument("--app-user", help="default database.user")
    prime.add_argument("--migration-user", help="default database.migrationUser")
    prime.add_argument("--dry-run", action="store_true", help="print the SQL, change nothing")
