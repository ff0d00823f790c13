"""ServiceAccount, Role and RoleBinding `<n>-registry-api` for one registry server."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import rbac_name

_READ = ["get", "list", "watch"]
_ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]

SERVER_ROLE_RULES: list[dict[str, Any]] = [
    # kubernetes sources: MCP server objects annotated for export
    {
        "apiGroups": ["toolhive.stacklok.dev"],
        "resources": ["mcpservers", "mcpremoteproxies", "virtualmcpservers"],
        "verbs": _READ,
    },
    # endpoint resolution and HTTPRoute traversal
    {"apiGroups": [""], "resources": ["services"], "verbs": _READ},
    {
        "apiGroups": ["gateway.networking.k8s.io"],
        "resources": ["httproutes", "gateways"],
        "verbs": _READ,
    },
    # leader election of the kubernetes source watchers
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": _ALL},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": _ALL},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
]
"""What the server may do in its namespace. The operator must hold every one of these verbs
itself (RBAC escalation prevention); the chart's ClusterRole is tested against this list."""


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
