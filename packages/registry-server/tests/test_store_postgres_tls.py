"""sslMode against a real TLS-only PostgreSQL 15: disable through verify-full, with a CA file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_registry_server.store.postgres import resolve_settings
from mcp_registry_server.store.postgres.availability import is_unavailable
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_testing import tls
from mcp_registry_testing.postgres import (
    PgCluster,
    PgDatabase,
    create_database,
    create_registry_roles,
)

pytestmark = pytest.mark.db

HBA_TLS_ONLY = """\
local   all all              scram-sha-256
hostssl all all 127.0.0.0/8  scram-sha-256
"""


@pytest.fixture(scope="module")
def certs() -> tls.TestCertificates:
    return tls.make_certificates(Path(tempfile.mkdtemp(prefix="pg-tls-")))


@pytest.fixture(scope="module")
def other_ca() -> Path:
    return tls.make_certificates(Path(tempfile.mkdtemp(prefix="pg-tls-other-"))).ca_cert


@pytest.fixture(scope="module")
def tls_pg(certs: tls.TestCertificates) -> Iterator[PgDatabase]:
    """A cluster that accepts TLS connections only, on 127.0.0.1 (in the certificate) and
    127.0.0.2 (not in it)."""
    with PgCluster.create() as cluster:
        cluster.enable_tls(
            cert=certs.server_cert,
            key=certs.server_key,
            hba=HBA_TLS_ONLY,
            listen="127.0.0.1,127.0.0.2",
        )
        cluster.start()
        roles = create_registry_roles(cluster, directory=cluster.base_dir)
        yield create_database(cluster, roles)


async def uses_tls(db: PgDatabase, tmp_path: Path, **overrides: object) -> bool:
    config = db.config(password=db.roles.app_password, **overrides)
    conn = await connect(resolve_settings(config, env={}, home=tmp_path).app)
    try:
        return bool(await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("mode", "host", "ca"),
    [
        ("allow", "127.0.0.1", None),  # plain first, refused by pg_hba, then TLS
        ("prefer", "127.0.0.1", None),
        ("require", "127.0.0.1", None),
        ("require", "127.0.0.2", "other"),  # no verification at all
        ("verify-ca", "127.0.0.1", "ours"),
        ("verify-ca", "127.0.0.2", "ours"),  # the name is not checked
        ("verify-full", "127.0.0.1", "ours"),
    ],
)
async def test_modes_that_connect(
    tls_pg: PgDatabase,
    certs: tls.TestCertificates,
    other_ca: Path,
    tmp_path: Path,
    mode: str,
    host: str,
    ca: str | None,
) -> None:
    root = {"ours": str(certs.ca_cert), "other": str(other_ca), None: None}[ca]
    extra = {"sslRootCert": root} if root else {}
    assert await uses_tls(tls_pg, tmp_path, sslMode=mode, host=host, **extra)


@pytest.mark.parametrize(
    ("mode", "host", "ca", "error"),
    [
        ("disable", "127.0.0.1", None, "no encryption"),
        ("verify-ca", "127.0.0.1", "other", "certificate verify failed"),
        ("verify-full", "127.0.0.2", "ours", "IP address mismatch"),
        ("verify-full", "127.0.0.1", None, "certificate verify failed"),  # system CAs only
    ],
)
async def test_modes_that_refuse(
    tls_pg: PgDatabase,
    certs: tls.TestCertificates,
    other_ca: Path,
    tmp_path: Path,
    mode: str,
    host: str,
    ca: str | None,
    error: str,
) -> None:
    root = {"ours": str(certs.ca_cert), "other": str(other_ca), None: None}[ca]
    extra = {"sslRootCert": root} if root else {}
    with pytest.raises(Exception, match=error) as info:
        await uses_tls(tls_pg, tmp_path, sslMode=mode, host=host, **extra)
    assert is_unavailable(info.value)  # reported as an outage, never a crash
