"""What only a real API server shows: the operator's writes counted at the API server (none once
a registry is Ready, quantities written as people write them included), the chart's RBAC
enforced by the real authorizer, and the operator's Events in `kubectl describe`."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from mcp_registry_testing.controlplane.cluster import AuditEvent
from mcp_registry_testing.realtier import RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.waiting import wait_for

from .checks import OPERATOR_USER, operator_writes, phase, settle, wait_for_reconciles

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

REPO = Path(__file__).resolve().parents[2]
QUANTITIES = {"requests": {"cpu": 0.5, "memory": "1G"}, "limits": {"cpu": 1, "memory": "1.5Gi"}}
"""Written the way people write them; the API server stores "500m", "1", "1536Mi"."""


async def test_a_ready_registry_costs_no_writes_on_later_reconciles(
    tier: RealTier, seed_report: SeedReport
) -> None:
    docs = copy.deepcopy(tier.sources["13-pod-template.yaml"])
    (registry,) = [d for d in docs if d["kind"] == "MCPRegistry"]
    (container,) = registry["spec"]["podTemplateSpec"]["spec"]["containers"]
    container["resources"] = QUANTITIES
    applied = await tier.apply_seed("13-quantities.yaml", docs, namespace="e2e-quantities")
    await settle(tier, applied)
    for seed in tier.seeds.values():
        await settle(tier, seed)
    registries = len(tier.registries.cache)
    # Writes about the Ready registries: other tests sharing the cluster may meanwhile create
    # or delete registries of their own (the conformance suite's namespaces come and go).
    ready = {
        key.split("/", 1)[0] for key, obj in tier.registries.cache.items() if phase(obj) == "Ready"
    }

    def writes() -> list[AuditEvent]:
        return [e for e in operator_writes(tier, leases=False) if e.namespace in ready]

    # One full round of looks lets writes already under way land; then count a second round.
    await wait_for_reconciles(tier, registries)
    before = len(writes())
    await wait_for_reconciles(tier, 2 * registries)
    during = writes()[before:]
    assert during == [], f"{len(during)} writes by the operator after Ready: {during[:10]}"
    stored = await tier.kube.get(
        f"/apis/apps/v1/namespaces/e2e-quantities/deployments/{applied.registry}-api"
    )
    (server,) = [
        c for c in stored["spec"]["template"]["spec"]["containers"] if c["name"] == "registry-api"
    ]
    assert server["resources"]["requests"] == {"cpu": "500m", "memory": "1G"}
    seed_report.checks.append(
        f"writes (Lease renewals aside) by {OPERATOR_USER} in the API server's audit log over "
        f"{2 * registries} reconciles of {registries} Ready registries: {len(during)}"
    )


def _chart_without(tmp: Path, resource: str, verb: str) -> Path:
    """A copy of the operator chart whose rules lack `verb` on `resource`."""
    chart = tmp / "mcp-registry-operator"
    shutil.copytree(REPO / "charts" / "mcp-registry-operator", chart)
    helpers = chart / "templates" / "_helpers.tpl"
    text = helpers.read_text()
    marker = f'  resources: ["{resource}"]\n  verbs: ['
    at = text.index(marker) + len(marker)
    end = text.index("]", at)
    verbs = [v.strip().strip('"') for v in text[at:end].split(",")]
    assert verb in verbs
    kept = ", ".join(f'"{v}"' for v in verbs if v != verb)
    helpers.write_text(text[:at] + kept + text[end:])
    return chart


async def test_a_verb_missing_from_the_chart_fails_for_real_then_the_chart_rules_work(
    tier: RealTier, seed_report: SeedReport, tmp_path: Path
) -> None:
    """Server-side apply is a patch: without `patch` on deployments the real authorizer
    answers 403 to the operator's own ServiceAccount, and the registry never gets a server."""
    broken = _chart_without(tmp_path, "deployments", "patch")
    await tier.upgrade_operator(broken)
    try:
        docs = tier.sources["12-anonymous.yaml"]
        applied = await tier.apply_seed("12-rbac.yaml", docs, namespace="e2e-rbac")

        def forbidden() -> list[AuditEvent]:
            return [
                e for e in operator_writes(tier)
                if e.code == 403 and e.resource == "deployments" and e.namespace == "e2e-rbac"
            ]  # fmt: skip

        refused = await wait_for(forbidden, timeout=60, interval=0.2, message="no 403 seen")
        assert refused[0].verb == "patch"
        assert phase(tier.registry("e2e-rbac", applied.registry)) != "Ready"
    finally:
        await tier.upgrade_operator(REPO / "charts" / "mcp-registry-operator")
    await settle(tier, applied)
    seed_report.checks.append(
        f"chart rules without patch on deployments: {len(refused)} x 403 from the real "
        f"authorizer for {OPERATOR_USER}; with the chart's rules: Ready"
    )


async def test_kubectl_describe_shows_the_operators_events(
    tier: RealTier, seed_report: SeedReport
) -> None:
    applied = tier.seeds["02-git.yaml"]
    await settle(tier, applied)
    ns, name = applied.namespace, applied.registry

    async def described() -> str | None:
        text = await tier.kubectl("describe", "mcpregistry", name, "-n", ns)
        events = text.split("Events:", 1)[-1]
        return text if "mcp-registry-operator" in events or "Ready" in events else None

    text = await wait_for(described, timeout=60, interval=0.5, message="no Events in describe")
    events = text.split("Events:", 1)[1].strip().splitlines()
    assert events[0].split()[:3] == ["Type", "Reason", "Age"], events
    seed_report.checks.append(f"kubectl describe mcpregistry {ns}/{name}: {events[2:4]}")
