"""The internal port: health, readiness as syncs land, version, metrics, status, manual sync."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import StoreNotConfiguredError, create_apps
from mcp_registry_server.buildinfo import BuildInfo
from mcp_registry_server.keys import ENGINE
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.engine import SyncEngine
from mcp_registry_testing.registry_engine import FakeEngineFactory, FakeSyncEngine
from mcp_registry_testing.waiting import wait_for

PROBLEM = "application/problem+json"
BUILD = BuildInfo("9.9.9", "abc123", "2026-01-01", "3.11.7", "linux/x86_64")


def config_for(
    registries: Mapping[str, list[str]], *, managed: str | None = None, **extra: Any
) -> ServerConfig:
    names = {src for srcs in registries.values() for src in srcs}
    sources: list[dict[str, Any]] = [
        {"name": name, "file": {"path": f"{name}.json"}, "syncPolicy": {"interval": "1h"}}
        for name in sorted(names - {managed})
    ]
    if managed:
        sources.append({"name": managed, "managed": {}})
    registry_list = [{"name": name, "sources": srcs} for name, srcs in registries.items()]
    data = {"sources": sources, "registries": registry_list, "auth": {"mode": "anonymous"}, **extra}
    return load_server_config_data(data).config


def server(name: str, version: str = "1.0.0") -> dict[str, Any]:
    return {"name": name, "version": version, "description": "d"}


@dataclass
class Pair:
    public: TestClient[Any, Any]
    internal: TestClient[Any, Any]
    engine: FakeSyncEngine


@pytest.fixture
def start(aiohttp_client: Any) -> Any:
    async def _start(config: ServerConfig, *, run_sync: bool = False, **kwargs: Any) -> Pair:
        factory = FakeEngineFactory()
        public, internal = create_apps(
            config, engine_factory=factory, run_sync=run_sync, build_info=BUILD, **kwargs
        )
        public_client = await aiohttp_client(public)  # owns the resources: start it first
        return Pair(public_client, await aiohttp_client(internal), factory.engine)

    return _start


async def test_health_and_version(start: Any) -> None:
    pair = await start(config_for({"default": ["a"]}))
    health = await pair.internal.get("/health")
    assert (health.status, await health.json()) == (200, {"status": "healthy"})
    version = await pair.internal.get("/version")
    assert await version.json() == {
        "version": "9.9.9",
        "commit": "abc123",
        "build_date": "2026-01-01",
        "python_version": "3.11.7",
        "platform": "linux/x86_64",
    }


async def test_readiness_waits_for_every_synced_source_of_every_registry(start: Any) -> None:
    pair = await start(config_for({"default": ["a", "b"], "other": ["b", "m"]}, managed="m"))
    response = await pair.internal.get("/readiness")
    assert response.status == 503
    assert response.content_type == PROBLEM
    problem = await response.json(content_type=PROBLEM)
    assert problem["waiting"] == {"default": ["a", "b"], "other": ["b"]}
    assert "registry default waits for a, b" in problem["detail"]
    await pair.engine.publish("b", [server("x/b")])
    problem = await (await pair.internal.get("/readiness")).json(content_type=PROBLEM)
    assert problem["waiting"] == {"default": ["a"]}
    pair.engine.fail("a", "network down")
    assert (await pair.internal.get("/readiness")).status == 503
    await pair.engine.publish("a", [server("x/a")])
    ready = await pair.internal.get("/readiness")
    assert (ready.status, await ready.json()) == (200, {"status": "ready"})


async def test_managed_only_registry_is_ready_at_once(start: Any) -> None:
    pair = await start(config_for({"default": ["m"]}, managed="m"))
    assert (await pair.internal.get("/readiness")).status == 200


async def test_status_lists_sources_and_registries(start: Any) -> None:
    pair = await start(config_for({"default": ["a", "m"]}, managed="m"))
    await pair.engine.publish("a", [server("x/a"), server("x/b")])
    pair.engine.fail("a", "upstream 500")
    body = await (await pair.internal.get("/status")).json()
    assert body["sources"][0] == {
        "name": "a",
        "phase": "Failed",
        "message": "upstream 500",
        "attemptCount": 1,
        "lastAttempt": "2026-02-18T12:00:00.000000Z",
        "lastSyncTime": "2026-02-18T12:00:00.000000Z",
        "contentHash": "h2",
        "serverCount": 2,
        "skillCount": 0,
        "pluginCount": 0,
    }
    assert body["sources"][1]["name"] == "m"
    assert body["sources"][1]["lastSyncTime"] is None
    assert body["registries"] == [
        {
            "name": "default",
            "sources": ["a", "m"],
            "ready": True,
            "waitingFor": [],
            "serverCount": 2,
        }
    ]


async def test_manual_sync(start: Any) -> None:
    pair = await start(config_for({"default": ["a", "m"]}, managed="m"))
    pair.engine.stage("a", [server("x/fresh")])
    response = await pair.internal.post("/sources/a/sync")
    assert response.status == 200
    status = await response.json()
    assert (status["name"], status["phase"], status["serverCount"]) == ("a", "Complete", 1)
    assert pair.engine.sync_calls == ["a"]
    listed = await (await pair.public.get("/v0.1/servers")).json()
    assert [item["server"]["name"] for item in listed["servers"]] == ["x/fresh"]
    unknown = await pair.internal.post("/sources/nope/sync")
    assert unknown.status == 404
    assert "unknown source 'nope'" in (await unknown.json(content_type=PROBLEM))["detail"]
    managed = await pair.internal.post("/sources/m/sync")
    assert managed.status == 409
    assert "not synced" in (await managed.json(content_type=PROBLEM))["detail"]
    assert (await pair.internal.get("/sources/a/sync")).status == 405


async def test_metrics_cover_requests_snapshots_and_build(start: Any) -> None:
    times = iter([100.0, 100.0, 130.0, 200.0])
    pair = await start(config_for({"default": ["a"]}), clock=lambda: next(times, 200.0))
    await pair.engine.publish("a", [server("x/a"), server("x/a", "2"), server("x/b")])
    await pair.public.get("/v0.1/servers/x%2Fa/versions")
    await pair.public.get("/v0.1/servers?limit=0")
    text = await (await pair.internal.get("/metrics")).text()
    assert (
        'http_server_request_duration_seconds_count{http_request_method="GET",'
        'http_response_status_code="200",http_route="/v0.1/servers/{serverName}/versions"} 1.0'
    ) in text
    assert 'http_response_status_code="400",http_route="/v0.1/servers"' in text
    assert 'mcp_registry_snapshot_servers{registry="default"} 2.0' in text
    assert 'mcp_registry_snapshot_age_seconds{registry="default"}' in text
    assert (
        'mcp_registry_build_info{commit="abc123",python_version="3.11.7",version="9.9.9"} 1.0'
        in text
    )


async def test_snapshot_age_is_measured_from_the_last_rebuild(start: Any) -> None:
    now = [1000.0]
    pair = await start(config_for({"default": ["a"]}), clock=lambda: now[0])
    now[0] = 1060.0
    await pair.engine.publish("a", [server("x/a")])
    now[0] = 1075.5
    text = await (await pair.internal.get("/metrics")).text()
    assert 'mcp_registry_snapshot_age_seconds{registry="default"} 15.5' in text


async def test_persisted_data_is_served_before_any_sync(start: Any) -> None:
    store = MemoryStore()
    config = config_for({"default": ["a"]})
    first = await start(config, store=store)
    await first.engine.publish("a", [server("x/kept")])
    second = await start(config, store=store)  # a restart over the same store
    listed = await (await second.public.get("/v0.1/servers")).json()
    assert [item["server"]["name"] for item in listed["servers"]] == ["x/kept"]


async def test_engine_loop_runs_and_stops_with_the_app(aiohttp_client: Any) -> None:
    factory = FakeEngineFactory()
    public, _ = create_apps(config_for({"default": ["a"]}), engine_factory=factory)
    client = await aiohttp_client(public)
    await asyncio.wait_for(factory.engine.running.wait(), timeout=5)
    await client.close()
    await wait_for(lambda: not any(t.get_name() == "sync-engine" for t in asyncio.all_tasks()))


async def test_the_real_engine_gets_the_configured_sync_concurrency(aiohttp_client: Any) -> None:
    public, _ = create_apps(config_for({"default": ["a"]}), run_sync=False, sync_concurrency=7)
    await aiohttp_client(public)
    engine = public[ENGINE].engine
    assert isinstance(engine, SyncEngine)
    assert engine.concurrency == 7


def test_database_needs_a_store_opener() -> None:
    database = {"host": "db", "port": 5432, "user": "app", "database": "registry"}
    config = config_for({"default": ["a"]}, database=database)
    with pytest.raises(StoreNotConfiguredError, match="database"):
        create_apps(config)
    public, _ = create_apps(config, store=MemoryStore())
    assert public is not None
