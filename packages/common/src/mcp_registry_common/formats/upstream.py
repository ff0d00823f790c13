"""The upstream (MCP server.json) format: its constants and a fast structural check of a server."""

from __future__ import annotations

import re
from typing import Any, Final

from mcp_registry_common.formats.errors import RegistryFormatError, index_path, json_type, key_path

UPSTREAM_SCHEMA_URL: Final = (
    "https://raw.githubusercontent.com/stacklok/toolhive-core/main/"
    "registry/types/data/upstream-registry.schema.json"
)
"""`$schema` of a ToolHive upstream registry file (toolhive-core `UpstreamRegistrySchemaURL`)."""

SERVER_SCHEMA_URL: Final = (
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
)
"""`$schema` of one server.json (`model.CurrentSchemaURL`, written by ToolHive's converter)."""

PUBLISHER_PROVIDED_KEY: Final = "io.modelcontextprotocol.registry/publisher-provided"
"""The `_meta` key holding publisher-provided extensions."""

TOOLHIVE_NAMESPACE: Final = "io.github.stacklok"
"""ToolHive's publisher namespace inside the publisher-provided block."""

NAME_PATTERN: Final = "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"
"""server.json `name` pattern (2025-12-11 schema); length 3..200."""

_NAME_RE = re.compile(NAME_PATTERN[1:-1])
_NAME_MIN, _NAME_MAX = 3, 200
_VERSION_MAX = 255

# The official registry's range detectors (internal/validators/validators.go), used on trimmed text.
_NUM = r"v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?"
_RANGE_RES: Final = (
    re.compile(rf"\s*(?:\^|~|>=|<=|>|<|=)\s*{_NUM}\s*", re.ASCII),
    re.compile(rf"\s*{_NUM}\s-\s*{_NUM}\s*", re.ASCII),
    re.compile(rf"\s*(?:{_NUM}\s*)(?:\|\|\s*{_NUM}\s*)+", re.ASCII),
)
_DOTTED_RE = re.compile(
    r"\s*(?:v?\d+|x|X|\*)(?:\.(?:\d+|x|X|\*)){1,2}(?:-[0-9A-Za-z.-]+)?\s*", re.ASCII
)
_RANGE_HINT = frozenset("^~<>=|xX* \t\n\r\f")

PACKAGE_TRANSPORTS: Final = frozenset({"stdio", "streamable-http", "sse"})
REMOTE_TRANSPORTS: Final = frozenset({"streamable-http", "sse"})
_URL_TRANSPORTS = REMOTE_TRANSPORTS


def looks_like_version_range(version: str) -> bool:
    """True for `^1.2.3`, `~1.2`, `>=1.0.0`, `1.x`, `1.2.*`, `1 - 2`, `1.2 || 1.3` (official)."""
    if _RANGE_HINT.isdisjoint(version):
        return False
    trimmed = version.strip()
    if not trimmed:
        return False
    if any(regex.fullmatch(trimmed) for regex in _RANGE_RES):
        return True
    if _DOTTED_RE.fullmatch(trimmed):
        return any(c in trimmed for c in "xX*")
    return False


def validate_server(obj: Any, *, path: str) -> dict[str, Any]:
    """Check the structure of one server.json and return it unchanged.

    Checked: an object; `name` (3..200 characters, reverse-DNS pattern); non-empty `description`;
    `version` (non-empty, at most 255 characters, not `latest`, not a range); optional `title`,
    `websiteUrl`, `$schema` strings; `repository` an object; `packages`, `remotes` and `icons`
    arrays of objects with their required keys; `_meta` (and its publisher-provided block) objects.
    Not checked: lengths of `description`/`title`, URL formats and anything the full JSON schema
    adds beyond that. Raises RegistryFormatError naming `path`.
    """
    if type(obj) is not dict:
        raise RegistryFormatError(path, f"server must be an object, got {json_type(obj)}")
    name = _check_name(obj.get("name"), path)
    description = obj.get("description")
    if type(description) is not str or not description:
        raise _required_or_type(
            key_path(path, "description"),
            value=description,
            required=f"description is required (server {name})",
        )
    _check_version(obj.get("version"), path)
    for key in ("title", "websiteUrl", "$schema"):
        value = obj.get(key)
        if value is not None and type(value) is not str:
            raise RegistryFormatError(
                key_path(path, key), f"must be a string, got {json_type(value)}"
            )
    repository = obj.get("repository")
    if repository is not None and type(repository) is not dict:
        raise RegistryFormatError(
            key_path(path, "repository"), f"must be an object, got {json_type(repository)}"
        )
    packages = obj.get("packages")
    if packages is not None:
        for i, package in enumerate(objects_at(packages, key_path(path, "packages"))):
            _check_package(package, index_path(key_path(path, "packages"), i))
    remotes = obj.get("remotes")
    if remotes is not None:
        for i, remote in enumerate(objects_at(remotes, key_path(path, "remotes"))):
            where = index_path(key_path(path, "remotes"), i)
            _check_transport(remote, path=where, allowed=REMOTE_TRANSPORTS)
    icons = obj.get("icons")
    if icons is not None:
        for i, icon in enumerate(objects_at(icons, key_path(path, "icons"))):
            _required_str(icon, key="src", path=index_path(key_path(path, "icons"), i))
    meta = obj.get("_meta")
    if meta is not None:
        _check_meta(meta, key_path(path, "_meta"))
    return obj


