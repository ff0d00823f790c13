"""OpenAPI paths and schemas of ToolHive's extension read API (skills and plugins), and the
response helpers the read API's paths share."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats import ExtensionKind

from mcp_registry_server.api.openapi_schemas import SEGMENT

_REF = "#/components/"
LIST_METADATA: dict[str, Any] = {
    "type": "object",
    "required": ["count"],
    "properties": {
        "nextCursor": {"type": "string", "description": "Absent on the last page."},
        "count": {"type": "integer", "description": "Items in this page."},
    },
}
"""`metadata` of every list response."""
NOT_MODIFIED = {"description": "Not modified: the `If-None-Match` tag is current"}


def problem(description: str) -> dict[str, Any]:
    """A problem+json response."""
    content = {"application/problem+json": {"schema": {"$ref": f"{_REF}schemas/Problem"}}}
    return {"description": description, "content": content}


def ok(schema: str) -> dict[str, Any]:
    """A 200 with an ETag and a JSON body of `schema`."""
    return {
        "description": "OK",
        "headers": {"ETag": {"$ref": f"{_REF}headers/ETag"}},
        "content": {"application/json": {"schema": {"$ref": f"{_REF}schemas/{schema}"}}},
    }


def extension_paths(prefix: str, scoped: bool) -> dict[str, Any]:
    """The four read operations of skills and of plugins under one prefix."""
    paths: dict[str, Any] = {}
    registry = [{"$ref": f"{_REF}parameters/registryName"}] if scoped else []
    suffix = prefix.strip("/").replace("/", "_").replace("{", "").replace("}", "")
    for kind in ExtensionKind:
        noun, title = kind.value, kind.value.capitalize()
        base = f"{prefix}/x/dev.toolhive/{kind.plural}"
        one = [*registry, *(_ref(p) for p in ("itemNamespace", "itemName"))]
        tag = [kind.plural]
        paths[base] = _get(
            f"list{title}s_{suffix}",
            tag,
            f"List {noun} versions, sorted by `namespace/name` then version",
            [*registry, *(_ref(p) for p in ("cursor", "itemLimit", "search"))],
            ok(f"{title}List"),
            {"400": problem("A query parameter is invalid"), "404": problem("Unknown registry")},
        )
        paths[f"{base}/{{namespace}}/{{name}}"] = _get(
            f"get{title}Latest_{suffix}",
            tag,
            f"The latest version of one {noun}",
            one,
            ok(title),
            {"400": problem("Malformed path value"), "404": problem(f"Unknown registry or {noun}")},
        )
        paths[f"{base}/{{namespace}}/{{name}}/versions"] = _get(
            f"list{title}Versions_{suffix}",
            tag,
            f"All versions of one {noun}",
            one,
            ok(f"{title}List"),
            {"400": problem("Malformed path value"), "404": problem(f"Unknown registry or {noun}")},
        )
        paths[f"{base}/{{namespace}}/{{name}}/versions/{{version}}"] = _get(
            f"get{title}Version_{suffix}",
            tag,
            f"One version of one {noun}; `latest` is the newest",
            [*one, _ref("version")],
            ok(title),
            {
                "400": problem("Malformed path value"),
                "404": problem(f"Unknown registry, {noun} or version"),
            },
        )
    return paths


def _ref(parameter: str) -> dict[str, str]:
    return {"$ref": f"{_REF}parameters/{parameter}"}


def _get(
    operation: str,
    tags: list[str],
    summary: str,
    parameters: list[dict[str, Any]],
    ok: dict[str, Any],
    errors: dict[str, Any],
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation,
            "tags": tags,
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": ok, "304": NOT_MODIFIED, **errors},
        }
    }


EXTENSION_PARAMETERS: dict[str, Any] = {
    "itemNamespace": {
        "name": "namespace",
        "in": "path",
        "required": True,
        "description": "The skill's or plugin's namespace (reverse DNS).",
        "schema": SEGMENT,
    },
    "itemName": {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "The skill's or plugin's name.",
        "schema": SEGMENT,
    },
    "itemLimit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
}

_STRING = {"type": "string"}
_ITEM_PROPERTIES: dict[str, Any] = {
    "namespace": _STRING,
    "name": _STRING,
    "description": _STRING,
    "version": _STRING,
    "status": {"type": "string", "enum": ["active", "deprecated", "archived"]},
    "title": _STRING,
    "license": _STRING,
    "repository": {"type": "object", "properties": {"url": _STRING, "type": _STRING}},
    "icons": {"type": "array", "items": {"type": "object", "required": ["src"]}},
    "packages": {"type": "array", "items": {"type": "object", "required": ["registryType"]}},
    "metadata": {"type": "object"},
    "_meta": {"type": "object"},
}


def _item(description: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["namespace", "name", "description", "version", "status"],
        "properties": {**_ITEM_PROPERTIES, **extra},
    }


def _list(kind: ExtensionKind) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [kind.plural, "metadata"],
        "properties": {
            kind.plural: {
                "type": "array",
                "items": {"$ref": f"{_REF}schemas/{kind.value.capitalize()}"},
            },
            "metadata": LIST_METADATA,
        },
    }


EXTENSION_SCHEMAS: dict[str, Any] = {
    "Skill": _item(
        "A ToolHive skill (toolhive-core skill.schema.json); `status` defaults to active.",
        {"compatibility": _STRING, "allowedTools": {"type": "array", "items": _STRING}},
    ),
    "Plugin": _item("A ToolHive plugin (toolhive-core plugin.schema.json).", {}),
    "SkillList": _list(ExtensionKind.SKILL),
    "PluginList": _list(ExtensionKind.PLUGIN),
}
