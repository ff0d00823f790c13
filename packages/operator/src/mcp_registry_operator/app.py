"""The composition root: wires informers, the reconciler, the controller, leader election and
the health server into one Manager. Reads no argv and no environment (that is cli.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from mcp_registry_common.mcpregistry import API_VERSION, KIND
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    disable_created_metrics,
)

from mcp_registry_operator.kube import ApiClient
from mcp_registry_operator.kube.connecting import connect
from mcp_registry_operator.reconcile.applier import Applier
from mcp_registry_operator.reconcile.askserver import ServerAsker
from mcp_registry_operator.reconcile.caches import Caches
from mcp_registry_operator.reconcile.events import EventSink, KubeEventSink
from mcp_registry_operator.reconcile.index import ReferenceIndex
from mcp_registry_operator.reconcile.internaltoken import InternalTokens
from mcp_registry_operator.reconcile.kinds import MCP_REGISTRIES, OWNED, REFERENCED
from mcp_registry_operator.reconcile.recent import RecentWrites
from mcp_registry_operator.reconcile.reconciler import MCPRegistryReconciler, ReconcilerSettings
from mcp_registry_operator.reconcile.registrywriter import RegistryWriter
from mcp_registry_operator.reconcile.serverpods import PodFinder
from mcp_registry_operator.reconcile.serverstatus import ServerStatusClient
from mcp_registry_operator.reconcile.statusclient import HttpServerStatusClient
from mcp_registry_operator.resources.naming import MANAGED_BY
from mcp_registry_operator.runtime.controller import Controller, ControllerSettings
from mcp_registry_operator.runtime.health import HealthServer
from mcp_registry_operator.runtime.informer import Informer, InformerSettings, KeyHandler
from mcp_registry_operator.runtime.keys import Key, split_key
from mcp_registry_operator.runtime.leader import LeaderElectionSettings, LeaderElector
from mcp_registry_operator.runtime.manager import Manager, ManagerSettings, Runnable
from mcp_registry_operator.runtime.mapping import owner_mapper
from mcp_registry_operator.runtime.metrics import ControllerMetrics

CONTROLLER_NAME = "mcpregistry"
FIELD_MANAGER = "mcp-registry-operator"
"""The one field manager of every server-side apply."""
MANAGED_SELECTOR = f"app.kubernetes.io/managed-by={MANAGED_BY}"
"""Children are listed by this label; referenced Secrets/ConfigMaps cannot be, so those two
kinds are watched whole (in the watched namespaces)."""


@dataclass(frozen=True)
class OperatorSettings:
    reconciler: ReconcilerSettings
    identity: str = "mcp-registry-operator"
    """This replica's name in the Lease and in Events (the pod name)."""
    health_host: str = "0.0.0.0"
    health_port: int = 8081
    leader_election: LeaderElectionSettings | None = None
    """None: no election (a single replica, or tests)."""
    controller: ControllerSettings = field(default_factory=lambda: ControllerSettings(workers=8))
    informer: InformerSettings = field(default_factory=InformerSettings)
    """Namespaces and label selectors are filled in per informer."""
    manager: ManagerSettings = field(default_factory=ManagerSettings)
    recent_write_ttl: float = 30.0
    """How long a write of ours may stand in for a cache that has not caught up."""
    pod_requests_use_proxy: bool = False
    """Whether status requests (always to pod IPs) honour HTTP(S)_PROXY. Off: NO_PROXY lists
    name pod networks as CIDRs, which Python's proxy bypass does not match."""


@dataclass(frozen=True)
class Operator:
    """The composed program; `manager.run()` runs it."""

    manager: Manager
    controller: Controller
    reconciler: MCPRegistryReconciler
    informers: dict[str, Informer]
    """By kind: MCPRegistry and every owned or referenced kind."""
    health: HealthServer
    metrics: ControllerMetrics


