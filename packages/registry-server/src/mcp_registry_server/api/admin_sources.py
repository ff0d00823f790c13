"""Admin API handlers for `/v1/sources`: thin, validated at the edge, one service call each."""

from __future__ import annotations

from aiohttp import web

from mcp_registry_server.api import admin_bodies, admin_wire, params
from mcp_registry_server.api.callers import caller_of
from mcp_registry_server.auth.audit import AUDIT_ACTION_KEY
from mcp_registry_server.keys import ADMIN


async def list_sources(request: web.Request) -> web.Response:
    """GET /v1/sources: the sources the caller's claims cover.

    Credentials in a source's URLs (`git.repository`, `api.endpoint`, `file.url`) are shown
    redacted: the userinfo and every query and fragment value read `REDACTED`
    (`https://REDACTED@host/r.json?sig=REDACTED`); so are URLs in sync status messages.
    """
    views = request.app[ADMIN].sources.list_visible(caller_of(request))
    return web.json_response(admin_wire.sources_json(views))


async def get_source(request: web.Request) -> web.Response:
    """GET /v1/sources/{name}: one source (404 when missing or hidden).

    URL credentials are shown redacted, as in `GET /v1/sources`.
    """
    view = request.app[ADMIN].sources.get(caller_of(request), _name(request))
    return web.json_response(admin_wire.source_json(view))


async def put_source(request: web.Request) -> web.Response:
    """PUT /v1/sources/{name}: create (201) or update (200) an API-defined source.

    A source read with GET shows its URL credentials as `REDACTED`, and may be sent back as
    read: a URL that is exactly the redacted form of the source's stored URL keeps the stored
    URL, credentials included. Any other URL carrying `REDACTED` as its userinfo or as a query
    or fragment value (a changed URL, or another source's view) is refused with 400: send
    the full URL. The response shows the source as GET does.
    """
    name = _name(request)
    config = admin_bodies.source_config(name, await admin_bodies.read_json(request))
    view, created = await request.app[ADMIN].sources.put(caller_of(request), config)
    if created:
        request[AUDIT_ACTION_KEY] = "source.create"
    return web.json_response(admin_wire.source_json(view), status=201 if created else 200)


async def delete_source(request: web.Request) -> web.Response:
    """DELETE /v1/sources/{name}: an API-defined source no registry lists (204)."""
    await request.app[ADMIN].sources.delete(caller_of(request), _name(request))
    return web.Response(status=204)


async def source_entries(request: web.Request) -> web.Response:
    """GET /v1/sources/{name}/entries: the source's entries, unshadowed."""
    groups = await request.app[ADMIN].sources.entries(caller_of(request), _name(request))
    return web.json_response(admin_wire.source_entries_json(groups))


async def sync_source(request: web.Request) -> web.Response:
    """POST /v1/sources/{name}/sync: sync now (after any attempt in progress); the source."""
    view = await request.app[ADMIN].sources.sync(caller_of(request), _name(request))
    return web.json_response(admin_wire.source_json(view))


def _name(request: web.Request) -> str:
    return params.path_value("name", request.match_info["name"])
