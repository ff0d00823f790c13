"""Sync state mirrored from the server's status endpoint (Syncing, Ready, SyncFailed, Synced) and
the sync-trigger annotation, against the API double and a fake status endpoint reached on the
pods' IPs (the internal port is on no Service), ready or not (a failed first sync)."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.mcpregistry import SYNC_TRIGGER_ANNOTATION
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for

from .operator_harness import (
    FakeServers,
    complete,
    condition,
    create,
    events,
    make_ready,
    operator,
    reconciles,
    registries_rt,
    registry,
    run_unready_pod,
    seed,
    status,
    wait_phase,
    writes,
)

NS = "default"


def last_event(kube: KubeApiDouble) -> list[str]:
    """The reason of the newest event about `reg`, as a list (empty before the first)."""
    return [e["reason"] for e in events(kube, NS, "reg")][-1:]


def annotate(kube: KubeApiDouble, name: str, value: str) -> None:
    obj = registry(kube, NS, name)
    obj["metadata"].setdefault("annotations", {})[SYNC_TRIGGER_ANNOTATION] = value
    kube.store.update(registries_rt(kube), NS, name, obj)


def syncing(name: str) -> dict[str, object]:
    return {"name": name, "phase": "Syncing", "message": "Waiting for the first sync",
            "attemptCount": 1, "lastAttempt": "2026-01-01T00:00:00Z", "serverCount": 0}  # fmt: skip


def failed(name: str, *, synced_before: bool) -> dict[str, object]:
    return {
        **complete(name),
        "phase": "Failed",
        "message": "Fetch failed: HTTP 503 from https://example.com/registry.json",
        "attemptCount": 2,
        "lastSyncTime": "2026-01-01T00:00:00Z" if synced_before else None,
    }


async def test_first_sync_shows_syncing_then_ready(kube: KubeApiDouble, fake: FakeServers) -> None:
    fake.server(NS, "reg").sources["toolhive"] = syncing("toolhive")
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        st = await wait_phase(kube, NS, "reg", "Syncing")
        assert "url" not in st
        assert st["syncStatus"]["phase"] == "Syncing"
        assert condition(kube, NS, "reg", "Synced")["reason"] == "Syncing"
        assert "toolhive" in condition(kube, NS, "reg", "Ready")["message"]
        fake.server(NS, "reg").sources["toolhive"] = complete("toolhive", count=7)
        st = await wait_phase(kube, NS, "reg", "Ready")  # found by polling: no event says so
        assert st["syncStatus"]["serverCount"] == 7
        assert condition(kube, NS, "reg", "Synced")["status"] == "True"


async def test_a_failed_sync_with_data_keeps_ready_and_says_so(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        await wait_phase(kube, NS, "reg", "Ready")
        fake.server(NS, "reg").sources["toolhive"] = failed("toolhive", synced_before=True)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]  # a steady-state look
        await wait_for(lambda: condition(kube, NS, "reg", "Synced").get("status") == "False")
        st = status(kube, NS, "reg")
        assert st["phase"] == "Ready"
        assert "the last good data is still served" in st["message"]
        assert st["syncStatus"]["phase"] == "Failed"
        assert st["syncStatus"]["sources"][0]["attemptCount"] == 2
        await wait_for(lambda: last_event(kube) == ["SyncFailed"])
        assert events(kube, NS, "reg")[-1]["type"] == "Warning"


async def test_a_failed_first_sync_fails_the_registry(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    fake.server(NS, "reg").sources["toolhive"] = failed("toolhive", synced_before=False)
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        st = await wait_phase(kube, NS, "reg", "Failed")
        ready = condition(kube, NS, "reg", "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "SyncFailed")
        assert "HTTP 503" in st["message"]
        assert "registry 'default' has no data" in st["message"]
        fake.server(NS, "reg").sources["toolhive"] = complete("toolhive")
        await wait_phase(kube, NS, "reg", "Ready")


async def test_an_unreachable_status_endpoint_keeps_pending_then_recovers(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    fake.down.add((NS, "reg"))
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        await wait_for(lambda: condition(kube, NS, "reg", "Synced").get("status") == "Unknown")
        st = status(kube, NS, "reg")
        assert st["phase"] == "Pending"
        assert "status endpoint did not answer" in st["message"]
        fake.down.clear()
        await wait_phase(kube, NS, "reg", "Ready")


async def test_a_new_sync_trigger_syncs_every_synced_source_once_and_is_recorded(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    server = fake.server(NS, "reg")
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        await wait_phase(kube, NS, "reg", "Ready")
        annotate(kube, "reg", "1700000000")
        await wait_for(lambda: status(kube, NS, "reg").get("lastManualSyncTrigger") == "1700000000")
        assert server.syncs == ["toolhive"]  # the kubernetes `default` source is not synced
        calls = fake.status_calls
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: fake.status_calls > calls)
        assert server.syncs == ["toolhive"]
        annotate(kube, "reg", "1700000001")
        await wait_for(lambda: status(kube, NS, "reg").get("lastManualSyncTrigger") == "1700000001")
        assert server.syncs == ["toolhive", "toolhive"]


async def test_a_sync_trigger_waits_while_the_server_is_unreachable(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    server = fake.server(NS, "reg")
    async with operator(kube, fake):
        obj = seed("01-minimal", name="reg")
        obj["metadata"]["annotations"] = {SYNC_TRIGGER_ANNOTATION: "now"}
        fake.down.add((NS, "reg"))
        create(kube, obj)
        await make_ready(kube, NS, "reg")
        await wait_for(lambda: condition(kube, NS, "reg", "Synced").get("status") == "Unknown")
        assert "lastManualSyncTrigger" not in status(kube, NS, "reg")
        assert server.syncs == []
        fake.down.clear()
        await wait_for(lambda: status(kube, NS, "reg").get("lastManualSyncTrigger") == "now")
        assert server.syncs == ["toolhive"]


def git_failed(name: str) -> dict[str, object]:
    """A git source whose first sync failed: the path is not in the repository."""
    return {
        **failed(name, synced_before=False),
        "message": "Fetch failed: git: path 'missing/registry.json' not found at refs/heads/main",
        "serverCount": 0,
    }


async def test_a_failed_first_sync_on_an_unready_pod_fails_the_registry_then_recovers(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """As in a cluster: the server's readiness waits for data, so the Deployment never gets a
    ready pod; the operator asks the pod on its IP."""
    server = fake.server(NS, "reg")
    server.sources["toolhive"] = syncing("toolhive")
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.7")
        st = await wait_phase(kube, NS, "reg", "Syncing")  # the first sync, on an unready pod
        assert (st["phase"], condition(kube, NS, "reg", "Ready")["reason"]) == (
            "Syncing",
            "Syncing",
        )
        assert "url" not in st
        server.sources["toolhive"] = git_failed("toolhive")
        st = await wait_phase(kube, NS, "reg", "Failed")
        ready = condition(kube, NS, "reg", "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "SyncFailed")
        assert "sync of source 'toolhive' failed" in st["message"]
        assert "path 'missing/registry.json' not found" in st["message"]
        assert "registry 'default' has no data" in st["message"]
        assert st["readyReplicas"] == 0
        assert "url" not in st
        assert st["syncStatus"]["phase"] == "Failed"
        assert condition(kube, NS, "reg", "Synced")["reason"] == "SyncFailed"
        assert set(fake.pod_calls) == {"10.244.0.7"}
        await wait_for(lambda: last_event(kube) == ["SyncFailed"])
        assert events(kube, NS, "reg")[-1]["type"] == "Warning"
        # fixed (a retry found the data): the probe passes
        server.sources["toolhive"] = complete("toolhive", count=4)
        kube.set_deployment_ready(NS, "reg-api")
        st = await wait_phase(kube, NS, "reg", "Ready")
        assert st["syncStatus"]["serverCount"] == 4
        assert st["url"] == "http://reg-api.default.svc.cluster.local:8080"


async def test_an_unready_pod_whose_registries_have_data_keeps_pending(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """Ready comes from the Deployment, never from one pod's word; a sync trigger the pod
    took is recorded, and not sent again at the next look."""
    server = fake.server(NS, "reg")
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.8")
        await wait_for(lambda: len(fake.pod_calls) >= 2)
        st = status(kube, NS, "reg")
        assert (st["phase"], condition(kube, NS, "reg", "Ready")["reason"]) == (
            "Pending",
            "NotReady",
        )
        annotate(kube, "reg", "once")
        await wait_for(lambda: status(kube, NS, "reg").get("lastManualSyncTrigger") == "once")
        calls = len(fake.pod_calls)
        await wait_for(lambda: len(fake.pod_calls) > calls + 1)  # two more looks at the pod
        assert server.syncs == ["toolhive"]
        assert status(kube, NS, "reg")["phase"] == "Pending"


async def test_a_ready_registry_is_asked_on_its_pod_ip_never_through_a_service(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="fd00:10:244::9")
        kube.set_deployment_ready(NS, "reg-api")
        st = await wait_phase(kube, NS, "reg", "Ready")
        assert st["syncStatus"]["serverCount"] == 3
        assert st["url"] == "http://reg-api.default.svc.cluster.local:8080"
        assert set(fake.pod_calls) == {"fd00:10:244::9"}


async def test_a_failed_pod_list_while_ready_writes_nothing(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """The pods are listed at every look now: a failed list says nothing new about a Ready
    registry (no Pending and back per glitch)."""
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        await wait_phase(kube, NS, "reg", "Ready")
        await wait_for(lambda: [e["reason"] for e in events(kube, NS, "reg")] == ["Ready"])
        before = len(writes(kube))
        kube.fail_next("GET", "/pods", 500)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: kube.faults.pending() == 0)
        calls = len(fake.pod_calls)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: len(fake.pod_calls) > calls)
        assert len(writes(kube)) == before, [w.path for w in writes(kube)[before:]]
        assert status(kube, NS, "reg")["phase"] == "Ready"


async def test_a_ready_deployment_without_a_pod_to_ask_is_status_unavailable(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await wait_for(lambda: status(kube, NS, "reg").get("phase") == "Pending")
        kube.set_deployment_ready(NS, "reg-api")  # ready, yet no pod of its template runs
        await wait_for(lambda: condition(kube, NS, "reg", "Synced").get("status") == "Unknown")
        st = status(kube, NS, "reg")
        assert st["phase"] == "Pending"
        assert "no Running pod of the current config" in st["message"]
        assert fake.pod_calls == []


async def test_a_sync_trigger_reaches_an_unready_pod(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """The troubleshooting guide's "sync now, to see the error at once" works on a registry
    whose first sync failed."""
    server = fake.server(NS, "reg")
    server.sources["toolhive"] = git_failed("toolhive")
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.10")
        await wait_phase(kube, NS, "reg", "Failed")
        annotate(kube, "reg", "retry-1")
        await wait_for(lambda: status(kube, NS, "reg").get("lastManualSyncTrigger") == "retry-1")
        assert server.syncs == ["toolhive"]


async def look(op: Any, fake: FakeServers, server: Any, source: dict[str, object]) -> None:
    """Let the server report `source`, and wait for two looks at it (one enqueued, one more)."""
    server.sources[str(source["name"])] = source
    calls = len(fake.pod_calls)
    op.controller.enqueue("default/reg")
    await wait_for(lambda: len(fake.pod_calls) >= calls + 2)


async def test_a_failed_first_sync_being_retried_stays_failed_without_new_events(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """The server retries with backoff and reports each attempt as Syncing with attemptCount
    + 1: the registry stays Failed/SyncFailed, with one event in all."""
    server = fake.server(NS, "reg")
    error = git_failed("toolhive")
    server.sources["toolhive"] = {**error, "attemptCount": 1}
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.11")
        await wait_phase(kube, NS, "reg", "Failed")
        await wait_for(lambda: [e["reason"] for e in events(kube, NS, "reg")] == ["SyncFailed"])
        message = status(kube, NS, "reg")["message"]
        for attempt in range(2, 6):
            when = f"2026-01-01T00:0{attempt}:00Z"
            retry = {**error, "phase": "Syncing", "message": "Sync in progress (retry)",
                     "attemptCount": attempt, "lastAttempt": when}  # fmt: skip
            for source in (retry, {**error, "attemptCount": attempt}):
                await look(op, fake, server, source)
                st = status(kube, NS, "reg")
                assert st["syncStatus"]["sources"][0]["phase"] == source["phase"]
                assert (st["phase"], st["message"]) == ("Failed", message)
                assert condition(kube, NS, "reg", "Synced")["reason"] == "SyncFailed"
        assert [e["reason"] for e in events(kube, NS, "reg")] == ["SyncFailed"]


async def test_a_glitch_while_failed_writes_nothing(kube: KubeApiDouble, fake: FakeServers) -> None:
    """A failed pod list (500) or a pod that does not answer leaves a Failed registry as it
    is: no Pending and back (4 writes and 2 events per glitch)."""
    server = fake.server(NS, "reg")
    server.sources["toolhive"] = git_failed("toolhive")
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.12")
        await wait_phase(kube, NS, "reg", "Failed")
        await wait_for(lambda: [e["reason"] for e in events(kube, NS, "reg")] == ["SyncFailed"])
        before = len(writes(kube))
        kube.fail_next("GET", "/pods", 500)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: kube.faults.pending() == 0)
        fake.down.add((NS, "reg"))  # the pod does not answer
        calls = len(fake.pod_calls)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: len(fake.pod_calls) > calls)
        fake.down.clear()
        calls = len(fake.pod_calls)
        op.controller.enqueue("default/reg")  # type: ignore[arg-type]
        await wait_for(lambda: len(fake.pod_calls) > calls)
        assert len(writes(kube)) == before, [w.path for w in writes(kube)[before:]]
        assert status(kube, NS, "reg")["phase"] == "Failed"


async def test_no_pod_list_while_the_deployment_has_no_pods(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake) as op:
        create(kube, seed("01-minimal", name="reg"))
        await wait_phase(kube, NS, "reg", "Pending")
        done = reconciles(op)
        await wait_for(lambda: reconciles(op) >= done + 3)  # three more polls
        assert not [r for r in kube.requests if r.path.endswith("/pods")]


async def test_a_mirrored_sync_error_never_carries_url_credentials(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """An older server's /status may quote a URL with its credentials: the MCPRegistry's
    status (readable by anyone who can read the object), conditions and events show it
    redacted."""
    leaky = "https://bot:pw-4e1d@blob.example/r.json?sv=2024&sig=sig-88aa"
    report = {
        **failed("toolhive", synced_before=False),
        "message": f"Fetch failed: HTTP 403 {leaky}",
    }
    fake.server(NS, "reg").sources["toolhive"] = report
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await make_ready(kube, NS, "reg")
        st = await wait_phase(kube, NS, "reg", "Failed")
        await wait_for(lambda: last_event(kube) == ["SyncFailed"])
        shown = "https://REDACTED@blob.example/r.json?sv=REDACTED&sig=REDACTED"
        assert st["syncStatus"]["sources"][0]["message"] == f"Fetch failed: HTTP 403 {shown}"
        written = repr([registry(kube, NS, "reg"), events(kube, NS, "reg")])
        assert shown in written
        for secret in ("pw-4e1d", "sig-88aa", "sv=2024"):
            assert secret not in written
