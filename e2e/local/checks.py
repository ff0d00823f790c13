"""What the e2e tier's tests look at: a registry's phase and conditions, waiting for Ready,
and everything worth reading when it does not get there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from mcp_registry_testing.realtier import AppliedSeed, RealTier
from mcp_registry_testing.waiting import WaitTimeoutError, wait_for

SETTLE_TIMEOUT = 120.0


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
