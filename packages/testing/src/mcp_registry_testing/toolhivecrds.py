"""Install the minimal ToolHive CRDs a `kubernetes` source watches (MCPServer,
VirtualMCPServer, MCPRemoteProxy; `testdata/kubernetes-source/`) and wait until established."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

from mcp_registry_testing.controlplane.client import KubeClient
from mcp_registry_testing.waiting import wait_for

CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


ESTABLISHED_WITHIN = 30.0


async def install_toolhive_crds(kube: KubeClient, manifest: Path) -> None:
    """Create each CRD of `manifest` unless present; return once all are Established."""
    text = await asyncio.to_thread(manifest.read_text)
    for crd in yaml.safe_load_all(text):
        if crd is None:
            continue
        name = crd["metadata"]["name"]
        if await kube.get_or_none(f"{CRDS_PATH}/{name}") is None:
            await kube.create(CRDS_PATH, crd)

        check: Callable[[], bool | Awaitable[bool]] = functools.partial(_established, kube, name)
        await wait_for(check, timeout=ESTABLISHED_WITHIN, interval=0.1)


async def _established(kube: KubeClient, name: str) -> bool:
    got = await kube.get(f"{CRDS_PATH}/{name}")
    conditions = (got.get("status") or {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)
