"""Deployment `<n>-api`: the registry server pod (container `registry-api`), with the internal
token of Secret `<n>-internal-token` mounted as a file the server reads at start-up."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.internalapi import HEALTH_PATH, READINESS_PATH
from mcp_registry_common.internaltoken import TOKEN_FILE_ENV
from mcp_registry_common.mcpregistry import MCPRegistry
from mcp_registry_common.memory import DEFAULT_MEMORY_LIMIT, memory_limit_quantity

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.mounts import MountPlan
from mcp_registry_operator.resources.naming import (
    CONFIG_DIR,
    CONFIG_FILE,
    CONFIG_HASH_ANNOTATION,
    CONFIG_VOLUME,
    CONTAINER,
    HTTP_PORT,
    INTERNAL_PORT,
    INTERNAL_TOKEN_DIR,
    INTERNAL_TOKEN_FILE,
    INTERNAL_TOKEN_KEY,
    INTERNAL_TOKEN_VOLUME,
    PGPASS_DIR,
    PGPASS_FILE,
    PGPASS_INIT_CONTAINER,
    PGPASS_SECRET_VOLUME,
    PGPASS_VOLUME,
    TMP_VOLUME,
    api_name,
    config_map_name,
    internal_token_secret_name,
    labels,
    pgpass_secret_name,
    rbac_name,
    selector,
)
from mcp_registry_operator.resources.podtemplate import merge_pod_template

SERVER_UID = 65532
RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    # The server's memory rule sizes its default byte cap for this limit (README, Memory).
    "limits": {"cpu": "500m", "memory": memory_limit_quantity(DEFAULT_MEMORY_LIMIT)},
}
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}
# The init container reuses the server image (Python is there): no extra image to pull or mirror.
_COPY_PGPASS = (
    f"import os, shutil; shutil.copyfile('/pgpass-secret/.pgpass', '{PGPASS_FILE}'); "
    f"os.chmod('{PGPASS_FILE}', 0o600)"
)


def build_deployment(
    registry: MCPRegistry,
    *,
    image: str,
    config_hash: str,
    plan: MountPlan,
    pull_secrets: list[str],
) -> dict[str, Any]:
    """The Deployment. `replicas` is left out so an HPA (or a user) owns it after creation."""
    name = registry.metadata.name or ""
    default = _default_template(
        registry, image=image, config_hash=config_hash, plan=plan, pull_secrets=pull_secrets
    )
    user = registry.spec.pod_template_spec.to_wire() if registry.spec.pod_template_spec else None
    template = merge_pod_template(default, user, protected_labels=selector(name))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(registry, api_name(name)),
        "spec": {
            "selector": {"matchLabels": selector(name)},
            "revisionHistoryLimit": 3,
            "template": template,
        },
    }


def _default_template(
    registry: MCPRegistry, *, image: str, config_hash: str, plan: MountPlan, pull_secrets: list[str]
) -> dict[str, Any]:
    name = registry.metadata.name or ""
    uses_db = uses_pgpass(registry)
    volumes: list[dict[str, Any]] = [
        {"name": CONFIG_VOLUME, "configMap": {"name": config_map_name(name)}},
        {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}},
        {
            "name": INTERNAL_TOKEN_VOLUME,
            "secret": {
                "secretName": internal_token_secret_name(name),
                "items": [{"key": INTERNAL_TOKEN_KEY, "path": INTERNAL_TOKEN_KEY}],
                "defaultMode": 0o440,
            },
        },
        *plan.volumes(),
        *(v.to_wire() for v in registry.spec.volumes or []),
    ]
    spec: dict[str, Any] = {
        "serviceAccountName": rbac_name(name),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": SERVER_UID,
            "runAsGroup": SERVER_UID,
            # Secret volumes are root-owned; the group lets the server user read them (0440).
            "fsGroup": SERVER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_server_container(image, plan=plan, uses_db=uses_db, registry=registry)],
        "volumes": volumes,
    }
    if pull_secrets:
        spec["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    if uses_db:
        spec["initContainers"] = [_pgpass_init_container(image)]
        volumes += [
            {"name": PGPASS_SECRET_VOLUME, "secret": _pgpass_secret_source(registry)},
            {"name": PGPASS_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        ]
    return {
        "metadata": {
            "labels": labels(name, api_name(name)),
            "annotations": {CONFIG_HASH_ANNOTATION: config_hash},
        },
        "spec": spec,
    }


def uses_pgpass(registry: MCPRegistry) -> bool:
    """A pgpass file is set up for typed databaseConfig and for configYAML's pgpassSecretRef."""
    spec = registry.spec
    return spec.database_config is not None or spec.pgpass_secret_ref is not None


def _pgpass_secret_source(registry: MCPRegistry) -> dict[str, Any]:
    ref = registry.spec.pgpass_secret_ref
    if ref is None:  # typed databaseConfig: the Secret the operator generates
        name = pgpass_secret_name(registry.metadata.name or "")
        return {"secretName": name, "defaultMode": 0o440}
    return {
        "secretName": ref.name,
        "items": [{"key": ref.key, "path": ".pgpass"}],
        "defaultMode": 0o440,
    }


def _server_container(
    image: str, *, plan: MountPlan, uses_db: bool, registry: MCPRegistry
) -> dict[str, Any]:
    mounts = [
        {"name": CONFIG_VOLUME, "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": TMP_VOLUME, "mountPath": "/tmp"},
        {"name": INTERNAL_TOKEN_VOLUME, "mountPath": INTERNAL_TOKEN_DIR, "readOnly": True},
        *plan.mounts(),
        *(m.to_wire() for m in registry.spec.volume_mounts or []),
    ]
    env = [
        {"name": "MCP_REGISTRY_LOG_FORMAT", "value": "json"},
        # /status and manual syncs on the internal port need this token (the operator's).
        {"name": TOKEN_FILE_ENV, "value": INTERNAL_TOKEN_FILE},
    ]
    if uses_db:
        mounts.append({"name": PGPASS_VOLUME, "mountPath": PGPASS_DIR, "readOnly": True})
        env.append({"name": "PGPASSFILE", "value": PGPASS_FILE})
    return {
        "name": CONTAINER,
        "image": image,
        "args": ["serve", f"--config={CONFIG_FILE}"],
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "internal", "containerPort": INTERNAL_PORT, "protocol": "TCP"},
        ],
        "env": env,
        "resources": RESOURCES,
        "livenessProbe": {
            "httpGet": {"path": HEALTH_PATH, "port": INTERNAL_PORT},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
        },
        "readinessProbe": {
            "httpGet": {"path": READINESS_PATH, "port": INTERNAL_PORT},
            "initialDelaySeconds": 5,
            "periodSeconds": 5,
        },
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": mounts,
    }


def _pgpass_init_container(image: str) -> dict[str, Any]:
    """Copies the pgpass Secret into a memory emptyDir as a 0600 file owned by the server's
    user: libpq and our server refuse a pgpass readable by others, and Secret volumes cannot
    give a non-root user a 0600 file."""
    return {
        "name": PGPASS_INIT_CONTAINER,
        "image": image,
        "command": ["python", "-c", _COPY_PGPASS],
        "securityContext": CONTAINER_SECURITY,
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "100m", "memory": "64Mi"},
        },
        "volumeMounts": [
            {"name": PGPASS_SECRET_VOLUME, "mountPath": "/pgpass-secret", "readOnly": True},
            {"name": PGPASS_VOLUME, "mountPath": PGPASS_DIR},
        ],
    }
