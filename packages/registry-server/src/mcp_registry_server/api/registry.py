"""The MCP Registry read API: route table and handlers for one registry's servers and versions."""

from __future__ import annotations

from aiohttp import web

from mcp_registry_server.api import params
from mcp_registry_server.api.callers import caller_of
from mcp_registry_server.api.openapi import openapi_json, openapi_yaml
from mcp_registry_server.api.problems import NotFoundError
from mcp_registry_server.api.responses import cached_json, list_body
from mcp_registry_server.auth.audit import AUDIT_ACTION_KEY
from mcp_registry_server.auth.middleware import get_identity
from mcp_registry_server.keys import ADMIN, CATALOG
from mcp_registry_server.snapshot import RegistrySnapshot

PREFIXES = ("/registry/{registryName}/v0.1", "/v0.1", "/v0")
"""Registry-scoped routes, then the unscoped aliases that serve the default registry."""
SERVER_NOT_FOUND = "Server not found"


def registry_routes() -> list[web.RouteDef]:
    """Every public URL of the server."""
    table: list[web.RouteDef] = []
    for prefix in PREFIXES:
        table += [
            web.get(f"{prefix}/servers", list_servers),
            web.get(f"{prefix}/servers/{{serverName}}/versions", list_versions),
            web.get(f"{prefix}/servers/{{serverName}}/versions/{{version}}", get_version),
        ]
    table += [web.get("/openapi.json", openapi_json), web.get("/openapi.yaml", openapi_yaml)]
    return table


async def list_servers(request: web.Request) -> web.Response:
    """GET …/servers: one page of server versions, optionally filtered."""
    snapshot = await served(request, action="server.list")

    def render() -> bytes:
        page = snapshot.page(params.list_query(request.query))
        cursor = params.encode_cursor(page.next_after) if page.next_after else None
        return list_body(page.entries, next_cursor=cursor)

    return await cached_json(request, snapshot_etag=snapshot.etag, render=render)


async def list_versions(request: web.Request) -> web.Response:
    """GET …/servers/{name}/versions: every version of one server (404 when unknown)."""
    snapshot = await served(request, action="server.versions.list")

    def render() -> bytes:
        entries = snapshot.versions(params.server_name(request.match_info["serverName"]))
        if not entries:
            raise NotFoundError(SERVER_NOT_FOUND)
        return list_body(entries)

    return await cached_json(request, snapshot_etag=snapshot.etag, render=render)


async def get_version(request: web.Request) -> web.Response:
    """GET …/servers/{name}/versions/{version}: one version; `latest` is the newest."""
    snapshot = await served(request, action="server.version.read")

    def render() -> bytes:
        name = params.server_name(request.match_info["serverName"])
        version = params.path_value("version", request.match_info["version"])
        entry = snapshot.get(name, version)
        if entry is None:
            raise NotFoundError(SERVER_NOT_FOUND)
        return entry.body

    return await cached_json(request, snapshot_etag=snapshot.etag, render=render)


async def served(request: web.Request, *, action: str) -> RegistrySnapshot:
    """The snapshot the caller may read. Without enforced claims (anonymous, no `authz`) it is
    the catalog's, with no per-request work; otherwise the registry's claims gate the caller
    (403) and the entries it may not see are filtered out before dedup."""
    snapshot = _snapshot(request)
    claims = get_identity(request).gate_claims
    if claims is None:
        return snapshot
    request[AUDIT_ACTION_KEY] = action  # names the event if the gate denies the read
    view = await request.app[ADMIN].views.snapshot_for(snapshot.registry, caller_of(request))
    if view is None:
        raise NotFoundError(f"registry not found: {snapshot.registry}")
    return view


def _snapshot(request: web.Request) -> RegistrySnapshot:
    """The snapshot of the registry the path names, or of the default registry."""
    catalog = request.app[CATALOG]
    registry = request.match_info.get("registryName")
    if registry is None:
        registry = catalog.default_registry
    else:
        params.path_value("registryName", registry)
    snapshot = catalog.snapshot(registry)
    if snapshot is None:
        raise NotFoundError(f"registry not found: {registry}")
    return snapshot
