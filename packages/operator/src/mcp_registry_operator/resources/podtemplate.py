"""Merge a user's podTemplateSpec over the generated pod template (ToolHive's rules: the user
wins, defaults fill the gaps, containers merge by name) and check it for clashes with ours.

Unlike ToolHive, the selector labels and the config-hash annotation always stay ours: a user
label can neither orphan the pods from their Deployment nor freeze a rollout."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry
from mcp_registry_common.quantity import QuantityError, canonical_quantity, canonical_resources

from mcp_registry_operator.resources.naming import (
    CONFIG_HASH_ANNOTATION,
    CONTAINER,
    PGPASS_INIT_CONTAINER,
    RESERVED_VOLUMES,
)

_FILLED_FROM_DEFAULT = (
    "image", "command", "args", "workingDir", "livenessProbe", "readinessProbe",
    "startupProbe", "securityContext", "imagePullPolicy",
)  # fmt: skip


def merge_pod_template(
    default: dict[str, Any], user: dict[str, Any] | None, *, protected_labels: Iterable[str]
) -> dict[str, Any]:
    """A new pod template: `user` over `default`. Neither input is modified."""
    if not user:
        return copy.deepcopy(default)
    merged = copy.deepcopy(user)
    meta = merged.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        meta[key] = {**default.get("metadata", {}).get(key, {}), **meta.get(key, {})}
    for label in protected_labels:
        meta["labels"][label] = default["metadata"]["labels"][label]
    hash_value = default["metadata"].get("annotations", {}).get(CONFIG_HASH_ANNOTATION)
    if hash_value is not None:
        meta["annotations"][CONFIG_HASH_ANNOTATION] = hash_value
    merged["spec"] = _merge_pod_spec(default["spec"], merged.get("spec") or {})
    return merged


def _merge_pod_spec(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    spec = {**default, **user}
    for key in ("containers", "initContainers"):
        spec[key] = _merge_named(default.get(key, []), user.get(key, []), _merge_container)
        if not spec[key]:
            del spec[key]
    for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
        if isinstance(container.get("resources"), dict):
            # As the API server stores them (`cpu: 0.5` -> "500m"): what we apply is then what
            # we read back, and the drift check sees no difference on every reconcile.
            container["resources"] = canonical_resources(container["resources"])
    spec["volumes"] = [
        _canonical_volume(v)
        for v in _merge_named(default.get("volumes", []), user.get("volumes", []), None)
    ]
    if not user.get("imagePullSecrets") and default.get("imagePullSecrets"):
        spec["imagePullSecrets"] = default["imagePullSecrets"]
    if not user.get("serviceAccountName"):
        spec["serviceAccountName"] = default.get("serviceAccountName")
    return {k: v for k, v in spec.items() if v not in (None, [])}


def _canonical_volume(volume: dict[str, Any]) -> dict[str, Any]:
    empty = volume.get("emptyDir")
    if isinstance(empty, dict) and isinstance(empty.get("sizeLimit"), str | int | float):
        try:
            limit = canonical_quantity(empty["sizeLimit"])
        except QuantityError:
            return volume  # the API server refuses it, with its own message
        return {**volume, "emptyDir": {**empty, "sizeLimit": limit}}
    return volume


def _merge_named(
    defaults: list[dict[str, Any]], users: list[dict[str, Any]], merge: Any
) -> list[dict[str, Any]]:
    """User items first in user order (merged with the default of the same name), then the
    defaults the user did not name."""
    by_name = {item["name"]: item for item in defaults}
    out = [merge(by_name[u["name"]], u) if merge and u["name"] in by_name else u for u in users]
    named = {u["name"] for u in users}
    return out + [d for d in defaults if d["name"] not in named]


def _merge_container(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    merged = {**default, **user}
    for key in _FILLED_FROM_DEFAULT:
        if not user.get(key) and key in default:
            merged[key] = default[key]
    resources = user.get("resources") or {}
    if not resources.get("requests") and not resources.get("limits") and "resources" in default:
        merged["resources"] = default["resources"]
    merged["ports"] = user.get("ports", []) + [
        p for p in default.get("ports", [])
        if not any(u.get("name") == p["name"] or u.get("containerPort") == p["containerPort"]
                   for u in user.get("ports", []))
    ]  # fmt: skip
    for key in ("env", "volumeMounts"):
        names = {item.get("name") for item in user.get(key, [])}
        merged[key] = user.get(key, []) + [
            d for d in default.get(key, []) if d["name"] not in names
        ]
    return {k: v for k, v in merged.items() if v not in (None, [])}


def extra_volume_problems(registry: MCPRegistry) -> list[str]:
    """spec.volumes (configYAML mode) may not reuse the operator's volume names."""
    return [
        f"spec.volumes[{i}].name: {v.name!r} is reserved by the operator"
        for i, v in enumerate(registry.spec.volumes or [])
        if v.name in RESERVED_VOLUMES
    ]


def pod_template_problems(user: dict[str, Any] | None, *, uses_pgpass: bool) -> list[str]:
    """Clashes between a user's podTemplateSpec and what the operator generates, each naming
    the field (spec.podTemplateSpec...)."""
    if not user:
        return []
    spec = user.get("spec") or {}
    problems = [
        f"spec.podTemplateSpec.spec.volumes[{i}].name: {v['name']!r} is reserved by the operator"
        for i, v in enumerate(spec.get("volumes") or [])
        if v.get("name") in RESERVED_VOLUMES
    ]
    if uses_pgpass:
        problems += [
            f"spec.podTemplateSpec.spec.initContainers[{i}].name: {c['name']!r} is reserved "
            "by the operator when databaseConfig is set"
            for i, c in enumerate(spec.get("initContainers") or [])
            if c.get("name") == PGPASS_INIT_CONTAINER
        ]
    for i, container in enumerate(spec.get("containers") or []):
        if container.get("name") != CONTAINER:
            continue
        seen: set[str] = set()
        for j, mount in enumerate(container.get("volumeMounts") or []):
            path = mount.get("mountPath")
            if path in seen:
                problems.append(
                    f"spec.podTemplateSpec.spec.containers[{i}].volumeMounts[{j}].mountPath: "
                    f"duplicate mount path {path!r}"
                )
            seen.add(path)
    return problems
