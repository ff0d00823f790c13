"""prime-db and `migrate` on the command line, and client-side SCRAM verifiers, on real PG15."""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from mcp_registry_common.config import ServerConfig, load_server_config_file
from mcp_registry_server.cli import build_parser, main
from mcp_registry_server.store.postgres.commands import run_database_command
from mcp_registry_server.store.postgres.credentials import APP_PASSWORD_ENV, MIGRATION_PASSWORD_ENV
from mcp_registry_server.store.postgres.migrator import latest_version, load_migrations
from mcp_registry_server.store.postgres.scram import saslprep, scram_verifier
from mcp_registry_testing.postgres import PgCluster, PgDatabase

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("password", "prepared"),
    [
        ("plain ascii \x07", "plain ascii \x07"),  # ASCII is never touched (PostgreSQL's rule)
        ("\uff50\uff41\uff53\uff53", "pass"),  # fullwidth letters: NFKC
        ("pass\u00adword", "password"),  # soft hyphen maps to nothing
        ("p\u00a0w", "p w"),  # non-ASCII space maps to a space
        ("pä\u2028", None),  # a prohibited character: PostgreSQL hashes the raw bytes
        ("\u0627\u0031", None),  # bidi rule: RandALCat must start and end the string
    ],
)
def test_saslprep(password: str, prepared: str | None) -> None:
    assert saslprep(password) == prepared


@pytest.mark.parametrize(
    "password",
    ["s3cret", "\uff50\uff41\uff53\uff53", "pass\u00adword", "pä\u2028", "it's:a\\test", "ünï"],
)
def test_verifier_matches_what_postgresql_computes(pg_cluster: PgCluster, password: str) -> None:
    role = f"scram_{secrets.token_hex(4)}"
    literal = password.replace("'", "''")
    pg_cluster.psql(f"CREATE ROLE {role} PASSWORD '{literal}'")
    try:
        stored = pg_cluster.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'")
    finally:
        pg_cluster.psql(f"DROP ROLE {role}")
    iterations, rest = stored.removeprefix("SCRAM-SHA-256$").split(":", 1)
    salt = base64.b64decode(rest.split("$", 1)[0])
    assert scram_verifier(password, salt=salt, iterations=int(iterations)) == stored


@pytest.fixture
def names(pg_cluster: PgCluster) -> Iterator[dict[str, str]]:
    """Unique role and database names (roles are cluster-wide); dropped afterwards."""
    suffix = secrets.token_hex(4)
    chosen = {"db": f"prime_{suffix}", "app": f"app_{suffix}", "migrator": f"mig_{suffix}"}
    yield chosen
    pg_cluster.drop_database(chosen["db"])
    pg_cluster.psql(f'DROP ROLE IF EXISTS "{chosen["app"]}", "{chosen["migrator"]}"')


def full_config(database: dict[str, Any]) -> str:
    """A complete config.yaml (the commands read the same file as `serve`)."""
    return yaml.safe_dump(
        {
            "sources": [
                {"name": "local", "file": {"path": "r.json"}, "syncPolicy": {"interval": "1h"}}
            ],
            "registries": [{"name": "default", "sources": ["local"]}],
            "auth": {"mode": "anonymous"},
            "database": database,
        }
    )


def write_config(path: Path, cluster: PgCluster, names: dict[str, str]) -> Path:
    database = {
        "host": cluster.host,
        "port": cluster.port,
        "database": names["db"],
        "user": names["app"],
        "migrationUser": names["migrator"],
        "sslMode": "disable",
    }
    path.write_text(full_config(database))
    return path


def load_config(path: Path) -> ServerConfig:
    return load_server_config_file(path).config


