"""`/metrics` hygiene on the real sync engine: a deleted source's series go with it, the
process and GC collectors are there, and no `_created` series is exposed."""

from __future__ import annotations

import json
from pathlib import Path

from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_testing.authz import server, upstream_document
from pytest_aiohttp import AiohttpClient


def _document(name: str) -> str:
    return json.dumps(upstream_document([server(name)]))


async def test_a_deleted_sources_series_leave_metrics_with_it(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    kept, temp = tmp_path / "kept.json", tmp_path / "temp.json"
    kept.write_text(_document("io.acme/kept"))
    temp.write_text(_document("io.acme/temp"))
    config = load_server_config_data(
        {
            "sources": [
                {"name": "kept", "file": {"path": str(kept)}, "syncPolicy": {"interval": "1h"}}
            ],
            "registries": [{"name": "default", "sources": ["kept"]}],
            "auth": {"mode": "anonymous"},
            "sync": {"adminSources": {"fileRoots": [str(tmp_path)]}},
        }
    ).config
    public_app, internal_app = create_apps(config)
    public = await aiohttp_client(public_app)  # owns the resources: start it first
    internal = await aiohttp_client(internal_app)

    async def series(source: str) -> list[str]:
        text = await (await internal.get("/metrics")).text()
        return [ln for ln in text.splitlines() if f'source="{source}"' in ln]

    created = await public.put(
        "/v1/sources/temp",
        json={"file": {"path": str(temp)}, "syncPolicy": {"interval": "1h"}},
    )
    assert created.status in (200, 201), await created.text()
    synced = await public.post("/v1/sources/temp/sync")
    assert synced.status == 200, await synced.text()
    await public.post("/v1/sources/kept/sync")
    names = {line.split("{")[0] for line in await series("temp")}
    assert {
        "mcp_registry_source_servers",
        "mcp_registry_source_last_success_timestamp_seconds",
        "mcp_registry_sync_attempts_total",
    } <= names
    deleted = await public.delete("/v1/sources/temp")
    assert deleted.status in (200, 204), await deleted.text()
    assert await series("temp") == []
    assert any(line.startswith("mcp_registry_source_servers") for line in await series("kept"))


async def test_process_and_gc_metrics_without_created_series(aiohttp_client: AiohttpClient) -> None:
    config = load_server_config_data(
        {
            "sources": [{"name": "m", "managed": {}}],
            "registries": [{"name": "default", "sources": ["m"]}],
            "auth": {"mode": "anonymous"},
        }
    ).config
    public_app, internal_app = create_apps(config)
    await aiohttp_client(public_app)
    internal = await aiohttp_client(internal_app)
    await internal.get("/health")  # one request: the request histogram has a series
    text = await (await internal.get("/metrics")).text()
    names = {ln.split("{")[0].split(" ")[0] for ln in text.splitlines() if not ln.startswith("#")}
    assert {"process_resident_memory_bytes", "python_gc_collections_total", "python_info"} <= names
    assert "http_server_request_duration_seconds_count" in names
    assert not [name for name in names if name.endswith("_created")]
