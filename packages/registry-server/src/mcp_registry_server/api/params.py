"""Validation of the registry API's query and path parameters, with 400 messages naming them."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime

from mcp_registry_server.api.problems import InvalidParameterError
from mcp_registry_server.snapshot import EntryKey, ListQuery

DEFAULT_LIMIT = 30
DEFAULT_ITEM_LIMIT = 50
"""Skills and plugins per page by default (ToolHive's extension APIs)."""
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 1024
MAX_SEARCH_CHARS = 256

UPDATED_SINCE_MESSAGE = (
    "Invalid updated_since parameter: must be RFC3339 format (e.g., 2025-08-07T13:15:04.280Z)"
)
_LIMIT = re.compile(r"[+-]?[0-9]+")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_NAMESPACE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?")
_NAME_PART = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?")
_WHITESPACE = re.compile(r"\s")


def list_query(query: Mapping[str, str]) -> ListQuery:
    """The `ListQuery` a list request's query string asks for."""
    version = query.get("version", "")
    return ListQuery(
        limit=_limit(query.get("limit")),
        after=decode_cursor(query["cursor"]) if query.get("cursor") else None,
        search=_search(query),
        updated_since=_updated_since(query.get("updated_since")),
        version=path_value("version", version) if version else None,
    )


def item_list_query(query: Mapping[str, str]) -> ListQuery:
    """The `ListQuery` of a skills or plugins list: `search`, `cursor` and `limit` (default
    50); ToolHive's `status` and `namespace` are accepted and ignored, as there."""
    return ListQuery(
        limit=_limit(query.get("limit"), default=DEFAULT_ITEM_LIMIT),
        after=decode_cursor(query["cursor"]) if query.get("cursor") else None,
        search=_search(query),
    )


def _search(query: Mapping[str, str]) -> str | None:
    search = query.get("search", "").strip()
    if len(search) > MAX_SEARCH_CHARS:
        raise InvalidParameterError(
            f"Invalid search parameter: must be at most {MAX_SEARCH_CHARS} characters"
        )
    return search.lower() or None


def _limit(text: str | None, *, default: int = DEFAULT_LIMIT) -> int:
    if text is None or text == "":
        return default
    if not _LIMIT.fullmatch(text):
        raise InvalidParameterError("Invalid limit parameter: must be an integer")
    if len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidParameterError(
            f"Invalid limit parameter: must be between 1 and {MAX_LIMIT}, got {text[:20]}"
        )
    return int(text)


def _updated_since(text: str | None) -> datetime | None:
    if text is None or text == "":
        return None
    if not _RFC3339.fullmatch(text):
        raise InvalidParameterError(UPDATED_SINCE_MESSAGE)
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:
        raise InvalidParameterError(UPDATED_SINCE_MESSAGE) from None


def encode_cursor(key: EntryKey) -> str:
    """The opaque cursor continuing after `key`: unpadded URL-safe base64 of `[name, version]`."""
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> EntryKey:
    """The key a cursor from `encode_cursor` holds; 400 for anything else."""
    problem = InvalidParameterError("Invalid cursor parameter: not a cursor this server issued")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise problem
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise problem from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise problem
    return (value[0], value[1])


def path_value(param: str, value: str) -> str:
    """`value` unless it is empty or contains whitespace (ToolHive's generic parameter rule)."""
    if not value.strip():
        raise InvalidParameterError(f"{param} cannot be empty")
    if _WHITESPACE.search(value):
        raise InvalidParameterError(f"{param} cannot contain whitespace")
    return value


def server_name(value: str) -> str:
    """A decoded `serverName` path segment, validated as `dns-namespace/name`."""
    name = path_value("serverName", value).strip()
    reason = _server_name_problem(name)
    if reason is not None:
        raise InvalidParameterError(f"invalid server name format: {reason}")
    return name


def _server_name_problem(name: str) -> str | None:
    """Why `name` is not a valid MCP server name, or None when it is."""
    if name.count("/") != 1:
        return "server name must contain exactly one '/' separator"
    if not 3 <= len(name) <= 200:
        return "server name must be between 3 and 200 characters"
    namespace, _, part = name.partition("/")
    if not _NAMESPACE.fullmatch(namespace) or not _NAME_PART.fullmatch(part):
        return "server name must be in format 'dns-namespace/name' (e.g., 'com.example.api/server')"
    return None
