"""The OpenAPI path items of the admin API, generated from its route table (never out of sync)."""

from __future__ import annotations

import re
from typing import Any

from mcp_registry_server.api.admin_routes import ADMIN_ROUTES, AdminRoute
from mcp_registry_server.api.openapi_schemas import (
    CLAIMS,
    PUBLISH,
    REGISTRY,
    SEGMENT,
    SERVER_NAME,
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_ERRORS = {
    "400": "Invalid parameter or body (the detail names it)",
    "401": "Missing or invalid bearer token",
    "403": "The caller lacks the role, or its claims do not cover the object",
    "404": "No such object, or one hidden from the caller",
    "409": "Conflicts with the current state",
}
_SUCCESS = {"GET": "200", "PUT": "200", "POST": "200", "DELETE": "204"}
_CREATED = {"/v1/entries", "/v1/sources/{name}", "/v1/registries/{name}"}
"""Routes that answer 201 when they create (PUT upserts, publish)."""
_BODIES = {
    ("POST", "/v1/entries"): PUBLISH,
    ("PUT", "/v1/registries/{name}"): REGISTRY,
    ("PUT", "/v1/entries/{type}/{name}/claims"): {
        "type": "object",
        "additionalProperties": False,
        "properties": {"claims": CLAIMS},
    },
}
"""Request bodies the document describes in full (a source's is the `sources[]` item of the
config reference, less `name`: see the README)."""


def admin_paths() -> dict[str, Any]:
    """`paths` entries for every `/v1` route."""
    paths: dict[str, Any] = {}
    for route in ADMIN_ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return paths


def _operation(route: AdminRoute) -> dict[str, Any]:
    summary, _, description = (route.handler.__doc__ or route.action).strip().partition("\n")
    responses: dict[str, Any] = {}
    status = _SUCCESS[route.method]
    if route.path in _CREATED and route.method in ("PUT", "POST"):
        responses["201"] = {"description": "Created", "content": _json()}
    if not (route.method == "POST" and route.path == "/v1/entries"):
        responses[status] = {"description": "OK"} | (
            {"content": _json()} if status != "204" else {}
        )
    responses.update(
        {code: {"description": text, "content": _PROBLEM} for code, text in _ERRORS.items()}
    )
    responses["503"] = {
        "description": "The server is starting, or its database is unavailable: retry",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the database is tried again (database outages)",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "content": _PROBLEM,
    }
    operation: dict[str, Any] = {
        "operationId": route.action.replace(".", "_"),
        "tags": ["admin"],
        "summary": summary,
        **({"description": _paragraphs(description)} if description.strip() else {}),
        "x-audit-event": route.action,
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": _path_schema(route, name)}
            for name in _PLACEHOLDER.findall(route.path)
        ],
        "responses": responses,
    }
    if route.role is not None:
        operation["x-required-role"] = route.role.value
    if route.method in ("PUT", "POST") and not route.path.endswith("/sync"):
        body = _BODIES.get((route.method, route.path), {"type": "object"})
        operation["requestBody"] = {"required": True, "content": _json(body)}
    return operation


def _path_schema(route: AdminRoute, name: str) -> dict[str, Any]:
    """An entry's `type` is `server` (skills and plugins are not stored) and its `name` a
    server name; every other path value is a non-empty segment without whitespace."""
    if route.path.startswith("/v1/entries/"):
        if name == "type":
            return {"type": "string", "enum": ["server"]}
        if name == "name":
            return SERVER_NAME
    return SEGMENT


def _json(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"application/json": {"schema": schema or {"type": "object"}}}


def _paragraphs(text: str) -> str:
    """A docstring's body as Markdown: its lines unindented and rejoined, blank lines kept."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(lines)
