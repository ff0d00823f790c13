"""A node agent for the real control plane: the kubelet's part, for this project's programs.

It registers one Node, binds every unscheduled Pod to it (there is no scheduler), and runs each
bound Pod's main container as a local process of this workspace's program for its image
(`mcp-registry-server`, `mcp-registry-operator`), with the Pod's ConfigMap, Secret, emptyDir
and projected service-account volumes materialised on disk (`pods.prepare_pod`). The token in
a projected volume comes from the real TokenRequest API, bound to the Pod. It writes the Pod's
status (podIP, conditions, container state, restarts), restarts an exited container with capped
backoff (CrashLoopBackOff), and when a Pod is being deleted stops its process and removes the
object, as a kubelet finishes a graceful deletion. Deployments and ReplicaSets are the real
controller-manager's job; the agent only ever sees Pods.

Cluster networking stays simulated as in the double's tier: pod IPs and Services resolve through
`ClusterDns`, which routes a Service to the ready pods the agent publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import structlog

from mcp_registry_testing.clusterdns import ClusterDns
from mcp_registry_testing.controlplane.client import KubeClient, KubeError
from mcp_registry_testing.controlplane.informer import Informer, key_of
from mcp_registry_testing.controlplane.podworker import (
    Image,
    PodRecord,
    PodWorker,
    now_iso,
)
from mcp_registry_testing.pods import (
    PortAllocator,
)

NODE_NAME = "controlplane-node"
POD_NETWORK = "10.244.0.0/16"
log = structlog.get_logger("controlplane.nodeagent")


class NodeAgent:
    """`async with NodeAgent(kube, dns=..., images=..., workdir=...) as node:`."""

    def __init__(
        self,
        kube: KubeClient,
        *,
        dns: ClusterDns,
        images: Mapping[str, Image],
        workdir: Path,
        node: str = NODE_NAME,
        kubelet_version: str = "",
    ) -> None:
        self.kube = kube
        self.dns = dns
        self.images = dict(images)
        self.workdir = workdir
        self.node = node
        self.kubelet_version = kubelet_version
        self.ports = PortAllocator()
        self.records: dict[str, PodRecord] = {}
        """Every Pod this node ran, by namespace/name (the latest of that name)."""
        self._workers: dict[str, PodWorker] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._binding: set[str] = set()
        self._free_ips = ipaddress.ip_network(POD_NETWORK).hosts()
        self._session: aiohttp.ClientSession | None = None
        self._stack = contextlib.AsyncExitStack()
        self.configmaps = Informer(kube, "/api/v1/configmaps")
        self.secrets = Informer(kube, "/api/v1/secrets")
        self.pods = Informer(kube, "/api/v1/pods", self._on_pod)

    # ----- what pods.prepare_pod reads -----------------------------------------------------
    def read(self, plural: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        """A ConfigMap or Secret from this node's caches (a kubelet watches them too)."""
        informer = {"configmaps": self.configmaps, "secrets": self.secrets}[plural]
        return informer.get(f"{namespace}/{name}")

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the node agent is not running"
        return self._session

    def record(self, namespace: str, name: str) -> PodRecord | None:
        return self.records.get(f"{namespace}/{name}")

    def running(self) -> list[PodRecord]:
        return [r for r in self.records.values() if r.running is not None and not r.stopped]

    def endpoint_key(self, record: PodRecord) -> str:
        return f"pod/{record.namespace}/{record.name}/{record.uid}"

    def allocate_ip(self) -> str:
        return str(next(self._free_ips))

    def release_ip(self, ip: str | None) -> None:
        if ip is not None:
            self.dns.release_pod_ip(ip)

    async def remove_pod(self, path: str, uid: str) -> None:
        """Finish a graceful deletion: the containers are stopped, the object goes."""
        body = {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}}
        with contextlib.suppress(KubeError):
            await self.kube.delete(path, body)

    # ----- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(trust_env=False)
        await self._register_node()
        await self._stack.enter_async_context(self.configmaps)
        await self._stack.enter_async_context(self.secrets)
        await self._stack.enter_async_context(self.pods)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()  # no more events
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for worker in self._workers.values():  # anything a cancelled stop left running
            if worker.record.running is not None:
                await worker.record.running.process.stop()
        if self._session is not None:
            await self._session.close()

    async def _register_node(self) -> None:
        path = f"/api/v1/nodes/{self.node}"
        if await self.kube.get_or_none(path) is None:
            labels = {"kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux"}
            await self.kube.create(
                "/api/v1/nodes", {"metadata": {"name": self.node, "labels": labels}}
            )
        now = now_iso()
        resources = {"cpu": "2", "memory": "24Gi", "pods": "110"}
        status = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "the test node agent is running",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": self.node},
            ],
            "capacity": resources,
            "allocatable": resources,
            "nodeInfo": {
                "kubeletVersion": self.kubelet_version,
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "mcp-registry-node-agent://1",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": "",
                "osImage": "",
                "kubeProxyVersion": "",
            },
        }
        await self.kube.patch(f"{path}/status", {"status": status})

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        key = key_of(pod)
        meta, spec = pod["metadata"], pod.get("spec") or {}
        worker = self._workers.get(key)
        if kind == "DELETED":
            if worker is not None and worker.record.uid == meta["uid"]:
                worker.terminating.set()
                del self._workers[key]
            return
        node = spec.get("nodeName")
        if not node:
            if not meta.get("deletionTimestamp") and key not in self._binding:
                self._binding.add(key)
                self._spawn(self._bind(pod), f"bind {key}")
            return
        if node != self.node:
            return
        if worker is not None and worker.record.uid != meta["uid"]:
            worker.terminating.set()  # a new Pod under an old name
            worker = None
        if worker is None:
            if meta.get("deletionTimestamp"):
                self._spawn(self.remove_pod(f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                                            meta["uid"]), f"remove {key}")  # fmt: skip
                return
            worker = PodWorker(self, pod)
            self._workers[key] = worker
            self.records[key] = worker.record
            self._spawn(worker.run(), f"pod {key}")
        worker.update(pod)

    async def _bind(self, pod: Mapping[str, Any]) -> None:
        meta = pod["metadata"]
        key = key_of(dict(pod))
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.node},
        }
        try:
            await self.kube.create(
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding", body
            )
        except KubeError as exc:
            if exc.code not in (404, 409):
                log.warning("bind_failed", pod=key, error=str(exc))
        finally:
            self._binding.discard(key)
