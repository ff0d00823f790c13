"""Serve the public and the internal app until SIGTERM/SIGINT, print where, shut down in time."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass

import structlog
from aiohttp import web

from mcp_registry_server.api.connections import server_runner
from mcp_registry_server.logs import flush_logs

log = structlog.get_logger("mcp_registry_server.cli")

SHUTDOWN_TIMEOUT = 30.0
"""Seconds a SIGTERM/SIGINT shutdown may take: in-flight requests, then the sync engine."""


@dataclass(frozen=True, slots=True)
class Address:
    """Where a listener binds; `host` None means every interface."""

    host: str | None
    port: int


async def serve_both(
    public: web.Application,
    internal: web.Application,
    *,
    api: Address,
    admin: Address,
    registry: str | None = None,
) -> int:
    """Serve both apps until SIGTERM/SIGINT, then shut down within `SHUTDOWN_TIMEOUT`."""
    runners = [
        server_runner(app, shutdown_timeout=SHUTDOWN_TIMEOUT / 2) for app in (public, internal)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    started: list[web.AppRunner] = []
    try:
        urls = []
        for runner, address in zip(runners, (api, admin), strict=True):
            await runner.setup()  # the public app's resources start here, before any listener
            started.append(runner)
            await web.TCPSite(runner, address.host, address.port).start()
            urls.append(_url(runner))
        flush_logs()  # start-up lines before the plain one
        print(
            f"mcp-registry-server listening on {urls[0]} (API) and {urls[1]} (internal)\n"
            + try_these(urls[0], urls[1], registry),
            flush=True,
        )
        log.info("listening", api=urls[0], internal=urls[1])
        await stop.wait()
        log.info("shutting_down", timeout_s=SHUTDOWN_TIMEOUT)
        return 0
    except OSError as exc:
        log.error("listen_failed", error=str(exc))
        return 1
    except Exception:
        log.exception("startup_failed")
        return 1
    finally:
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                for runner in reversed(started):
                    await runner.cleanup()
        except TimeoutError:
            log.error("shutdown_timeout", timeout_s=SHUTDOWN_TIMEOUT)


def try_these(api: str, internal: str, registry: str | None) -> str:
    """URLs a person can paste (a wildcard listener is reached on 127.0.0.1)."""
    api, internal = (_pasteable(api), _pasteable(internal))
    lines = [f"  readiness: {internal}/readiness"]
    if registry is not None:
        lines.insert(0, f"  servers:   {api}/registry/{registry}/v0.1/servers")
    return "\n".join(lines)


def _pasteable(url: str) -> str:
    for wildcard in ("//0.0.0.0:", "//[::]:"):
        url = url.replace(wildcard, "//127.0.0.1:")
    return url


def _url(runner: web.AppRunner) -> str:
    """The URL of the runner's first bound socket (the real port when 0 was asked for)."""
    host, port = runner.addresses[0][:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
