"""What the real API server does to built-in objects on every write, for the types the
project's tests write: defaulting, quantity canonicalisation and the validation a test is
likely to trip (a container without an image). Registered as the store's admission for those
types; the conformance suite (`e2e/realcluster`) checks each rule against a real kube-apiserver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp_registry_common.quantity import canonical_quantity, canonical_resources

from .status import ApiError

Obj = dict[str, Any]


def _invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid with one cause per (field, reason, message), as the API server words it."""
    text = ", ".join(f"{f}: {m}" for f, _, m in causes)
    qualified = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {text}'
        if len(causes) == 1
        else f'{qualified} "{name}" is invalid: [{text}]',
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes],
        },
    )


def _default_container(container: Obj) -> None:
    image = str(container.get("image") or "")
    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    container.setdefault(
        "imagePullPolicy", "Always" if latest and "@" not in image else "IfNotPresent"
    )
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if "resources" in container:
        container["resources"] = canonical_resources(container["resources"])
    else:
        container["resources"] = {}
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        spec = container.get(probe)
        if spec:
            for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10),
                               ("successThreshold", 1), ("failureThreshold", 3)):  # fmt: skip
                spec.setdefault(key, value)
            if "httpGet" in spec:
                spec["httpGet"].setdefault("scheme", "HTTP")


def default_pod_spec(spec: Obj) -> None:
    """The defaults apps/v1 and core/v1 give a pod spec (those a diff would trip on)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        _default_container(container)
    for volume in spec.get("volumes") or []:
        for kind in ("configMap", "secret"):
            if kind in volume:
                volume[kind].setdefault("defaultMode", 0o644)
        if "emptyDir" in volume and "sizeLimit" in (volume["emptyDir"] or {}):
            volume["emptyDir"]["sizeLimit"] = canonical_quantity(volume["emptyDir"]["sizeLimit"])


def _pod_spec_causes(spec: Obj, prefix: str) -> list[tuple[str, str, str]]:
    causes: list[tuple[str, str, str]] = []
    containers = spec.get("containers") or []
    if not containers:
        causes.append((f"{prefix}.containers", "FieldValueRequired", "Required value"))
    for index, container in enumerate(containers):
        if not container.get("image"):
            causes.append(
                (f"{prefix}.containers[{index}].image", "FieldValueRequired", "Required value")
            )
    return causes


def admit_deployment(obj: Obj, *, old: Obj | None = None, field_validation: str = "Warn") -> Obj:
    spec = obj.setdefault("spec", {})
    template = spec.setdefault("template", {})
    pod = template.setdefault("spec", {})
    causes = _pod_spec_causes(pod, "spec.template.spec")
    if causes:
        raise _invalid("Deployment", "apps", obj["metadata"]["name"], causes)
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy.setdefault("type", "RollingUpdate")
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    default_pod_spec(pod)
    return obj


def admit_namespace(obj: Obj, *, old: Obj | None = None, field_validation: str = "Warn") -> Obj:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    if old is None:
        obj["status"] = {"phase": "Active"}
    return obj


BUILTIN_ADMISSION: dict[tuple[str, str], Callable[..., Obj]] = {
    ("apps", "deployments"): admit_deployment,
    ("", "namespaces"): admit_namespace,
}
"""Admission of built-in types, by (group, plural) as the store keys them."""