def run(argv: list[str], *, env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    """The CLI's database commands with an explicit environment and stdin (not a terminal)."""
    args = build_parser(env).parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = run_database_command(
        args, load_config=load_config, env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


async def login(cluster: PgCluster, *, user: str, password: str, database: str) -> Any:
    conn = await asyncpg.connect(
        host=cluster.host, port=cluster.port, user=user, password=password, database=database
    )
    try:
        return await conn.fetchrow(
            "SELECT current_user AS who, pg_catalog.pg_get_userbyid(d.datdba) AS owner"
            " FROM pg_database d WHERE d.datname = current_database()"
        )
    finally:
        await conn.close()


def test_prime_db_then_migrate_up(
    pg_cluster: PgCluster, names: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml", pg_cluster, names)
    env = {
        "PGPASSWORD": pg_cluster.superuser_password,
        MIGRATION_PASSWORD_ENV: "mig-pass'1",
        APP_PASSWORD_ENV: "app-pass:2",
    }
    code, out, err = run(["prime-db", "--config", str(config)], env=env)
    assert code == 0, err
    assert "mig-pass" not in out
    assert "app-pass" not in out
    assert f"CREATE ROLE \"{names['app']}\" WITH LOGIN PASSWORD '********'" in out
    assert f'CREATE DATABASE "{names["db"]}" OWNER "{names["migrator"]}"' in out

    row = asyncio.run(
        login(pg_cluster, user=names["app"], password="app-pass:2", database=names["db"])
    )
    assert (row["who"], row["owner"]) == (names["app"], names["migrator"])
    stored = pg_cluster.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{names['app']}'")
    assert stored.startswith("SCRAM-SHA-256$4096:")

    code, out, err = run(["migrate", "up", "--config", str(config)], env=env)
    assert (code, err) == (0, "")
    versions = [migration.version for migration in load_migrations()]
    applied = ", ".join(map(str, versions))
    assert f"schema version None -> {versions[-1]} ({applied})" in out
    code, out, err = run(["migrate", "down", "--steps", "1", "--config", str(config)], env=env)
    assert code == 2
    assert "confirm with --yes" in err
    code, out, _ = run(["migrate", "down", "-n", "1", "-y", "--config", str(config)], env=env)
    last, before = versions[-1], versions[-2]
    assert (code, out.strip().splitlines()[-1]) == (
        0,
        f"schema version {last} -> {before} ({last})",
    )

    # Running prime-db again only resets the passwords.
    again = {**env, APP_PASSWORD_ENV: "new-app-pass"}
    code, out, err = run(["prime-db", "--config", str(config)], env=again)
    assert code == 0, err
    assert f'ALTER ROLE "{names["app"]}"' in out
    assert "CREATE DATABASE" not in out
    asyncio.run(login(pg_cluster, user=names["app"], password="new-app-pass", database=names["db"]))


def test_prime_db_reads_passwords_from_stdin_and_dry_run_changes_nothing(
    pg_cluster: PgCluster, names: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml", pg_cluster, names)
    stdin = f"{pg_cluster.superuser_password}\nmigrator-secret\napp-secret\n"
    code, out, err = run(["prime-db", "--dry-run", "--config", str(config)], env={}, stdin=stdin)
    assert code == 0, err
    assert "dry run" in out
    assert "secret" not in out
    exists = pg_cluster.psql(f"SELECT count(*) FROM pg_roles WHERE rolname = '{names['app']}'")
    assert exists == "0"

    code, out, err = run(["prime-db", "--config", str(config)], env={}, stdin=stdin)
    assert code == 0, err
    row = asyncio.run(
        login(pg_cluster, user=names["migrator"], password="migrator-secret", database=names["db"])
    )
    assert row["who"] == names["migrator"]


def test_prime_db_refuses_an_empty_password(
    pg_cluster: PgCluster, names: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path / "config.yaml", pg_cluster, names)
    stdin = f"{pg_cluster.superuser_password}\n\napp\n"
    code, _, err = run(["prime-db", "--config", str(config)], env={}, stdin=stdin)
    assert code == 2
    assert f"password for database user '{names['migrator']}' must not be empty" in err


def test_cli_main_wires_migrate(
    pg_db: PgDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(full_config(pg_db.config_data()))
    monkeypatch.setenv("PGPASSFILE", str(pg_db.roles.pgpass_file))
    assert main(["migrate", "up", "--config", str(config)]) == 0
    assert f"-> {latest_version(load_migrations())}" in capsys.readouterr().out
    assert main(["migrate", "force", "--config", str(config)]) == 2
    assert main(["migrate", "up", "--config", str(config)]) == 0
    assert "(nothing to do)" in capsys.readouterr().out


def test_migrate_reports_an_unreachable_database(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    database = {"host": "127.0.0.1", "port": 9, "database": "d", "user": "u", "sslMode": "disable"}
    config.write_text(full_config(database))
    code, _, err = run(["migrate", "up", "--config", str(config)], env={APP_PASSWORD_ENV: "x"})
    assert code == 1
    assert "cannot connect as migration user" in err


def test_serve_refuses_a_world_readable_pgpass(
    pg_db: PgDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(full_config(pg_db.config_data()))
    leaky = tmp_path / "pgpass"
    leaky.write_bytes(pg_db.roles.pgpass_file.read_bytes())
    leaky.chmod(0o644)
    monkeypatch.setenv("PGPASSFILE", str(leaky))
    assert main(["serve", "--config", str(config), "--address", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err
    assert f'password file "{leaky}" has group or world access' in err
    assert "permissions should be u=rw (0600) or less" in err
