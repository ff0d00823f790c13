"""The status client: every request goes to a pod's own IP (the internal port is on no
Service), through the session it was given, with the registry's internal token as a bearer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_operator.reconcile.statusclient import HttpServerStatusClient
from mcp_registry_testing.loopback import serve

REPORT = {"registries": [], "sources": []}


def recording_session(seen: list[str]) -> aiohttp.ClientSession:
    """A real session whose requests are recorded by a trace hook."""

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        seen.append(f"{params.method} {params.url.path} {params.headers.get('Authorization', '-')}")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    return aiohttp.ClientSession(trace_configs=[trace])


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    async def status(request: web.Request) -> web.Response:
        return web.json_response(REPORT)

    async def sync(request: web.Request) -> web.Response:
        return web.json_response({"name": request.match_info["name"], "phase": "Complete"})

    app = web.Application()
    app.add_routes([web.get("/{ip}/status", status), web.post("/{ip}/sources/{name}/sync", sync)])
    served = await serve(app)
    try:
        yield served.url
    finally:
        await served.runner.cleanup()


TOKEN = "t0ken-" + "k" * 40


async def test_requests_go_to_the_pod_ip_with_the_internal_token(server_url: str) -> None:
    seen: list[str] = []
    async with recording_session(seen) as session:
        client = HttpServerStatusClient(session, pod_url_for=lambda ip: f"{server_url}/{ip}")
        await client.status(pod_ip="10.244.0.7", token=TOKEN)
        await client.sync(pod_ip="10.244.0.7", token=TOKEN, source="git")
    assert seen == [
        f"GET /10.244.0.7/status Bearer {TOKEN}",
        f"POST /10.244.0.7/sources/git/sync Bearer {TOKEN}",
    ]
