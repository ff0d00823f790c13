"""Throw-away PostgreSQL 15 clusters from the Debian binaries, with scram password auth only."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_registry_common.config.database import DatabaseConfig

from mcp_registry_testing.pgprocs import alive, as_root, child_pids, chown_to, free_port, wait_until


def _pg_bin() -> Path:
    """Debian/Ubuntu server binaries: $MCP_PG_BINDIR, else version 15 (this project's CI
    machines), else the newest installed (e.g. 16 on the GitHub Actions Ubuntu runners)."""
    override = os.environ.get("MCP_PG_BINDIR")
    if override:
        return Path(override)
    installed = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    preferred = Path("/usr/lib/postgresql/15/bin")
    if preferred in installed or not installed:
        return preferred
    return installed[-1]


PG_BIN = _pg_bin()
OS_USER = "postgres"
HOST = "127.0.0.1"

_HBA = """\
# Written by mcp_registry_testing.postgres: passwords everywhere, no trust.
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
"""


class PostgresClusterError(RuntimeError):
    """A cluster command failed; the message carries its output and the server log tail."""


@dataclass
class PgCluster:
    """One PostgreSQL cluster in its own temporary directory, listening on 127.0.0.1:port."""

    base_dir: Path
    port: int
    superuser: str = "postgres"
    superuser_password: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)
    bin_dir: Path = PG_BIN
    host: str = HOST

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @classmethod
    def create(
        cls, *, superuser: str = "postgres", bin_dir: Path = PG_BIN, settings: Sequence[str] = ()
    ) -> PgCluster:
        """initdb a new cluster (not started). `settings` are extra postgresql.conf lines."""
        if not (bin_dir / "initdb").exists():
            raise PostgresClusterError(
                f"{bin_dir}/initdb not found: install Debian's postgresql-15 "
                "(scripts/bootstrap.sh --with-postgres)"
            )
        base = Path(tempfile.mkdtemp(prefix="mcp-pg-"))
        chown_to(base, OS_USER)
        cluster = cls(base_dir=base, port=free_port(), superuser=superuser, bin_dir=bin_dir)
        pwfile = base / "pwfile"
        pwfile.write_text(cluster.superuser_password + "\n")
        pwfile.chmod(0o600)
        chown_to(pwfile, OS_USER)
        try:
            cluster._run(
                "initdb",
                "-D", str(cluster.data_dir),
                "-U", superuser,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            )  # fmt: skip
        finally:
            pwfile.unlink()
        (cluster.data_dir / "pg_hba.conf").write_text(_HBA)
        conf = [
            f"port = {cluster.port}",
            f"listen_addresses = '{HOST}'",
            f"unix_socket_directories = '{base}'",
            "password_encryption = 'scram-sha-256'",
            # Fast but crash-safe for a killed postmaster (only an OS crash would lose data);
            # synchronous_commit stays on, or a kill -9 would lose acknowledged commits.
            "fsync = off",
            "full_page_writes = off",
            "max_connections = 100",
            *settings,
        ]
        with (cluster.data_dir / "postgresql.conf").open("a") as handle:
            handle.write("\n# mcp_registry_testing\n" + "\n".join(conf) + "\n")
        return cluster

    def enable_tls(self, *, cert: Path, key: Path, hba: str, listen: str = HOST) -> None:
        """Serve TLS with `cert`/`key` (copied in, owned by postgres, 0600) and replace pg_hba.

        Call before start(). `listen` is the listen_addresses value (e.g. "127.0.0.1,127.0.0.2").
        """
        for source, name in ((cert, "server.crt"), (key, "server.key")):
            target = self.data_dir / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            chown_to(target, OS_USER)
        (self.data_dir / "pg_hba.conf").write_text(hba)
        with (self.data_dir / "postgresql.conf").open("a") as handle:
            handle.write(
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                f"listen_addresses = '{listen}'\n"
            )

    def _run(self, tool: str, *args: str, timeout: float = 120.0) -> str:
        cmd = [str(self.bin_dir / tool), *args]
        if as_root():
            cmd = ["runuser", "-u", OS_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise PostgresClusterError(
                f"{tool} {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}\n"
                f"--- server log tail ---\n{self.log_tail()}"
            )
        return proc.stdout

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no server log yet)"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and alive(pid)

    def start(self, *, timeout: float = 60.0) -> None:
        """Start and wait until connections are accepted."""
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-w", "-t", str(int(timeout)), "start",
        )  # fmt: skip

    def stop(self, *, mode: str = "fast", timeout: float = 60.0) -> None:
        """Shut down cleanly (`fast` disconnects clients and rolls back their transactions)."""
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout)), "stop"
        )

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self, *, timeout: float = 30.0) -> None:
        """SIGKILL the postmaster, as a crash would; wait until every backend is gone too."""
        pid = self.postmaster_pid()
        if pid is None or not alive(pid):
            raise PostgresClusterError("kill: the cluster is not running")
        children = child_pids(pid)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not alive(pid), timeout=timeout, what=f"postmaster {pid} to die")
        # Backends exit on their own once they notice the postmaster died.
        wait_until(
            lambda: not any(alive(c) for c in children),
            timeout=timeout,
            what="backends to exit after the postmaster died",
        )
        # An unreaped zombie keeps its pid "in use", so the stale lock files would block start().
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for stale in self.base_dir.glob(".s.PGSQL.*"):
            stale.unlink(missing_ok=True)

    def destroy(self) -> None:
        """Stop (immediately) if running and delete every file."""
        if self.is_running():
            try:
                self.stop(mode="immediate")
            except PostgresClusterError:
                self.kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL as the superuser over TCP with its password; return tuples-only output."""
        env = {
            **os.environ,
            "PGPASSWORD": self.superuser_password,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.superuser,
            "PGDATABASE": database,
            "PGCONNECT_TIMEOUT": "10",
        }
        proc = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise PostgresClusterError(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def dump_schema(self, database: str, *, schema: str) -> str:
        """`pg_dump --schema-only` of one schema (DDL, grants, default privileges), comparable."""
        env = {**os.environ, "PGPASSWORD": self.superuser_password}
        cmd = [
            str(self.bin_dir / "pg_dump"), "--schema-only", f"--schema={schema}",
            "-h", self.host, "-p", str(self.port), "-U", self.superuser, database,
        ]  # fmt: skip
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        if proc.returncode != 0:
            raise PostgresClusterError(f"pg_dump failed: {proc.stderr.strip()}")
        # \restrict lines carry a random key per run (PostgreSQL 15.14+); drop them.
        lines = proc.stdout.splitlines(keepends=True)
        return "".join(
            line for line in lines if not line.startswith(("\\restrict", "\\unrestrict"))
        )

    def create_database(self, name: str, *, owner: str) -> None:
        self.psql(f'CREATE DATABASE "{name}" OWNER "{owner}"')

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


@dataclass(frozen=True)
class RegistryRoles:
    """An app role and a migration role with passwords, and a 0600 pgpass file for both."""

    app_user: str
    app_password: str = field(repr=False)
    migration_user: str
    migration_password: str = field(repr=False)
    pgpass_file: Path


def _pgpass_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_pgpass(path: Path, lines: Iterable[tuple[str, str, str, str, str]]) -> Path:
    """Write (host, port, database, user, password) lines with mode 0600; `*` stays a wildcard."""
    text = "".join(
        ":".join(f if f == "*" else _pgpass_escape(f) for f in line) + "\n" for line in lines
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def create_registry_roles(
    cluster: PgCluster,
    *,
    directory: Path,
    app_user: str = "registry_app",
    migration_user: str = "registry_migrator",
) -> RegistryRoles:
    """Create both LOGIN roles with random passwords (scram) and a pgpass file in `directory`.

    The pgpass lines use `*` for the database so one file serves every per-test database.
    """
    app_password = secrets.token_urlsafe(18) + ":\\x"  # exercises pgpass escaping
    migration_password = secrets.token_urlsafe(18)
    for user, password in ((app_user, app_password), (migration_user, migration_password)):
        literal = password.replace("'", "''")
        cluster.psql(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{literal}'")
    pgpass = write_pgpass(
        directory / "pgpass",
        [
            (cluster.host, str(cluster.port), "*", app_user, app_password),
            (cluster.host, str(cluster.port), "*", migration_user, migration_password),
        ],
    )
    return RegistryRoles(
        app_user=app_user,
        app_password=app_password,
        migration_user=migration_user,
        migration_password=migration_password,
        pgpass_file=pgpass,
    )


@dataclass(frozen=True)
class PgDatabase:
    """A database owned by the migration role, plus what a server config needs to reach it."""

    cluster: PgCluster
    roles: RegistryRoles
    name: str

    @property
    def env(self) -> dict[str, str]:
        """The environment the server would run with: only PGPASSFILE, no passwords."""
        return {"PGPASSFILE": str(self.roles.pgpass_file)}

    def config_data(self, **overrides: Any) -> dict[str, Any]:
        """The `database:` mapping of a config.yaml (sslMode disable: the cluster has no TLS)."""
        return {
            "host": self.cluster.host,
            "port": self.cluster.port,
            "database": self.name,
            "user": self.roles.app_user,
            "migrationUser": self.roles.migration_user,
            "sslMode": "disable",
            **overrides,
        }

    def config(self, **overrides: Any) -> DatabaseConfig:
        """The same as a validated DatabaseConfig."""
        return DatabaseConfig.model_validate(self.config_data(**overrides))


def create_database(cluster: PgCluster, roles: RegistryRoles) -> PgDatabase:
    """A fresh, uniquely named database owned by the migration role."""
    name = f"t_{secrets.token_hex(6)}"
    cluster.create_database(name, owner=roles.migration_user)
    return PgDatabase(cluster=cluster, roles=roles, name=name)