def _check_name(name: object, path: str) -> str:
    where = key_path(path, "name")
    if type(name) is not str or not name:
        raise _required_or_type(where, value=name, required="name is required")
    if not _NAME_MIN <= len(name) <= _NAME_MAX:
        raise RegistryFormatError(
            where, f"must be {_NAME_MIN} to {_NAME_MAX} characters long, got {len(name)}"
        )
    if _NAME_RE.fullmatch(name) is None:
        raise RegistryFormatError(where, f"must match {NAME_PATTERN}, got {name!r}")
    return name


def _check_version(version: object, path: str) -> None:
    where = key_path(path, "version")
    if type(version) is not str or not version:
        raise _required_or_type(where, value=version, required="version is required")
    if len(version) > _VERSION_MAX:
        raise RegistryFormatError(
            where, f"must be at most {_VERSION_MAX} characters long, got {len(version)}"
        )
    if version == "latest":
        raise RegistryFormatError(where, "'latest' is reserved and cannot be used as a version")
    if looks_like_version_range(version):
        raise RegistryFormatError(where, f"must be a specific version, not a range: {version!r}")


def _check_package(package: dict[str, Any], path: str) -> None:
    _required_str(package, key="registryType", path=path)
    _required_str(package, key="identifier", path=path)
    transport = package.get("transport")
    if transport is None:
        raise RegistryFormatError(key_path(path, "transport"), "transport is required")
    if type(transport) is not dict:
        raise RegistryFormatError(
            key_path(path, "transport"), f"must be an object, got {json_type(transport)}"
        )
    _check_transport(transport, path=key_path(path, "transport"), allowed=PACKAGE_TRANSPORTS)


def _check_transport(transport: dict[str, Any], *, path: str, allowed: frozenset[str]) -> None:
    kind = _required_str(transport, key="type", path=path)
    if kind not in allowed:
        choices = ", ".join(sorted(allowed))
        raise RegistryFormatError(key_path(path, "type"), f"must be one of {choices}, got {kind!r}")
    if kind in _URL_TRANSPORTS:
        _required_str(
            transport, key="url", path=path, problem=f"url is required for {kind} transport type"
        )


def _check_meta(meta: object, path: str) -> None:
    if type(meta) is not dict:
        raise RegistryFormatError(path, f"must be an object, got {json_type(meta)}")
    provided = meta.get(PUBLISHER_PROVIDED_KEY)
    if provided is not None and type(provided) is not dict:
        raise RegistryFormatError(
            key_path(path, PUBLISHER_PROVIDED_KEY), f"must be an object, got {json_type(provided)}"
        )


def objects_at(value: object, path: str) -> list[dict[str, Any]]:
    """`value` checked to be an array of objects (RegistryFormatError naming `path`)."""
    if type(value) is not list:
        raise RegistryFormatError(path, f"must be an array, got {json_type(value)}")
    for i, item in enumerate(value):
        if type(item) is not dict:
            raise RegistryFormatError(
                index_path(path, i), f"must be an object, got {json_type(item)}"
            )
    return value


def _required_str(obj: dict[str, Any], *, key: str, path: str, problem: str = "") -> str:
    value = obj.get(key)
    if type(value) is not str or not value:
        raise _required_or_type(
            key_path(path, key), value=value, required=problem or f"{key} is required"
        )
    return value


def _required_or_type(path: str, *, value: object, required: str) -> RegistryFormatError:
    if value is None or value == "":
        return RegistryFormatError(path, required)
    return RegistryFormatError(path, f"must be a string, got {json_type(value)}")
