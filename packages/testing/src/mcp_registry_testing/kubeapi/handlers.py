"""REST handlers for objects: list, get, create, update, patch (merge, JSON, apply) and delete."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from .events import core_event
from .keys import STATE, State
from .pagination import paginate
from .patching import PatchError, json_patch, merge_patch
from .resources import ResourceType
from .selectors import field_predicate, label_predicate
from .status import ApiError, bad_request, status_body
from .tables import table, wants_table
from .watch import serve_watch

_CRD_GROUP = "apiextensions.k8s.io"
_UNSUPPORTED_PATCH = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)


@dataclass(frozen=True)
class ResourcePath:
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_path(path: str) -> ResourcePath:
    """Split `/api/v1/...` or `/apis/{g}/{v}/...` into its parts; raise 404 when malformed."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise _no_route()
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise _no_route()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    return ResourcePath(group, version, rest[0], namespace, name, subresource)


def _no_route() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        if request.content_type == "application/apply-patch+yaml" and raw.lstrip()[:1] != b"{":
            return yaml.safe_load(raw)
        return json.loads(raw)  # JSON is YAML too: clients send applies as JSON, parse it fast
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"the request body is not valid JSON or YAML: {exc}") from exc


def _validation(request: web.Request) -> str:
    """The request's fieldValidation; the real server's default is Warn (prune silently)."""
    return request.query.get("fieldValidation") or "Warn"


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() not in ("", "false", "0")


async def handle(request: web.Request) -> web.StreamResponse:
    """Dispatch one object request by path shape and method."""
    state = request.app[STATE]
    rp = parse_path(request.path)
    if rp.group == _CRD_GROUP and rp.plural == "customresourcedefinitions":
        return await _crds(request, state, rp)
    rt = state.types.find(rp.group, rp.version, rp.plural)
    if (
        rt is None
        or rp.subresource not in (None, "status")
        or (rp.subresource and not rt.has_status)
    ):
        raise _no_route()
    if rp.name is None:
        return await _collection(request, state, rt, rp)
    ns = rp.namespace or ""
    store = state.store
    match request.method:
        case "GET":
            obj = store.get(rt, ns, rp.name)
            if wants_table(request.headers.get("Accept", "")):
                return _json(table(rt, [obj], resource_version=store.rv))
            return _json(obj)
        case "PUT":
            body = await _body(request)
            obj = store.update(
                rt, ns, rp.name, body, subresource=rp.subresource, validation=_validation(request)
            )
            return _json(obj)
        case "PATCH":
            return await _patch(request, state, rt, rp)
        case "DELETE":
            return _json(store.delete(rt, ns, rp.name))
    raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported here")


async def _collection(
    request: web.Request, state: State, rt: ResourceType, rp: ResourcePath
) -> web.StreamResponse:
    if request.method == "POST":
        if rp.namespace is None and rt.namespaced:
            raise bad_request("a namespace is required to create a namespaced object")
        body = await _body(request)
        obj = state.store.create(rt, rp.namespace or "", body, validation=_validation(request))
        if (rt.group, rt.plural) == ("events.k8s.io", "events"):
            core = state.types.find("", "v1", "events")
            assert core is not None
            state.store.create(core, rp.namespace or "", core_event(obj))
        return _json(obj, status=201)
    if request.method != "GET":
        raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported here")
    labels = label_predicate(request.query.get("labelSelector"))
    fields = field_predicate(request.query.get("fieldSelector"))

    def matches(obj: Mapping[str, Any]) -> bool:
        return labels(obj) and fields(obj)

    if _flag(request, "watch"):
        return await serve_watch(request, rt, rp.namespace, matches)
    items, rv = state.store.list(rt, rp.namespace, matches)
    items, metadata = paginate(items, rv, request.query)
    if wants_table(request.headers.get("Accept", "")):
        return _json(table(rt, items, resource_version=rv))
    return _json(
        {
            "apiVersion": rt.api_version,
            "kind": f"{rt.kind}List",
            "metadata": metadata,
            "items": items,
        }
    )


async def _patch(
    request: web.Request, state: State, rt: ResourceType, rp: ResourcePath
) -> web.Response:
    assert rp.name is not None
    ns, name, store = rp.namespace or "", rp.name, state.store
    body = await _body(request)
    kind = request.content_type
    if kind == "application/apply-patch+yaml":
        manager = request.query.get("fieldManager")
        if not manager:
            raise ApiError(
                422, "Invalid", "fieldManager: Required value: is required for apply patch"
            )
        if not isinstance(body, dict):
            raise bad_request("an apply patch must be an object")
        obj, created = store.apply(
            rt,
            ns,
            name,
            body,
            manager=manager,
            force=_flag(request, "force"),
            subresource=rp.subresource,
            validation=_validation(request),
        )
        return _json(obj, status=201 if created else 200)
    current = store.get(rt, ns, name)
    try:
        if kind == "application/json-patch+json":
            candidate = json_patch(current, body)
        elif kind == "application/merge-patch+json" or (
            kind == "application/strategic-merge-patch+json" and not rt.custom
        ):
            candidate = merge_patch(current, body)
        else:
            raise ApiError(415, "UnsupportedMediaType", _UNSUPPORTED_PATCH)
    except PatchError as exc:
        raise ApiError(422, "Invalid", str(exc)) from exc
    obj = store.update(
        rt, ns, name, candidate, subresource=rp.subresource, validation=_validation(request)
    )
    return _json(obj)


async def _crds(request: web.Request, state: State, rp: ResourcePath) -> web.Response:
    """Just enough of apiextensions for tests: create (registers the types), get and list."""
    if request.method == "POST" and rp.name is None:
        crd = await _body(request)
        name = (crd.get("metadata") or {}).get("name", "")
        if name in state.crds:
            raise ApiError(
                409, "AlreadyExists", f'customresourcedefinitions "{name}" already exists'
            )
        state.register_crd(crd)
        return _json(state.crds[name], status=201)
    if request.method == "GET" and rp.name is None:
        return _json({"kind": "CustomResourceDefinitionList", "items": list(state.crds.values())})
    if request.method == "GET" and rp.name in state.crds:
        return _json(state.crds[rp.name])
    raise _no_route()


@web.middleware
async def status_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Render ApiError (and aiohttp's own 404/405) as a `Status` body."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as exc:
        return _json(exc.body(), status=exc.code)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        body = status_body(
            code=exc.status, reason=exc.reason.replace(" ", ""), message=exc.text or ""
        )
        return _json(body, status=exc.status)


ROUTES = [
    web.route("*", "/api/{tail:.+}", handle),
    web.route("*", "/apis/{tail:.+}", handle),
]
