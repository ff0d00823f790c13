"""The admin API on PostgreSQL: what it creates (sources, registries, published entries and
their claims) survives a restart of the server over the same database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.sources.localfiles import OUTSIDE_ROOTS
from mcp_registry_server.store.postgres import postgres_store_opener
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.postgres import PgDatabase
from pytest_aiohttp import AiohttpClient

pytestmark = pytest.mark.db


async def test_admin_definitions_survive_a_restart(
    pg_db: PgDatabase, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    document = {
        "sources": [{"name": "published", "managed": {}}],
        "registries": [{"name": "default", "sources": ["published"]}],
        "auth": {"mode": "anonymous", "authz": {"roles": {"superAdmin": [{"role": "root"}]}}},
        "database": pg_db.config_data(),
        "sync": {"adminSources": {"fileRoots": [str(tmp_path)]}},
    }
    config = load_server_config_data(document).config
    assert config.database is not None
    data = tmp_path / "extra.json"
    data.write_text(json.dumps(upstream_document([server("io.acme/extra")])))

    async def start() -> Any:
        assert config.database is not None
        opener = postgres_store_opener(config.database, env=pg_db.env, home=tmp_path)
        return await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])

    first = await start()
    source = {"file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}, "claims": {"t": "a"}}
    assert (await first.put("/v1/sources/extra", json=source)).status == 201
    assert (await first.post("/v1/sources/extra/sync")).status == 200
    registry = {"sources": ["published", "extra"], "claims": {"t": "a"}}
    assert (await first.put("/v1/registries/api", json=registry)).status == 201
    publish = {"server": server("io.acme/tool", "1.0.0"), "claims": {"t": ["a", "b"]}}
    assert (await first.post("/v1/entries", json=publish)).status == 201
    await first.close()

    second = await start()
    sources = await (await second.get("/v1/sources")).json()
    assert [(s["name"], s["creationType"]) for s in sources["sources"]] == [
        ("published", "CONFIG"),
        ("extra", "API"),
    ]
    registries = await (await second.get("/v1/registries/api")).json()
    assert (registries["sources"], registries["claims"]) == (["published", "extra"], {"t": "a"})
    claims = await (await second.get("/v1/entries/server/io.acme%2Ftool/claims")).json()
    assert claims == {"claims": {"t": ["a", "b"]}}
    listed = await (await second.get("/registry/api/v0.1/servers")).json()
    assert [item["server"]["name"] for item in listed["servers"]] == [
        "io.acme/extra",
        "io.acme/tool",
    ]
    republish = {"server": server("io.acme/tool", "1.1.0"), "claims": {"t": "c"}}
    response = await second.post("/v1/entries", json=republish)
    assert response.status == 409  # the first publisher's claims were kept
    await second.close()


async def test_a_stored_admin_source_outside_narrowed_roots_is_refused_after_a_restart(
    pg_db: PgDatabase, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    """fileRoots are the config's at every fetch, not only when the source was written."""
    data = tmp_path / "extra.json"
    data.write_text(json.dumps(upstream_document([server("io.acme/extra")])))
    (tmp_path / "narrow").mkdir()

    async def start(roots: list[str]) -> Any:
        document = {
            "sources": [{"name": "published", "managed": {}}],
            "registries": [{"name": "default", "sources": ["published"]}],
            "auth": {"mode": "anonymous"},
            "database": pg_db.config_data(),
            "sync": {"adminSources": {"fileRoots": roots}},
        }
        config = load_server_config_data(document).config
        assert config.database is not None
        opener = postgres_store_opener(config.database, env=pg_db.env, home=tmp_path)
        return await aiohttp_client(create_apps(config, store_opener=opener, run_sync=False)[0])

    first = await start([str(tmp_path)])
    source = {"file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}}
    assert (await first.put("/v1/sources/extra", json=source)).status == 201
    synced = await (await first.post("/v1/sources/extra/sync")).json()
    assert synced["syncStatus"]["phase"] == "complete"
    await first.close()

    second = await start([str(tmp_path / "narrow")])
    refused = await (await second.post("/v1/sources/extra/sync")).json()
    assert refused["syncStatus"]["phase"] == "failed"
    assert refused["syncStatus"]["message"].endswith(OUTSIDE_ROOTS)
