"""The API resources the controller reads and writes, by kind."""

from __future__ import annotations

from mcp_registry_common.mcpregistry import GROUP, KIND, PLURAL, VERSION

from mcp_registry_operator.kube import (
    CONFIG_MAPS,
    DEPLOYMENTS,
    ROLE_BINDINGS,
    ROLES,
    SECRETS,
    SERVICE_ACCOUNTS,
    SERVICES,
    Resource,
)

MCP_REGISTRIES = Resource(GROUP, VERSION, PLURAL, KIND)

OWNED: dict[str, Resource] = {
    r.kind: r
    for r in (CONFIG_MAPS, SERVICE_ACCOUNTS, ROLES, ROLE_BINDINGS, SECRETS, DEPLOYMENTS, SERVICES)
}
"""Every kind the builders produce (each child carries a controller ownerReference)."""

REFERENCED: dict[str, Resource] = {r.kind: r for r in (CONFIG_MAPS, SECRETS)}
"""Kinds a spec may reference (their data is mounted or hashed into the config)."""


class UnknownKindError(KeyError):
    """A built object has a kind the controller does not know how to write."""


def resource_for(kind: str) -> Resource:
    try:
        return OWNED[kind]
    except KeyError:
        raise UnknownKindError(f"no API resource known for kind {kind!r}") from None
