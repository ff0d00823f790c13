"""Find a running pod of a registry's server to ask on its own IP: the internal port (status,
manual sync) is on no Service.

The server's readiness probe fails until every registry has data, so a server whose first sync
failed has no ready pod; its pod still runs and answers on its own IP. Pods are listed by the
Deployment's selector (a read, never a write); `choose_pod` is the pure choice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import structlog

from mcp_registry_operator.kube import PODS, ApiClient, ForbiddenError, KubeApiError
from mcp_registry_operator.kube.listing import list_objects
from mcp_registry_operator.resources.naming import CONFIG_HASH_ANNOTATION, selector

log = structlog.get_logger(__name__)

LIST_TIMEOUT = 3.0
"""Seconds for one pod list: it runs inside a reconcile, every poll of an unready registry."""
FORBIDDEN_RETRY = 300.0
"""Seconds before pods are listed again for a registry whose list was refused (403): a grant
added later (a chart upgrade) is picked up without restarting the operator."""


class NoPod(Enum):
    """Why no pod was found to ask."""

    NONE = "none"
    """No Running pod of the current config (or pods may not be listed: RBAC)."""
    UNKNOWN = "unknown"
    """The list failed (5xx, 429, timeout): whether there is one is not known."""


@dataclass(frozen=True)
class PodTarget:
    name: str
    ip: str


def pod_selector(registry: str) -> str:
    """The label selector of the registry's server pods (the Deployment's own selector, which a
    pod template can never override)."""
    return ",".join(f"{key}={value}" for key, value in sorted(selector(registry).items()))


def choose_pod(pods: Iterable[Mapping[str, Any]], *, config_hash: str) -> PodTarget | None:
    """A pod that runs the current config (`config_hash`), is Running, not being deleted and has
    an IP: a Ready one if there is one, then the newest (the same pod look after look, so its
    report does not alternate between replicas); None when there is none. Pods of an older
    config are never asked: their report would describe a spec that is gone."""
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
        created = str(meta.get("creationTimestamp") or "")
        candidates.append((_ready(status), created, name, ip))
    if not candidates:
        return None
    _, _, name, ip = max(candidates)
    return PodTarget(name=name, ip=ip)


def _ready(status: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )


class PodFinder:
    """Lists a registry's server pods and chooses one to ask. A refused list (403: the RBAC
    for pods not granted yet) is logged and, for that registry, answered as if there were no
    pod for `FORBIDDEN_RETRY` seconds, then tried again; any other failed list says it does
    not know."""

    def __init__(self, *, api: ApiClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._clock = clock
        self._forbidden: dict[tuple[str, str], float] = {}
        """(namespace, name) → when its pods may be listed again."""

    async def find(self, *, namespace: str, name: str, config_hash: str) -> PodTarget | NoPod:
        retry_at = self._forbidden.get((namespace, name))
        if retry_at is not None:
            if self._clock() < retry_at:
                return NoPod.NONE
            del self._forbidden[(namespace, name)]
        try:
            pods = await list_objects(
                self._api,
                PODS,
                namespace=namespace,
                label_selector=pod_selector(name),
                request_timeout=LIST_TIMEOUT,
            )
        except ForbiddenError as exc:
            first = retry_at is None  # warn once; a refusal again after a retry is expected
            self._forbidden[(namespace, name)] = self._clock() + FORBIDDEN_RETRY
            log.log(
                logging.WARNING if first else logging.DEBUG,
                "server_pods_not_listed",
                namespace=namespace,
                name=name,
                error=str(exc),
                retry_in_s=FORBIDDEN_RETRY,
            )
            return NoPod.NONE
        except KubeApiError as exc:
            log.info("server_pods_list_failed", error=str(exc))
            return NoPod.UNKNOWN
        return choose_pod(pods.items, config_hash=config_hash) or NoPod.NONE
