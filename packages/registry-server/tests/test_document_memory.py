"""Issue 13, item 2: a hostile document is refused before Python builds it, and the server lives.

The reproduction: 18 MB of `{"data":{"servers":[{},{},…]}}` (6,000,000 empty objects) took the
server from 80 MB to 537 MB of RSS, so under the pod's 512 MiB limit it was OOM-killed on the
retry. Here the real server runs as a child process; a source of each kind is pointed at such
a document and synced by hand, and the child's peak RSS (VmHWM, reset just before) may grow
by at most three times the document's size (read once, joined once, nothing built from it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from mcp_registry_testing.hostiledocs import (
    REPRODUCTION_COUNT,
    empty_servers_api_page,
    empty_servers_legacy,
    empty_servers_upstream,
)
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.serverprocess import ServerProcess
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="reads a child's peak RSS from /proc"
)

MB = 1_000_000
SUB_CAP_COUNT = 3_000_000
"""Empty objects in a document under the byte cap (9 MB): refused by what it holds instead."""
ALLOWED_GROWTH = 3
"""Peak RSS growth allowed per byte of the document: it is read and joined, nothing is built."""


class Upstream:
    """An MCP Registry API on loopback: 404 until `page` is set, then that page for any cursor."""

    def __init__(self) -> None:
        self.page: bytes | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v0.1/servers", self._servers)
        return app

    async def _servers(self, _: web.Request) -> web.Response:
        if self.page is None:
            raise web.HTTPNotFound()
        return web.Response(body=self.page, content_type="application/json")


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    double = Upstream()
    served = await serve(double.app())
    try:
        yield double, served.url
    finally:
        await served.runner.cleanup()


def write_config(tmp_path: Path, source: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "sources:\n"
        f"  - name: hostile\n    {source}\n    syncPolicy: {{interval: 1h}}\n"
        "registries:\n  - name: default\n    sources: [hostile]\n"
        "auth: {mode: anonymous}\n"
        "sync: {allowPrivateIP: true}\n"  # the upstream listens on loopback
    )
    return config


async def first_attempt_failed(server: ServerProcess) -> bool:
    status = await server.status("hostile")
    return status["phase"] == "Failed" and status["attemptCount"] >= 1


async def sync_hostile(server: ServerProcess, *, size: int) -> dict[str, object]:
    """Sync the source by hand once its document is in place; check the peak RSS and life."""
    before = server.reset_peak()
    status = await server.sync("hostile")
    peak = server.memory().peak
    growth = peak - before.rss
    assert growth <= ALLOWED_GROWTH * size, (
        f"peak RSS grew by {growth / MB:.0f} MB for a {size / MB:.0f} MB document "
        f"({before.rss / MB:.0f} MB -> {peak / MB:.0f} MB); allowed {ALLOWED_GROWTH}x its size"
    )
    assert server.alive, server.tail()
    assert await server.healthy()
    assert status["phase"] == "Failed", status
    return status


@pytest.mark.parametrize(
    ("label", "document"),
    [
        ("reproduction", lambda: empty_servers_upstream(REPRODUCTION_COUNT)),
        ("upstream", lambda: empty_servers_upstream(SUB_CAP_COUNT)),
        ("legacy", lambda: empty_servers_legacy(SUB_CAP_COUNT // 4)),
    ],
)
async def test_a_hostile_file_is_refused_within_bounded_memory(
    tmp_path: Path, label: str, document: Callable[[], bytes]
) -> None:
    path = tmp_path / "registry.json"
    config = write_config(tmp_path, f"file: {{path: {path}}}")
    async with ServerProcess.running(config) as server:
        await wait_for(lambda: first_attempt_failed(server), timeout=30)  # not there yet
        data = document()
        path.write_bytes(data)
        size = len(data)
        del data
        status = await sync_hostile(server, size=size)
    message = str(status["message"])
    assert "limit" in message, message
    assert str(path) in message, message


async def test_a_hostile_api_page_is_refused_within_bounded_memory(
    tmp_path: Path, upstream: tuple[Upstream, str]
) -> None:
    double, url = upstream
    config = write_config(tmp_path, f"api: {{endpoint: '{url}'}}")
    async with ServerProcess.running(config) as server:
        await wait_for(lambda: first_attempt_failed(server), timeout=30)  # 404 for now
        double.page = empty_servers_api_page(SUB_CAP_COUNT)
        status = await sync_hostile(server, size=len(double.page))
    message = str(status["message"])
    assert "limit" in message, message
    assert "/v0.1/servers" in message, message
