"""ToolHive's registry extensions, skills and plugins (`data.skills`, `data.plugins` of an
upstream document, and `POST /v1/entries` bodies): the structural checks of toolhive-core's
`skill.schema.json` / `plugin.schema.json` and the identity of an item.

Unlike ToolHive (whose identity is the bare `name`, so same-named skills of two namespaces
collide), an item is identified by `namespace/name`: that is what the filters match, what the
API paths name and what pagination cursors hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from mcp_registry_common.formats.errors import RegistryFormatError, index_path, json_type, key_path
from mcp_registry_common.formats.upstream import objects_at


class ExtensionKind(StrEnum):
    """An extension entry type: its singular is the admin API's `{type}`, `plural` the key."""

    SKILL = "skill"
    PLUGIN = "plugin"

    @property
    def plural(self) -> str:
        """`skills` / `plugins`: the document key and the API path segment."""
        return f"{self.value}s"


STATUSES: Final = ("active", "deprecated", "archived")
PACKAGE_TYPES: Final = ("oci", "git")
ITEM_NAME_PATTERN: Final = "^[a-z0-9][a-z0-9-]*[a-z0-9]$"
"""A skill's or plugin's `name` (1..64 characters; one character is also accepted, as the
schema's length bounds intend)."""

_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_STRING_LIMITS: Final = {"title": 100, "license": 256, "compatibility": 500}
_PACKAGE_STRINGS: Final = ("identifier", "digest", "mediaType", "url", "ref", "commit", "subfolder")
_ICON_STRINGS: Final = ("size", "type", "label")
_SKILL_ONLY: Final = ("compatibility", "allowedTools")


def item_key(item: Mapping[str, Any]) -> str:
    """`namespace/name` of a validated skill or plugin."""
    return f"{item['namespace']}/{item['name']}"


def validate_item(obj: Any, *, kind: ExtensionKind, path: str) -> dict[str, Any]:
    """Check one skill or plugin against its schema's rules and return it unchanged.

    Checked: an object; `namespace` (3..128 characters), `name` (lower-case letters, digits and
    inner hyphens, at most 64), non-empty `description` (at most 1024) and `version`; `status`
    one of active/deprecated/archived; `title`, `license` (and for a skill `compatibility`)
    strings within their lengths; `allowedTools` (skills only) unique strings; `repository`
    and `metadata`/`_meta` objects; `icons` objects with a `src`; `packages` objects whose
    `registryType` is oci or git. Raises RegistryFormatError naming `path`.
    """
    if type(obj) is not dict:
        raise RegistryFormatError(path, f"{kind.value} must be an object, got {json_type(obj)}")
    _text(obj, "namespace", path, required=True, low=3, high=128)
    name = _text(obj, "name", path, required=True, high=64)
    if name is not None and _NAME_RE.fullmatch(name) is None:
        raise RegistryFormatError(
            key_path(path, "name"), f"must match {ITEM_NAME_PATTERN}, got {name!r}"
        )
    _text(obj, "description", path, required=True, high=1024)
    _text(obj, "version", path, required=True)
    status = _text(obj, "status", path)
    if status is not None and status not in STATUSES:
        raise RegistryFormatError(
            key_path(path, "status"), f"must be one of {', '.join(STATUSES)}, got {status!r}"
        )
    for key, high in _STRING_LIMITS.items():
        if key == "compatibility" and kind is not ExtensionKind.SKILL:
            continue
        _text(obj, key, path, high=high)
    if kind is ExtensionKind.SKILL:
        _allowed_tools(obj.get("allowedTools"), key_path(path, "allowedTools"))
    else:
        for key in _SKILL_ONLY:
            if key in obj:
                raise RegistryFormatError(key_path(path, key), "is a skill field, not a plugin's")
    for key in ("repository", "metadata", "_meta"):
        value = obj.get(key)
        if value is not None and type(value) is not dict:
            raise RegistryFormatError(
                key_path(path, key), f"must be an object, got {json_type(value)}"
            )
    for i, icon in enumerate(_objects(obj.get("icons"), key_path(path, "icons"))):
        where = index_path(key_path(path, "icons"), i)
        _text(icon, "src", where, required=True)
        for key in _ICON_STRINGS:
            _text(icon, key, where)
    for i, package in enumerate(_objects(obj.get("packages"), key_path(path, "packages"))):
        where = index_path(key_path(path, "packages"), i)
        registry_type = _text(package, "registryType", where, required=True)
        if registry_type not in PACKAGE_TYPES:
            raise RegistryFormatError(
                key_path(where, "registryType"), f"must be oci or git, got {registry_type!r}"
            )
        for key in _PACKAGE_STRINGS:
            _text(package, key, where)
    return obj


def validate_items(value: object, *, kind: ExtensionKind, path: str) -> list[dict[str, Any]]:
    """An optional `skills`/`plugins` array: each item valid and no (namespace/name, version)
    twice. Absent (None) is an empty list."""
    if value is None:
        return []
    if type(value) is not list:
        raise RegistryFormatError(path, f"must be an array, got {json_type(value)}")
    seen: dict[tuple[str, str], str] = {}
    for i, item in enumerate(value):
        where = index_path(path, i)
        validate_item(item, kind=kind, path=where)
        identity = (item_key(item), item["version"])
        first = seen.setdefault(identity, where)
        if first != where:
            raise RegistryFormatError(
                where,
                f"duplicate {kind.value} {identity[0]} version {identity[1]} (first at {first})",
            )
    return value


def _text(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    *,
    required: bool = False,
    low: int = 1,
    high: int | None = None,
) -> str | None:
    value = obj.get(key)
    where = key_path(path, key)
    if value is None:
        if required:
            raise RegistryFormatError(where, f"{key} is required")
        return None
    if type(value) is not str:
        raise RegistryFormatError(where, f"must be a string, got {json_type(value)}")
    if required and not value:
        raise RegistryFormatError(where, f"{key} is required")
    if value and not low <= len(value) <= (high or len(value)):
        bound = f"{low} to {high}" if high else f"at least {low}"
        raise RegistryFormatError(where, f"must be {bound} characters long, got {len(value)}")
    return value


def _allowed_tools(value: object, path: str) -> None:
    if value is None:
        return
    if type(value) is not list or any(type(tool) is not str for tool in value):
        raise RegistryFormatError(path, "must be an array of strings")
    if len(set(value)) != len(value):
        raise RegistryFormatError(path, "must not repeat a tool")


def _objects(value: object, path: str) -> list[dict[str, Any]]:
    return [] if value is None else objects_at(value, path)
