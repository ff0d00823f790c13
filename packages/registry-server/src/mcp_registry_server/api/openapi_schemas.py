"""Schemas the OpenAPI document shares between the read and admin APIs: each states a rule the
server enforces (`api.params`, `api.admin_bodies`), so a client (or schemathesis) generating
from the document sends only what the server accepts."""

from __future__ import annotations

from typing import Any

SEGMENT: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "^[^\\s\\x1c-\\x1f\\x85]+$"}
"""A path value as `params.path_value` accepts it: not empty, no whitespace (what Python's
`\\s` matches, ECMA's `\\s` plus U+001C-U+001F and U+0085)."""
SERVER_NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 3,
    "maxLength": 200,
    "pattern": "^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?/[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$",
}
"""`dns-namespace/name`, as `params.server_name` (and a publish) accepts it."""
CLAIMS: dict[str, Any] = {
    "type": "object",
    "description": "Claim name to a string or a list of strings.",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
}
PUBLISH: dict[str, Any] = {
    "type": "object",
    "description": "`server` (a server.json) into the managed source, with the entry's claims.",
    "additionalProperties": False,
    "required": ["server"],
    "properties": {
        "server": {
            "type": "object",
            "required": ["name", "version", "description"],
            "properties": {
                "name": SERVER_NAME,
                "version": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": {"type": "string", "minLength": 1, "maxLength": 100},
                "title": {"type": "string", "minLength": 1, "maxLength": 100},
            },
            "additionalProperties": False,
        },
        "claims": CLAIMS,
    },
}
REGISTRY: dict[str, Any] = {
    "type": "object",
    "description": "The registry's sources, highest priority first (each must exist and be "
    "visible to the caller), and its claims.",
    "additionalProperties": False,
    "required": ["sources"],
    "properties": {
        "sources": {"type": "array", "minItems": 1, "uniqueItems": True, "items": SEGMENT},
        "claims": CLAIMS,
    },
}
