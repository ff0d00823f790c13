"""Service `<n>-api`: the registry API on 8080, and only that.

The internal port (8081: status, manual sync, probes, metrics) is on no Service: the kubelet
probes it on the pod, and the operator asks a pod on its own IP (`controller.serverpods`), so
nothing in the cluster finds it behind a stable name next to the user-facing API."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import HTTP_PORT, api_name, selector


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
            ],
        },
    }
