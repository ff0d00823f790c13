"""A hollow node, as kubemark's hollow kubelet: it binds every unscheduled Pod to itself and
reports it Running and Ready at once, running nothing. For benchmarks where the pods need not
run but the real Deployment and ReplicaSet controllers must see them become available."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
from types import TracebackType
from typing import Any, Self

from mcp_registry_testing.controlplane.client import KubeClient, KubeError
from mcp_registry_testing.controlplane.informer import Informer, key_of

NODE_NAME = "hollow-node"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HollowNode:
    """`async with HollowNode(kube):` while the benchmark runs."""

    def __init__(self, kube: KubeClient, *, node: str = NODE_NAME) -> None:
        self.kube = kube
        self.node = node
        self.pods = Informer(kube, "/api/v1/pods", self._on_pod)
        self._ips = ipaddress.ip_network("10.245.0.0/16").hosts()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._seen: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        node = {"metadata": {"name": self.node, "labels": {"kubernetes.io/hostname": self.node}}}
        with contextlib.suppress(KubeError):
            await self.kube.create("/api/v1/nodes", node)
        ready = {"type": "Ready", "status": "True", "reason": "KubeletReady",
                 "lastHeartbeatTime": _now(), "lastTransitionTime": _now()}  # fmt: skip
        await self.kube.patch(
            f"/api/v1/nodes/{self.node}/status", {"status": {"conditions": [ready]}}
        )
        self._workers = [asyncio.create_task(self._work(), name=f"hollow-{i}") for i in range(4)]
        await self.pods.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.pods.__aexit__(exc_type, exc, tb)
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        key = f"{key_of(pod)}/{meta['uid']}"
        if kind != "DELETED" and key not in self._seen:
            self._seen.add(key)
            self._queue.put_nowait(pod)
        if kind != "DELETED" and meta.get("deletionTimestamp"):
            self._queue.put_nowait(pod)

    async def _work(self) -> None:
        while True:
            pod = await self._queue.get()
            with contextlib.suppress(KubeError):
                await self._handle(pod)

    async def _handle(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
        if meta.get("deletionTimestamp"):
            await self.kube.delete(
                path, {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}}
            )
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            binding = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": self.node},
            }
            await self.kube.create(f"{path}/binding", binding)
        ip = str(next(self._ips))
        conditions = [
            {"type": kind, "status": "True", "lastTransitionTime": _now()}
            for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        ]
        status = {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": _now(),
            "conditions": conditions,
        }
        await self.kube.patch(f"{path}/status", {"status": status})
