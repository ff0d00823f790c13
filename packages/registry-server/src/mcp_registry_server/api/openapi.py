"""The hand-written OpenAPI 3.1 description of the public API, served as JSON and YAML."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml
from aiohttp import web

from mcp_registry_server.api.openapi_admin import admin_paths
from mcp_registry_server.api.openapi_extensions import (
    EXTENSION_PARAMETERS,
    EXTENSION_SCHEMAS,
    LIST_METADATA,
    NOT_MODIFIED,
    extension_paths,
    ok,
    problem,
)
from mcp_registry_server.api.openapi_schemas import SEGMENT, SERVER_NAME

REGISTRY_REPO = "https://github.com/modelcontextprotocol/registry"
INFO_VERSION = "1.0.0"
"""ToolHive's `api` source accepts an upstream only when `info.version` is exactly this."""

_REF = "#/components/"


def _param(name: str, where: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    required = where == "path"
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema,
    }


_LIST_PARAMS = ("cursor", "limit", "search", "updated_since", "versionFilter")


def _operations(prefix: str, scoped: bool) -> dict[str, Any]:
    """The three read operations under one prefix."""
    registry = [{"$ref": f"{_REF}parameters/registryName"}] if scoped else []
    where = "the named registry" if scoped else "the default registry"
    name, version = {"$ref": f"{_REF}parameters/serverName"}, {"$ref": f"{_REF}parameters/version"}
    tag = [prefix.rsplit("/", 1)[-1] if not scoped else "registry"]
    suffix = prefix.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    return {
        f"{prefix}/servers": {
            "get": {
                "operationId": f"listServers_{suffix}",
                "tags": tag,
                "summary": f"List server versions of {where}, sorted by name then version",
                "parameters": registry + [{"$ref": f"{_REF}parameters/{p}"} for p in _LIST_PARAMS],
                "responses": {
                    "200": ok("ServerList"),
                    "304": NOT_MODIFIED,
                    "400": problem("A query parameter is invalid"),
                    "404": problem("Unknown registry"),
                },
            }
        },
        f"{prefix}/servers/{{serverName}}/versions": {
            "get": {
                "operationId": f"listServerVersions_{suffix}",
                "tags": tag,
                "summary": f"All versions of one server of {where}",
                "parameters": [*registry, name],
                "responses": {
                    "200": ok("ServerList"),
                    "304": NOT_MODIFIED,
                    "400": problem("Malformed server name"),
                    "404": problem("Unknown registry or server"),
                },
            }
        },
        f"{prefix}/servers/{{serverName}}/versions/{{version}}": {
            "get": {
                "operationId": f"getServerVersion_{suffix}",
                "tags": tag,
                "summary": f"One version of one server of {where}; `latest` is the newest",
                "parameters": [*registry, name, version],
                "responses": {
                    "200": ok("ServerResponse"),
                    "304": NOT_MODIFIED,
                    "400": problem("Malformed server name or version"),
                    "404": problem("Unknown registry, server or version"),
                },
            }
        },
    }


_PARAMETERS = {
    "registryName": _param("registryName", "path", "A configured registry.", SEGMENT),
    "serverName": _param(
        "serverName",
        "path",
        "URL-encoded server name (`/` as `%2F`), `dns-namespace/name`.",
        SERVER_NAME,
    ),
    "version": _param("version", "path", "A version, or `latest`.", SEGMENT),
    "cursor": _param(
        "cursor",
        "query",
        "`metadata.nextCursor` of the previous page, unchanged: any other value is refused (400).",
        {"type": "string", "maxLength": 1024, "pattern": "^[A-Za-z0-9_-]+$"},
    ),
    "limit": _param(
        "limit",
        "query",
        "Items per page.",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 30},
    ),
    "search": _param(
        "search",
        "query",
        "Case-insensitive substring of the name, title or description.",
        {"type": "string", "maxLength": 256},
    ),
    "updated_since": _param(
        "updated_since",
        "query",
        "RFC 3339 time with a zone (`2025-08-07T13:15:04.280Z`); only entries updated after it.",
        {
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
            "(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
        },
    ),
    "versionFilter": _param("version", "query", "`latest`, or an exact version.", SEGMENT),
}

