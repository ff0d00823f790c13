"""Telemetry against a loopback OTLP/HTTP receiver: spans for API requests and sync attempts,
and the metrics, arrive; with telemetry off nothing is set up on the request path."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.api.fastreads import FAST_READS
from mcp_registry_server.app import create_apps
from mcp_registry_server.telemetry.settings import telemetry_settings
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.otlp import OtlpReceiver, otlp_receiver
from pytest_aiohttp import AiohttpClient

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with otlp_receiver() as got:
        yield got


def config_with(telemetry: dict[str, Any] | None, data: Path) -> ServerConfig:
    data.write_text(json.dumps(upstream_document([server("io.acme/tool")])))
    document: dict[str, Any] = {
        "sources": [
            {"name": "files", "file": {"path": str(data)}, "syncPolicy": {"interval": "1h"}},
            {
                "name": "broken",
                "file": {"path": str(data) + ".missing"},
                "syncPolicy": {"interval": "1h"},
            },
        ],
        "registries": [{"name": "default", "sources": ["files", "broken"]}],
        "auth": {"mode": "anonymous"},
    }
    if telemetry is not None:
        document["telemetry"] = telemetry
    return load_server_config_data(document).config


async def test_spans_and_metrics_reach_the_collector(
    receiver: OtlpReceiver, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    telemetry = {
        "enabled": True,
        "endpoint": receiver.url,
        "serviceName": "registry-under-test",
        "tracing": {"enabled": True, "sampling": 1.0},
        "metrics": {"enabled": True},
    }
    public, _ = create_apps(config_with(telemetry, tmp_path / "data.json"), run_sync=False)
    assert FAST_READS not in public  # every request goes through the telemetry middleware
    client = await aiohttp_client(public)
    assert (await client.post("/v1/sources/files/sync")).status == 200
    assert (await client.post("/v1/sources/broken/sync")).status == 200
    for _ in range(2):
        assert (await client.get("/registry/default/v0.1/servers")).status == 200
    headers = {"traceparent": TRACEPARENT}
    missing = await client.get(
        "/registry/default/v0.1/servers/io.acme%2Fnone/versions", headers=headers
    )
    assert missing.status == 404
    await client.close()  # the app's cleanup flushes both providers to the receiver

    listed = receiver.span_named("GET /registry/{registryName}/v0.1/servers")
    assert len(listed) == 2
    span = listed[0]
    assert span.service == "registry-under-test"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["http.request.method"] == "GET"
    (not_found,) = receiver.span_named(
        "GET /registry/{registryName}/v0.1/servers/{serverName}/versions"
    )
    assert not_found.attributes["http.response.status_code"] == 404
    assert not_found.trace_id == TRACEPARENT.split("-")[1]  # continues the caller's trace
    syncs = {
        s.attributes["registry.name"]: s for s in receiver.span_named("sync.performRegistrySync")
    }
    assert syncs["files"].attributes["sync.success"] is True
    assert syncs["files"].attributes["sync.outcome"] == "updated"
    assert syncs["broken"].attributes["sync.success"] is False
    assert syncs["broken"].attributes["sync.error_stage"] == "fetch"
    assert syncs["broken"].status_code == 2  # STATUS_CODE_ERROR

    metrics = receiver.metrics
    routes = {point["http.route"] for point in metrics["http.server.request.duration"]}
    assert "/registry/{registryName}/v0.1/servers" in routes
    assert "stacklok.registry.http.requests" in metrics
    outcomes = {(p["source"], p["outcome"]) for p in metrics["stacklok.registry.sync.duration"]}
    assert outcomes == {("files", "success"), ("broken", "error")}
    assert {"error_type": "fetch", "area": "sync"} in metrics["stacklok.registry.errors"]
    assert {"error_type": "client_error", "area": "http"} in metrics["stacklok.registry.errors"]
    assert {p["source"] for p in metrics["stacklok.registry.servers"]} == {"files", "broken"}
    assert "stacklok.registry.skills" in metrics


async def test_tracing_alone_exports_no_metrics(
    receiver: OtlpReceiver, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    telemetry = {
        "enabled": True,
        "endpoint": receiver.url,
        "tracing": {"enabled": True, "sampling": 1.0},
    }
    public, _ = create_apps(config_with(telemetry, tmp_path / "data.json"), run_sync=False)
    client = await aiohttp_client(public)
    assert (await client.get("/registry/default/v0.1/servers")).status == 200
    await client.close()
    assert receiver.span_named("GET /registry/{registryName}/v0.1/servers")
    assert receiver.metrics == {}


async def test_disabled_telemetry_sends_nothing_and_keeps_the_fast_path(
    receiver: OtlpReceiver, tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    telemetry = {"enabled": False, "endpoint": receiver.url, "tracing": {"enabled": True}}
    public, _ = create_apps(config_with(telemetry, tmp_path / "data.json"), run_sync=False)
    assert FAST_READS in public
    client = await aiohttp_client(public)
    assert (await client.post("/v1/sources/files/sync")).status == 200
    assert (await client.get("/registry/default/v0.1/servers")).status == 200
    await client.close()
    assert receiver.requests == 0


def test_settings_resolve_the_endpoint_like_toolhive() -> None:
    def settings(**block: Any) -> Any:
        config = load_server_config_data(
            {
                "sources": [{"name": "m", "managed": {}}],
                "registries": [{"name": "r", "sources": ["m"]}],
                "auth": {"mode": "anonymous"},
                "telemetry": {"enabled": True, "metrics": {"enabled": True}, **block},
            }
        ).config
        return telemetry_settings(config.telemetry)

    assert settings().traces_url == "https://localhost:4318/v1/traces"
    assert (
        settings(insecure=True, endpoint="otel:4318").metrics_url == "http://otel:4318/v1/metrics"
    )
    assert settings(endpoint="http://otel:4318/").base_url == "http://otel:4318"
    assert settings(metrics={"enabled": False}) is None  # nothing to export
    assert settings(enabled=False) is None


def test_the_sdk_is_not_imported_unless_telemetry_is_enabled() -> None:
    code = (
        "import sys\n"
        "from mcp_registry_server.cli import main\n"
        "from mcp_registry_server.app import create_apps\n"
        "from mcp_registry_server.defaults import embedded_default_config\n"
        "create_apps(embedded_default_config())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
