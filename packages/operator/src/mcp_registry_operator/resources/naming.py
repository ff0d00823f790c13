"""Names, labels, annotations, ports and paths of everything the operator creates."""

from __future__ import annotations

import hashlib
import re

from mcp_registry_common import internalapi

COMPONENT = "registry-api"
MANAGED_BY = "mcp-registry-operator"
CONTAINER = "registry-api"
"""The server container; the name users target in podTemplateSpec."""

HTTP_PORT = internalapi.API_PORT
"""The registry API: on the pod and on Service `<n>-api`."""
INTERNAL_PORT = internalapi.INTERNAL_PORT
"""Probes, metrics, status and manual sync: on the pod only (asked on the pod's IP)."""
CONFIG_VOLUME = "registry-server-config"
CONFIG_DIR = "/config"
CONFIG_FILE = f"{CONFIG_DIR}/config.yaml"
TMP_VOLUME = "tmp"
PGPASS_SECRET_VOLUME = "pgpass-secret"
PGPASS_VOLUME = "pgpass"
PGPASS_DIR = "/pgpass"
PGPASS_FILE = f"{PGPASS_DIR}/.pgpass"
PGPASS_INIT_CONTAINER = "setup-pgpass"
INTERNAL_TOKEN_VOLUME = "internal-token"
INTERNAL_TOKEN_DIR = "/internal-token"
INTERNAL_TOKEN_KEY = "token"
"""The key of Secret `<n>-internal-token` (and the file name in its mount)."""
INTERNAL_TOKEN_FILE = f"{INTERNAL_TOKEN_DIR}/{INTERNAL_TOKEN_KEY}"
RESERVED_VOLUMES = frozenset(
    {CONFIG_VOLUME, TMP_VOLUME, PGPASS_SECRET_VOLUME, PGPASS_VOLUME, INTERNAL_TOKEN_VOLUME}
)

CONFIG_HASH_ANNOTATION = "toolhive.stacklok.dev/config-hash"
"""Pod-template annotation: a change rolls the pods (config, referenced data, image, template)."""
REGISTRY_NAME_LABEL = "toolhive.stacklok.io/registry-name"
DEFAULT_SOURCE_ANNOTATION = "toolhive.stacklok.dev/default-kubernetes-source"
"""Set to "false" on an MCPRegistry to stop the operator adding the `default` kubernetes source."""


def api_name(registry: str) -> str:
    """Deployment and Service: `<n>-api`."""
    return f"{registry}-api"


def rbac_name(registry: str) -> str:
    """ServiceAccount, Role and RoleBinding: `<n>-registry-api`."""
    return f"{registry}-registry-api"


def config_map_name(registry: str) -> str:
    return f"{registry}-registry-server-config"


def pgpass_secret_name(registry: str) -> str:
    return f"{registry}-db-pgpass"


def internal_token_secret_name(registry: str) -> str:
    """The Secret holding the server's internal token (created once, never regenerated)."""
    return f"{registry}-internal-token"


def service_url(registry: str, namespace: str) -> str:
    """In-cluster URL of the registry API (fully qualified, as ToolHive's docs promise)."""
    return f"http://{api_name(registry)}.{namespace}.svc.cluster.local:{HTTP_PORT}"


def labels(registry: str, resource: str) -> dict[str, str]:
    """Labels of every object; pods also carry them, so `-l app.kubernetes.io/instance=<n>`
    finds the server pods as the troubleshooting guide says."""
    return {
        "app.kubernetes.io/name": resource,
        "app.kubernetes.io/instance": registry,
        "app.kubernetes.io/component": COMPONENT,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        REGISTRY_NAME_LABEL: registry,
    }


def selector(registry: str) -> dict[str, str]:
    """The Deployment selector and Service selector (immutable: never user-overridable)."""
    return {
        "app.kubernetes.io/name": api_name(registry),
        "app.kubernetes.io/instance": registry,
        "app.kubernetes.io/component": COMPONENT,
    }


_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def volume_name(prefix: str, *parts: str) -> str:
    """A DNS-label volume name, unique per `parts` even after truncation."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]
    readable = _NOT_DNS.sub("-", "-".join(parts).lower()).strip("-")
    return f"{prefix}-{readable}"[: 63 - 9].rstrip("-") + f"-{digest}"