_OFFICIAL_META = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "publishedAt", "updatedAt", "isLatest"],
    "properties": {
        "status": {"type": "string", "enum": ["active", "deprecated", "deleted"]},
        "publishedAt": {"type": "string", "format": "date-time"},
        "updatedAt": {"type": "string", "format": "date-time"},
        "isLatest": {"type": "boolean"},
    },
}

_SCHEMAS: dict[str, Any] = {
    "ServerDetail": {
        "type": "object",
        "description": "A server.json document (2025-12-11 schema), as synced from a source.",
        "required": ["name", "version"],
        "properties": {
            "$schema": {"type": "string", "format": "uri"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "version": {"type": "string"},
            "websiteUrl": {"type": "string", "format": "uri"},
            "repository": {"type": "object"},
            "packages": {"type": "array", "items": {"type": "object"}},
            "remotes": {"type": "array", "items": {"type": "object"}},
            "_meta": {"type": "object"},
        },
    },
    "ServerResponse": {
        "type": "object",
        "required": ["server", "_meta"],
        "properties": {
            "server": {"$ref": f"{_REF}schemas/ServerDetail"},
            "_meta": {
                "type": "object",
                "properties": {"io.modelcontextprotocol.registry/official": _OFFICIAL_META},
            },
        },
    },
    "ServerList": {
        "type": "object",
        "required": ["servers", "metadata"],
        "properties": {
            "servers": {"type": "array", "items": {"$ref": f"{_REF}schemas/ServerResponse"}},
            "metadata": LIST_METADATA,
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details; `error` repeats `detail` for ToolHive clients.",
        "required": ["type", "title", "status", "detail", "error"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "error": {"type": "string"},
        },
    },
}


def _document_route(media: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"openapi_{media.rsplit('/', 1)[-1]}",
            "tags": ["meta"],
            "summary": "This document",
            "responses": {"200": {"description": "OK", "content": {media: {"schema": {}}}}},
        }
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every public route."""
    paths: dict[str, Any] = {}
    for prefix, scoped in (
        ("/registry/{registryName}/v0.1", True),
        ("/v0.1", False),
        ("/v0", False),
    ):
        paths.update(_operations(prefix, scoped))
        paths.update(extension_paths(prefix, scoped))
    paths["/openapi.json"] = _document_route("application/json")
    paths["/openapi.yaml"] = _document_route("application/yaml")
    paths.update(admin_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MCP Registry Server",
            "version": INFO_VERSION,
            "description": (
                "The MCP Registry API over configured registries, ToolHive's skills and "
                "plugins extension (`/x/dev.toolhive`), and the `/v1` admin API "
                "(ToolHive-compatible).\n\n"
                f"Implements the read API of [the MCP registry]({REGISTRY_REPO})."
            ),
        },
        "paths": paths,
        "components": {
            "parameters": {**_PARAMETERS, **EXTENSION_PARAMETERS},
            "schemas": {**_SCHEMAS, **EXTENSION_SCHEMAS},
            "headers": {"ETag": {"description": "Strong entity tag", "schema": {"type": "string"}}},
        },
    }


@cache
def _rendered(fmt: str) -> bytes:
    document = openapi_document()
    if fmt == "json":
        return json.dumps(document, indent=2).encode()
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


async def openapi_json(request: web.Request) -> web.Response:
    """GET /openapi.json."""
    return web.Response(body=_rendered("json"), content_type="application/json")


async def openapi_yaml(request: web.Request) -> web.Response:
    """GET /openapi.yaml (ToolHive's `api` source fingerprints upstreams with it)."""
    return web.Response(body=_rendered("yaml"), content_type="application/yaml")
