"""A kubelet double: one real server process per Deployment in the API double, and its status.

It watches Deployments in the double's store. For each it starts a pod (`pods.start_pod`),
writes its Pod object (Running, with a pod IP that cluster DNS routes to the process's
ports, ready or not), probes it, publishes its ports to the Service's cluster DNS, marks the
Pod and the Deployment ready (`set_deployment_ready`) and deletes the Pod object when the
process stops. A new pod template (the operator's config-hash annotation) rolls:
the new pod starts, becomes ready, then the old one stops. A process that exits is restarted
with capped exponential backoff (CrashLoopBackOff) and the Deployment reports it unready;
deleting the Deployment (directly or by garbage collection) stops its process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from mcp_registry_testing.clusterdns import ClusterDns
from mcp_registry_testing.kubeapi import ApiError, KubeApiDouble
from mcp_registry_testing.podconfig import PodConfigError
from mcp_registry_testing.podfs import PodSetupError
from mcp_registry_testing.pods import (
    NodeRuntime,
    Pod,
    PodExitedError,
    PortAllocator,
    start_pod,
    template_hash,
)
from mcp_registry_testing.subprocesses import ProcessStartError

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 5.0
"""CrashLoopBackOff, shortened: a test should see several restarts, not wait minutes."""
_START_ERRORS = (PodSetupError, PodConfigError, ProcessStartError, OSError)
_AVAILABLE = {"True": "MinimumReplicasAvailable", "False": "MinimumReplicasUnavailable"}
POD_NETWORK = "10.244.0.0/16"


@dataclass
class DeploymentRecord:
    """What the kubelet did for one Deployment (for assertions and the e2e report)."""

    namespace: str
    name: str
    pod: Pod | None = None
    """The pod serving now (ready), if any."""
    starts: int = 0
    failures: list[str] = field(default_factory=list)
    """Why pods failed to start or exited, oldest first."""
    first_ready: float | None = None
    """time.monotonic() when a pod of this Deployment first became ready."""
    stopped: bool = False
    """The Deployment is gone and its last process was stopped."""
    stopped_pids: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def last_failure(self) -> str | None:
        return self.failures[-1] if self.failures else None


def _wish(deployment: Mapping[str, Any]) -> tuple[str, int]:
    """What the kubelet acts on: the pod template's identity and the replica count."""
    spec = deployment["spec"]
    replicas = spec.get("replicas")
    return template_hash(spec["template"]), 1 if replicas is None else int(replicas)


