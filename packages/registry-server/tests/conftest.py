"""Shared fixtures: a throw-away PostgreSQL 15 cluster per session, a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_registry_testing.postgres import (
    PgCluster,
    PgDatabase,
    RegistryRoles,
    create_database,
    create_registry_roles,
)


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
