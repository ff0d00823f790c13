"""Admin writes while PostgreSQL is down: a 503 problem with Retry-After for each, the outage
logged once when it starts and once when it ends, never a traceback per request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp.test_utils import TestClient
from mcp_registry_common.backoff import BackoffPolicy
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.postgres import StoreOptions, postgres_store_opener
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for
from pytest_aiohttp import AiohttpClient

pytestmark = pytest.mark.db

PROBLEM = "application/problem+json"
FAST = StoreOptions(backoff=BackoffPolicy(base=0.02, cap=0.3), poll_interval=0.5)


def admin_config(db: PgDatabase) -> ServerConfig:
    document = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous", "authz": {"roles": {"superAdmin": [{"role": "root"}]}}},
        "database": db.config_data(),
        "sync": {"adminSources": {"fileRoots": ["/"]}},  # the tests' files: anywhere
    }
    return load_server_config_data(document).config


async def start(db: PgDatabase, home: Path, aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    config = admin_config(db)
    assert config.database is not None
    opener = postgres_store_opener(config.database, env=db.env, home=home, options=FAST)
    return await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])


@pytest.mark.parametrize("outage", ["stop", "kill"])
async def test_admin_writes_during_an_outage_are_503_and_logged_once(
    outage: str, own_pg: PgDatabase, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    data = tmp_path / "extra.json"
    data.write_text(json.dumps(upstream_document([server("io.acme/extra")])))
    source = {"file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}}
    client = await start(own_pg, tmp_path, aiohttp_client)
    assert (await client.put("/v1/sources/extra", json=source)).status == 201

    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PUT", "/v1/sources/other", source),
        ("PUT", "/v1/registries/more", {"sources": ["published"]}),
        ("POST", "/v1/entries", {"server": server("io.acme/tool"), "claims": {"t": "a"}}),
        ("DELETE", "/v1/sources/extra", None),
    ]
    with structlog.testing.capture_logs() as logs:
        getattr(own_pg.cluster, outage)()
        for _ in range(3):
            for method, path, body in writes:
                response = await client.request(method, path, json=body)
                assert response.status == 503, (method, path, await response.text())
                assert response.content_type == PROBLEM
                problem = await response.json(content_type=PROBLEM)
                assert problem["status"] == 503
                assert "database" in problem["detail"]
                assert int(response.headers["Retry-After"]) >= 1

        own_pg.cluster.start()

        async def written() -> bool:
            response = await client.put("/v1/sources/other", json=source)
            return response.status in (200, 201)

        await wait_for(written, timeout=30, message="admin writes succeed after the outage")

    events = [entry["event"] for entry in logs]
    assert "request_failed" not in events
    assert not [entry for entry in logs if "exc_info" in entry or "exception" in entry]
    assert events.count("database_unavailable") == 1
    assert events.count("database_available") == 1
    assert events.index("database_unavailable") < events.index("database_available")
    warned = [
        entry["event"]
        for entry in logs
        if entry["log_level"] in ("warning", "error") and entry["event"] != "http_request"
    ]
    assert warned.count("change_feed_retry") <= 1  # its reconnect attempts are not warnings
    listed = await (await client.get("/v1/sources")).json()
    assert [item["name"] for item in listed["sources"]] == ["published", "extra", "other"]
