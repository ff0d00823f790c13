"""Find a running pod of a registry's server to ask directly, for when its Service cannot answer.

The server's readiness probe fails until every registry has data, so a server whose first sync
failed is never a Service endpoint; its pod still runs and answers on its own IP. Pods are
listed by the Deployment's selector (a read, never a write); `choose_pod` is the pure choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from mcp_registry_operator.kube import PODS, ApiClient, KubeApiError
from mcp_registry_operator.kube.listing import list_objects
from mcp_registry_operator.resources.naming import CONFIG_HASH_ANNOTATION, selector

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PodTarget:
    name: str
    ip: str


def pod_selector(registry: str) -> str:
    """The label selector of the registry's server pods (the Deployment's own selector, which a
    pod template can never override)."""
    return ",".join(f"{key}={value}" for key, value in sorted(selector(registry).items()))


def choose_pod(pods: Iterable[Mapping[str, Any]], *, config_hash: str) -> PodTarget | None:
    """The newest pod that runs the current config (`config_hash`), is Running, not being
    deleted and has an IP; None when there is none. Pods of an older config are never asked:
    their report would describe a spec that is gone."""
    candidates = []
    for pod in pods:
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        annotations = meta.get("annotations") or {}
        ip = str(status.get("podIP") or "")
        if (
            status.get("phase") != "Running"
            or not ip
            or meta.get("deletionTimestamp")
            or annotations.get(CONFIG_HASH_ANNOTATION) != config_hash
        ):
            continue
        name = str(meta.get("name") or "")
        candidates.append((str(meta.get("creationTimestamp") or ""), name, ip))
    if not candidates:
        return None
    _, name, ip = max(candidates)
    return PodTarget(name=name, ip=ip)


class PodFinder:
    """Lists a registry's server pods and chooses one to ask; a failed list finds nothing (the
    caller reports the registry as not ready yet, as it would without this fallback)."""

    def __init__(self, *, api: ApiClient) -> None:
        self._api = api

    async def find(self, *, namespace: str, name: str, config_hash: str) -> PodTarget | None:
        try:
            pods = await list_objects(
                self._api, PODS, namespace=namespace, label_selector=pod_selector(name)
            )
        except KubeApiError as exc:
            log.warning("server_pods_not_listed", error=str(exc))
            return None
        return choose_pod(pods.items, config_hash=config_hash)
