"""The health server: /healthz (alive), /readyz (informers synced) and /metrics, on aiohttp."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

_CHECKS = web.AppKey("readiness_checks", dict[str, asyncio.Event])
_REGISTRY = web.AppKey("registry", CollectorRegistry)


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _readyz(request: web.Request) -> web.Response:
    waiting = sorted(name for name, ev in request.app[_CHECKS].items() if not ev.is_set())
    if waiting:
        return web.Response(status=503, text="not synced: " + ", ".join(waiting))
    return web.Response(text="ok")


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[_REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_health_app(
    *, registry: CollectorRegistry, readiness: Mapping[str, asyncio.Event]
) -> web.Application:
    app = web.Application(client_max_size=1024)
    app[_CHECKS] = dict(readiness)
    app[_REGISTRY] = registry
    app.add_routes(
        [web.get("/healthz", _healthz), web.get("/readyz", _readyz), web.get("/metrics", _metrics)]
    )
    return app


class HealthServer:
    """A Runnable serving the health app until cancelled; `port` is known once `started`."""

    needs_leader_election = False

    def __init__(
        self,
        *,
        registry: CollectorRegistry,
        readiness: Mapping[str, asyncio.Event],
        host: str = "0.0.0.0",
        port: int = 8081,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self._app = create_health_app(registry=registry, readiness=readiness)
        self._host, self.port = host, port
        self._shutdown_timeout = shutdown_timeout
        self.started = asyncio.Event()

    async def run(self) -> None:
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self.port)
            await site.start()
            self.port = runner.addresses[0][1]
            self.started.set()
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
