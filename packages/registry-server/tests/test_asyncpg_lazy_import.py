"""asyncpg (~3 MB of RSS, ~15 ms of start-up) is loaded only when PostgreSQL is used: a
`database:` section or a database command. The in-memory server, its CLI and the
asyncpg-free database modules (settings, pgpass, credentials, tls, commandline) never load it,
and a bad `database:` still fails `serve` with the same message and status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

IN_MEMORY = """
import sys
from mcp_registry_server.app import create_apps
from mcp_registry_server.cli import build_parser, main
from mcp_registry_server.defaults import embedded_default_config
from mcp_registry_server.store.postgres import DatabaseConfigError, PgpassError
import mcp_registry_server.store.postgres.commandline
import mcp_registry_server.store.postgres.credentials
import mcp_registry_server.store.postgres.settings
import mcp_registry_server.store.postgres.tls
build_parser({}).parse_args(["serve"])
assert main(["version"]) == 0
create_apps(embedded_default_config())
print(sorted(m for m in sys.modules if m.split(".")[0] == "asyncpg"))
"""

RE_EXPORTED = """
import sys
from mcp_registry_server.store.postgres import PostgresStore, postgres_store_opener
print(PostgresStore.__module__, postgres_store_opener.__module__, "asyncpg" in sys.modules)
"""


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_in_memory_server_does_not_import_asyncpg() -> None:
    assert _python(IN_MEMORY) == "[]"


def test_the_package_still_exports_the_postgres_store_and_then_loads_asyncpg() -> None:
    homes = "mcp_registry_server.store.postgres.store mcp_registry_server.store.postgres.lifecycle"
    assert _python(RE_EXPORTED) == f"{homes} True"


def test_an_unknown_name_of_the_package_is_an_attribute_error() -> None:
    import mcp_registry_server.store.postgres as postgres

    with pytest.raises(AttributeError, match="no attribute 'open_pool'"):
        _ = postgres.open_pool  # type: ignore[attr-defined]


def _serve_with(tmp_path: Path, database: dict[str, object], env: dict[str, str]) -> str:
    """`serve` with `database:`: its stderr after it exits with status 2 (before listening)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "sources": [{"name": "m", "managed": {}}],
                "registries": [{"name": "default", "sources": ["m"]}],
                "auth": {"mode": "anonymous"},
                "database": {
                    "host": "127.0.0.1",
                    "port": 5432,
                    "database": "registry",
                    "user": "app",
                    "sslMode": "disable",
                    **database,
                },
            }
        )
    )
    argv = ["-m", "mcp_registry_server.cli", "serve", "--config", str(config)]
    addresses = ["--address", "127.0.0.1:0", "--internal-address", "127.0.0.1:0"]
    done = subprocess.run(
        [sys.executable, *argv, *addresses],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path), **env},
    )
    assert done.returncode == 2, done.stderr
    return done.stderr


def test_a_world_readable_pgpass_still_stops_serve_with_its_message(tmp_path: Path) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("127.0.0.1:5432:registry:app:secret\n")
    pgpass.chmod(0o644)
    stderr = _serve_with(tmp_path, {}, {"PGPASSFILE": str(pgpass)})
    assert stderr.startswith(f'mcp-registry-server: password file "{pgpass}"'), stderr
    assert "group or world access" in stderr


def test_dynamic_auth_still_stops_serve_with_its_message(tmp_path: Path) -> None:
    stderr = _serve_with(tmp_path, {"dynamicAuth": {"awsRdsIam": {"region": "detect"}}}, {})
    assert stderr.startswith("mcp-registry-server: "), stderr
    assert "dynamicAuth" in stderr
