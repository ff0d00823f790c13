"""Object metadata shared by every built object: name, namespace, labels, owner reference."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import API_VERSION, KIND, MCPRegistry

from mcp_registry_operator.resources.naming import labels


def owner_reference(registry: MCPRegistry) -> dict[str, Any]:
    """The controller reference: garbage collection removes children with their registry."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": registry.metadata.name,
        "uid": registry.metadata.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def object_meta(
    registry: MCPRegistry, name: str, *, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": registry.metadata.namespace,
        "labels": labels(registry.metadata.name or "", name),
        "ownerReferences": [owner_reference(registry)],
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
