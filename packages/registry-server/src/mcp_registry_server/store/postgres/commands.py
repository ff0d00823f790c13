"""The `migrate` and `prime-db` subcommands' handlers (their arguments: `commandline`).

The CLI imports this module only when one of them runs: it loads asyncpg."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from mcp_registry_common.config import ServerConfig

from mcp_registry_server.store.errors import StoreError
from mcp_registry_server.store.postgres.commandline import ADMIN_PASSWORD_ENV
from mcp_registry_server.store.postgres.credentials import (
    APP_PASSWORD_ENV,
    MIGRATION_PASSWORD_ENV,
    Credential,
    Endpoint,
    resolve_password,
)
from mcp_registry_server.store.postgres.lifecycle import resolve_settings, run_migrations
from mcp_registry_server.store.postgres.migrator import MigrationError
from mcp_registry_server.store.postgres.pgpass import PgpassError
from mcp_registry_server.store.postgres.prime import PrimeError, PrimePlan, RoleSpec, prime_database
from mcp_registry_server.store.postgres.settings import (
    DatabaseConfigError,
    DatabaseConfigLike,
    admin_settings,
)
from mcp_registry_server.store.postgres.tls import DatabaseTlsError

ConfigLoader = Callable[[Path], ServerConfig | None]
"""Loads and validates a config file; None after printing its problems."""


def run_database_command(
    args: argparse.Namespace,
    *,
    load_config: ConfigLoader,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Run `migrate` or `prime-db`; the exit status (2: bad usage or config, 1: failed)."""
    config = load_config(args.config)
    if config is None:
        return 2
    if config.database is None:
        print(f"{args.config}: has no database: section", file=stderr)
        return 2
    try:
        if args.command == "migrate":
            return _migrate(args, config.database, env=env, stdin=stdin, stdout=stdout)
        return _prime(args, config.database, env=env, stdin=stdin, stdout=stdout)
    except (DatabaseConfigError, DatabaseTlsError, PgpassError, PrimeError, UsageError) as exc:
        print(f"mcp-registry-server {args.command}: {exc}", file=stderr)
        return 2
    except (StoreError, MigrationError) as exc:
        print(f"mcp-registry-server {args.command}: {exc}", file=stderr)
        return 1


class UsageError(Exception):
    """The command line asks for something unsafe or incomplete."""


def _confirm(question: str, *, stdin: TextIO, stdout: TextIO) -> bool:
    print(f"{question} Type 'yes' to continue: ", end="", file=stdout, flush=True)
    return stdin.readline().strip() == "yes"


def _migrate(
    args: argparse.Namespace,
    database: DatabaseConfigLike,
    *,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    settings = resolve_settings(database, env=env)
    if args.direction == "down":
        if args.steps is None or not 1 <= args.steps <= 999:
            raise UsageError("migrate down needs --steps N with 1 <= N <= 999")
        if not args.yes:
            if not stdin.isatty():
                raise UsageError("migrate down reverts schema changes: confirm with --yes")
            question = f"Revert the last {args.steps} migration(s) of {database.database!r}?"
            if not _confirm(question, stdin=stdin, stdout=stdout):
                print("aborted", file=stdout)
                return 1
    if args.direction == "force" and args.version is None:
        raise UsageError("migrate force needs the VERSION to record (-1 for none)")
    version = None if args.version is None or args.version < 0 else args.version
    result = asyncio.run(
        run_migrations(
            settings,
            direction=args.direction,
            steps=args.steps or 1,
            version=version,
            lock_timeout=args.lock_timeout,
        )
    )
    if result is None:
        print(f"schema version forced to {version}", file=stdout)
    else:
        done = ", ".join(map(str, result.applied)) or "nothing to do"
        print(f"schema version {result.before} -> {result.after} ({done})", file=stdout)
    return 0


def read_secret(
    label: str, *, env_var: str, env: Mapping[str, str], stdin: TextIO, stdout: TextIO
) -> str:
    """`env[env_var]`, else a no-echo prompt on a terminal, else one line of stdin."""
    if env.get(env_var):
        return env[env_var]
    if stdin.isatty():
        return getpass.getpass(f"{label} (or set ${env_var}): ", stream=stdout)
    line = stdin.readline()
    if not line:
        raise UsageError(f"no {label}: set ${env_var} or pass it on stdin")
    return line.rstrip("\r\n")


def _admin_credential(
    args: argparse.Namespace,
    database: DatabaseConfigLike,
    *,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
) -> Credential:
    endpoint = Endpoint(host=database.host, port=database.port, database=args.admin_database)
    found = resolve_password(
        args.admin_user,
        explicit=None,
        env_var=ADMIN_PASSWORD_ENV,
        env=env,
        endpoint=endpoint,
        home=Path.home(),
    )
    if found.has_password:
        return found
    password = read_secret(
        f"password of {args.admin_user}", env_var=ADMIN_PASSWORD_ENV, env=env, stdin=stdin,
        stdout=stdout,
    )  # fmt: skip
    return replace(found, password=password)


def _prime(
    args: argparse.Namespace,
    database: DatabaseConfigLike,
    *,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    admin_cred = _admin_credential(args, database, env=env, stdin=stdin, stdout=stdout)
    app_user = args.app_user or database.user
    migration_user = args.migration_user or database.migration_user or app_user

    def secret(user: str, env_var: str) -> str:
        return read_secret(
            f"password for {user}", env_var=env_var, env=env, stdin=stdin, stdout=stdout
        )

    migration = RoleSpec(migration_user, secret(migration_user, MIGRATION_PASSWORD_ENV))
    app = (
        migration
        if app_user == migration_user
        else RoleSpec(app_user, secret(app_user, APP_PASSWORD_ENV))
    )
    plan = PrimePlan(database=args.database or database.database, app=app, migration=migration)
    admin = admin_settings(database, credential=admin_cred, database=args.admin_database)
    shown = asyncio.run(prime_database(admin, plan, dry_run=args.dry_run))
    for line in shown:
        print(f"{line};", file=stdout)
    if args.dry_run:
        print("-- dry run: nothing was changed", file=stdout)
    else:
        print(f"database {plan.database!r} is ready: now run `migrate up` or `serve`", file=stdout)
    return 0
