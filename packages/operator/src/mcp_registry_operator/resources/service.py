"""Service `<n>-api`: the API on 8080, the internal port (status, manual sync) on 8081."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import HTTP_PORT, INTERNAL_PORT, api_name, selector


def build_service(registry: MCPRegistry) -> dict[str, Any]:
    name = registry.metadata.name or ""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(registry, api_name(name)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(name),
            "ports": [
                {"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"},
                {
                    "name": "internal",
                    "port": INTERNAL_PORT,
                    "targetPort": "internal",
                    "protocol": "TCP",
                },
            ],
        },
    }
