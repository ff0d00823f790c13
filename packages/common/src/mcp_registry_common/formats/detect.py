"""Which of the two registry formats a decoded document is in (ToolHive's legacyhint rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from mcp_registry_common.formats.errors import ROOT, RegistryFormatError, json_type

RegistryFormat = Literal["toolhive", "upstream"]
"""`toolhive`: the legacy ToolHive file (`servers{}`); `upstream`: the `data.servers[]` file."""

LEGACY_KEYS = ("servers", "remote_servers", "groups")


def detect_format(doc: Mapping[str, Any]) -> RegistryFormat:
    """`upstream` if top-level `data` is an object; `toolhive` if `servers`, `remote_servers` or
    `groups` is present; otherwise RegistryFormatError. `$schema` never decides."""
    if not isinstance(doc, Mapping):
        raise RegistryFormatError(
            ROOT, f"registry document must be a JSON object, got {json_type(doc)}"
        )
    data = doc.get("data")
    if isinstance(data, Mapping):
        return "upstream"
    if any(key in doc for key in LEGACY_KEYS):
        return "toolhive"
    if "data" in doc:
        raise RegistryFormatError("data", f"must be an object, got {json_type(data)}")
    raise RegistryFormatError(
        ROOT,
        "cannot detect the registry format: expected a top-level 'data' object (upstream) "
        "or 'servers', 'remote_servers' or 'groups' (toolhive legacy)",
    )
