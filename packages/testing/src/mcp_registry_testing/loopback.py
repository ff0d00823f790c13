"""Serving a test double's aiohttp app on a free loopback port, and stopping it."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Served:
    """A listening app: its runner (to clean up) and its base URL."""

    runner: web.AppRunner
    url: str
    port: int


async def serve(
    app: web.Application,
    *,
    host: str = "127.0.0.1",
    tls: ssl.SSLContext | None = None,
    runner_class: type[web.AppRunner] = web.AppRunner,
) -> Served:
    """Listen on a free port of `host` (https when `tls` is given) through `runner_class`."""
    runner = runner_class(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, 0, ssl_context=tls).start()
    port = int(runner.addresses[0][1])
    return Served(runner, f"{'https' if tls else 'http'}://{host}:{port}", port)


class Lifecycle:
    """`async with double:` runs `start()` and, on the way out, `stop()`."""

    async def start(self) -> object:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
