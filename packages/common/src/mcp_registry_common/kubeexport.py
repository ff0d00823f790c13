"""Workloads exported to the registry by annotation: the annotation names, and the pure mapping
from one `MCPServer`, `VirtualMCPServer` or `MCPRemoteProxy` object to a server.json entry.

ToolHive's server does the same (toolhive-registry-server `internal/kubernetes`); where it
silently drops a bad annotation (tools, tool definitions) or falls back from an unusable
version, an object here is skipped instead, with a reason the source status shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mcp_registry_common.formats.errors import RegistryFormatError
from mcp_registry_common.formats.upstream import (
    PUBLISHER_PROVIDED_KEY,
    SERVER_SCHEMA_URL,
    TOOLHIVE_NAMESPACE,
    validate_server,
)

GROUP: Final = "toolhive.stacklok.dev"
"""API group of the exported kinds."""
EXPORTED_KINDS: Final = (
    ("MCPServer", "mcpservers"),
    ("VirtualMCPServer", "virtualmcpservers"),
    ("MCPRemoteProxy", "mcpremoteproxies"),
)
"""(kind, plural) of every kind a kubernetes source watches."""

_PREFIX = "toolhive.stacklok.dev/"
EXPORT: Final = _PREFIX + "registry-export"
"""Set to exactly `"true"` to export the object."""
DESCRIPTION: Final = _PREFIX + "registry-description"
URL: Final = _PREFIX + "registry-url"
TITLE: Final = _PREFIX + "registry-title"
ICON: Final = _PREFIX + "registry-icon"
CATEGORY: Final = _PREFIX + "registry-category"
TOOL_DEFINITIONS: Final = _PREFIX + "tool-definitions"
TOOLS: Final = _PREFIX + "tools"
VERSION: Final = _PREFIX + "registry-version"
AUTHZ_CLAIMS: Final = _PREFIX + "authz-claims"
REQUIRED: Final = (DESCRIPTION, URL)

NAME_PREFIX: Final = "com.toolhive.k8s"
MAX_NAME: Final = 200
DEFAULT_VERSION: Final = "1.0.0"
MAX_VERSION: Final = 255
_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
)
"""Strict three-part semver with an optional `v` and prerelease, no build metadata (ToolHive's
`versions.IsPublishable`)."""


@dataclass(frozen=True, slots=True)
class Exported:
    """An object's registry entry, and the claims it is read with (None: no claims)."""

    server: dict[str, Any]
    claims: dict[str, str | list[str]] | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """An exported object that gives no entry, and why (for the source status and logs)."""

    reason: str


def is_exported(obj: Mapping[str, Any]) -> bool:
    """True when the object carries `registry-export: "true"` (exactly that string)."""
    return _annotations(obj).get(EXPORT) == "true"


def entry_name(namespace: str, name: str) -> str:
    """`com.toolhive.k8s.<namespace>/<name>`; ValueError when empty or over 200 characters."""
    if not namespace or not name:
        raise ValueError("namespace and name must not be empty")
    full = f"{NAME_PREFIX}.{namespace}/{name}"
    if len(full) > MAX_NAME:
        raise ValueError(f"entry name {full!r} exceeds {MAX_NAME} characters")
    return full


def is_publishable_version(version: str) -> bool:
    """A three-part semver (optional `v`, prerelease allowed, no `+build`), ≤255 characters."""
    return 0 < len(version) <= MAX_VERSION and _SEMVER.fullmatch(version) is not None


def image_tag(image: str) -> str:
    """The tag of an image reference ("" if none): a digest is not a tag, nor a registry port."""
    image = image.split("@", 1)[0]
    colon = image.rfind(":")
    if colon == -1 or image.rfind("/") > colon:
        return ""
    return image[colon + 1 :]


