"""Judge the server's sync report: the phase once the pods are up, the Synced condition and the
mirrored `status.syncStatus`.

Ready means every served registry has data (the server says `ready`). A source that failed
while its registry still serves earlier data keeps the phase Ready with Synced=False; a
failed source that leaves a registry without any data makes the phase Failed (SyncFailed).
Syncing is the phase while a registry waits for the first sync of its sources, also while the
server's pods are still unready (its readiness gate holds them until every registry has data:
`judge_unready`); a periodic or manual re-sync of data already served does not leave Ready
(`status.syncStatus` shows it instead), so the phase never flaps at every sync interval.

A source the server is retrying still counts as failing: the server reports each attempt as
Syncing with attemptCount one higher, and resets the count to 0 only on success, so Syncing
with attemptCount >= 2 means an earlier attempt of this streak failed (a first attempt, or a
periodic one after a success, reports 1). Without this the phase and Synced would flip
Failed ↔ Syncing (two events) on every retry. The retry's report has lost the error; the one
stored in `status.syncStatus` is kept, there too (the entry of a retried source keeps it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_registry_common.internalapi import ServerReport, SourceReport
from mcp_registry_common.mcpregistry import SourceSyncStatus, SyncPhase, SyncStatus

from mcp_registry_operator.reconcile.conditions import ConditionSpec
from mcp_registry_operator.reconcile.verdicts import (
    FIRST_SYNC_DONE_MESSAGE,
    READY_MESSAGE,
    Phase,
    Verdict,
)

MAX_SOURCES = 20
"""`status.syncStatus.sources` holds at most this many entries (the CRD's maxItems)."""
RETRY_ATTEMPT = 2
"""A Syncing source with at least this attemptCount is retrying after a failed attempt."""
RETRY_MESSAGE = "retrying after a failed attempt"


@dataclass(frozen=True)
class SyncJudgement:
    verdict: Verdict
    synced: ConditionSpec
    sync_status: dict[str, Any]
    """The wire form of `status.syncStatus`."""
    busy: bool
    """A sync is running: poll again soon."""


def judge_report(
    report: ServerReport, *, previous: Mapping[str, Any] | None = None
) -> SyncJudgement:
    """`previous`: the stored `status.syncStatus`, for the error of a source being retried."""
    report = _keep_errors(report, _stored_errors(previous))
    failed = [s for s in report.sources if is_failing(s)]
    syncing = [s for s in report.sources if s.phase == "Syncing"]
    synced = _synced_condition(failed, syncing)
    sync_status = _sync_status(report, synced)
    return SyncJudgement(
        verdict=_verdict(report, failed),
        synced=synced,
        sync_status=sync_status,
        busy=bool(syncing),
    )


def judge_unready(
    report: ServerReport, *, previous: Mapping[str, Any] | None, shown: str | None
) -> SyncJudgement | None:
    """The report of a pod the Deployment does not count ready yet: a failed first sync is
    Failed and one in progress is Syncing (Pending → Syncing → Ready); data already synced that
    the readiness probe has not seen yet stays Syncing when that is what shows (`shown`: the
    stored phase), so the phase does not step back to Pending for a probe period. Otherwise
    None: the plain "not ready yet" verdict (Pending)."""
    judgement = judge_report(report, previous=previous)
    if judgement.verdict.phase in (Phase.FAILED, Phase.SYNCING):
        return judgement
    if shown == Phase.SYNCING:
        verdict = Verdict(Phase.SYNCING, "Syncing", FIRST_SYNC_DONE_MESSAGE)
        return dataclasses.replace(judgement, verdict=verdict)
    return None


def is_failing(source: SourceReport) -> bool:
    """Failed, or Syncing again after a failed attempt (the server is retrying it)."""
    retrying = source.phase == "Syncing" and source.attempt_count >= RETRY_ATTEMPT
    return source.phase == "Failed" or retrying


def _stored_errors(previous: Mapping[str, Any] | None) -> dict[str, str]:
    """The last error of each source whose stored entry is failing (Failed, or a retry: its
    entry keeps the error, see `_keep_errors`)."""
    errors = {}
    for entry in (previous or {}).get("sources") or []:
        failing = entry.get("phase") == "Failed" or (
            entry.get("phase") == "Syncing" and (entry.get("attemptCount") or 0) >= RETRY_ATTEMPT
        )
        if failing and entry.get("message"):
            errors[str(entry.get("name"))] = str(entry["message"])
    return errors


def _keep_errors(report: ServerReport, errors: Mapping[str, str]) -> ServerReport:
    """A retried source with its last error as message (its report says only "Sync in
    progress"), so conditions and `syncStatus` keep saying why while the server retries."""
    sources = [
        s.model_copy(update={"message": errors.get(s.name, RETRY_MESSAGE)})
        if is_failing(s) and s.phase == "Syncing"
        else s
        for s in report.sources
    ]
    return report.model_copy(update={"sources": sources})


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
