"""Render `status` from what one reconcile observed (pure), and the merge patch from the
stored status to it (empty when nothing changed, so nothing is written)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from mcp_registry_operator.reconcile.conditions import (
    POD_TEMPLATE_VALID,
    READY,
    SYNCED,
    ConditionSpec,
    merge_conditions,
)
from mcp_registry_operator.reconcile.verdicts import Verdict


class Change(Enum):
    """For a condition that may be set, left as stored, or removed."""

    KEEP = "keep"
    REMOVE = "remove"


@dataclass(frozen=True)
class Observed:
    verdict: Verdict
    generation: int
    ready_replicas: int
    url: str
    """Published in `status.url` while the phase is Ready, removed otherwise."""
    pod_template: ConditionSpec | Change = Change.KEEP
    synced: ConditionSpec | None = None
    """None keeps the stored Synced condition (e.g. while the pods roll)."""
    sync_status: dict[str, Any] | None = None
    """None keeps the stored syncStatus."""
    sync_trigger: str | None = None
    """The sync-trigger annotation value acted on (lastManualSyncTrigger); None keeps it."""


def render_status(
    observed: Observed, *, old: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    old = old or {}
    verdict = observed.verdict
    updates: dict[str, ConditionSpec | None] = {
        READY: ConditionSpec("True" if verdict.ready else "False", verdict.reason, verdict.message)
    }
    if isinstance(observed.pod_template, ConditionSpec):
        updates[POD_TEMPLATE_VALID] = observed.pod_template
    elif observed.pod_template is Change.REMOVE:
        updates[POD_TEMPLATE_VALID] = None
    if observed.synced is not None:
        updates[SYNCED] = observed.synced
    status: dict[str, Any] = {
        "phase": str(verdict.phase),
        "message": verdict.message,
        "observedGeneration": observed.generation,
        "readyReplicas": observed.ready_replicas,
        "conditions": merge_conditions(
            old.get("conditions"), updates, generation=observed.generation, now=now
        ),
    }
    if verdict.ready:
        status["url"] = observed.url
    sync_status = observed.sync_status or old.get("syncStatus")
    if sync_status:
        status["syncStatus"] = sync_status
    trigger = observed.sync_trigger or old.get("lastManualSyncTrigger")
    if trigger:
        status["lastManualSyncTrigger"] = trigger
    return status


def merge_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The RFC 7386 merge patch that turns `old` into `new` (lists are replaced whole);
    empty when they are equal."""
    old = old or {}
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_diff(before, value)
            if nested:
                patch[key] = nested
        elif value != before or key not in old:
            patch[key] = value
    return patch
