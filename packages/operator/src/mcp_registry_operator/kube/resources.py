"""Which API resource a call is about: group, version, plural and kind, with the well-known ones."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """A namespaced API resource. `group == ""` is the core group (served under /api/v1)."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def is_core(self) -> bool:
        return self.group == ""

    @property
    def snake_kind(self) -> str:
        """The kind as kubernetes-asyncio spells it in CoreV1Api method names (config_map)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.kind).lower()


CONFIG_MAPS = Resource("", "v1", "configmaps", "ConfigMap")
SECRETS = Resource("", "v1", "secrets", "Secret")
SERVICES = Resource("", "v1", "services", "Service")
PODS = Resource("", "v1", "pods", "Pod")
SERVICE_ACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
ROLES = Resource("rbac.authorization.k8s.io", "v1", "roles", "Role")
ROLE_BINDINGS = Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding")
LEASES = Resource("coordination.k8s.io", "v1", "leases", "Lease")
EVENTS = Resource("events.k8s.io", "v1", "events", "Event")
