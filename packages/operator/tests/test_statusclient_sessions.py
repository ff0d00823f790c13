"""The status client: Service URLs and pod IPs go through their own client sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_operator.controller.statusclient import HttpServerStatusClient
from mcp_registry_testing.loopback import serve

REPORT = {"registries": [], "sources": []}


def recording_session(seen: list[str]) -> aiohttp.ClientSession:
    """A real session whose requests are recorded by a trace hook."""

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        seen.append(f"{params.method} {params.url.path}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return aiohttp.ClientSession(trace_configs=[trace])


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    async def status(request: web.Request) -> web.Response:
        return web.json_response(REPORT)

    async def sync(request: web.Request) -> web.Response:
        return web.json_response({}, status=202)

    app = web.Application()
    app.add_routes([web.get("/status", status), web.post("/sources/{name}/sync", sync)])
    served = await serve(app)
    try:
        yield served.url
    finally:
        await served.runner.cleanup()


async def test_pod_ip_requests_use_the_pod_session(server_url: str) -> None:
    by_service: list[str] = []
    by_pod: list[str] = []
    async with recording_session(by_service) as session, recording_session(by_pod) as pods:
        client = HttpServerStatusClient(
            session,
            pod_session=pods,
            url_for=lambda namespace, name: server_url,
            pod_url_for=lambda ip: server_url,
        )
        await client.status(namespace="ns", name="reg")
        await client.status(namespace="ns", name="reg", pod_ip="10.244.0.7")
        await client.sync(namespace="ns", name="reg", source="git", pod_ip="10.244.0.7")
    assert by_service == ["GET /status"]
    assert by_pod == ["GET /status", "POST /sources/git/sync"]
