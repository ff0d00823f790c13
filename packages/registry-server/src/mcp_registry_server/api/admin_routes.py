"""The admin API's route table: every `/v1` route with its required role and audit event."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler
from mcp_registry_common.claims import Role

from mcp_registry_server.api import admin_entries, admin_registries, admin_sources
from mcp_registry_server.auth.audit import AUDIT_ACTION_KEY
from mcp_registry_server.auth.middleware import require_role


@dataclass(frozen=True, slots=True)
class AdminRoute:
    """One route: the role it needs (None: any authenticated caller) and its audit event.
    A PUT's event is the update one; its handler renames it when it creates."""

    method: str
    path: str
    handler: Handler
    role: Role | None
    action: str


ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/v1/me", admin_entries.me, None, "user.info"),
    AdminRoute(
        "GET", "/v1/sources", admin_sources.list_sources, Role.MANAGE_SOURCES, "source.list"
    ),
    AdminRoute(
        "GET", "/v1/sources/{name}", admin_sources.get_source, Role.MANAGE_SOURCES, "source.read"
    ),
    AdminRoute(
        "PUT", "/v1/sources/{name}", admin_sources.put_source, Role.MANAGE_SOURCES, "source.update"
    ),
    AdminRoute(
        "DELETE",
        "/v1/sources/{name}",
        admin_sources.delete_source,
        Role.MANAGE_SOURCES,
        "source.delete",
    ),
    AdminRoute(
        "GET",
        "/v1/sources/{name}/entries",
        admin_sources.source_entries,
        Role.MANAGE_SOURCES,
        "source.entries.list",
    ),
    AdminRoute(
        "POST",
        "/v1/sources/{name}/sync",
        admin_sources.sync_source,
        Role.MANAGE_SOURCES,
        "source.sync",
    ),
    AdminRoute("GET", "/v1/registries", admin_registries.list_registries, None, "registry.list"),
    AdminRoute(
        "GET", "/v1/registries/{name}", admin_registries.get_registry, None, "registry.read"
    ),
    AdminRoute(
        "GET",
        "/v1/registries/{name}/entries",
        admin_registries.registry_entries,
        Role.MANAGE_REGISTRIES,
        "registry.entries.list",
    ),
    AdminRoute(
        "PUT",
        "/v1/registries/{name}",
        admin_registries.put_registry,
        Role.MANAGE_REGISTRIES,
        "registry.update",
    ),
    AdminRoute(
        "DELETE",
        "/v1/registries/{name}",
        admin_registries.delete_registry,
        Role.MANAGE_REGISTRIES,
        "registry.delete",
    ),
    AdminRoute("POST", "/v1/entries", admin_entries.publish, Role.MANAGE_ENTRIES, "entry.publish"),
    AdminRoute(
        "DELETE",
        "/v1/entries/{type}/{name}/versions/{version}",
        admin_entries.delete_version,
        Role.MANAGE_ENTRIES,
        "entry.delete",
    ),
    AdminRoute(
        "GET",
        "/v1/entries/{type}/{name}/claims",
        admin_entries.get_claims,
        Role.MANAGE_ENTRIES,
        "entry.claims.read",
    ),
    AdminRoute(
        "PUT",
        "/v1/entries/{type}/{name}/claims",
        admin_entries.put_claims,
        Role.MANAGE_ENTRIES,
        "entry.claims.update",
    ),
)


def admin_routes() -> list[web.RouteDef]:
    """Every `/v1` URL, each guarded by its role."""
    return [web.route(r.method, r.path, _guarded(r)) for r in ADMIN_ROUTES]


def _guarded(route: AdminRoute) -> Handler:
    """Name the audit event, check the role (403, or 401 for an unauthenticated caller), then
    run the handler."""

    async def handle(request: web.Request) -> web.StreamResponse:
        request[AUDIT_ACTION_KEY] = route.action
        if route.role is not None:
            require_role(request, route.role)
        return await route.handler(request)

    return handle
