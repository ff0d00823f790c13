"""Every status phase an MCPRegistry went through, timestamped as it happened.

Fed by watch events (`record`): the API double's own event stream (in process) or an informer
on a real API server, so a phase held for one write only (Terminating before the finalizer
goes) is seen, and time-to-Ready is measured from events, not from whenever a test happened
to look.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from mcp_registry_testing.kubeapi import KubeApiDouble

GROUP = "toolhive.stacklok.dev"
PLURAL = "mcpregistries"


@dataclass(frozen=True)
class Transition:
    """One observed change of (phase, being deleted, gone)."""

    at: float
    """time.monotonic() of the event."""
    phase: str | None
    deleting: bool
    """metadata.deletionTimestamp is set (kubectl shows Terminating)."""
    gone: bool


def _state(kind: str, obj: Mapping[str, Any]) -> tuple[str | None, bool, bool]:
    phase = (obj.get("status") or {}).get("phase")
    deleting = bool(obj["metadata"].get("deletionTimestamp"))
    return phase, deleting, kind == "DELETED"


class PhaseLog:
    """`async with PhaseLog(api) as log:` records transitions of every MCPRegistry in the API
    double; `PhaseLog()` records what is passed to `record` (e.g. an informer's events)."""

    def __init__(self, api: KubeApiDouble | None = None) -> None:
        self.api = api
        self._log: dict[str, list[Transition]] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PhaseLog:
        if self.api is not None:
            self._task = asyncio.create_task(self._watch(self.api), name="phase-log")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def transitions(self, namespace: str, name: str) -> list[Transition]:
        return list(self._log.get(f"{namespace}/{name}", []))

    def phases(self, namespace: str, name: str) -> tuple[str, ...]:
        """Distinct phases in order (`Terminating` also when only deletionTimestamp showed it)."""
        out: list[str] = []
        for item in self.transitions(namespace, name):
            label = item.phase or "(none)"
            if item.gone:
                label = "gone"
            elif item.deleting and item.phase != "Terminating":
                label = f"{label} (deleting)"
            if not out or out[-1] != label:
                out.append(label)
        return tuple(out)

    def first(self, namespace: str, name: str, phase: str) -> float | None:
        """When `phase` was first seen (time.monotonic()), or None."""
        for item in self.transitions(namespace, name):
            if item.phase == phase and not item.gone:
                return item.at
        return None

    async def _watch(self, api: KubeApiDouble) -> None:
        rt = api.resource(PLURAL, GROUP)
        while True:
            watcher = api.store.watch(rt, None, since=None, matches=lambda _: True, bookmarks=False)
            try:
                while (event := await watcher.queue.get()) is not None:
                    if not isinstance(event, int):
                        self.record(event.type, event.obj)
            finally:
                api.store.unwatch(watcher)

    def record(self, kind: str, obj: Mapping[str, Any]) -> None:
        """One watch event (ADDED, MODIFIED or DELETED) of an MCPRegistry."""
        meta = obj["metadata"]
        history = self._log.setdefault(f"{meta['namespace']}/{meta['name']}", [])
        phase, deleting, gone = _state(kind, obj)
        last = history[-1] if history else None
        if last is None or (last.phase, last.deleting, last.gone) != (phase, deleting, gone):
            history.append(Transition(time.monotonic(), phase, deleting, gone))
