"""The Syncing phase while the server's readiness gate holds its pods (a first sync runs):
Pending → Syncing → Ready, without stepping back to Pending while the readiness probe catches
up with synced data, and never for a re-sync of data already served."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.internalapi import ServerReport
from mcp_registry_operator.reconcile.serverstatus import parse_report
from mcp_registry_operator.reconcile.syncstate import judge_report, judge_unready
from mcp_registry_operator.reconcile.verdicts import FIRST_SYNC_DONE_MESSAGE, Phase

from .operator_harness import complete

FIRST = {"name": "a", "phase": "Syncing", "message": "Sync in progress", "attemptCount": 1}


def report(source: dict[str, Any], *, ready: bool) -> ServerReport:
    registry = {"name": "default", "sources": ["a"], "ready": ready,
                "waitingFor": [] if ready else ["a"], "serverCount": 3 if ready else 0}  # fmt: skip
    return parse_report({"sources": [source], "registries": [registry]})


def test_a_first_sync_on_an_unready_pod_is_syncing() -> None:
    judged = judge_unready(report(FIRST, ready=False), previous=None, shown="Pending")
    assert judged is not None
    assert (judged.verdict.phase, judged.verdict.reason) == (Phase.SYNCING, "Syncing")
    assert "Waiting for the first sync of: a" in judged.verdict.message
    assert judged.busy


def test_a_failed_first_sync_on_an_unready_pod_is_failed() -> None:
    failed = {"name": "a", "phase": "Failed", "message": "Fetch failed: HTTP 503"}
    judged = judge_unready(report(failed, ready=False), previous=None, shown="Syncing")
    assert judged is not None
    assert (judged.verdict.phase, judged.verdict.reason) == (Phase.FAILED, "SyncFailed")


def test_synced_data_the_probe_has_not_seen_stays_syncing_once_shown() -> None:
    synced = report(complete("a"), ready=True)
    judged = judge_unready(synced, previous=None, shown="Syncing")
    assert judged is not None
    assert judged.verdict.phase is Phase.SYNCING
    assert judged.verdict.message == FIRST_SYNC_DONE_MESSAGE
    assert judged.synced.status == "True"
    assert judged.sync_status["phase"] == "Complete"


def test_synced_data_on_an_unready_pod_is_otherwise_left_to_pending() -> None:
    """Pods rolling with data (no first sync seen): the plain "not ready yet" (None)."""
    synced = report(complete("a"), ready=True)
    assert judge_unready(synced, previous=None, shown="Ready") is None
    assert judge_unready(synced, previous=None, shown="Pending") is None
    assert judge_unready(synced, previous=None, shown=None) is None


def test_a_re_sync_on_a_ready_registry_does_not_leave_ready() -> None:
    resync = {**complete("a"), "phase": "Syncing", "attemptCount": 1}
    assert judge_report(report(resync, ready=True)).verdict.phase is Phase.READY
