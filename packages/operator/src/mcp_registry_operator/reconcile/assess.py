"""Judge what the Deployment and the server's answer say, together: what to publish, and
whether to look again soon or at the steady pace. Pure.

While the Deployment has no ready pod, a pod's report only tells a failed first sync apart
(only the server can say why its pods stay unready), so that shows as Failed/SyncFailed, not
Pending; any other report leaves the plain not-ready verdict (Pending), as without the pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcp_registry_operator.reconcile.askserver import Asked, Reported, Unanswered
from mcp_registry_operator.reconcile.conditions import ConditionSpec
from mcp_registry_operator.reconcile.serverpods import NoPod
from mcp_registry_operator.reconcile.syncstate import judge_report
from mcp_registry_operator.reconcile.verdicts import (
    DeploymentState,
    Phase,
    Verdict,
    deployment_not_ready,
    status_unavailable,
)

NO_POD_TO_ASK = (
    "no Running pod of the current config has an IP to ask (or the operator may not list pods)"
)


@dataclass(frozen=True)
class Assessment:
    """What to publish; None fields keep what is stored."""

    verdict: Verdict
    synced: ConditionSpec | None = None
    sync_status: dict[str, Any] | None = None
    sync_trigger: str | None = None
    steady: bool = False
    """Nothing is running that polling would see finish: look again at the steady pace."""


def assess(
    asked: Asked, deployment: DeploymentState, *, stored: Mapping[str, Any] | None, generation: int
) -> Assessment | None:
    """`stored`: the registry's status now. None: nothing new to publish (look again soon)."""
    stored = stored or {}
    if not deployment.ready:
        glitch = asked is NoPod.UNKNOWN or isinstance(asked, Unanswered)
        if glitch and _failed_sync(stored, generation):
            return None  # a glitch says nothing new: a Failed registry stays as it is
        if not isinstance(asked, Reported):
            return Assessment(deployment_not_ready())
    elif not isinstance(asked, Reported):
        if asked is NoPod.UNKNOWN and stored.get("observedGeneration") == generation:
            return None  # the pod list failed: that says nothing new about the server
        error = asked.error if isinstance(asked, Unanswered) else NO_POD_TO_ASK
        unknown = ConditionSpec("Unknown", "StatusUnavailable", error)
        return Assessment(status_unavailable(error), synced=unknown)
    judgement = judge_report(asked.report, previous=stored.get("syncStatus"))
    if not deployment.ready and judgement.verdict.phase is not Phase.FAILED:
        # A pod's report only tells a failure apart: a first sync in progress, or data the
        # readiness probe has not seen yet, stays the one "not ready" message (no Pending →
        # Syncing → Pending flapping while pods come up or roll); a trigger the pod took is
        # recorded, so it is not sent again.
        return Assessment(deployment_not_ready(), sync_trigger=asked.trigger)
    # Steady also for a failed first sync on unready pods: its recovery (the pods turn ready)
    # or its fix (a new spec) comes as a watch event, not from polling.
    waits = judgement.verdict.ready or not deployment.ready
    return Assessment(
        judgement.verdict,
        synced=judgement.synced,
        sync_status=judgement.sync_status,
        sync_trigger=asked.trigger,
        steady=waits and not judgement.busy,
    )


def _failed_sync(stored: Mapping[str, Any], generation: int) -> bool:
    """The stored status is Failed/SyncFailed for the current generation."""
    return (
        stored.get("phase") == Phase.FAILED
        and stored.get("observedGeneration") == generation
        and any(
            c.get("type") == "Ready" and c.get("reason") == "SyncFailed"
            for c in stored.get("conditions") or []
        )
    )
