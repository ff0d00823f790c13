"""Writes to an MCPRegistry itself: its status (merge-patched only when it changed, with an
Event per change) and our finalizer (added and removed under a resourceVersion guard)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from mcp_registry_common.mcpregistry import FINALIZER, KIND

from mcp_registry_operator.kube import ApiClient
from mcp_registry_operator.kube.patching import merge_patch, patch_status
from mcp_registry_operator.reconcile.events import EventSink, status_events
from mcp_registry_operator.reconcile.kinds import MCP_REGISTRIES
from mcp_registry_operator.reconcile.recent import RecentWrites, WriteRef
from mcp_registry_operator.reconcile.status import Observed, merge_diff, render_status

log = structlog.get_logger(__name__)
Obj = dict[str, Any]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Current:
    """The registry as we best know it: the cached object, with our own recent writes that
    the cache does not show yet."""

    obj: Mapping[str, Any]
    status: Mapping[str, Any] | None
    has_finalizer: bool

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"]["namespace"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def generation(self) -> int:
        return int(self.obj["metadata"].get("generation") or 0)


class RegistryWriter:
    def __init__(
        self,
        *,
        api: ApiClient,
        writes: RecentWrites,
        events: EventSink,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._api = api
        self._writes = writes
        self._events = events
        self._clock = clock

    def current(self, obj: Mapping[str, Any]) -> Current:
        meta = obj["metadata"]
        ns, name = str(meta["namespace"]), str(meta["name"])
        status = self._writes.lookup(WriteRef(KIND, ns, name, "status"), obj)
        finalizer = self._writes.lookup(WriteRef(KIND, ns, name, "finalizer"), obj)
        return Current(
            obj=obj,
            status=status if status is not None else obj.get("status"),
            has_finalizer=finalizer if finalizer is not None else FINALIZER in _finalizers(obj),
        )

    async def publish(self, current: Current, observed: Observed) -> Obj | None:
        """Write the status `observed` renders, if it differs; returns the stored object, or
        None when nothing was written."""
        new = render_status(observed, old=current.status, now=self._clock())
        patch = merge_diff(current.status, new)
        if not patch:
            return None
        stored = await patch_status(
            self._api,
            MCP_REGISTRIES,
            namespace=current.namespace,
            name=current.name,
            status=patch,
        )
        rv = _rv(stored)
        self._writes.record(WriteRef(KIND, current.namespace, current.name, "status"), new, rv)
        log.info(
            "status_updated",
            phase=new["phase"],
            reason=observed.verdict.reason,
            status_message=new["message"],
        )
        for event in status_events(current.status, new):
            await self._events.record(current.obj, event)
        return stored

    async def set_finalizer(
        self, current: Current, *, present: bool, latest: Mapping[str, Any] | None = None
    ) -> None:
        """Add or remove our finalizer; other finalizers are kept. The write is guarded by the
        resourceVersion of `latest` (an object a write just returned; default: the cached
        one), so a stale view fails with ConflictError instead of dropping a finalizer."""
        source = latest or current.obj
        others = [f for f in _finalizers(source) if f != FINALIZER]
        finalizers = [*others, FINALIZER] if present else others
        stored = await merge_patch(
            self._api,
            MCP_REGISTRIES,
            namespace=current.namespace,
            name=current.name,
            patch={
                "metadata": {
                    "finalizers": finalizers or None,
                    "resourceVersion": _rv(source),
                }
            },
        )
        ref = WriteRef(KIND, current.namespace, current.name, "finalizer")
        self._writes.record(ref, present, _rv(stored))
        log.info("finalizer_added" if present else "finalizer_removed", finalizer=FINALIZER)


def _finalizers(obj: Mapping[str, Any]) -> list[str]:
    return [str(f) for f in (obj.get("metadata") or {}).get("finalizers") or []]


def _rv(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
