"""Discovery for kubectl: /version, /api, /apis, resource lists and minimal OpenAPI documents."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .keys import STATE
from .resources import VERBS, ResourceType

_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-fake",
    "platform": "linux/amd64",
}


def _resource_list(group_version: str, types: list[ResourceType]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for rt in types:
        resources.append(
            {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(VERBS),
                "shortNames": list(rt.short_names),
                "categories": list(rt.categories),
            }
        )
        if rt.has_status:
            resources.append(
                {
                    "name": f"{rt.plural}/status",
                    "singularName": "",
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


async def version(request: web.Request) -> web.Response:
    return web.json_response(_VERSION)


async def core_versions(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}],
        }
    )


async def core_resources(request: web.Request) -> web.Response:
    types = request.app[STATE].types.in_group_version("", "v1")
    return web.json_response(_resource_list("v1", types))


async def groups(request: web.Request) -> web.Response:
    gv = request.app[STATE].types.group_versions()
    return web.json_response(
        {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_group(name, versions) for name, versions in gv.items()],
        }
    )


async def group(request: web.Request) -> web.Response:
    name = request.match_info["group"]
    versions = request.app[STATE].types.group_versions().get(name)
    if not versions:
        raise web.HTTPNotFound()
    return web.json_response({"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)})


async def group_resources(request: web.Request) -> web.Response:
    g, v = request.match_info["group"], request.match_info["version"]
    types = request.app[STATE].types.in_group_version(g, v)
    if not types:
        raise web.HTTPNotFound()
    return web.json_response(_resource_list(f"{g}/{v}", types))


async def openapi_v2(request: web.Request) -> web.Response:
    """An empty protobuf document: kubectl then has no client-side schema and carries on."""
    return web.Response(body=b"", content_type="application/octet-stream")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


async def openapi_v3_index(request: web.Request) -> web.Response:
    gvs = {(rt.group, rt.version) for rt in request.app[STATE].types.all()}
    paths = {
        _gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash=0"}
        for g, v in sorted(gvs)
    }
    return web.json_response({"paths": paths})


async def openapi_v3_document(request: web.Request) -> web.Response:
    """One PATCH operation per resource, enough for kubectl to use server-side validation."""
    parts = request.match_info["tail"].split("/")
    group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
    types = request.app[STATE].types.in_group_version(group, version)
    if not types:
        raise web.HTTPNotFound()
    paths = {}
    for rt in types:
        path = f"/{_gv_path(group, version)}/namespaces/{{namespace}}/{rt.plural}/{{name}}"
        paths[path] = {
            "patch": {
                "x-kubernetes-group-version-kind": {
                    "group": group,
                    "version": version,
                    "kind": rt.kind,
                },
                "parameters": [
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return web.json_response(
        {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths,
            "components": {"schemas": {}},
        }
    )


ROUTES = [
    web.get("/version", version),
    web.get("/api", core_versions),
    web.get("/api/v1", core_resources),
    web.get("/apis", groups),
    web.get("/apis/{group}", group),
    web.get("/apis/{group}/{version}", group_resources),
    web.get("/openapi/v2", openapi_v2),
    web.get("/openapi/v3", openapi_v3_index),
    web.get("/openapi/v3/{tail:.+}", openapi_v3_document),
]
