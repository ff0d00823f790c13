"""Which Events a status change deserves (pure), and the sink that records them.

One event per change: a new phase (reason = the Ready condition's reason, or Terminating; note
= the status message, which also tells about sync and template problems), and a flip of
PodTemplateValid or Synced between two known statuses (reason and message of that condition).
A condition seen for the first time is announced only when it is not True and the phase did
not change with it. The first status of a new object (Pending) is not announced: creation is
not news. Notes are built from status messages, which never carry secret values.
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
    if phase_changed and (old.get("phase") or phase != Phase.PENDING):
        ready = find(new.get("conditions"), READY) or {}
        warning = phase == Phase.FAILED
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
