"""The kubelet double's failure path: a container that exits before it is ready is restarted
with backoff, its Deployment reports no ready replica, and deleting the Deployment ends it."""

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


@pytest.fixture
async def double() -> AsyncIterator[KubeApiDouble]:
    async with KubeApiDouble() as api:
        yield api


def golden_objects() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(GOLDEN.read_text()) if d}


async def test_a_crashing_container_is_restarted_and_never_reported_ready(
    double: KubeApiDouble, tmp_path: Path
) -> None:
    objects = golden_objects()
    for kind, plural, group in (
        ("ConfigMap", "configmaps", ""),
        ("Deployment", "deployments", "apps"),
    ):
        obj = objects[kind]
        obj["metadata"].pop("ownerReferences")
        double.store.create(double.resource(plural, group), "default", obj)
    dns = ClusterDns(services_of(double))
    runtime = NodeRuntime(
        read=lambda plural, ns, name: double.get(plural, ns, name),
        hosts=lambda host, port: None,
        entrypoint=CRASH,
        port_flags={8080: "--address", 8081: "--internal-address"},
        base_env={},
    )
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
