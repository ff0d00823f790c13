"""ToolHive's extension read API: a registry's skills and plugins under
`…/v0.1/x/dev.toolhive/{skills|plugins}` (list, latest, versions, one version), served from the
same snapshot, response cache and ETags as its servers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from mcp_registry_common.formats import ExtensionKind

from mcp_registry_server.api import params
from mcp_registry_server.api.problems import NotFoundError
from mcp_registry_server.api.registry import PREFIXES, served
from mcp_registry_server.api.responses import cached_json, list_body
from mcp_registry_server.snapshot import Items

EXTENSION_PATH = "/x/dev.toolhive"
Handler = Callable[[web.Request], Awaitable[web.Response]]


def extension_routes() -> list[web.RouteDef]:
    """The four read routes of each kind under every registry prefix."""
    table: list[web.RouteDef] = []
    for prefix in PREFIXES:
        for kind in ExtensionKind:
            base = f"{prefix}{EXTENSION_PATH}/{kind.plural}"
            one = f"{base}/{{namespace}}/{{name}}"
            table += [
                web.get(base, _bind(list_items, kind)),
                web.get(one, _bind(get_latest, kind)),
                web.get(f"{one}/versions", _bind(list_versions, kind)),
                web.get(f"{one}/versions/{{version}}", _bind(get_version, kind)),
            ]
    return table


def _bind(
    handler: Callable[[web.Request, ExtensionKind], Awaitable[web.Response]], kind: ExtensionKind
) -> Handler:
    async def bound(request: web.Request) -> web.Response:
        return await handler(request, kind)

    return bound


async def list_items(request: web.Request, kind: ExtensionKind) -> web.Response:
    """GET …/skills: one page of skill versions (all versions, like servers), optionally
    searched (name, title, description)."""
    snapshot, items = await _items(request, kind, action="list")

    def render() -> bytes:
        page = items.page(params.item_list_query(request.query))
        cursor = params.encode_cursor(page.next_after) if page.next_after else None
        return list_body(page.entries, next_cursor=cursor, key=kind.plural.encode())

    return await cached_json(request, snapshot_etag=snapshot, render=render)


async def list_versions(request: web.Request, kind: ExtensionKind) -> web.Response:
    """GET …/skills/{namespace}/{name}/versions: every version (404 when unknown)."""
    snapshot, items = await _items(request, kind, action="versions.list")

    def render() -> bytes:
        entries = items.versions(_key(request))
        if not entries:
            raise NotFoundError(_not_found(kind))
        return list_body(entries, key=kind.plural.encode())

    return await cached_json(request, snapshot_etag=snapshot, render=render)


async def get_latest(request: web.Request, kind: ExtensionKind) -> web.Response:
    """GET …/skills/{namespace}/{name}: the latest version."""
    return await _one(request, kind, version="latest", action="read")


async def get_version(request: web.Request, kind: ExtensionKind) -> web.Response:
    """GET …/skills/{namespace}/{name}/versions/{version}: one version (`latest` allowed)."""
    version = params.path_value("version", request.match_info["version"])
    return await _one(request, kind, version=version, action="version.read")


async def _one(
    request: web.Request, kind: ExtensionKind, *, version: str, action: str
) -> web.Response:
    snapshot, items = await _items(request, kind, action=action)

    def render() -> bytes:
        entry = items.get(_key(request), version)
        if entry is None:
            raise NotFoundError(_not_found(kind))
        return entry.body

    return await cached_json(request, snapshot_etag=snapshot, render=render)


async def _items(request: web.Request, kind: ExtensionKind, *, action: str) -> tuple[str, Items]:
    """The ETag of the snapshot the caller may read, and its items of `kind`."""
    snapshot = await served(request, action=f"{kind.value}.{action}")
    return snapshot.etag, snapshot.items(kind)


def _key(request: web.Request) -> str:
    namespace = params.path_value("namespace", request.match_info["namespace"])
    name = params.path_value("name", request.match_info["name"])
    return f"{namespace}/{name}"


def _not_found(kind: ExtensionKind) -> str:
    return f"{kind.value.capitalize()} not found"