def _image_tag_or_digest(image: str) -> str:
    """The OCI package version ToolHive writes: the digest, else the tag, else `latest`."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    return image.rsplit(":", 1)[1] if ":" in image else "latest"


def to_entry(kind: str, obj: Mapping[str, Any]) -> Exported | Skipped:
    """The entry of an exported object of `kind`, or why it has none. Pure."""
    annotations = _annotations(obj)
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    missing = [key for key in REQUIRED if key not in annotations]
    if missing:
        return Skipped(f"missing annotation {', '.join(missing)}")
    try:
        server_name = entry_name(namespace, name)
        version = _version(kind, obj, annotations)
        tools = _json_annotation(annotations, TOOLS, _string_list)
        definitions = _json_annotation(annotations, TOOL_DEFINITIONS, _object_list)
        claims = _json_annotation(annotations, AUTHZ_CLAIMS, _claim_map)
    except ValueError as exc:
        return Skipped(str(exc))
    url = annotations[URL]
    extensions: dict[str, Any] = {
        "status": "active",
        "metadata": {"kubernetes": _kubernetes_metadata(kind, obj)},
    }
    if definitions:
        extensions["tool_definitions"] = definitions
    if tools:
        extensions["tools"] = tools
    if annotations.get(CATEGORY):
        extensions["tags"] = [annotations[CATEGORY]]
    server: dict[str, Any] = {
        "$schema": SERVER_SCHEMA_URL,
        "name": server_name,
        "description": annotations[DESCRIPTION],
        "version": version,
    }
    if TITLE in annotations:
        server["title"] = annotations[TITLE]
    if annotations.get(ICON):
        server["icons"] = [{"src": annotations[ICON]}]
    if kind == "MCPServer" and _spec(obj).get("image"):
        server["packages"] = [_package(obj, url)]
    server["remotes"] = [{"type": "streamable-http", "url": url}]
    server["_meta"] = {PUBLISHER_PROVIDED_KEY: {TOOLHIVE_NAMESPACE: {url: extensions}}}
    try:
        validate_server(server, path="entry")
    except RegistryFormatError as exc:
        return Skipped(str(exc))
    return Exported(server=server, claims=claims or None)


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _version(kind: str, obj: Mapping[str, Any], annotations: Mapping[str, str]) -> str:
    """The annotation if publishable (else ValueError); else the image tag if publishable
    (MCPServer only); else 1.0.0."""
    annotated = annotations.get(VERSION, "").strip()
    if annotated:
        if not is_publishable_version(annotated):
            shown = annotated if len(annotated) <= 64 else annotated[:64] + "…"
            raise ValueError(
                f"annotation {VERSION}: {shown!r} is not a three-part semantic version"
            )
        return annotated
    image = str(_spec(obj).get("image") or "") if kind == "MCPServer" else ""
    tag = image_tag(image).strip()
    return tag if is_publishable_version(tag) else DEFAULT_VERSION


def _package(obj: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The image as an OCI package. An http transport carries the registry URL (ToolHive
    leaves it out, which server.json's schema does not allow)."""
    spec = _spec(obj)
    image = str(spec.get("image") or "")
    transport = str(spec.get("transport") or "") or "streamable-http"
    if transport == "stdio":
        transport = str(spec.get("proxyMode") or "") or "streamable-http"
    return {
        "registryType": "oci",
        "identifier": image,
        "version": _image_tag_or_digest(image),
        "transport": {"type": transport, **({} if transport == "stdio" else {"url": url})},
    }


def _kubernetes_metadata(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    spec = _spec(obj)
    fields = {
        "kind": kind,
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name") or ""),
        "uid": str(meta.get("uid") or ""),
    }
    if kind == "MCPServer":
        fields["image"] = str(spec.get("image") or "")
        fields["transport"] = str(spec.get("transport") or "")
    return {key: value for key, value in sorted(fields.items()) if value}


def _json_annotation(annotations: Mapping[str, str], key: str, check: Any) -> Any:
    raw = annotations.get(key, "")
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"annotation {key}: not valid JSON ({exc})") from None
    problem = check(value)
    if problem:
        raise ValueError(f"annotation {key}: {problem}")
    return value


def _string_list(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "must be a JSON array of strings"
    return None


def _object_list(value: object) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
        for item in value
    ):
        return "must be a JSON array of tool objects, each with a name"
    return None


def _claim_map(value: object) -> str | None:
    if not isinstance(value, dict):
        return "must be a JSON object"
    for claim, item in value.items():
        if isinstance(item, str):
            continue
        if not isinstance(item, list) or not all(isinstance(e, str) for e in item):
            return f"claim {claim!r}: value must be a string or array of strings"
    return None
