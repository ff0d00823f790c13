"""Admin API handlers for `/v1/entries` (the managed source) and `/v1/me`."""

from __future__ import annotations

from aiohttp import web
from mcp_registry_common.claims import Role

from mcp_registry_server.api import admin_bodies, admin_wire, params
from mcp_registry_server.api.callers import caller_of
from mcp_registry_server.api.problems import InvalidParameterError, ProblemError
from mcp_registry_server.auth.middleware import get_identity
from mcp_registry_server.keys import ADMIN

ENTRY_TYPE_PROBLEM = "unsupported entry type: must be 'server', 'skill', or 'plugin'"


class AuthenticationRequiredError(ProblemError):
    """`/v1/me` without an authenticated caller (anonymous mode, or a public path)."""

    status = 401


async def me(request: web.Request) -> web.Response:
    """GET /v1/me: the caller's subject and roles."""
    identity = get_identity(request)
    if not identity.authenticated:
        raise AuthenticationRequiredError("authentication required")
    roles = [role.value for role in Role if identity.has_role(role)]
    return web.json_response({"subject": identity.subject, "roles": roles})


async def publish(request: web.Request) -> web.Response:
    """POST /v1/entries: publish one server, skill or plugin version into the managed source
    (201, with the stored document)."""
    publication = admin_bodies.publication(await admin_bodies.read_json(request))
    document = await request.app[ADMIN].entries.publish(caller_of(request), publication)
    return web.json_response(dict(document), status=201)


async def delete_version(request: web.Request) -> web.Response:
    """DELETE /v1/entries/{type}/{name}/versions/{version} (204)."""
    entry_type, name = _entry(request)
    version = params.path_value("version", request.match_info["version"])
    await request.app[ADMIN].entries.delete_version(
        caller_of(request), entry_type=entry_type, name=name, version=version
    )
    return web.Response(status=204)


async def get_claims(request: web.Request) -> web.Response:
    """GET /v1/entries/{type}/{name}/claims."""
    entry_type, name = _entry(request)
    claims = await request.app[ADMIN].entries.claims(
        caller_of(request), entry_type=entry_type, name=name
    )
    return web.json_response(admin_wire.claims_json(claims))


async def put_claims(request: web.Request) -> web.Response:
    """PUT /v1/entries/{type}/{name}/claims: replace the entry's claims (204)."""
    entry_type, name = _entry(request)
    claims = admin_bodies.claims_update(await admin_bodies.read_json(request))
    await request.app[ADMIN].entries.set_claims(
        caller_of(request), entry_type=entry_type, name=name, claims=claims
    )
    return web.Response(status=204)


def _entry(request: web.Request) -> tuple[str, str]:
    entry_type = request.match_info["type"]
    if entry_type not in admin_bodies.ENTRY_KINDS:
        raise InvalidParameterError(ENTRY_TYPE_PROBLEM)
    name = request.match_info["name"]
    if entry_type == "server":
        name = params.server_name(name)
    return entry_type, params.path_value("name", name)
