"""Judge the server's sync report: the phase once the pods are up, the Synced condition and the
mirrored `status.syncStatus`.

Ready means every served registry has data (the server says `ready`). A source that failed
while its registry still serves earlier data keeps the phase Ready with Synced=False; a
failed source that leaves a registry without any data makes the phase Failed (SyncFailed).
Syncing is the phase while a registry waits for the first sync of its sources; a periodic
re-sync of data already served does not leave Ready.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_registry_common.mcpregistry import SourceSyncStatus, SyncPhase, SyncStatus

from mcp_registry_operator.controller.conditions import ConditionSpec
from mcp_registry_operator.controller.serverstatus import ServerReport, SourceReport
from mcp_registry_operator.controller.verdicts import READY_MESSAGE, Phase, Verdict

MAX_SOURCES = 20
"""`status.syncStatus.sources` holds at most this many entries (the CRD's maxItems)."""


@dataclass(frozen=True)
class SyncJudgement:
    verdict: Verdict
    synced: ConditionSpec
    sync_status: dict[str, Any]
    """The wire form of `status.syncStatus`."""
    busy: bool
    """A sync is running: poll again soon."""


def judge_report(report: ServerReport) -> SyncJudgement:
    failed = [s for s in report.sources if s.phase == "Failed"]
    syncing = [s for s in report.sources if s.phase == "Syncing"]
    synced = _synced_condition(failed, syncing)
    sync_status = _sync_status(report, synced)
    return SyncJudgement(
        verdict=_verdict(report, failed),
        synced=synced,
        sync_status=sync_status,
        busy=bool(syncing),
    )


def _verdict(report: ServerReport, failed: Sequence[SourceReport]) -> Verdict:
    unready = [r for r in report.registries if not r.ready]
    if not unready:
        servers = sum(r.server_count for r in report.registries)
        message = f"{READY_MESSAGE} ({servers} servers in {len(report.registries)} registries)"
        if failed:
            message += f"; {_failures(failed)}; the last good data is still served"
        return Verdict(Phase.READY, "Ready", message)
    by_name = {s.name: s for s in failed}
    for registry in unready:
        blocking = [by_name[n] for n in registry.waiting_for if n in by_name]
        if blocking:
            return Verdict(
                Phase.FAILED,
                "SyncFailed",
                f"{_failures(blocking)}; registry {registry.name!r} has no data to serve",
            )
    waiting = sorted({n for r in unready for n in r.waiting_for})
    names = ", ".join(waiting) or ", ".join(r.name for r in unready)
    return Verdict(Phase.SYNCING, "Syncing", f"Waiting for the first sync of: {names}")


def _failures(failed: Sequence[SourceReport]) -> str:
    return "; ".join(
        f"sync of source {s.name!r} failed: {s.message or 'no details'}" for s in failed
    )


def _synced_condition(
    failed: Sequence[SourceReport], syncing: Sequence[SourceReport]
) -> ConditionSpec:
    if failed:
        return ConditionSpec("False", "SyncFailed", _failures(failed))
    first = [s.name for s in syncing if s.last_sync_time is None]
    if first:
        waiting = ", ".join(first)
        return ConditionSpec("False", "Syncing", f"Waiting for the first sync of: {waiting}")
    return ConditionSpec("True", "Synced", "Every source has synced")


def _latest(values: Sequence[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _sync_status(report: ServerReport, synced: ConditionSpec) -> dict[str, Any]:
    sources = report.sources
    phases = {s.phase for s in sources}
    phase: SyncPhase = (
        "Failed" if "Failed" in phases else "Syncing" if "Syncing" in phases else "Complete"
    )
    status = SyncStatus(
        phase=phase,
        message=synced.message,
        last_attempt=_latest([s.last_attempt for s in sources]),
        last_sync_time=_latest([s.last_sync_time for s in sources]),
        attempt_count=max((s.attempt_count for s in sources), default=0),
        server_count=sum(r.server_count for r in report.registries),
        sources=[
            SourceSyncStatus(
                name=s.name,
                phase=s.phase,
                message=s.message,
                last_attempt=s.last_attempt,
                last_sync_time=s.last_sync_time,
                attempt_count=s.attempt_count,
                server_count=s.server_count,
            )
            for s in sources[:MAX_SOURCES]
        ],
    )
    return status.to_wire()
