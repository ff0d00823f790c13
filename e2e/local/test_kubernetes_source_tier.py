"""The kubernetes source in the e2e tier: the operator-run server (its pod's service account,
under the Role the operator grants) serves an annotated MCPServer of its namespace through the
`default` source the operator adds, follows an annotation change, and drops it when the
export annotation goes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.kubeexport import DESCRIPTION, EXPORT, URL
from mcp_registry_testing.realtier import RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.toolhivecrds import install_toolhive_crds
from mcp_registry_testing.waiting import wait_for

from .checks import settle

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "testdata" / "kubernetes-source" / "toolhive-crds.yaml"
NAMESPACE = "e2e-kubernetes-source"
SERVED_WITHIN = 30.0
"""Seconds from a change of the MCPServer to the registry API answering with it."""


def mcp_server(description: str) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPServer",
        "metadata": {
            "name": "weather",
            "annotations": {
                EXPORT: "true",
                DESCRIPTION: description,
                URL: f"http://weather.{NAMESPACE}.svc.cluster.local:8080/mcp",
            },
        },
        "spec": {"image": "ghcr.io/example/weather:1.2.3", "transport": "streamable-http"},
    }


async def test_the_operator_run_server_serves_an_annotated_mcpserver(
    tier: RealTier, seed_report: SeedReport
) -> None:
    await install_toolhive_crds(tier.kube, CRDS)
    applied = await tier.apply_seed(
        "12-anonymous.yaml", tier.sources["12-anonymous.yaml"], namespace=NAMESPACE
    )
    await settle(tier, applied)
    status = (tier.registry(NAMESPACE, applied.registry) or {}).get("status") or {}
    url = f"{status['url']}/registry/default/v0.1/servers?limit=100"
    entry = f"com.toolhive.k8s.{NAMESPACE}/weather"

    async def description() -> str | None:
        code, body = await tier.get_json(url)
        assert code == 200, body
        found = [i["server"] for i in body["servers"] if i["server"]["name"] == entry]
        return found[0]["description"] if found else None

    servers = f"/apis/toolhive.stacklok.dev/v1beta1/namespaces/{NAMESPACE}/mcpservers"
    loop_time = asyncio.get_running_loop().time
    started = loop_time()
    await tier.kube.create(servers, mcp_server("Forecasts"))
    await wait_for(lambda: _is(description, "Forecasts"), timeout=SERVED_WITHIN, interval=0.2)
    served_after = loop_time() - started
    await tier.kube.patch(
        f"{servers}/weather", {"metadata": {"annotations": {DESCRIPTION: "Rain, mostly"}}}
    )
    await wait_for(lambda: _is(description, "Rain, mostly"), timeout=SERVED_WITHIN, interval=0.2)
    await tier.kube.patch(f"{servers}/weather", {"metadata": {"annotations": {EXPORT: None}}})
    await wait_for(lambda: _is(description, None), timeout=SERVED_WITHIN, interval=0.2)
    seed_report.checks.append(
        f"kubernetes source on {NAMESPACE}/{applied.registry}: annotated MCPServer served as "
        f"{entry} ({served_after:.1f}s after create), description change followed, "
        "gone once registry-export was removed"
    )


async def _is(read: Any, expected: str | None) -> bool:
    return bool(await read() == expected)
