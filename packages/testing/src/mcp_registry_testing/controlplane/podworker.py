"""The node agent's per-Pod part: one worker runs a bound Pod's main container as a local
process, writes the Pod's status, restarts an exited container with capped backoff
(CrashLoopBackOff, deterministic as the kubelet's) and stops it when the Pod goes; plus the
records the agent keeps of its Pods and how it runs each image.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import structlog

from mcp_registry_testing.controlplane.client import KubeError
from mcp_registry_testing.controlplane.kubeconfig import write_kubeconfig
from mcp_registry_testing.podconfig import PodConfigError
from mcp_registry_testing.podfs import PodSetupError
from mcp_registry_testing.pods import (
    NodeRuntime,
    Pod,
    _main_container,
    start_pod,
)
from mcp_registry_testing.subprocesses import ProcessStartError

if TYPE_CHECKING:
    from mcp_registry_testing.controlplane.nodeagent import NodeAgent

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 5.0
"""CrashLoopBackOff, shortened: a test should see several restarts, not wait minutes."""
_START_ERRORS = (PodSetupError, PodConfigError, ProcessStartError, OSError, KubeError)
log = structlog.get_logger("controlplane.nodeagent")


@dataclass(frozen=True)
class Image:
    """How this node runs one image: the local program and, for a program that would read
    in-cluster configuration, the flag through which it gets a kubeconfig carrying the pod's
    own service-account token instead (the API server is not at the in-cluster address)."""

    runtime: NodeRuntime
    kubeconfig_flag: str | None = None


@dataclass
class PodRecord:
    """What the agent did for one Pod (for assertions and reports)."""

    namespace: str
    name: str
    uid: str
    image: str
    owner: str = ""
    """The Deployment whose ReplicaSet owns the Pod ("" for a bare Pod)."""
    labels: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    """The main container's plain `env` values (not those from references)."""
    starts: int = 0
    restarts: int = 0
    failures: list[str] = field(default_factory=list)
    ip: str | None = None
    ready_at: float | None = None
    """time.monotonic() when the pod first became ready."""
    stopped: bool = False
    running: Pod | None = None


