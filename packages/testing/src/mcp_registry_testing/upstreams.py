"""A local upstream for sync tests: a registry file at `/registry.json` that can be switched into
one failure at a time (500, hang, truncated, not JSON, invalid, 200 MB, redirect loop, too
many JSON values or servers for its size), and an MCP Registry API at `/v0.1/servers` serving
fixed pages by cursor. `/held/registry.json` answers the good file only once `held` is set (a
slow first sync, as long as a test wants it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Literal

from aiohttp import web

from mcp_registry_testing.hostiledocs import empty_servers_upstream

Fault = Literal[
    "ok",
    "http-500",
    "hang",
    "truncated",
    "not-json",
    "invalid",
    "huge",
    "redirect-loop",
    "dense",
    "crowded",
]
HUGE_BYTES = 200_000_000
DENSE_OBJECTS = 700_000
"""`{}`s of the `dense` document: 2.1 MB, 1.4 million JSON values."""
CROWDED_SERVERS = 20_000
"""Valid servers of the `crowded` document (1.3 MB)."""
_CHUNK = 1024 * 1024


class FaultyUpstream:
    """`mode` picks the behaviour of `/registry.json`; counters say what was served.

    Handlers that hang wait on `release`, `/held/registry.json` on `held`; set both (fixture
    teardown) before the server stops. With `gate` set, even good answers wait for it (to
    hold an attempt mid-fetch).
    """

    def __init__(
        self, body: bytes, *, pages: Mapping[str | None, Mapping[str, Any]] | None = None
    ) -> None:
        self.body = body
        self.pages = dict(pages or {})
        self.mode: Fault = "ok"
        self.requests = 0
        self.streamed = 0
        self.release = asyncio.Event()
        self.gate: asyncio.Event | None = None
        self.held = asyncio.Event()
        self.log: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/registry.json", self.registry)
        app.router.add_get("/v0.1/servers", self.list_servers)
        app.router.add_get("/held/registry.json", self.held_registry)
        return app

    async def held_registry(self, request: web.Request) -> web.Response:
        await self.held.wait()
        return web.Response(body=self.body, content_type="application/json")

    async def registry(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        number = self.requests
        self.log.append(f"start {number}")
        try:
            if self.gate is not None:
                await self.gate.wait()
            return await self._answer(request)
        finally:
            self.log.append(f"end {number}")

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        mode = self.mode
        if mode == "ok":
            return web.Response(body=self.body, content_type="application/json")
        if mode == "http-500":
            return web.Response(status=500, text="upstream exploded")
        if mode == "hang":
            await self.release.wait()
            return web.Response(body=self.body)
        if mode == "truncated":
            return web.Response(body=self.body[: len(self.body) // 2])
        if mode == "not-json":
            return web.Response(body=b"<html>maintenance</html>")
        if mode == "invalid":
            return web.Response(body=json.dumps({"data": {"servers": [{"version": "1"}]}}).encode())
        if mode == "huge":
            return await self._huge(request)
        if mode == "dense":
            return web.Response(body=empty_servers_upstream(DENSE_OBJECTS))
        if mode == "crowded":
            return web.Response(body=_crowded())
        raise web.HTTPFound(request.path)  # redirect-loop

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        """200 MB generated lazily, chunked (no Content-Length), until the client hangs up."""
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b" " * _CHUNK
        sent = 0
        while sent < HUGE_BYTES:
            await response.write(chunk)
            sent += len(chunk)
            self.streamed += len(chunk)
        await response.write_eof()
        return response

    async def list_servers(self, request: web.Request) -> web.Response:
        page = self.pages.get(request.query.get("cursor"))
        if page is None:
            return web.json_response({"error": "unknown cursor"}, status=400)
        return web.json_response(page)


def _crowded() -> bytes:
    servers = [
        {"name": f"io.example/s{i}", "description": "d", "version": "1.0.0"}
        for i in range(CROWDED_SERVERS)
    ]
    return json.dumps({"data": {"servers": servers}}, separators=(",", ":")).encode()
