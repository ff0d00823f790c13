"""Which pod the operator asks (pure choice: the internal port is on no Service), its URL, and
the pod list against the API double."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from kubernetes_asyncio import client
from mcp_registry_operator.reconcile.serverpods import (
    FORBIDDEN_RETRY,
    NoPod,
    PodFinder,
    PodTarget,
    choose_pod,
    pod_selector,
)
from mcp_registry_operator.reconcile.statusclient import pod_url
from mcp_registry_operator.resources.naming import CONFIG_HASH_ANNOTATION, selector
from mcp_registry_testing.kubeapi import KubeApiDouble

HASH = "abc123"


def pod(
    name: str,
    *,
    created: str = "2026-01-01T00:00:00Z",
    phase: str = "Running",
    ip: str | None = "10.0.0.1",
    config_hash: str = HASH,
    deleting: bool = False,
    ready: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "creationTimestamp": created,
        "annotations": {CONFIG_HASH_ANNOTATION: config_hash},
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:05:00Z"
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    if ip is not None:
        status["podIP"] = ip
    return {"metadata": meta, "status": status}


def test_the_newest_running_pod_of_the_current_config_is_chosen() -> None:
    pods = [
        pod("a", created="2026-01-01T00:00:00Z", ip="10.0.0.1"),
        pod("b", created="2026-01-01T00:02:00Z", ip="10.0.0.2"),
        pod("c", created="2026-01-01T00:01:00Z", ip="10.0.0.3"),
    ]
    assert choose_pod(pods, config_hash=HASH) == PodTarget("b", "10.0.0.2")


@pytest.mark.parametrize(
    "unusable",
    [
        pod("pending", phase="Pending", ip=None),
        pod("pending-with-ip", phase="Pending"),
        pod("no-ip", ip=None),
        pod("empty-ip", ip=""),
        pod("succeeded", phase="Succeeded"),
        pod("failed", phase="Failed"),
        pod("terminating", deleting=True),
        pod("old-config", config_hash="old"),
    ],
    ids=lambda p: p["metadata"]["name"],
)
def test_pods_that_cannot_speak_for_the_current_config_are_skipped(
    unusable: dict[str, Any],
) -> None:
    newer = {**unusable, "metadata": {**unusable["metadata"], "creationTimestamp": "2027-01-01"}}
    assert choose_pod([newer], config_hash=HASH) is None
    assert choose_pod([newer, pod("ok")], config_hash=HASH) == PodTarget("ok", "10.0.0.1")


def test_a_ready_pod_is_chosen_before_a_newer_unready_one() -> None:
    """A ready registry is asked on a pod its Service would route to (a rollout's new pod may
    not serve yet), and on the same one look after look."""
    pods = [
        pod("old-ready", created="2026-01-01T00:00:00Z", ip="10.0.0.1", ready=True),
        pod("new-unready", created="2026-01-01T00:05:00Z", ip="10.0.0.2"),
        pod("older-ready", created="2025-12-31T00:00:00Z", ip="10.0.0.3", ready=True),
    ]
    assert choose_pod(pods, config_hash=HASH) == PodTarget("old-ready", "10.0.0.1")
    assert choose_pod(pods[::-1], config_hash=HASH) == PodTarget("old-ready", "10.0.0.1")


def test_no_pods_no_choice() -> None:
    assert choose_pod([], config_hash=HASH) is None
    assert choose_pod([{}], config_hash=HASH) is None  # nothing a half-written pod could offer


def test_a_tie_on_creation_time_is_broken_by_name() -> None:
    pods = [pod("reg-api-x", ip="10.0.0.1"), pod("reg-api-y", ip="10.0.0.2")]
    assert choose_pod(pods, config_hash=HASH) == PodTarget("reg-api-y", "10.0.0.2")
    assert choose_pod(list(reversed(pods)), config_hash=HASH) == PodTarget("reg-api-y", "10.0.0.2")


@pytest.mark.parametrize(
    ("ip", "url"),
    [
        ("10.244.1.7", "http://10.244.1.7:8081"),
        ("fd00:10:244::7", "http://[fd00:10:244::7]:8081"),
        ("::1", "http://[::1]:8081"),
    ],
)
def test_the_pod_url_brackets_ipv6(ip: str, url: str) -> None:
    assert pod_url(ip) == url


def test_the_selector_is_the_deployments_own() -> None:
    assert pod_selector("reg") == ",".join(f"{k}={v}" for k, v in sorted(selector("reg").items()))
    assert "app.kubernetes.io/instance=reg" in pod_selector("reg").split(",")


def template(registry: str, config_hash: str) -> dict[str, Any]:
    labels = {**selector(registry), "extra": "kept"}
    annotations = {CONFIG_HASH_ANNOTATION: config_hash}
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": {}}


async def test_the_finder_lists_only_this_registrys_pods(kube: KubeApiDouble) -> None:
    kube.run_pod("ns", "reg-api-1", template=template("reg", HASH), ip="10.0.0.1")
    kube.run_pod("ns", "other-api-1", template=template("other", HASH), ip="10.0.0.2")
    kube.run_pod("elsewhere", "reg-api-1", template=template("reg", HASH), ip="10.0.0.3")
    async with client.ApiClient(client.Configuration(host=kube.url)) as api:
        finder = PodFinder(api=api)
        found = await finder.find(namespace="ns", name="reg", config_hash=HASH)
        assert found == PodTarget("reg-api-1", "10.0.0.1")
        assert await finder.find(namespace="ns", name="reg", config_hash="new") is NoPod.NONE
        assert kube.writes("/pods") == []


async def test_a_refused_pod_list_finds_nothing_and_is_tried_again_only_later(
    kube: KubeApiDouble,
) -> None:
    """An operator whose RBAC lacks `pods: list` (an old chart) keeps working as before, does
    not ask (nor warn) at every poll of that registry, and sees a later grant by itself."""
    kube.fail_next("GET", "/pods", 403)
    now = [100.0]
    async with client.ApiClient(client.Configuration(host=kube.url)) as api:
        finder = PodFinder(api=api, clock=lambda: now[0])
        assert await finder.find(namespace="ns", name="reg", config_hash=HASH) is NoPod.NONE
        lists = len([r for r in kube.requests if r.path.endswith("/pods")])
        assert await finder.find(namespace="ns", name="reg", config_hash=HASH) is NoPod.NONE
        assert len([r for r in kube.requests if r.path.endswith("/pods")]) == lists
        other = await finder.find(namespace="ns", name="other", config_hash=HASH)
        assert other is NoPod.NONE
        assert len([r for r in kube.requests if r.path.endswith("/pods")]) == lists + 1
        now[0] += FORBIDDEN_RETRY - 1
        assert await finder.find(namespace="ns", name="reg", config_hash=HASH) is NoPod.NONE
        assert len([r for r in kube.requests if r.path.endswith("/pods")]) == lists + 1
        now[0] += 1  # the grant came meanwhile: listed again, and the pod is found
        kube.run_pod("ns", "reg-api-1", template=template("reg", HASH), ip="10.0.0.1")
        found = await finder.find(namespace="ns", name="reg", config_hash=HASH)
        assert found == PodTarget("reg-api-1", "10.0.0.1")
        assert len([r for r in kube.requests if r.path.endswith("/pods")]) == lists + 2


async def test_a_failed_pod_list_does_not_know(kube: KubeApiDouble) -> None:
    kube.fail_next("GET", "/pods", 500)
    async with client.ApiClient(client.Configuration(host=kube.url)) as api:
        found = await PodFinder(api=api).find(namespace="ns", name="reg", config_hash=HASH)
        assert found is NoPod.UNKNOWN


async def test_a_refusal_is_warned_once_and_later_ones_at_debug(kube: KubeApiDouble) -> None:
    now = [0.0]
    async with client.ApiClient(client.Configuration(host=kube.url)) as api:
        finder = PodFinder(api=api, clock=lambda: now[0])
        with structlog.testing.capture_logs() as logs:
            for _ in range(3):
                kube.fail_next("GET", "/pods", 403)
                assert await finder.find(namespace="ns", name="reg", config_hash=HASH) is NoPod.NONE
                now[0] += FORBIDDEN_RETRY
    levels = [line["log_level"] for line in logs if line["event"] == "server_pods_not_listed"]
    # (debug lines are captured only when no earlier test set the operator's level above it)
    assert [level for level in levels if level != "debug"] == ["warning"]
    assert len([r for r in kube.requests if r.path.endswith("/pods")]) == 3  # tried each time
