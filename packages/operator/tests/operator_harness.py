"""Test harness for the reconciler: the API double with the real CRD and its admission, a fake
registry-server status endpoint on loopback (reached as the pod IPs of the double's pods), and
the operator composed by `build_operator`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from mcp_registry_common.mcpregistry import GROUP
from mcp_registry_operator.app import Operator, OperatorSettings, build_operator
from mcp_registry_operator.kube.connecting import client_for
from mcp_registry_operator.reconcile.reconciler import ReconcilerSettings
from mcp_registry_operator.reconcile.statusclient import HttpServerStatusClient
from mcp_registry_operator.runtime.controller import ControllerSettings
from mcp_registry_operator.runtime.informer import InformerSettings
from mcp_registry_testing.crd_admission import admit
from mcp_registry_testing.kubeapi import ApiError, KubeApiDouble
from mcp_registry_testing.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "examples"
CRD = yaml.safe_load((REPO / "crds" / "toolhive.stacklok.dev_mcpregistries.yaml").read_text())
IMAGE = "ghcr.io/mcp-registry/mcp-registry-server:test"
T0 = "2026-01-01T00:00:00Z"
Obj = dict[str, Any]


def double(**kwargs: Any) -> KubeApiDouble:
    """The API double serving the checked-in CRD, with CRD schema + CEL admission plugged in."""
    name = CRD["metadata"]["name"]
    return KubeApiDouble(
        crds=[CRD], admit={name: functools.partial(admit, CRD)}, bookmark_interval=0.2, **kwargs
    )


def seed(stem: str, *, name: str | None = None, namespace: str = "default") -> Obj:
    """The MCPRegistry of a seed manifest (e.g. "01-minimal"), renamed and namespaced."""
    docs = yaml.safe_load_all((SEED / f"{stem}.yaml").read_text())
    (doc,) = [d for d in docs if d and d["kind"] == "MCPRegistry"]
    doc["metadata"]["namespace"] = namespace
    if name is not None:
        doc["metadata"]["name"] = name
    return dict(doc)


def seed_secrets(stem: str, *, namespace: str = "default") -> list[Obj]:
    """The Secrets/ConfigMaps a seed manifest ships with, stringData encoded as data."""
    out = []
    for doc in yaml.safe_load_all((SEED / f"{stem}.yaml").read_text()):
        if doc and doc["kind"] in ("Secret", "ConfigMap"):
            doc = copy.deepcopy(doc)
            doc["metadata"]["namespace"] = namespace
            if "stringData" in doc:
                raw = doc.pop("stringData")
                doc["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in raw.items()}
            out.append(doc)
    return out


# ----- the fake registry server(s) --------------------------------------------------------------
@dataclass
class FakeServer:
    """What one registry server reports on GET /status, and the manual syncs it received."""

    sources: dict[str, Obj] = field(default_factory=dict)
    registries: dict[str, list[str]] = field(default_factory=lambda: {"default": ["toolhive"]})
    unsyncable: set[str] = field(default_factory=lambda: {"default"})
    syncs: list[str] = field(default_factory=list)
    servers_per_source: int = 3

    def source(self, name: str) -> Obj:
        return self.sources.setdefault(name, complete(name, count=self.servers_per_source))

    def report(self) -> Obj:
        for names in self.registries.values():
            for name in names:
                self.source(name)
        registries = []
        for reg, names in self.registries.items():
            waiting = [n for n in names if self.sources[n].get("lastSyncTime") is None]
            registries.append(
                {
                    "name": reg,
                    "sources": names,
                    "ready": not waiting,
                    "waitingFor": waiting,
                    "serverCount": sum(self.sources[n]["serverCount"] for n in names),
                }
            )
        return {"sources": list(self.sources.values()), "registries": registries}


def complete(name: str, *, count: int = 3, when: str = T0) -> Obj:
    return {
        "name": name,
        "phase": "Complete",
        "message": "Sync completed successfully",
        "attemptCount": 0,
        "lastAttempt": when,
        "lastSyncTime": when,
        "contentHash": "abc",
        "serverCount": count,
    }


class FakeServers:
    """Every registry server, behind one loopback aiohttp app: /pod/{ip}/status etc. as on the
    pod that has that IP in the API double (the internal port is on no Service). Like the real
    server, each pod answers only the bearer its registry's Secret `<n>-internal-token` held
    when the pod started (`run_pod` records it): a token made later is not the pod's."""

    def __init__(self, kube: KubeApiDouble) -> None:
        self.kube = kube
        self.servers: dict[tuple[str, str], FakeServer] = {}
        self.down: set[tuple[str, str]] = set()
        """Servers that answer 503 everywhere (starting)."""
        self.status_calls = 0
        self.pod_calls: list[str] = []
        """The pod IPs asked, in order."""
        self.refused: list[str] = []
        """`Authorization` headers refused (401), in order."""
        self._runner: web.AppRunner | None = None
        self.port = 0

    def server(self, namespace: str, name: str) -> FakeServer:
        return self.servers.setdefault((namespace, name), FakeServer())

    def pod_url_for(self, ip: str) -> str:
        return f"http://127.0.0.1:{self.port}/pod/{ip}"

    def _target(self, request: web.Request) -> tuple[tuple[str, str], bool, str]:
        """(server key, reachable, the pod's token) of a request to a pod IP: the registry of
        the pod that has that IP in the double, as a pod network would route it."""
        ip = request.match_info["ip"]
        self.pod_calls.append(ip)
        rt = self.kube.resource("pods")
        found, _ = self.kube.store.list(  # filters before it copies: one pod copied, not all
            rt, None, lambda pod: (pod.get("status") or {}).get("podIP") == ip
        )
        if not found:
            raise web.HTTPBadGateway(text=f"no pod has IP {ip}")
        meta = found[0]["metadata"]
        key = (meta["namespace"], meta["labels"]["app.kubernetes.io/instance"])
        token = (meta.get("annotations") or {}).get(STARTED_WITH_TOKEN, "")
        return key, key not in self.down, token

    def _authorized(self, request: web.Request, token: str) -> bool:
        presented = request.headers.get("Authorization", "")
        if token and presented == f"Bearer {token}":
            return True
        self.refused.append(presented)
        return False

    async def _status(self, request: web.Request) -> web.Response:
        key, reachable, token = self._target(request)
        if not self._authorized(request, token):
            return web.json_response({"title": "Unauthorized"}, status=401)
        self.status_calls += 1
        if not reachable:
            return web.json_response({"title": "starting"}, status=503)
        return web.json_response(self.server(*key).report())

    async def _sync(self, request: web.Request) -> web.Response:
        key, reachable, token = self._target(request)
        if not self._authorized(request, token):
            return web.json_response({"title": "Unauthorized"}, status=401)
        server, source = self.server(*key), request.match_info["source"]
        server.report()  # the sources of every registry exist from the start
        if not reachable:
            return web.json_response({"title": "starting"}, status=503)
        if source not in server.sources:
            return web.json_response({"title": "unknown source"}, status=404)
        if source in server.unsyncable:
            return web.json_response({"title": "not syncable"}, status=409)
        server.syncs.append(source)
        return web.json_response(server.sources[source])

    async def __aenter__(self) -> FakeServers:
        app = web.Application()
        app.add_routes(
            [
                web.get("/pod/{ip}/status", self._status),
                web.post("/pod/{ip}/sources/{source}/sync", self._sync),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# ----- the operator ---------------------------------------------------------------------------
def settings(**reconciler: Any) -> OperatorSettings:
    """Fast settings for tests: short polls, fast informer retries, no periodic resync."""
    return OperatorSettings(
        reconciler=ReconcilerSettings(
            image=IMAGE, **{"poll_interval": 0.2, "steady_interval": 3600.0, **reconciler}
        ),
        identity="operator-test",
        health_host="127.0.0.1",
        health_port=0,
        controller=ControllerSettings(workers=4, resync_period=3600.0),
        informer=InformerSettings(backoff_base=0.01, backoff_cap=0.2, watch_timeout_seconds=30),
    )


@contextlib.asynccontextmanager
async def operator(
    kube: KubeApiDouble, fake: FakeServers, config: OperatorSettings | None = None
) -> AsyncIterator[Operator]:
    """Run a composed operator against the double until the block ends."""
    async with client_for(kube.url) as api, aiohttp.ClientSession() as session:
        op = build_operator(
            config or settings(),
            api=api,
            status_client=HttpServerStatusClient(
                session, pod_url_for=fake.pod_url_for, timeout=2.0
            ),
        )
        task = asyncio.create_task(op.manager.run())
        try:
            yield op
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def with_leader(config: OperatorSettings, election: Any, identity: str) -> OperatorSettings:
    return replace(config, leader_election=election, identity=identity)


# ----- reading and writing the double -----------------------------------------------------------
def registries_rt(kube: KubeApiDouble) -> Any:
    return kube.resource("mcpregistries", GROUP)


def create(kube: KubeApiDouble, obj: Obj) -> Obj:
    """Create through the store (with admission), like a kubectl apply would."""
    kind = obj["kind"]
    rt = registries_rt(kube) if kind == "MCPRegistry" else kube.resource(f"{kind.lower()}s")
    return kube.store.create(rt, obj["metadata"]["namespace"], copy.deepcopy(obj))


def registry(kube: KubeApiDouble, namespace: str, name: str) -> Obj:
    return kube.store.get(registries_rt(kube), namespace, name)


def exists(kube: KubeApiDouble, plural: str, namespace: str, name: str, group: str = "") -> bool:
    try:
        kube.get(plural, namespace, name, group=group)
    except ApiError:
        return False
    return True


def status(kube: KubeApiDouble, namespace: str, name: str) -> Obj:
    try:
        return registry(kube, namespace, name).get("status") or {}
    except ApiError:
        return {}


def condition(kube: KubeApiDouble, namespace: str, name: str, kind: str) -> Obj:
    return next(
        (c for c in status(kube, namespace, name).get("conditions") or [] if c["type"] == kind),
        {},
    )


async def wait_phase(
    kube: KubeApiDouble, namespace: str, name: str, phase: str, within: float = 10.0
) -> Obj:
    await wait_for(
        lambda: status(kube, namespace, name).get("phase") == phase,
        within,
        message=f"{namespace}/{name} never reached {phase}: {status(kube, namespace, name)}",
    )
    return status(kube, namespace, name)


def deployment(kube: KubeApiDouble, namespace: str, name: str) -> Obj:
    return kube.get("deployments", namespace, f"{name}-api", group="apps")


def config_hash(kube: KubeApiDouble, namespace: str, name: str) -> str:
    template = deployment(kube, namespace, name)["spec"]["template"]
    return str(template["metadata"]["annotations"]["toolhive.stacklok.dev/config-hash"])


_POD_IPS = itertools.count(1)


def pod_ip() -> str:
    """A pod IP no other pod of this test process has."""
    n = next(_POD_IPS)
    return f"10.250.{n // 250}.{n % 250 + 1}"


STARTED_WITH_TOKEN = "test.mcp-registry/internal-token-at-start"
"""Pod annotation (tests only): the internal token the server read when the pod started."""


def run_pod(kube: KubeApiDouble, namespace: str, name: str, *, ip: str, ready: bool) -> Obj:
    """Run one pod of the Deployment's current template (as its ReplicaSet and a kubelet
    would): Running with `ip`, Ready as given, holding the internal token of that moment."""
    template = copy.deepcopy(deployment(kube, namespace, name)["spec"]["template"])
    try:
        secret = kube.get("secrets", namespace, f"{name}-internal-token")
    except ApiError:
        secret = {}
    token = base64.b64decode((secret.get("data") or {}).get("token", "")).decode()
    template.setdefault("metadata", {}).setdefault("annotations", {})[STARTED_WITH_TOKEN] = token
    return kube.run_pod(
        namespace, f"{name}-api-{next(_POD_IPS)}", template=template, ip=ip, ready=ready
    )


async def make_ready(kube: KubeApiDouble, namespace: str, name: str) -> None:
    """Wait for the Deployment, then run a ready pod of its template and report the Deployment
    ready (as kubelet + controllers would)."""
    await wait_for(lambda: exists(kube, "deployments", namespace, f"{name}-api", "apps"), 10.0)
    run_pod(kube, namespace, name, ip=pod_ip(), ready=True)
    kube.set_deployment_ready(namespace, f"{name}-api")


async def run_unready_pod(kube: KubeApiDouble, namespace: str, name: str, *, ip: str) -> Obj:
    """Wait for the Deployment, then run one pod of its template that never turns ready (as a
    server whose first sync failed): Running with `ip`, where the fake server answers. The
    Deployment reports the pod, not ready."""
    await wait_for(lambda: exists(kube, "deployments", namespace, f"{name}-api", "apps"), 10.0)
    current = deployment(kube, namespace, name)
    pod = run_pod(kube, namespace, name, ip=ip, ready=False)
    status = {
        "observedGeneration": current["metadata"]["generation"],
        "replicas": 1,
        "updatedReplicas": 1,
        "readyReplicas": 0,
        "unavailableReplicas": 1,
    }
    rt = kube.resource("deployments", "apps")
    kube.store.update(rt, namespace, f"{name}-api", {"status": status}, subresource="status")
    return pod


def events(kube: KubeApiDouble, namespace: str, name: str) -> list[Obj]:
    """Events about one object, oldest first."""
    found = [
        e
        for e in kube.objects("events", group="events.k8s.io", namespace=namespace)
        if e["regarding"]["name"] == name
    ]
    return sorted(found, key=lambda e: e["eventTime"])


async def wait_events(
    kube: KubeApiDouble, namespace: str, name: str, reasons: list[str], within: float = 10.0
) -> list[Obj]:
    """Wait until the events about an object have exactly these reasons, in order."""
    await wait_for(
        lambda: [e["reason"] for e in events(kube, namespace, name)] == reasons,
        within,
        message=f"events of {name}: {[e['reason'] for e in events(kube, namespace, name)]}",
    )
    return events(kube, namespace, name)


def writes(kube: KubeApiDouble) -> list[Any]:
    """Recorded write calls, without leader-election Lease traffic."""
    return [r for r in kube.writes() if "/leases" not in r.path]


@contextlib.asynccontextmanager
async def deployment_controller(kube: KubeApiDouble) -> AsyncIterator[list[str]]:
    """Stand in for the Deployment controller and kubelet: every Deployment whose generation
    is not yet observed gets a ready pod of its template and is reported ready (driven by the
    store's watch, no polling). Yields the names marked, in order."""
    rt = kube.resource("deployments", "apps")
    watcher = kube.store.watch(rt, None, since=None, matches=lambda _: True, bookmarks=False)
    marked: list[str] = []

    async def run() -> None:
        while (item := await watcher.queue.get()) is not None:
            if isinstance(item, int) or item.type == "DELETED":
                continue
            meta, seen = item.obj["metadata"], (item.obj.get("status") or {})
            if seen.get("observedGeneration") == meta.get("generation"):
                continue
            with contextlib.suppress(ApiError):
                registry = meta["name"].removesuffix("-api")
                run_pod(kube, meta["namespace"], registry, ip=pod_ip(), ready=True)
                kube.set_deployment_ready(meta["namespace"], meta["name"])
                marked.append(f"{meta['namespace']}/{meta['name']}")

    task = asyncio.create_task(run())
    try:
        yield marked
    finally:
        kube.store.unwatch(watcher)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def reconciles(op: Operator) -> float:
    """Reconciliations finished by this operator, whatever their result."""
    total = 0.0
    for metric in op.metrics.registry.collect():
        if metric.name == "controller_runtime_reconcile":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total
