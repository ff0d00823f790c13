"""Write economy and resilience: no-op resyncs cost nothing, a restarted operator converges
without duplicates, drift is repaired, apiserver errors and lost watches are survived."""

from __future__ import annotations

from mcp_registry_operator.kube import CONFIG_MAPS
from mcp_registry_operator.kube.applying import apply_object
from mcp_registry_operator.kube.connecting import client_for
from mcp_registry_operator.reconcile.kinds import OWNED
from mcp_registry_operator.runtime.keys import object_key
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for

from .operator_harness import (
    FakeServers,
    create,
    deployment,
    deployment_controller,
    events,
    exists,
    make_ready,
    operator,
    reconciles,
    seed,
    settings,
    status,
    wait_phase,
    writes,
)

NS = "default"


async def test_the_double_keeps_the_resource_version_of_a_no_op_apply(
    kube: KubeApiDouble,
) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": NS, "labels": {"a": "b"}},
        "data": {"k": "v"},
    }
    async with client_for(kube.url) as api:
        first = await apply_object(api, CONFIG_MAPS, body, field_manager="mgr")
        again = await apply_object(api, CONFIG_MAPS, body, field_manager="mgr")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def ready_events(kube: KubeApiDouble) -> int:
    found = kube.objects("events", group="events.k8s.io", namespace=NS)
    return sum(1 for e in found if e["reason"] == "Ready")


def all_ready(kube: KubeApiDouble, names: list[str]) -> bool:
    return all(status(kube, NS, n).get("phase") == "Ready" for n in names)


async def test_a_steady_state_resync_of_200_registries_writes_nothing(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    names = [f"reg-{i:03d}" for i in range(200)]
    async with deployment_controller(kube):
        async with operator(kube, fake):
            for name in names:
                create(kube, seed("01-minimal", name=name))
            await wait_for(lambda: all_ready(kube, names), 60.0, interval=0.1)
            await wait_for(lambda: ready_events(kube) == len(names), 10.0, interval=0.1)
        converged = len(writes(kube))
        assert converged <= 11 * len(names)  # ten, and the internal-token Secret
        # a new operator (cold caches: a full resync), then a periodic resync of every key
        async with operator(kube, fake) as op:
            await wait_for(lambda: reconciles(op) >= len(names), 30.0, interval=0.05)
            for obj in op.informers["MCPRegistry"].list():
                op.controller.enqueue(object_key(obj))
            await wait_for(lambda: reconciles(op) >= 2 * len(names), 30.0, interval=0.05)
            assert len(writes(kube)) == converged
    assert len(kube.objects("deployments", group="apps", namespace=NS)) == len(names)


async def test_a_restarted_operator_converges_without_duplicates_or_rewrites(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await wait_phase(kube, NS, "reg", "Pending")
    before = len(writes(kube))
    await make_ready(kube, NS, "reg")
    async with operator(kube, fake) as op:
        await wait_phase(kube, NS, "reg", "Ready")
        await wait_for(lambda: [e["reason"] for e in events(kube, NS, "reg")] == ["Ready"])
        # the counter is bumped when reconcile() returns, after its status and event writes
        await wait_for(lambda: reconciles(op) >= 1)
    after = [w.path for w in writes(kube)[before:]]
    assert after == [  # only the new status and its event: no object was applied again
        "/apis/toolhive.stacklok.dev/v1alpha1/namespaces/default/mcpregistries/reg/status",
        "/apis/events.k8s.io/v1/namespaces/default/events",
    ]
    for kind, resource in OWNED.items():
        if kind != "Secret":
            group = resource.group
            assert len(kube.objects(resource.plural, group=group, namespace=NS)) == 1, kind


async def test_drift_and_deleted_children_are_repaired(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        await wait_phase(kube, NS, "reg", "Ready")
        edited = deployment(kube, NS, "reg")
        image = edited["spec"]["template"]["spec"]["containers"][0]["image"]
        edited["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest"
        kube.store.update(kube.resource("deployments", "apps"), NS, "reg-api", edited)
        kube.store.delete(kube.resource("services"), NS, "reg-api")
        await wait_for(lambda: exists(kube, "services", NS, "reg-api"), 10.0)
        await wait_for(
            lambda: (
                deployment(kube, NS, "reg")["spec"]["template"]["spec"]["containers"][0]["image"]
                == image
            ),
            10.0,
        )


async def test_apiserver_errors_dropped_watches_and_expired_history_converge(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    kube.fail_next("GET", r"/mcpregistries$", 500, count=2)  # the informer's first lists
    kube.fail_next("PATCH", r"/deployments/reg-api$", 500, count=2)
    kube.fail_next("PATCH", r"/mcpregistries/reg/status$", 503, count=1)
    kube.fail_next("PATCH", r"/services/reg-api$", 429, count=1, retry_after=1)
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await wait_for(lambda: exists(kube, "services", NS, "reg-api"), 15.0)
        kube.drop_watches()
        kube.expire_history()  # resumes get 410 Gone: the informers re-list
        await make_ready(kube, NS, "reg")
        await wait_phase(kube, NS, "reg", "Ready", within=15.0)
    assert kube.faults.pending() == 0
    assert all(e["type"] == "Normal" for e in events(kube, NS, "reg"))  # no Failed for a blip


async def test_a_watch_namespace_restricts_every_informer(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    config = settings(namespaces=("team-a",))
    async with operator(kube, fake, config) as op:
        create(kube, seed("01-minimal", name="reg", namespace="team-a"))
        create(kube, seed("01-minimal", name="reg", namespace="team-b"))
        await make_ready(kube, "team-a", "reg")
        await wait_phase(kube, "team-a", "reg", "Ready")
        await wait_for(lambda: all(i.synced.is_set() for i in op.informers.values()))
    assert status(kube, "team-b", "reg") == {}
    assert not exists(kube, "deployments", "team-b", "reg-api", "apps")
    listed = {r.path for r in kube.requests if r.method == "GET" and "watch=" not in r.query}
    assert listed
    assert all("/namespaces/team-a/" in p for p in listed if "/status" not in p)
