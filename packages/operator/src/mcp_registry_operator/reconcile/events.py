"""Which Events a status change deserves (pure), and the sink that records them.

One event per change: a new phase (reason = the Ready condition's reason, or Terminating; note
= the status message, which also tells about sync and template problems), and a flip of
PodTemplateValid or Synced between two known statuses (reason and message of that condition).
A condition seen for the first time is announced only when it is not True and the phase did
not change with it. The first status of a new object (Pending) is not announced: creation is
not news. A registry stuck until someone acts (a referenced ConfigMap or Secret missing, an
invalid spec or pod template: the Ready reasons in `STUCK`) is always a Warning, also on its
first status and whenever the reason or the message (which names the missing object or the
problem) changes without a new phase; the same problem again is no new event (statuses that
do not change are not written). Notes are built from status messages, which never carry secret
values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mcp_registry_operator.kube import ApiClient
from mcp_registry_operator.kube.events import emit_event
from mcp_registry_operator.reconcile.conditions import POD_TEMPLATE_VALID, READY, SYNCED, find
from mcp_registry_operator.reconcile.verdicts import Phase

EventType = Literal["Normal", "Warning"]
STUCK = frozenset({"ReferenceNotFound", "ValidationFailed"})
"""Ready reasons of a registry that waits for someone to act: announced as Warnings."""


@dataclass(frozen=True)
class EventSpec:
    reason: str
    note: str
    event_type: EventType


def status_events(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[EventSpec]:
    old = old or {}
    events: list[EventSpec] = []
    phase = new.get("phase")
    phase_changed = phase != old.get("phase")
    ready = find(new.get("conditions"), READY) or {}
    was_ready = find(old.get("conditions"), READY) or {}
    stuck = ready.get("reason") in STUCK
    newly_stuck = stuck and _problem(ready) != _problem(was_ready)
    if (phase_changed and (old.get("phase") or phase != Phase.PENDING)) or newly_stuck:
        warning = phase == Phase.FAILED or stuck
        reason = phase if phase == Phase.TERMINATING else ready.get("reason") or phase
        events.append(
            EventSpec(
                str(reason),
                str(new.get("message") or ""),
                "Warning" if warning else "Normal",
            )
        )
    for kind in (POD_TEMPLATE_VALID, SYNCED):
        after = find(new.get("conditions"), kind)
        before = find(old.get("conditions"), kind)
        if after is None:
            continue
        if before is None:
            if phase_changed or after.get("status") == "True":
                continue
        elif before.get("status") == after.get("status"):
            continue
        events.append(
            EventSpec(
                str(after.get("reason")),
                str(after.get("message") or ""),
                "Normal" if after.get("status") == "True" else "Warning",
            )
        )
    return events


def _problem(condition: Mapping[str, Any]) -> tuple[object, object]:
    return condition.get("reason"), condition.get("message")


class EventSink(Protocol):
    async def record(self, regarding: Mapping[str, Any], event: EventSpec) -> None: ...


class KubeEventSink:
    """Creates events.k8s.io/v1 Events; a refused event is logged, never fatal."""

    def __init__(self, api: ApiClient, *, controller: str, instance: str) -> None:
        self._api = api
        self._controller = controller
        self._instance = instance

    async def record(self, regarding: Mapping[str, Any], event: EventSpec) -> None:
        await emit_event(
            self._api,
            regarding,
            reason=event.reason,
            note=event.note,
            action="Reconcile",
            event_type=event.event_type,
            controller=self._controller,
            instance=self._instance,
        )
