"""Install the minimal ToolHive CRDs a `kubernetes` source watches (MCPServer,
VirtualMCPServer, MCPRemoteProxy; `testdata/kubernetes-source/`) and wait until established."""

from __future__ import annotations

from pathlib import Path

import yaml

from mcp_registry_testing.controlplane.client import KubeClient
from mcp_registry_testing.waiting import wait_for

CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


async def install_toolhive_crds(kube: KubeClient, manifest: Path, *, timeout: float = 30) -> None:
    """Create each CRD of `manifest` unless present; return once all are Established."""
    for crd in yaml.safe_load_all(manifest.read_text()):
        if crd is None:
            continue
        name = crd["metadata"]["name"]
        if await kube.get_or_none(f"{CRDS_PATH}/{name}") is None:
            await kube.create(CRDS_PATH, crd)

        async def established(name: str = name) -> bool:
            got = await kube.get(f"{CRDS_PATH}/{name}")
            conditions = (got.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

        await wait_for(established, timeout=timeout, interval=0.1)