def image_name(image: str) -> str:
    """`ghcr.io/org/mcp-registry-server:0.1.0@sha256:…` -> `mcp-registry-server`."""
    path = image.split("@", 1)[0]
    last = path.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def _main_or_none(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The container this node would run ({} when it cannot tell: the pod is then reported
    as not runnable here, as any pod of an image it does not have)."""
    try:
        return _main_container(spec)
    except PodSetupError:
        return {}


def deployment_of(pod: Mapping[str, Any]) -> str:
    """The Deployment behind a Pod: its ReplicaSet owner's name less the template hash."""
    for ref in pod["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            return str(ref["name"]).rsplit("-", 1)[0]
    return ""


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PodWorker:
    """Keeps one bound Pod's container running until the Pod is deleted."""

    def __init__(self, agent: NodeAgent, pod: Mapping[str, Any]) -> None:
        meta = pod["metadata"]
        main = _main_or_none(pod["spec"])
        self.agent = agent
        self.pod: Mapping[str, Any] = pod
        self.record = PodRecord(
            namespace=meta["namespace"],
            name=meta["name"],
            uid=meta["uid"],
            image=str(main.get("image", "")),
            owner=deployment_of(pod),
            labels=dict(meta.get("labels") or {}),
            env={e["name"]: str(e["value"]) for e in main.get("env") or [] if "value" in e},
        )
        self.terminating = asyncio.Event()
        self._transitions: dict[str, tuple[str, str]] = {}
        self._started_at = now_iso()

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{self.record.namespace}/pods/{self.record.name}"

    def update(self, pod: Mapping[str, Any]) -> None:
        self.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self.terminating.set()

    async def run(self) -> None:
        record = self.record
        record.ip = self.agent.allocate_ip()
        image = self.agent.images.get(image_name(record.image))
        delay = INITIAL_BACKOFF
        try:
            if image is None:  # it will not appear: say so once, wait for the Pod to go
                message = (
                    f"image {record.image!r} is not available on this node "
                    "(the node agent runs only this project's programs)"
                )
                await self._write_status(waiting=("ErrImagePull", message))
                await self.terminating.wait()
            while image is not None and not self.terminating.is_set():
                started = await self._start(image)
                if started is not None and await self._serve(started):
                    delay = INITIAL_BACKOFF  # it was ready: a crash now starts a new backoff
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF)
        finally:
            await self._stop()
            self.agent.release_ip(record.ip)
            record.stopped = True
            if self.terminating.is_set():
                await self.agent.remove_pod(self.path, record.uid)

    async def _pause(self, delay: float) -> None:
        """Back off, cut short when the Pod is deleted."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self.terminating.wait()

    async def _start(self, image: Image) -> Pod | None:
        record = self.record
        record.starts += 1
        try:
            runtime = await self._runtime(image)
            pod = await start_pod(
                self.pod,
                namespace=record.namespace,
                name=record.name,
                directory=self.agent.workdir / record.namespace / f"{record.name}-{record.uid[:8]}",
                runtime=runtime,
                ports=self.agent.ports,
            )
        except _START_ERRORS as exc:
            self._failed(f"did not start: {exc}")
            await self._write_status(waiting=("CreateContainerConfigError", str(exc)))
            return None
        record.running = pod
        assert record.ip is not None
        self.agent.dns.assign_pod_ip(record.ip, pod.endpoint())
        await self._write_status(running=True, ready=False)
        return pod

    async def _runtime(self, image: Image) -> NodeRuntime:
        """The image's runtime with this Pod's tokens (and a kubeconfig if the image needs it)."""
        tokens = await self._request_tokens()
        runtime = replace(image.runtime, token=lambda audience, _ttl: tokens[audience])
        if image.kubeconfig_flag is None:
            return runtime
        credentials = self.agent.kube.credentials
        assert credentials.ca_cert is not None, "the node agent talks to a TLS API server"
        kubeconfig = write_kubeconfig(
            self.agent.workdir / self.record.namespace / f"{self.record.name}.kubeconfig",
            server=credentials.server,
            ca_cert=credentials.ca_cert,
            token=tokens.get(None) or await self._token(None, 3600),
            namespace=self.record.namespace,
        )
        return replace(
            runtime, extra_args=(*runtime.extra_args, image.kubeconfig_flag, str(kubeconfig))
        )

    async def _request_tokens(self) -> dict[str | None, str]:
        wanted: dict[str | None, int] = {}
        for volume in self.pod["spec"].get("volumes") or []:
            for item in (volume.get("projected") or {}).get("sources") or []:
                request = item.get("serviceAccountToken")
                if request is not None:
                    wanted[request.get("audience")] = int(request.get("expirationSeconds", 3600))
        return {audience: await self._token(audience, ttl) for audience, ttl in wanted.items()}

    async def _token(self, audience: str | None, ttl: int) -> str:
        account = self.pod["spec"].get("serviceAccountName") or "default"
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": [audience] if audience else [],
                "expirationSeconds": ttl,
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": self.record.name,
                    "uid": self.record.uid,
                },
            },
        }
        path = f"/api/v1/namespaces/{self.record.namespace}/serviceaccounts/{account}/token"
        answer = await self.agent.kube.create(path, body)
        return str(answer["status"]["token"])

    async def _serve(self, pod: Pod) -> bool:
        """Probe, report ready, run until the process exits or the Pod goes; True once ready."""
        record = self.record
        exited = asyncio.ensure_future(pod.process.wait())
        ending = asyncio.ensure_future(self.terminating.wait())
        ready = asyncio.ensure_future(pod.wait_ready(self.agent.session))
        was_ready = False
        try:
            await asyncio.wait({ready, ending}, return_when=asyncio.FIRST_COMPLETED)
            if ready.done() and ready.exception() is None:
                was_ready = True
                if record.ready_at is None:
                    record.ready_at = time.monotonic()
                self.agent.dns.publish(self.agent.endpoint_key(record), pod.endpoint())
                await self._write_status(running=True, ready=True)
                await asyncio.wait({exited, ending}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (exited, ending, ready):
                task.cancel()
        self.agent.dns.withdraw(self.agent.endpoint_key(record))
        # An exit before the pod was ready (PodExitedError from `ready`) is reported as any exit.
        if pod.process.returncode is not None and not self.terminating.is_set():
            record.restarts += 1
            self._failed(f"exited with {pod.process.returncode}: {pod.process.tail()}")
            self._release(pod)
            await self._write_status(
                waiting=("CrashLoopBackOff", f"exited with {pod.process.returncode}"),
                exit_code=pod.process.returncode,
            )
        return was_ready

    def _release(self, pod: Pod) -> None:
        if self.record.running is pod:
            self.record.running = None
        if self.record.ip is not None:
            self.agent.dns.release_pod_ip(self.record.ip)

    async def _stop(self) -> None:
        pod = self.record.running
        if pod is None:
            return
        self.agent.dns.withdraw(self.agent.endpoint_key(self.record))
        self._release(pod)
        await pod.process.stop()

    def _failed(self, message: str) -> None:
        self.record.failures.append(message)
        del self.record.failures[:-10]
        log.info(
            "pod_failed", pod=f"{self.record.namespace}/{self.record.name}", message=message[:500]
        )

    def _condition(self, kind: str, status: bool) -> dict[str, Any]:
        value = "True" if status else "False"
        before = self._transitions.get(kind)
        if before is None or before[0] != value:
            self._transitions[kind] = (value, now_iso())
        return {"type": kind, "status": value, "lastTransitionTime": self._transitions[kind][1]}

    async def _write_status(
        self,
        *,
        running: bool = False,
        ready: bool = False,
        waiting: tuple[str, str] | None = None,
        exit_code: int | None = None,
    ) -> None:
        record = self.record
        state: dict[str, Any] = (
            {"running": {"startedAt": now_iso()}}
            if running
            else {"waiting": {"reason": waiting[0], "message": waiting[1][:1000]}}
            if waiting
            else {"waiting": {"reason": "ContainerCreating"}}
        )
        last: dict[str, Any] = (
            {"terminated": {"exitCode": exit_code, "reason": "Error", "finishedAt": now_iso()}}
            if exit_code is not None
            else {}
        )
        spec = self.pod["spec"]
        main = _main_or_none(spec)
        statuses = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": ready and c is main,
                "started": running and c is main,
                "restartCount": record.restarts if c is main else 0,
                "state": state if c is main else {"waiting": {"reason": "NotRunByNodeAgent"}},
                "lastState": last if c is main else {},
            }
            for c in spec.get("containers") or []
        ]
        init = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
            for c in spec.get("initContainers") or []
        ]
        status: dict[str, Any] = {
            "phase": "Running" if running else "Pending",
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": self._started_at,
            "conditions": [
                self._condition("PodScheduled", True),
                self._condition("PodReadyToStartContainers", running),
                self._condition("Initialized", True),
                self._condition("ContainersReady", ready),
                self._condition("Ready", ready),
            ],
            "containerStatuses": statuses,
            "initContainerStatuses": init,
        }
        if running and record.ip:
            status["podIP"] = record.ip
            status["podIPs"] = [{"ip": record.ip}]
        with contextlib.suppress(KubeError):  # the Pod may be gone already
            await self.agent.kube.patch(f"{self.path}/status", {"status": status})
