"""metav1.Condition bookkeeping: set, keep or remove conditions; the transition time moves
only when a condition's status flips."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

READY = "Ready"
POD_TEMPLATE_VALID = "PodTemplateValid"
SYNCED = "Synced"
ORDER = (READY, POD_TEMPLATE_VALID, SYNCED)
"""Our condition types, in the order they are written (others keep their place after ours)."""

Status = Literal["True", "False", "Unknown"]


@dataclass(frozen=True)
class ConditionSpec:
    """What a condition should say; the transition time and generation are filled in."""

    status: Status
    reason: str
    message: str


def timestamp(now: datetime) -> str:
    """metav1.Time: RFC 3339 in UTC with second precision."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_conditions(
    old: Sequence[Mapping[str, Any]] | None,
    updates: Mapping[str, ConditionSpec | None],
    *,
    generation: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """The new condition list: each type in `updates` is set (or removed when None); types not
    in `updates` are kept as they were."""
    by_type = {str(c.get("type")): dict(c) for c in old or []}
    for kind, spec in updates.items():
        if spec is None:
            by_type.pop(kind, None)
            continue
        previous = by_type.get(kind)
        if previous is not None and previous.get("status") == spec.status:
            since = str(previous.get("lastTransitionTime") or timestamp(now))
        else:
            since = timestamp(now)
        by_type[kind] = {
            "type": kind,
            "status": spec.status,
            "observedGeneration": generation,
            "lastTransitionTime": since,
            "reason": spec.reason,
            "message": spec.message,
        }
    ours = [by_type.pop(kind) for kind in ORDER if kind in by_type]
    return ours + list(by_type.values())


def find(conditions: Sequence[Mapping[str, Any]] | None, kind: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions or [] if c.get("type") == kind), None)
