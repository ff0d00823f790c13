"""Apply built objects with server-side apply (one field manager), skipping every object whose
cached copy already matches: an unchanged registry costs no write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_registry_operator.kube import ApiClient, KubeApiError
from mcp_registry_operator.kube.applying import apply_object
from mcp_registry_operator.reconcile.caches import Caches
from mcp_registry_operator.reconcile.drift import intent_digest, needs_apply, with_digest
from mcp_registry_operator.reconcile.kinds import resource_for
from mcp_registry_operator.reconcile.recent import RecentWrites, WriteRef
from mcp_registry_operator.reconcile.verdicts import STEP_OF_KIND, Step


class ApplyStepError(Exception):
    """Applying one object failed; `step` names the ToolHive reason, `error` the API error."""

    def __init__(self, step: Step, kind: str, name: str, error: KubeApiError) -> None:
        self.step = step
        self.kind = kind
        self.error = error
        # A Secret's rejection may quote its content: keep only what failed, not the reply.
        detail = f"HTTP {error.status} {error.reason}".strip() if kind == "Secret" else str(error)
        super().__init__(f"{kind} {name!r}: {detail}")


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    """`Kind/name` of every object written."""
    unchanged: int = 0


class Applier:
    def __init__(
        self, *, api: ApiClient, caches: Caches, writes: RecentWrites, field_manager: str
    ) -> None:
        self._api = api
        self._caches = caches
        self._writes = writes
        self._field_manager = field_manager

    async def apply_all(self, objects: Sequence[dict[str, Any]]) -> ApplyReport:
        """Apply in order; the first failure raises ApplyStepError (later objects wait)."""
        report = ApplyReport()
        for obj in objects:
            if await self._apply_one(obj):
                report.applied.append(f"{obj['kind']}/{obj['metadata']['name']}")
            else:
                report.unchanged += 1
        return report

    async def _apply_one(self, obj: dict[str, Any]) -> bool:
        kind, meta = str(obj["kind"]), obj["metadata"]
        namespace, name = str(meta["namespace"]), str(meta["name"])
        ref = WriteRef(kind, namespace, name)
        digest = intent_digest(obj)
        cached = self._caches.get(kind, namespace, name)
        if self._writes.lookup(ref, cached) == digest:
            return False
        intent = with_digest(obj)
        if not needs_apply(intent, cached):
            return False
        try:
            stored = await apply_object(
                self._api, resource_for(kind), intent, field_manager=self._field_manager
            )
        except KubeApiError as exc:
            raise ApplyStepError(STEP_OF_KIND[kind], kind, name, exc) from exc
        rv = str((stored.get("metadata") or {}).get("resourceVersion") or "")
        self._writes.record(ref, digest, rv)
        return True
