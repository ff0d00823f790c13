"""`bench/operator_scale.py --real`: the operator at scale against the real control plane.

Writes are counted where they happen, in the API server's audit log, by the operator's own
ServiceAccount (its Lease renewals aside)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from mcp_registry_testing.controlplane.client import KubeClient
from mcp_registry_testing.controlplane.cluster import ControlPlane, build_binaries, control_plane
from mcp_registry_testing.controlplane.hollownode import HollowNode
from mcp_registry_testing.pods import PortAllocator
from operator_scale import (
    CRD_FILE,
    REPO,
    TIMEOUT,
    operator_process_real,
    registry_doc,
    settle_and_report,
    status_app,
    stop_child,
)

BUILD = REPO / "e2e" / "controlplane" / "build.sh"
ACCOUNT = "bench-operator"
OPERATOR_USER = f"system:serviceaccount:default:{ACCOUNT}"
REGISTRIES = "/apis/toolhive.stacklok.dev/v1alpha1"


async def _operator_token(kube: KubeClient) -> str:
    """A ServiceAccount bound to cluster-admin: the operator's writes carry its name."""
    await kube.create("/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": ACCOUNT}})
    binding = {
        "metadata": {"name": ACCOUNT},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": "default"}],
    }  # fmt: skip
    await kube.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)
    request = {"spec": {"audiences": [], "expirationSeconds": 3600}}
    token = await kube.create(
        f"/api/v1/namespaces/default/serviceaccounts/{ACCOUNT}/token", request
    )
    return str(token["status"]["token"])


async def _install_crd(kube: KubeClient) -> None:
    crd = yaml.safe_load(CRD_FILE.read_text())
    await kube.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}"
    deadline = time.monotonic() + 60
    while True:
        current = await kube.get(path)
        conditions = (current.get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the CRD was never Established")
        await asyncio.sleep(0.1)


async def _wait_healthy(port: int, child: Any) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession(trust_env=False) as session:
        while True:
            if not child.is_alive():
                raise RuntimeError(f"the operator exited {child.exitcode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/readyz") as reply:
                    if reply.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError("the operator never became ready")
            await asyncio.sleep(0.1)


def _operator_writes(cp: ControlPlane) -> list[str]:
    return [
        e.resource + (f"/{e.subresource}" if e.subresource else "")
        for e in cp.audit()
        if e.user == OPERATOR_USER and e.resource != "leases"
    ]


async def _ready_count(kube: KubeClient) -> int:
    items, _ = await kube.list_all(f"{REGISTRIES}/namespaces/bench/mcpregistries")
    return sum(1 for i in items if (i.get("status") or {}).get("phase") == "Ready")


async def run_real(registries: int, workers: int) -> int:
    binaries = build_binaries(BUILD)
    with tempfile.TemporaryDirectory() as tmp, control_plane(binaries, Path(tmp) / "cp") as cp:
        print(f"kube-apiserver {cp.version.get('gitVersion')} (real control plane)")
        async with cp.client() as kube:
            await _install_crd(kube)
            await kube.create("/api/v1/namespaces", {"metadata": {"name": "bench"}})
            kubeconfig = cp.token_kubeconfig(
                Path(tmp) / "operator.kubeconfig", await _operator_token(kube)
            )
            ports: list[int] = []
            status_runner = await status_app(ports)
            health = PortAllocator().allocate()
            child = multiprocessing.get_context("spawn").Process(
                target=operator_process_real,
                args=(str(kubeconfig), f"http://127.0.0.1:{ports[0]}", workers, health),
            )
            try:
                async with HollowNode(kube):
                    child.start()
                    await _wait_healthy(health, child)
                    return await _measure(cp, kube, child, registries)
            finally:
                await stop_child(child)
                await status_runner.cleanup()


async def _measure(cp: ControlPlane, kube: KubeClient, child: Any, registries: int) -> int:
    started = time.monotonic()
    path = f"{REGISTRIES}/namespaces/bench/mcpregistries"
    for first in range(0, registries, 20):
        batch = [registry_doc(f"reg-{i:04d}") for i in range(first, min(first + 20, registries))]
        await asyncio.gather(*(kube.create(path, doc) for doc in batch))
    while (ready := await _ready_count(kube)) < registries:
        if time.monotonic() - started > TIMEOUT:
            print(f"timeout: {ready}/{registries} Ready after {TIMEOUT:.0f} s", file=sys.stderr)
            return 1
        await asyncio.sleep(0.5)
    return await settle_and_report(
        registries, started, lambda: _operator_writes(cp), child, control_plane="real"
    )
