"""A slow first sync shows: the server's readiness gate keeps its pod unready while the
source is fetched, and the operator, asking that pod, shows Pending → Syncing → Ready
(docs/operator.md, Status)."""

from __future__ import annotations

import pytest
from mcp_registry_testing.realtier import RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.seedservices import UPSTREAM_HELD_FILE
from mcp_registry_testing.waiting import wait_for

from .checks import SETTLE_TIMEOUT, condition, diagnose, outcome, phase, settle

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]


def slow_registry(endpoint: str) -> dict[str, object]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPRegistry",
        "metadata": {"name": "slow-first-sync"},
        "spec": {
            "sources": [
                {
                    "name": "slow",
                    "format": "upstream",
                    "url": {"endpoint": endpoint, "timeout": "5m"},
                    "syncPolicy": {"interval": "1h"},
                }
            ],
            "registries": [{"name": "default", "sources": ["slow"]}],
        },
    }


async def test_a_slow_first_sync_shows_syncing_then_ready(
    tier: RealTier, seed_report: SeedReport
) -> None:
    upstream = tier.services.upstream
    assert upstream is not None
    ns = "e2e-slow-sync"
    docs = [slow_registry(UPSTREAM_HELD_FILE)]
    applied = await tier.apply_seed("slow-first-sync.yaml", docs, namespace=ns)
    name = applied.registry
    note = "upstream held until Syncing showed, then released"
    servers: int | None = None
    try:
        await wait_for(
            lambda: phase(tier.registry(ns, name)) == "Syncing",
            timeout=SETTLE_TIMEOUT,
            interval=0.1,
            message=f"never Syncing:\n{diagnose(tier, ns, name)}",
        )
        st = (tier.registry(ns, name) or {}).get("status") or {}
        assert condition(tier.registry(ns, name)).get("reason") == "Syncing", st
        assert "slow" in st["message"], st
        assert "url" not in st, st
        assert not tier.deployment_pods(ns, f"{name}-api").ready, "the readiness gate let go"
        upstream.held.set()
        await settle(tier, applied)
        seen = tier.phases.phases(ns, name)
        assert seen[-2:] == ("Syncing", "Ready"), seen
        assert "Pending" not in seen[seen.index("Syncing") :], seen
        url = ((tier.registry(ns, name) or {}).get("status") or {})["url"]
        status, body = await tier.get_json(f"{url}/registry/default/v0.1/servers?limit=100")
        assert status == 200, body
        servers = len(body["servers"])
    except AssertionError as exc:
        note = f"FAILED: {str(exc).splitlines()[0]}"
        raise
    finally:
        upstream.held.set()
        seed_report.add(outcome(tier, applied, servers=servers, note=note))
