"""ConfigMap `<n>-registry-server-config` holding the server's config.yaml (never a secret)."""

from __future__ import annotations

import hashlib
from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import config_map_name

CHECKSUM_ANNOTATION = "toolhive.stacklok.dev/content-checksum"


def build_config_map(registry: MCPRegistry, *, config_yaml: str) -> dict[str, Any]:
    checksum = hashlib.sha256(config_yaml.encode()).hexdigest()
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(
            registry,
            config_map_name(registry.metadata.name or ""),
            annotations={CHECKSUM_ANNOTATION: checksum},
        ),
        "data": {"config.yaml": config_yaml},
    }