class _Runner:
    """Keeps one Deployment's pod in line with its latest template."""

    def __init__(self, kubelet: Kubelet, deployment: Mapping[str, Any]) -> None:
        meta = deployment["metadata"]
        self.kubelet = kubelet
        self.record = DeploymentRecord(namespace=meta["namespace"], name=meta["name"])
        self.desired: Mapping[str, Any] = deployment
        self.deleted = False
        self.changed = asyncio.Event()
        self.serial = 0

    def update(self, deployment: Mapping[str, Any] | None) -> None:
        """A watch event: wake the runner only when the template changed or it was deleted."""
        if deployment is None:
            self.deleted = True
            self.changed.set()
            return
        before = _wish(self.desired)
        self.desired = deployment
        if _wish(deployment) != before:
            self.changed.set()

    async def run(self) -> None:
        delay = INITIAL_BACKOFF
        try:
            while not self.deleted:
                pod = self.record.pod
                wanted, replicas = _wish(self.desired)
                if replicas == 0:
                    await self._scaled_to_zero()
                    continue
                if pod is not None and pod.template_hash == wanted:
                    await self._serve(pod)
                    continue
                if await self._roll():
                    delay = INITIAL_BACKOFF
                    continue
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):  # backoff, cut short by a change
                        await self.changed.wait()
                self.changed.clear()
                delay = min(delay * 2, MAX_BACKOFF)
        finally:
            await self._stop(self.record.pod)
            self.record.pod = None
            self.record.stopped = self.deleted

    async def _scaled_to_zero(self) -> None:
        await self._stop(self.record.pod)
        self.record.pod = None
        self._write_status(total=0, updated=0, ready=0)
        await self.changed.wait()
        self.changed.clear()

    async def _serve(self, pod: Pod) -> None:
        """Wait until the template changes, the Deployment goes or the process exits."""
        exited = asyncio.ensure_future(pod.process.wait())
        changed = asyncio.ensure_future(self.changed.wait())
        try:
            await asyncio.wait({exited, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            changed.cancel()
        self.changed.clear()
        if pod.process.returncode is not None:
            self._failed(f"exited with {pod.process.returncode}: {pod.process.tail()}")
            self.kubelet.dns.withdraw(self.record.key)
            self.kubelet.pod_gone(pod)
            self.record.pod = None
            self._write_status(total=1, updated=1, ready=0)

    async def _roll(self) -> bool:
        """Start a pod from the latest template; True once it serves (or the wish changed)."""
        self.changed.clear()  # what changed so far is in self.desired, read with no await between
        template = self.desired["spec"]["template"]
        old = self.record.pod
        self._write_status(total=2 if old else 1, updated=1, ready=1 if old else 0)
        self.serial += 1
        name = f"{self.record.name}-{self.serial}"
        self.record.starts += 1
        try:
            pod = await start_pod(
                template,
                namespace=self.record.namespace,
                name=name,
                directory=self.kubelet.workdir / self.record.namespace / name,
                runtime=self.kubelet.runtime,
                ports=self.kubelet.ports,
            )
        except _START_ERRORS as exc:
            self._failed(f"pod {name} did not start: {exc}")
            return False
        self.kubelet.pod_started(pod, template)
        ready = asyncio.ensure_future(pod.wait_ready(self.kubelet.session))
        changed = asyncio.ensure_future(self.changed.wait())
        try:
            await asyncio.wait({ready, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            superseded = not ready.done()
            ready.cancel()
            if superseded:  # also when this task itself is cancelled
                await self._stop(pod)
        if superseded:
            return True  # the template changed or the Deployment went before it was ready
        self.changed.clear()
        try:
            ready.result()
        except PodExitedError as exc:
            self._failed(str(exc))
            self.kubelet.pod_gone(pod)
            self._write_status(total=2 if old else 1, updated=1, ready=1 if old else 0)
            return False
        return await self._promote(pod, old)

    async def _promote(self, pod: Pod, old: Pod | None) -> bool:
        """The new pod is ready: route to it, stop the old one, report the rollout done."""
        current = self.kubelet.deployment(self.record.namespace, self.record.name)
        if current is None or template_hash(current["spec"]["template"]) != pod.template_hash:
            await self._stop(pod)
            return True
        self.kubelet.dns.publish(self.record.key, pod.endpoint())
        self.kubelet.pod_ready(pod)
        self.record.pod = pod
        await self._stop(old)
        if self.record.first_ready is None:
            self.record.first_ready = time.monotonic()
        with contextlib.suppress(ApiError):
            self.kubelet.api.set_deployment_ready(self.record.namespace, self.record.name, 1)
        return True

    async def _stop(self, pod: Pod | None) -> None:
        if pod is None:
            return
        if self.record.pod is pod:
            self.kubelet.dns.withdraw(self.record.key)
        self.kubelet.pod_gone(pod)
        await pod.process.stop()
        self.record.stopped_pids.append(pod.process.pid)

    def _failed(self, message: str) -> None:
        self.record.failures.append(message)
        del self.record.failures[:-10]

    def _write_status(self, *, total: int, updated: int, ready: int) -> None:
        """The Deployment's status while pods come and go (ready ones go through the double)."""
        api = self.kubelet.api
        current = self.kubelet.deployment(self.record.namespace, self.record.name)
        if current is None:
            return
        available = "True" if ready else "False"
        status = {
            "observedGeneration": current["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(total - ready, 0),
            "conditions": [
                {"type": "Available", "status": available, "reason": _AVAILABLE[available]},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"},
            ],
        }
        rt = api.resource("deployments", "apps")
        with contextlib.suppress(ApiError):
            api.store.update(
                rt,
                self.record.namespace,
                self.record.name,
                {"status": status},
                subresource="status",
            )


class Kubelet:
    """Run with `async with Kubelet(api, dns=..., runtime=..., workdir=...) as kubelet:`."""

    def __init__(
        self, api: KubeApiDouble, *, dns: ClusterDns, runtime: NodeRuntime, workdir: Path
    ) -> None:
        self.api = api
        self.dns = dns
        self.runtime = runtime
        self.workdir = workdir
        self.ports = PortAllocator()
        self.records: dict[str, DeploymentRecord] = {}
        self._runners: dict[str, _Runner] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._free_ips = ipaddress.ip_network(POD_NETWORK).hosts()
        self.pod_ips: dict[Pod, str] = {}
        """The IP of every pod that runs now."""

    @property
    def session(self) -> aiohttp.ClientSession:
        """The probe client (never through a proxy)."""
        assert self._session is not None, "the kubelet is not running"
        return self._session

    def deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.api.get("deployments", namespace, name, group="apps")
        except ApiError:
            return None

    def pod_started(self, pod: Pod, template: Mapping[str, Any]) -> None:
        """The Pod object, Running with a fresh IP that reaches the process's ports."""
        ip = str(next(self._free_ips))
        self.pod_ips[pod] = ip
        self.dns.assign_pod_ip(ip, pod.endpoint())
        with contextlib.suppress(ApiError):
            self.api.run_pod(pod.namespace, pod.name, template=template, ip=ip)

    def pod_ready(self, pod: Pod) -> None:
        ip = self.pod_ips.get(pod)
        if ip is not None:
            with contextlib.suppress(ApiError):
                self.api.set_pod_status(pod.namespace, pod.name, ip=ip, ready=True)

    def pod_gone(self, pod: Pod) -> None:
        """The process stopped or exited: its IP goes and its Pod object is deleted."""
        ip = self.pod_ips.pop(pod, None)
        if ip is None:
            return
        self.dns.release_pod_ip(ip)
        with contextlib.suppress(ApiError):
            self.api.store.delete(self.api.resource("pods"), pod.namespace, pod.name)

    def record(self, namespace: str, name: str) -> DeploymentRecord | None:
        """What happened to Deployment `namespace/name` (None if never seen)."""
        return self.records.get(f"{namespace}/{name}")

    async def __aenter__(self) -> Kubelet:
        self._session = aiohttp.ClientSession(trust_env=False)
        self._main = asyncio.create_task(self._watch(), name="kubelet-watch")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tasks = [t for t in (self._main, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for record in self.records.values():  # anything a cancelled stop left running
            if record.pod is not None:
                await record.pod.process.stop()
        if self._session is not None:
            await self._session.close()

    async def _watch(self) -> None:
        rt = self.api.resource("deployments", "apps")
        while True:
            watcher = self.api.store.watch(
                rt, None, since=None, matches=lambda _: True, bookmarks=False
            )
            self._forget_missing()
            try:
                while (event := await watcher.queue.get()) is not None:
                    if not isinstance(event, int):
                        self._on_event(event.type, event.obj)
            finally:
                self.api.store.unwatch(watcher)

    def _forget_missing(self) -> None:
        """After a re-watch: Deployments deleted while the watch was down."""
        for key, runner in list(self._runners.items()):
            namespace, name = key.split("/", 1)
            if self.deployment(namespace, name) is None:
                runner.update(None)

    def _on_event(self, kind: str, obj: Mapping[str, Any]) -> None:
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        runner = self._runners.get(key)
        if kind == "DELETED":
            if runner is not None:
                runner.update(None)
                del self._runners[key]
            return
        if runner is not None and not runner.deleted:
            runner.update(obj)
            return
        runner = _Runner(self, obj)
        self._runners[key] = runner
        self.records[key] = runner.record
        task = asyncio.create_task(runner.run(), name=f"kubelet-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