def build_operator(
    settings: OperatorSettings,
    *,
    api: ApiClient,
    status_client: ServerStatusClient,
    events: EventSink | None = None,
    metrics_registry: CollectorRegistry | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Operator:
    informers = _informers(api, settings)
    caches = Caches(
        registries=informers["MCPRegistry"],
        by_kind={kind: informers[kind] for kind in OWNED},
    )
    writes = RecentWrites(ttl=settings.recent_write_ttl)
    tokens = InternalTokens(
        api=api, caches=caches, written=RecentWrites(ttl=settings.recent_write_ttl)
    )
    writer_kwargs = {"clock": clock} if clock is not None else {}
    sink = events or KubeEventSink(api, controller=FIELD_MANAGER, instance=settings.identity)
    reconciler = MCPRegistryReconciler(
        caches=caches,
        applier=Applier(api=api, caches=caches, writes=writes, field_manager=FIELD_MANAGER),
        writer=RegistryWriter(
            api=api,
            writes=writes,
            events=sink,
            **writer_kwargs,
        ),
        asker=ServerAsker(pods=PodFinder(api=api), client=status_client),
        tokens=tokens,
        settings=settings.reconciler,
    )
    metrics = ControllerMetrics(metrics_registry or process_registry())
    controller = Controller(
        name=CONTROLLER_NAME,
        reconciler=reconciler,
        primary=informers["MCPRegistry"],
        metrics=metrics,
        settings=settings.controller,
    )
    _wire_watches(controller, informers, [writes, tokens.written])
    health = HealthServer(
        registry=metrics.registry,
        readiness={f"informer:{kind}": inf.synced for kind, inf in informers.items()},
        host=settings.health_host,
        port=settings.health_port,
    )
    elector = (
        LeaderElector(api, settings=settings.leader_election)
        if settings.leader_election is not None
        else None
    )
    runnables: list[Runnable] = [*informers.values(), health, controller]
    manager = Manager(runnables=runnables, elector=elector, settings=settings.manager)
    return Operator(manager, controller, reconciler, informers, health, metrics)


def _informers(api: ApiClient, settings: OperatorSettings) -> dict[str, Informer]:
    """One informer per kind, each limited to the watched namespaces."""
    base = dataclasses.replace(settings.informer, namespaces=settings.reconciler.namespaces)
    informers = {"MCPRegistry": Informer(api, MCP_REGISTRIES, settings=base)}
    for kind, resource in OWNED.items():
        selector = None if kind in REFERENCED else MANAGED_SELECTOR
        informers[kind] = Informer(
            api, resource, settings=dataclasses.replace(base, label_selector=selector)
        )
    return informers


def _wire_watches(
    controller: Controller, informers: dict[str, Informer], writes: Sequence[RecentWrites]
) -> None:
    """Children map to their owner; referenced objects to every registry that uses them; a
    deleted object drops what we remembered writing to it (objects and internal tokens)."""
    index = ReferenceIndex()
    registries = informers["MCPRegistry"]
    registries.subscribe(index.handler(registries.get))
    owners = owner_mapper(api_version=API_VERSION, kind=KIND)
    for kind, informer in informers.items():
        informer.subscribe(_forget_when_deleted(kind, informer, writes))
        if kind == "MCPRegistry":
            continue
        mapper = index.mapper(kind, owners=owners) if kind in REFERENCED else owners
        controller.watch(informer, mapper=mapper)


def _forget_when_deleted(
    kind: str, informer: Informer, writes: Sequence[RecentWrites]
) -> KeyHandler:
    def on_change(key: Key) -> None:
        if informer.get(key) is None:
            namespace, name = split_key(key)
            for remembered in writes:
                remembered.forget(kind, namespace, name)

    return on_change


def process_registry() -> CollectorRegistry:
    """The registry `/metrics` serves: the process, Python platform and garbage-collector
    collectors, as the server's, and no `_created` series (process-wide)."""
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


async def run_operator(
    settings: OperatorSettings, *, in_cluster: bool, kubeconfig: str | None = None
) -> None:
    """Connect, compose and run until SIGTERM/SIGINT (then shut down cleanly). Raises
    LeadershipLostError when the Lease is lost, so the process restarts as a candidate."""
    api = await connect(in_cluster=in_cluster, kubeconfig=kubeconfig)
    # The status client asks pod IPs only: HTTP(S)_PROXY applies when the settings say so.
    async with (
        api,
        aiohttp.ClientSession(trust_env=settings.pod_requests_use_proxy) as session,
    ):
        status_client = HttpServerStatusClient(session)
        operator = build_operator(settings, api=api, status_client=status_client)
        await operator.manager.run_until_signalled()
