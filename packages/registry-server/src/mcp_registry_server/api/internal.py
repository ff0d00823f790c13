"""The internal port's API: health, readiness, version, metrics (open to anyone), and sync status
and manual sync (only as `InternalAccess` allows: the operator's token, see internal_access)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from aiohttp import hdrs, web
from mcp_registry_common.internalapi import (
    HEALTH_PATH,
    READINESS_PATH,
    STATUS_PATH,
    SYNC_ROUTE,
    RegistryReport,
    ServerReport,
    SourcePhase,
    SourceReport,
)
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mcp_registry_server.api.problems import UnavailableError
from mcp_registry_server.keys import BUILD_INFO, CATALOG, ENGINE, INTERNAL_ACCESS, METRICS, STORE
from mcp_registry_server.service.engine import SyncEngineLike
from mcp_registry_server.service.topology import unready_sources
from mcp_registry_server.store.base import SourceStatus
from mcp_registry_server.store.capabilities import ReadinessProbe
from mcp_registry_server.store.errors import StoreUnavailableError

QUIET_ROUTES = frozenset({HEALTH_PATH, READINESS_PATH, "/metrics", STATUS_PATH})
"""Polled by probes, scrapers and the operator: logged at debug level only (a refused caller,
401 or 403, is logged as a warning all the same)."""


def internal_routes() -> list[web.RouteDef]:
    """Every URL of the internal port: probes and metrics for anyone, the rest guarded."""
    return [
        web.get(HEALTH_PATH, health),
        web.get(READINESS_PATH, readiness),
        web.get("/version", version),
        web.get("/metrics", metrics),
        web.get(STATUS_PATH, status),
        web.post(SYNC_ROUTE, sync_source),
    ]


async def health(request: web.Request) -> web.Response:
    """GET /health: the process is up."""
    return web.json_response({"status": "healthy"})


async def readiness(request: web.Request) -> web.Response:
    """GET /readiness: 200 once every registry has data for each synced source, else 503."""
    await _check_store(request)
    waiting = _waiting(request, _engine(request))
    if waiting:
        detail = "; ".join(
            f"registry {reg} waits for {', '.join(srcs)}" for reg, srcs in waiting.items()
        )
        raise UnavailableError(f"not ready: {detail}", extensions={"waiting": waiting})
    return web.json_response({"status": "ready"})


async def version(request: web.Request) -> web.Response:
    """GET /version: the running build."""
    return web.json_response(request.app[BUILD_INFO].to_dict())


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text exposition of this server's registry."""
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def status(request: web.Request) -> web.Response:
    """GET /status: sources' sync status and registries' readiness (the operator polls it)."""
    _authorize(request)
    engine = _engine(request)
    waiting = _waiting(request, engine)
    catalog = request.app[CATALOG]
    registries = []
    for name, sources in catalog.registries.items():
        snapshot = catalog.snapshot(name)
        registries.append(
            RegistryReport(
                name=name,
                sources=list(sources),
                ready=name not in waiting,
                waiting_for=waiting.get(name, []),
                server_count=snapshot.server_count if snapshot else 0,
            )
        )
    report = ServerReport(sources=source_reports(engine.statuses()), registries=registries)
    return web.json_response(report.render())


async def sync_source(request: web.Request) -> web.Response:
    """POST /sources/{name}/sync: sync one source now and return its resulting status."""
    _authorize(request)
    result = await _engine(request).sync_now(request.match_info["name"])
    return web.json_response(source_report(result).render())


async def _check_store(request: web.Request) -> None:
    """503 while a database-backed store is unreachable (snapshots are still served)."""
    store = request.app[STORE].store
    if isinstance(store, ReadinessProbe):
        try:
            await store.check()
        except StoreUnavailableError as exc:
            raise UnavailableError(f"not ready: {exc}") from exc


def _authorize(request: web.Request) -> None:
    """Per-source details and sync triggers: only for whom `InternalAccess` lets in."""
    request.app[INTERNAL_ACCESS].check(request.headers.getall(hdrs.AUTHORIZATION, []))


def _engine(request: web.Request) -> SyncEngineLike:
    engine = request.app[ENGINE].engine
    if engine is None:
        raise UnavailableError("the server is starting: the sync engine is not running yet")
    return engine


def _waiting(request: web.Request, engine: SyncEngineLike) -> dict[str, list[str]]:
    return unready_sources(request.app[CATALOG].topology, ever_synced=engine.ever_synced)


def source_reports(statuses: Iterable[SourceStatus]) -> list[SourceReport]:
    """The reports of several source statuses."""
    return [source_report(item) for item in statuses]


def source_report(item: SourceStatus) -> SourceReport:
    """One source status as the contract reports it (times in RFC 3339, absent ones null; URLs
    in the message redacted: the operator copies it into the MCPRegistry's status)."""
    return SourceReport(
        name=item.name,
        phase=cast(SourcePhase, str(item.phase)),
        message=item.message,
        attempt_count=item.attempt_count,
        last_attempt=item.last_attempt,
        last_sync_time=item.last_sync_time,
        content_hash=item.content_hash,
        server_count=item.server_count,
        skill_count=item.skill_count,
        plugin_count=item.plugin_count,
    )
