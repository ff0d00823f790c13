"""What the e2e tier's tests look at: a registry's phase and conditions, waiting for Ready,
and everything worth reading when it does not get there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import yaml
from mcp_registry_testing.controlplane.cluster import AuditEvent
from mcp_registry_testing.pods import Pod
from mcp_registry_testing.realtier import (
    OPERATOR_NAMESPACE,
    OPERATOR_RELEASE,
    AppliedSeed,
    RealTier,
)
from mcp_registry_testing.seedreport import SeedOutcome
from mcp_registry_testing.waiting import WaitTimeoutError, wait_for

SETTLE_TIMEOUT = 120.0
OPERATOR_USER = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{OPERATOR_RELEASE}"


def condition(obj: Mapping[str, Any] | None, kind: str = "Ready") -> Mapping[str, Any]:
    for item in ((obj or {}).get("status") or {}).get("conditions") or []:
        if item.get("type") == kind:
            return dict(item)
    return {}


def phase(obj: Mapping[str, Any] | None) -> str | None:
    return ((obj or {}).get("status") or {}).get("phase")


def diagnose(tier: RealTier, namespace: str, name: str) -> str:
    """Everything worth reading when a registry did not get where it should."""
    obj = tier.registry(namespace, name)
    record = tier.deployment_pods(namespace, f"{name}-api")
    lines = [
        f"registry {namespace}/{name}: status {yaml.safe_dump((obj or {}).get('status'))}",
        f"phases seen: {tier.phases.phases(namespace, name)}",
        f"node agent: starts={record.starts} failures={record.failures[-3:]}",
    ]
    if record.pod is not None:
        lines.append(f"server log:\n{record.pod.process.tail(15)}")
    lines.append(f"operator log:\n{tier.operator_log()}")
    return "\n".join(lines)


def outcome(tier: RealTier, applied: AppliedSeed, *, servers: int | None, note: str) -> SeedOutcome:
    """The state the seed's registry is in now, for the report."""
    ns, name = applied.namespace, applied.registry
    obj = tier.registry(ns, name)
    ready = condition(obj)
    first_ready = tier.phases.first(ns, name, "Ready")
    return SeedOutcome(
        manifest=applied.manifest,
        registry=f"{ns}/{name}",
        phase=str(phase(obj)),
        ready=f"{ready.get('status')}/{ready.get('reason')}",
        servers=servers,
        seconds_to_ready=None if first_ready is None else first_ready - applied.applied_at,
        phases_seen=tier.phases.phases(ns, name),
        note=note,
    )


async def settle(tier: RealTier, applied: AppliedSeed) -> None:
    """Wait until the registry is Ready; fail with everything worth reading when it is not."""
    ns, name = applied.namespace, applied.registry
    try:
        await wait_for(
            lambda: phase(tier.registry(ns, name)) == "Ready", timeout=SETTLE_TIMEOUT, interval=0.1
        )
    except WaitTimeoutError:
        detail = diagnose(tier, ns, name)
        raise AssertionError(f"{applied.manifest} never became Ready:\n{detail}") from None


def operator_writes(tier: RealTier, *, leases: bool = True) -> list[AuditEvent]:
    """The operator's writes; `leases=False` leaves out its leader-election heartbeat (a Lease
    renewal every few seconds, whatever the registries do)."""
    return [
        e for e in tier.cluster.audit()
        if e.user == OPERATOR_USER and (leases or e.resource != "leases")
    ]  # fmt: skip


async def reconciles(tier: RealTier) -> float:
    """controller_runtime_reconcile_total of the operator pod, summed over results."""
    pod = tier.operator.running
    assert pod is not None, "the operator pod is not running"
    url = f"http://127.0.0.1:{pod.ports[8081]}/metrics"
    async with aiohttp.ClientSession(trust_env=False) as session, session.get(url) as reply:
        text = await reply.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("controller_runtime_reconcile_total{")
    )


async def wait_for_reconciles(tier: RealTier, count: int) -> None:
    """Until the operator has run `count` more reconciles (its steady looks come every 5 s)."""
    start = await reconciles(tier)

    async def done() -> bool:
        return await reconciles(tier) >= start + count

    await wait_for(done, timeout=90, interval=0.5, message=f"fewer than {count} reconciles")


async def wait_for_rollout(tier: RealTier, applied: AppliedSeed, old: Pod) -> Pod:
    """Until a new pod of the registry's server is ready and `old`'s process has exited (the
    real Deployment controller replaced it); the new pod."""
    ns, name = applied.namespace, applied.registry
    pods = tier.deployment_pods(ns, f"{name}-api")

    def rolled() -> Pod | None:
        pod = pods.pod
        return (
            pod
            if pod is not None and pod is not old and old.process.returncode is not None
            else None
        )

    return await wait_for(rolled, timeout=90, interval=0.2, message=diagnose(tier, ns, name))
