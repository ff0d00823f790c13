"""Legacy ToolHive registry -> upstream server.json, reproducing toolhive-core's converter
(`ImageMetadataToServerJSON`, `RemoteServerMetadataToServerJSON`,
`NewUpstreamRegistryFromToolhiveRegistry`; shared/reference/formats.md §4)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcp_registry_common.formats.converted import (
    CONVERTED_VERSION,
    HTTP_TRANSPORTS,
    publisher_meta,
    reverse_dns_name,
)
from mcp_registry_common.formats.errors import ROOT, RegistryFormatError, json_type, key_path
from mcp_registry_common.formats.extensions import build_extensions
from mcp_registry_common.formats.gojson import GoFields, as_object
from mcp_registry_common.formats.plainlegacy import plain_image_to_server
from mcp_registry_common.formats.upstream import SERVER_SCHEMA_URL, UPSTREAM_SCHEMA_URL


def image_to_server(
    key: str, entry: Mapping[str, Any], *, path: str | None = None
) -> dict[str, Any]:
    """One legacy container entry (`servers.<key>`) as server.json with one OCI package.

    `path` names the entry in error messages (default `servers.<key>`). `entry` is not
    modified; the result may share its lists of strings.
    """
    if type(entry) is dict and (server := plain_image_to_server(key, entry)) is not None:
        return server
    return checked_image_to_server(key, entry, path=path)


def checked_image_to_server(
    key: str, entry: Mapping[str, Any], *, path: str | None = None
) -> dict[str, Any]:
    """`image_to_server` reading field by field as Go does, for any entry (the reference)."""
    fields = _entry_fields(entry, path or key_path("servers", key))
    server = _base_server(key, fields)
    kind = fields.text("transport") or "stdio"
    transport: dict[str, Any] = {"type": kind}
    port = fields.integer("target_port")  # read always: Go decodes (and type-checks) every field
    if kind in HTTP_TRANSPORTS:
        transport["url"] = f"http://localhost:{port}" if port > 0 else "http://localhost"
    image = fields.text("image")
    package: dict[str, Any] = {"registryType": "oci", "identifier": image, "transport": transport}
    env = [_key_value_input(var, choices=False) for var in fields.children("env_vars") or ()]
    if env:
        package["environmentVariables"] = env
    server["packages"] = [package]
    server["_meta"] = publisher_meta(image, build_extensions(fields, remote=False))
    return server


def remote_to_server(
    key: str, entry: Mapping[str, Any], *, path: str | None = None
) -> dict[str, Any]:
    """One legacy remote entry (`remote_servers.<key>`) as server.json with one remote.

    `path` names the entry in error messages (default `remote_servers.<key>`). `entry` is not
    modified; the result may share its lists of strings.
    """
    fields = _entry_fields(entry, path or key_path("remote_servers", key))
    server = _base_server(key, fields)
    url = fields.text("url")
    remote: dict[str, Any] = {"type": fields.text("transport")}
    if url:
        remote["url"] = url
    headers = [
        _key_value_input(header, choices=True) for header in fields.children("headers") or ()
    ]
    if headers:
        remote["headers"] = headers
    server["remotes"] = [remote]
    server["_meta"] = publisher_meta(url, build_extensions(fields, remote=True))
    return server


def convert_entry(kind: str, key: str, entry: Any, *, path: str | None = None) -> dict[str, Any]:
    """One entry of `kind` (`servers`: container, `remote_servers`: remote) as server.json."""
    if kind == "servers":
        return image_to_server(key, entry, path=path)
    return remote_to_server(key, entry, path=path)


def legacy_entries(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """`(kind, key, entry)` for every container (`servers`) then remote (`remote_servers`)
    entry, each group sorted by key; `groups` are ignored, as ToolHive ignores them."""
    for kind in ("servers", "remote_servers"):
        entries = as_object(doc.get(kind), kind) or {}
        for key in sorted(entries):
            yield kind, key, entries[key]


def legacy_to_upstream(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A whole legacy registry as an upstream registry document (formats.md §4.1).

    Servers: containers sorted by key, then remotes sorted by key (Go's order is random).
    """
    fields = _entry_fields(doc, ROOT)
    servers = [convert_entry(*item) for item in legacy_entries(doc)]
    return {
        "$schema": UPSTREAM_SCHEMA_URL,
        "version": fields.text("version"),
        "meta": {"last_updated": fields.text("last_updated")},
        "data": {"servers": servers},
    }


def _entry_fields(entry: object, path: str) -> GoFields:
    if isinstance(entry, dict):
        return GoFields(entry, path)
    if isinstance(entry, Mapping):
        return GoFields(dict(entry), path)
    raise RegistryFormatError(path, f"must be an object, got {json_type(entry)}")


def _base_server(key: str, fields: GoFields) -> dict[str, Any]:
    """`$schema`, `name`, `description`, `title`, `repository` and `version`, in Go struct order."""
    if not key:
        raise RegistryFormatError(fields.path, "name cannot be empty")
    server: dict[str, Any] = {
        "$schema": SERVER_SCHEMA_URL,
        "name": fields.text("name") or reverse_dns_name(key),
        "description": fields.text("description"),
    }
    if title := fields.text("title"):
        server["title"] = title
    if repository_url := fields.text("repository_url"):
        server["repository"] = {"url": repository_url, "source": "github"}
    server["version"] = CONVERTED_VERSION
    return server


def _key_value_input(var: GoFields, *, choices: bool) -> dict[str, Any]:
    """A legacy env var or header as `KeyValueInput` (false and "" omitted, `name` last)."""
    out: dict[str, Any] = {}
    if description := var.text("description"):
        out["description"] = description
    if var.flag("required"):
        out["isRequired"] = True
    if var.flag("secret"):
        out["isSecret"] = True
    if default := var.text("default"):
        out["default"] = default
    if choices and (values := var.texts("choices")):
        out["choices"] = values
    out["name"] = var.text("name")
    return out
