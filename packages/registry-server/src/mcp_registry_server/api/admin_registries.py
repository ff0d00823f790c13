"""Admin API handlers for `/v1/registries`: thin, validated at the edge, one service call each."""

from __future__ import annotations

from aiohttp import web

from mcp_registry_server.api import admin_bodies, admin_wire, params
from mcp_registry_server.api.callers import caller_of
from mcp_registry_server.auth.audit import AUDIT_ACTION_KEY
from mcp_registry_server.keys import ADMIN


async def list_registries(request: web.Request) -> web.Response:
    """GET /v1/registries: the registries the caller's claims cover."""
    registries = request.app[ADMIN].registries.list_visible(caller_of(request))
    return web.json_response(admin_wire.registries_json(registries))


async def get_registry(request: web.Request) -> web.Response:
    """GET /v1/registries/{name}: one registry (404 when missing or hidden)."""
    registry = request.app[ADMIN].registries.get(caller_of(request), _name(request))
    return web.json_response(admin_wire.registry_json(registry))


async def put_registry(request: web.Request) -> web.Response:
    """PUT /v1/registries/{name}: create (201) or update (200) an API-defined registry."""
    name = _name(request)
    config = admin_bodies.registry_config(name, await admin_bodies.read_json(request))
    registry, created = await request.app[ADMIN].registries.put(caller_of(request), config)
    if created:
        request[AUDIT_ACTION_KEY] = "registry.create"
    return web.json_response(admin_wire.registry_json(registry), status=201 if created else 200)


async def delete_registry(request: web.Request) -> web.Response:
    """DELETE /v1/registries/{name}: an API-defined registry (204; its sources stay)."""
    await request.app[ADMIN].registries.delete(caller_of(request), _name(request))
    return web.Response(status=204)


async def registry_entries(request: web.Request) -> web.Response:
    """GET /v1/registries/{name}/entries: every version from every source, unshadowed."""
    entries = request.app[ADMIN].registries.entries(caller_of(request), _name(request))
    return web.json_response(admin_wire.registry_entries_json(entries))


def _name(request: web.Request) -> str:
    return params.path_value("name", request.match_info["name"])
