"""The real server on PostgreSQL: outage while serving, restart without a sync, two replicas."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mcp_registry_common.backoff import BackoffPolicy
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.postgres import StoreOptions, postgres_store_opener
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.db

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
UPSTREAM = SAMPLES / "fictional" / "registry-upstream.json"
PROBLEM = "application/problem+json"
FAST = StoreOptions(backoff=BackoffPolicy(base=0.02, cap=0.3), poll_interval=0.5)
LIST = "/registry/default/v0.1/servers"


@dataclass
class Replica:
    public: TestClient[Any, Any]
    internal: TestClient[Any, Any]

    async def names(self) -> list[str]:
        response = await self.public.get(LIST)
        assert response.status == 200
        return sorted({item["server"]["name"] for item in (await response.json())["servers"]})

    async def ready(self) -> bool:
        return (await self.internal.get("/readiness")).status == 200


Start = Callable[..., Awaitable[Replica]]


def write_registry(path: Path, *, drop: int = 0) -> list[str]:
    """The fictional upstream registry minus its first `drop` servers; returns their names."""
    document = json.loads(UPSTREAM.read_text())
    document["data"]["servers"] = document["data"]["servers"][drop:]
    path.write_text(json.dumps(document))
    return sorted({s["name"] for s in document["data"]["servers"]})


def server_config(db: PgDatabase, registry: Path) -> ServerConfig:
    data = {
        "sources": [
            {"name": "local", "file": {"path": str(registry)}, "syncPolicy": {"interval": "1h"}}
        ],
        "registries": [{"name": "default", "sources": ["local"]}],
        "auth": {"mode": "anonymous"},
        "database": db.config_data(),
    }
    return load_server_config_data(data).config


@pytest.fixture
def start(aiohttp_client: Any, own_pg: PgDatabase, tmp_path: Path) -> Start:
    async def _start(config: ServerConfig, *, run_sync: bool) -> Replica:
        assert config.database is not None
        opener = postgres_store_opener(config.database, env=own_pg.env, home=tmp_path, options=FAST)
        public, internal = create_apps(config, store_opener=opener, run_sync=run_sync)
        public_client = await aiohttp_client(public)  # owns the store: start it first
        return Replica(public_client, await aiohttp_client(internal))

    return _start


async def test_postgres_outage_while_serving(
    start: Start, own_pg: PgDatabase, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.json"
    expected = write_registry(registry)
    server = await start(server_config(own_pg, registry), run_sync=True)
    await wait_for(server.ready, timeout=20, message="first sync stored in PostgreSQL")
    assert await server.names() == expected
    before = await (await server.public.get(LIST)).read()

    own_pg.cluster.stop()
    during = await server.public.get(LIST)
    assert (during.status, await during.read()) == (200, before)  # served from the snapshot
    readiness = await server.internal.get("/readiness")
    assert readiness.status == 503
    assert "database unavailable" in (await readiness.json(content_type=PROBLEM))["detail"]
    assert (await server.internal.get("/health")).status == 200

    own_pg.cluster.start()
    await wait_for(server.ready, timeout=30, message="ready again without a restart")
    fewer = write_registry(registry, drop=2)
    synced = await server.internal.post("/sources/local/sync")
    assert synced.status == 200, await synced.text()
    assert (await synced.json())["phase"] == "Complete"
    assert await server.names() == fewer


async def test_restart_serves_persisted_data_and_replicas_follow_each_other(
    start: Start, own_pg: PgDatabase, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.json"
    expected = write_registry(registry)
    config = server_config(own_pg, registry)
    first = await start(config, run_sync=True)
    await wait_for(first.ready, timeout=20, message="first replica synced")

    # A second replica (or a restarted server) whose source cannot be fetched at all is
    # ready at once and serves the persisted data: no new sync is needed.
    hidden = registry.rename(tmp_path / "hidden.json")
    second = await start(config, run_sync=True)
    await wait_for(second.ready, timeout=10, message="second replica ready from the database")
    assert await second.names() == expected
    hidden.rename(registry)

    fewer = write_registry(registry, drop=3)
    assert (await first.internal.post("/sources/local/sync")).status == 200
    assert await first.names() == fewer

    async def second_caught_up() -> bool:
        return await second.names() == fewer

    await wait_for(second_caught_up, timeout=20, message="change feed reached the replica")
