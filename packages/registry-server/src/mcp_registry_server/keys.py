"""Typed keys of everything the server keeps on its aiohttp applications."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from mcp_registry_server.api.internal_access import InternalAccess
from mcp_registry_server.buildinfo import BuildInfo
from mcp_registry_server.metrics import ServerMetrics
from mcp_registry_server.service.admin import AdminServices
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.engine import SyncEngineLike
from mcp_registry_server.service.topology import Topology
from mcp_registry_server.store.base import Store


@dataclass(slots=True)
class EngineSlot:
    """Holds the sync engine once the public app's start-up built it (None before and after)."""

    engine: SyncEngineLike | None = None


@dataclass(slots=True)
class StoreSlot:
    """Holds the opened store while the public app runs (readiness probes it); None otherwise."""

    store: Store | None = None


CATALOG = web.AppKey("catalog", Catalog)
TOPOLOGY = web.AppKey("topology", Topology)
ENGINE = web.AppKey("engine", EngineSlot)
METRICS = web.AppKey("metrics", ServerMetrics)
BUILD_INFO = web.AppKey("build_info", BuildInfo)
STORE = web.AppKey("store", StoreSlot)
ADMIN = web.AppKey("admin", AdminServices)
INTERNAL_ACCESS = web.AppKey("internal_access", InternalAccess)
