"""The kubelet double's failure paths: a container that exits before it is ready is restarted
with backoff, its Deployment reports no ready replica, and deleting the Deployment ends it; a
container that never turns ready still has a Running Pod whose IP reaches it, and a new
template replaces it with exactly one new pod."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_testing.clusterdns import ClusterDns, services_of
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.kubelet import Kubelet
from mcp_registry_testing.pods import NodeRuntime
from mcp_registry_testing.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "packages" / "operator" / "tests" / "golden" / "12-anonymous" / "objects.yaml"
CRASH = (sys.executable, "-c", "import sys; print('config is broken', flush=True); sys.exit(3)")
NEVER_READY = (sys.executable, "-c", "import signal; signal.pause()")
"""Listens on nothing until it is stopped, so its readiness probe never passes (as a server
without data)."""


@pytest.fixture
async def double() -> AsyncIterator[KubeApiDouble]:
    async with KubeApiDouble() as api:
        yield api


def golden_objects() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(GOLDEN.read_text()) if d}


def create_golden(double: KubeApiDouble) -> dict[str, Any]:
    """The golden ConfigMap and Deployment, without owner; returns the Deployment."""
    objects = golden_objects()
    for kind, plural, group in (
        ("ConfigMap", "configmaps", ""),
        ("Deployment", "deployments", "apps"),
    ):
        obj = objects[kind]
        obj["metadata"].pop("ownerReferences")
        double.store.create(double.resource(plural, group), "default", obj)
    return objects["Deployment"]


def runtime_for(double: KubeApiDouble, entrypoint: tuple[str, ...]) -> NodeRuntime:
    return NodeRuntime(
        read=lambda plural, ns, name: double.get(plural, ns, name),
        hosts=lambda host, port: None,
        entrypoint=entrypoint,
        port_flags={8080: "--address", 8081: "--internal-address"},
        base_env={},
    )


async def test_a_crashing_container_is_restarted_and_never_reported_ready(
    double: KubeApiDouble, tmp_path: Path
) -> None:
    create_golden(double)
    dns = ClusterDns(services_of(double))
    runtime = runtime_for(double, CRASH)
    async with Kubelet(double, dns=dns, runtime=runtime, workdir=tmp_path) as kubelet:
        record = await wait_for(lambda: kubelet.record("default", "registry-api"))
        await wait_for(lambda: len(record.failures) >= 2, timeout=20)
        assert "exited with 3" in record.failures[0]
        assert "config is broken" in record.failures[0]
        assert record.pod is None
        status = double.get("deployments", "default", "registry-api", group="apps")["status"]
        assert status["readyReplicas"] == 0
        assert status["conditions"][0] == {
            "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"
        }  # fmt: skip
        assert dns.try_resolve("registry-api.default.svc.cluster.local", 8080) is None
        double.store.delete(double.resource("deployments", "apps"), "default", "registry-api")
        await wait_for(lambda: record.stopped, timeout=20)
    starts = record.starts
    assert starts >= 2


async def test_an_unready_pod_has_an_ip_and_a_new_template_replaces_it_once(
    double: KubeApiDouble, tmp_path: Path
) -> None:
    deployment = create_golden(double)
    dns = ClusterDns(services_of(double))
    runtime = runtime_for(double, NEVER_READY)
    rt = double.resource("deployments", "apps")
    async with Kubelet(double, dns=dns, runtime=runtime, workdir=tmp_path) as kubelet:
        record = await wait_for(lambda: kubelet.record("default", "registry-api"))
        (pod,) = await wait_for(lambda: double.objects("pods", namespace="default"))
        assert pod["metadata"]["name"] == "registry-api-1"
        assert pod["metadata"]["labels"] == deployment["spec"]["template"]["metadata"]["labels"]
        status = pod["status"]
        assert status["phase"] == "Running"
        assert status["conditions"] == [{"type": "Ready", "status": "False"}]
        (started,) = kubelet.pod_ips
        assert dns.resolve(status["podIP"], 8081).port == started.ports[8081]
        assert dns.try_resolve("registry-api.default.svc.cluster.local", 8081) is None
        template = deployment["spec"]["template"]
        template["metadata"]["annotations"]["toolhive.stacklok.dev/config-hash"] = "new"
        double.store.update(rt, "default", "registry-api", deployment)
        names = await wait_for(
            lambda: (
                [p["metadata"]["name"] for p in double.objects("pods", namespace="default")]
                == ["registry-api-2"]
            )
        )
        assert names
        assert record.starts == 2  # not one start per wake-up of a stale "changed" flag
        assert dns.try_resolve(status["podIP"], 8081) is None
        double.store.delete(rt, "default", "registry-api")
        await wait_for(lambda: record.stopped, timeout=20)
        assert double.objects("pods", namespace="default") == []
        assert kubelet.pod_ips == {}
