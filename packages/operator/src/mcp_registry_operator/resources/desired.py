"""Everything one MCPRegistry should produce, as one pure function of the object and the data
of the objects it references (read by the reconciler beforehand)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from mcp_registry_common.config import ServerConfig, dump_server_config
from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.configmap import build_config_map
from mcp_registry_operator.resources.deployment import build_deployment, uses_pgpass
from mcp_registry_operator.resources.mounts import MountPlan, ObjectKind
from mcp_registry_operator.resources.naming import CONTAINER
from mcp_registry_operator.resources.pgpass import DatabasePasswords, build_pgpass_secret
from mcp_registry_operator.resources.podtemplate import extra_volume_problems, pod_template_problems
from mcp_registry_operator.resources.rbac import (
    build_role,
    build_role_binding,
    build_service_account,
)
from mcp_registry_operator.resources.server_config import render_server_config
from mcp_registry_operator.resources.service import build_service

Reference = tuple[ObjectKind, str]


@dataclass(frozen=True)
class Inputs:
    """What the reconciler resolved for one build."""

    image: str
    """Server image (env MCP_REGISTRY_SERVER_IMAGE)."""
    internal_token: str = field(repr=False)
    """The token Secret `<n>-internal-token` holds: a new one rolls the pods (the server reads
    it at start-up), so only pods that hold the current token are ever asked."""
    default_pull_secrets: tuple[str, ...] = ()
    passwords: DatabasePasswords | None = None
    references_digest: str = ""
    """Digest of the data of every referenced ConfigMap/Secret: a change rolls the pods."""


@dataclass(frozen=True)
class Desired:
    config: ServerConfig
    config_yaml: str
    objects: list[dict[str, Any]]
    """In apply order: ConfigMap, RBAC, pgpass Secret, Deployment, Service."""
    pod_template_problems: list[str]
    config_hash: str
    """The pod template's config-hash annotation: pods of the current config carry it."""
    references: list[Reference]
    """What the server reads from the cluster (see `Rendered.references`)."""


@dataclass(frozen=True)
class Rendered:
    """The server config rendered once per reconcile, with what it needs from the cluster."""

    config: ServerConfig
    config_yaml: str
    """What the ConfigMap serves: configYAML verbatim (comments and layout kept), else the
    rendered config."""
    plan: MountPlan
    references: list[Reference]
    """ConfigMaps and Secrets the server reads (a change rolls the pods), plus the database
    password Secrets; sorted."""


def render(registry: MCPRegistry) -> Rendered:
    """Render the server config (raises ValueError when the spec cannot be rendered)."""
    plan = MountPlan()
    config = render_server_config(registry, plan)
    config_yaml = registry.spec.config_yaml or dump_server_config(config)
    return Rendered(config, config_yaml, plan, _references(registry, plan))


def references(registry: MCPRegistry) -> list[Reference]:
    """What `render(registry)` says the registry references, without writing its YAML (the
    reference index asks this at every change of a registry)."""
    plan = MountPlan()
    render_server_config(registry, plan)
    return _references(registry, plan)


def _references(registry: MCPRegistry, plan: MountPlan) -> list[Reference]:
    refs: set[Reference] = set()
    if registry.spec.config_yaml:  # configYAML mode: the objects spec.volumes use
        refs |= set(_volume_references(registry))
    else:
        refs |= set(plan.references())
    if registry.spec.pgpass_secret_ref is not None:
        refs.add(("Secret", registry.spec.pgpass_secret_ref.name))
    db = registry.spec.database_config
    if db is not None:
        refs |= {
            ("Secret", db.db_app_user_password_secret_ref.name),
            ("Secret", db.db_migration_user_password_secret_ref.name),
        }
    return sorted(refs)


def _volume_references(registry: MCPRegistry) -> list[Reference]:
    found: list[Reference] = []
    for volume in registry.spec.volumes or []:
        wire = volume.to_wire()
        secret, config_map = wire.get("secret"), wire.get("configMap")
        if isinstance(secret, dict) and secret.get("secretName"):
            found.append(("Secret", str(secret["secretName"])))
        if isinstance(config_map, dict) and config_map.get("name"):
            found.append(("ConfigMap", str(config_map["name"])))
    return found


def build_desired(
    registry: MCPRegistry, inputs: Inputs, rendered: Rendered | None = None
) -> Desired:
    """Every object `registry` should produce; `rendered`: its config, if already rendered."""
    rendered = rendered or render(registry)
    plan, config_yaml = rendered.plan, rendered.config_yaml
    token_digest = hashlib.sha256(inputs.internal_token.encode()).hexdigest()
    hashed = f"{config_yaml}\0{inputs.references_digest}\0{token_digest}"
    config_hash = hashlib.sha256(hashed.encode()).hexdigest()
    pull_secrets = _pull_secrets(registry, inputs)
    deployment = build_deployment(
        registry, image=inputs.image, config_hash=config_hash, plan=plan, pull_secrets=pull_secrets
    )
    objects = [
        build_config_map(registry, config_yaml=config_yaml),
        build_service_account(registry, pull_secrets=pull_secrets),
        build_role(registry),
        build_role_binding(registry),
    ]
    if registry.spec.database_config is not None and inputs.passwords is not None:
        objects.append(build_pgpass_secret(registry, inputs.passwords))
    objects += [deployment, build_service(registry)]
    user = registry.spec.pod_template_spec
    problems = (
        pod_template_problems(user.to_wire() if user else None, uses_pgpass=uses_pgpass(registry))
        + extra_volume_problems(registry)
        + _duplicate_mount_paths(deployment)
    )
    return Desired(
        rendered.config, config_yaml, objects, problems, config_hash, rendered.references
    )


def _pull_secrets(registry: MCPRegistry, inputs: Inputs) -> list[str]:
    names = [ref.name for ref in registry.spec.image_pull_secrets or []]
    return list(dict.fromkeys([*names, *inputs.default_pull_secrets]))


def _duplicate_mount_paths(deployment: dict[str, Any]) -> list[str]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    server = next(c for c in containers if c["name"] == CONTAINER)
    paths = [m["mountPath"] for m in server.get("volumeMounts", [])]
    return [
        f"spec.podTemplateSpec: mount path {path!r} of container {CONTAINER!r} is used twice "
        "(it clashes with a mount the operator generates)"
        for path in sorted({p for p in paths if paths.count(p) > 1})
    ]
