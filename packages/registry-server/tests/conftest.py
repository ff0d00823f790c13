"""Shared fixtures: a throw-away PostgreSQL 15 cluster per session, a fresh database per test;
connections as the app or migration role (`open_conn`, for a module that defines `settings`);
an HTTP client session, an OIDC issuer and a fake clock; an upstream registry to sync from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeAlias

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_server.store.postgres.settings import DatabaseSettings
from mcp_registry_testing.clock import FakeClock
from mcp_registry_testing.oidc import OidcIssuer
from mcp_registry_testing.postgres import (
    PgCluster,
    PgDatabase,
    RegistryRoles,
    create_database,
    create_registry_roles,
)
from mcp_registry_testing.upstreams import FaultyUpstream

UPSTREAM_SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "testdata/registry-samples/fictional/registry-upstream.json"
)
"""The fictional upstream registry (9 servers) the `upstream` fixture serves."""
Conn: TypeAlias = "asyncpg.Connection[Any]"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """Shared by every test; tests that stop or kill PostgreSQL use `own_pg` instead."""
    with PgCluster.create() as cluster:
        cluster.start()
        yield cluster


@pytest.fixture(scope="session")
def pg_roles(pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory) -> RegistryRoles:
    """The app and migration roles (scram passwords) and their 0600 pgpass file."""
    return create_registry_roles(pg_cluster, directory=tmp_path_factory.mktemp("pgpass"))


@pytest.fixture
async def open_conn(
    settings: DatabaseSettings,  # the requesting module's fixture
) -> AsyncIterator[Callable[[str], Any]]:
    """open_conn("migration" | "app") → a connection as that role; all closed afterwards."""
    opened: list[Conn] = []

    async def opener(role: str) -> Conn:
        conn = await connect(settings.migration if role == "migration" else settings.app)
        opened.append(conn)
        return conn

    yield opener
    for conn in opened:
        conn.terminate()


@pytest.fixture
def pg_db(pg_cluster: PgCluster, pg_roles: RegistryRoles) -> Iterator[PgDatabase]:
    """A fresh database owned by the migration role, dropped afterwards."""
    database = create_database(pg_cluster, pg_roles)
    yield database
    pg_cluster.drop_database(database.name)


@pytest.fixture
def own_pg(tmp_path: Path) -> Iterator[PgDatabase]:
    """A private cluster (roles and one database) that the test may stop, restart or kill."""
    with PgCluster.create() as cluster:
        cluster.start()
        roles = create_registry_roles(cluster, directory=tmp_path)
        yield create_database(cluster, roles)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def idp() -> AsyncIterator[OidcIssuer]:
    """An OIDC issuer (discovery, JWKS, introspection) on loopback."""
    async with OidcIssuer() as issuer:
        yield issuer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def upstream(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> AsyncIterator[tuple[FaultyUpstream, str]]:
    """The fictional upstream registry behind a switchable fault, and its document's URL."""
    fake = FaultyUpstream(UPSTREAM_SAMPLE.read_bytes())
    server = await aiohttp_server(fake.app())
    yield fake, str(server.make_url("/registry.json"))
    fake.release.set()
    if fake.gate is not None:
        fake.gate.set()
