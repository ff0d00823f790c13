"""ServiceAccount, Role and RoleBinding `<n>-registry-api` for one registry server."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import rbac_name

SERVER_ROLE_RULES: list[dict[str, Any]] = [
    # kubernetes sources: list and watch the MCP server objects annotated for export
    {
        "apiGroups": ["toolhive.stacklok.dev"],
        "resources": ["mcpservers", "mcpremoteproxies", "virtualmcpservers"],
        "verbs": ["get", "list", "watch"],
    },
    # kubernetes sources: one Lease per source elects the replica that writes
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update"],
    },
]
"""Exactly what the server does in its namespace (its kubernetes sources; nothing else of it
talks to the API server). ToolHive's Role also grants services, HTTPRoutes, Gateways,
ConfigMaps and events, which its server does not use either. The operator must hold every
one of these verbs itself (RBAC escalation prevention); the chart's ClusterRole is tested
against this list."""


def build_service_account(registry: MCPRegistry, *, pull_secrets: list[str]) -> dict[str, Any]:
    sa: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(registry, rbac_name(registry.metadata.name or "")),
    }
    if pull_secrets:  # never clear pull secrets a platform added to the account
        sa["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    return sa


def build_role(registry: MCPRegistry) -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": object_meta(registry, rbac_name(registry.metadata.name or "")),
        "rules": [dict(rule) for rule in SERVER_ROLE_RULES],
    }


def build_role_binding(registry: MCPRegistry) -> dict[str, Any]:
    name = rbac_name(registry.metadata.name or "")
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": object_meta(registry, name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [
            {"kind": "ServiceAccount", "name": name, "namespace": registry.metadata.namespace}
        ],
    }
