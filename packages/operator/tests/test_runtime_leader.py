"""Leader election and the manager against the API double: one leader at a time, hand-over on
release, take-over after expiry, loss of the Lease stops the controllers, health endpoints."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest
from kubernetes_asyncio import client
from mcp_registry_operator.kube import CONFIG_MAPS
from mcp_registry_operator.runtime.controller import Controller, Result
from mcp_registry_operator.runtime.health import HealthServer
from mcp_registry_operator.runtime.informer import Informer, InformerSettings
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_operator.runtime.leader import (
    LeaderElectionSettings,
    LeaderElector,
    LeadershipLostError,
)
from mcp_registry_operator.runtime.manager import Manager
from mcp_registry_operator.runtime.metrics import ControllerMetrics
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for
from prometheus_client import CollectorRegistry

from .conftest import running


class Probe:
    """A leader-gated runnable that reports whether it is running."""

    needs_leader_election = True

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.was_cancelled = False

    async def run(self) -> None:
        self.running.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.was_cancelled = True
            self.running.clear()
            raise


def _elector(api: client.ApiClient, identity: str) -> LeaderElector:
    settings = LeaderElectionSettings(
        namespace="ops",
        name="mcp-registry-operator",
        identity=identity,
        lease_duration=1.0,
        renew_deadline=0.6,
        retry_period=0.1,
    )
    return LeaderElector(api, settings=settings)


def _holder(kube: KubeApiDouble) -> str | None:
    try:
        lease = kube.get("leases", "ops", "mcp-registry-operator", group="coordination.k8s.io")
    except Exception:
        return None
    holder: str | None = lease["spec"].get("holderIdentity")
    return holder


def _lease_reads(kube: KubeApiDouble) -> int:
    return sum(1 for r in kube.requests if r.method == "GET" and "/leases/" in r.path)


async def test_one_of_two_managers_leads_and_the_other_takes_over_on_release(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    probes = {"one": Probe(), "two": Probe()}
    managers = {n: Manager(runnables=[p], elector=_elector(api, n)) for n, p in probes.items()}
    async with running(managers["one"].run) as (first,):
        await wait_for(probes["one"].running.is_set)
        async with running(managers["two"].run):
            await wait_for(lambda: _lease_reads(kube) >= 5)  # two is campaigning
            assert _holder(kube) == "one"
            assert not probes["two"].running.is_set()
            loop = asyncio.get_running_loop()
            started = loop.time()
            first.cancel()  # graceful stop: the Lease is released
            await wait_for(probes["two"].running.is_set, timeout=5)
            assert loop.time() - started < 1.0  # no need to wait for the lease to expire
            assert probes["one"].was_cancelled
            assert _holder(kube) == "two"
    lease = kube.get("leases", "ops", "mcp-registry-operator", group="coordination.k8s.io")
    assert lease["spec"].get("holderIdentity") is None  # two released it in turn
    assert lease["spec"]["leaseTransitions"] == 1


async def test_a_crashed_leaders_lease_is_taken_over_only_after_it_expires(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    await _elector(api, "crashed").acquire()  # then never renews or releases
    probe = Probe()
    manager = Manager(runnables=[probe], elector=_elector(api, "standby"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running(manager.run):
        await wait_for(probe.running.is_set, timeout=5)
        assert loop.time() - started >= 0.9
        assert _holder(kube) == "standby"


async def test_losing_the_lease_stops_the_controllers_and_ends_the_manager(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    probe = Probe()
    manager = Manager(runnables=[probe], elector=_elector(api, "solo"))
    async with running(manager.run) as (task,):
        await wait_for(probe.running.is_set)
        kube.fail_next("*", r"/leases/", 500, count=10_000)  # renewals fail from now on
        await wait_for(task.done, timeout=5)
        with pytest.raises(LeadershipLostError):
            task.result()
        assert probe.was_cancelled
        assert not manager.leading.is_set()


class Noop:
    async def reconcile(self, key: Key) -> Result:
        return Result()


async def test_health_endpoints_report_readiness_once_informers_synced_and_expose_metrics(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    registry = CollectorRegistry()
    informer = Informer(api, CONFIG_MAPS, settings=InformerSettings(backoff_base=0.05))
    controller = Controller(
        name="configmaps", reconciler=Noop(), primary=informer, metrics=ControllerMetrics(registry)
    )
    health = HealthServer(
        registry=registry, readiness={"configmaps": informer.synced}, host="127.0.0.1", port=0
    )
    kube.fail_next("GET", r"/configmaps$", 500, count=3)  # keep the informer unsynced a while
    manager = Manager(runnables=[informer, controller, health])
    async with running(manager.run), aiohttp.ClientSession() as http:
        await wait_for(health.started.is_set)
        base = f"http://127.0.0.1:{health.port}"
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/readyz") as resp:
            assert (resp.status, await resp.text()) == (503, "not synced: configmaps")
        await wait_for(informer.synced.is_set)
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 200
        async with http.get(f"{base}/metrics") as resp:
            text = await resp.text()
        assert 'workqueue_depth{name="configmaps"}' in text
        assert resp.headers["Content-Type"].startswith("text/plain")


async def test_sigterm_stops_the_manager_gracefully_and_releases_the_lease(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    probe = Probe()
    manager = Manager(runnables=[probe], elector=_elector(api, "signalled"))
    async with running(manager.run_until_signalled) as (task,):
        await wait_for(probe.running.is_set)
        os.kill(os.getpid(), signal.SIGTERM)
        await wait_for(task.done, timeout=5)
        assert task.exception() is None
    assert probe.was_cancelled
    assert _holder(kube) is None
