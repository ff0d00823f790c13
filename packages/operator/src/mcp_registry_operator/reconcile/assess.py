"""Judge what the Deployment and the server's answer say, together: what to publish, and
whether to look again soon or at the steady pace. Pure.

While the Deployment has no ready pod, a pod's report only tells a first sync apart (only the
server can say why its pods stay unready): a failed one shows as Failed/SyncFailed and one in
progress as Syncing, not Pending (`judge_unready`); any other report leaves the plain not-ready
verdict (Pending), as without the pod.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcp_registry_operator.reconcile.askserver import Asked, Reported, Unanswered
from mcp_registry_operator.reconcile.conditions import ConditionSpec
from mcp_registry_operator.reconcile.serverpods import NoPod
from mcp_registry_operator.reconcile.syncstate import judge_report, judge_unready
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
        if glitch and (_failed_sync(stored, generation) or _syncing(stored, generation)):
            return None  # a glitch says nothing new: Failed or Syncing stays as it is
        if not isinstance(asked, Reported):
            return Assessment(deployment_not_ready())
        previous, shown = stored.get("syncStatus"), stored.get("phase")
        judgement = judge_unready(asked.report, previous=previous, shown=shown)
        if judgement is None:
            # No first sync to tell: pods coming up or rolling stay the one "not ready"
            # message; a trigger the pod took is recorded, so it is not sent again.
            return Assessment(deployment_not_ready(), sync_trigger=asked.trigger)
    elif not isinstance(asked, Reported):
        if asked is NoPod.UNKNOWN and stored.get("observedGeneration") == generation:
            return None  # the pod list failed: that says nothing new about the server
        error = asked.error if isinstance(asked, Unanswered) else NO_POD_TO_ASK
        unknown = ConditionSpec("Unknown", "StatusUnavailable", error)
        return Assessment(status_unavailable(error), synced=unknown)
    else:
        judgement = judge_report(asked.report, previous=stored.get("syncStatus"))
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


def _syncing(stored: Mapping[str, Any], generation: int) -> bool:
    """The stored status is Syncing for the current generation."""
    return stored.get("phase") == Phase.SYNCING and stored.get("observedGeneration") == generation


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
