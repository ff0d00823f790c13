"""What a finished attempt tells the metrics and the log (the engine decides, this reports)."""

from __future__ import annotations

import structlog

from mcp_registry_server.sync.decision import SyncReason
from mcp_registry_server.sync.metrics import SyncMetrics, SyncOutcome
from mcp_registry_server.sync.pipeline import StageError
from mcp_registry_server.sync.state import SourceState

log = structlog.get_logger("mcp_registry_server.sync")


def report_completed(
    metrics: SyncMetrics,
    src: SourceState,
    *,
    outcome: SyncOutcome,
    reason: SyncReason,
    seconds: float,
) -> None:
    """One `sync_completed` line and the attempt's and the served data's series."""
    metrics.attempt(src.name, outcome=outcome, reason=reason, seconds=seconds)
    report_served(metrics, src)
    log.info(
        "sync_completed",
        source=src.name,
        outcome=outcome,
        reason=reason,
        duration=round(seconds, 3),
        servers=src.status.server_count,
    )


def report_served(metrics: SyncMetrics, src: SourceState) -> None:
    """The source's served-data series: its server count and, with data, when it synced."""
    synced_at = src.status.last_sync_time if src.has_data else None
    metrics.served(
        src.name,
        servers=src.status.server_count,
        synced_at=synced_at.timestamp() if synced_at else None,
    )


def report_failed(
    metrics: SyncMetrics,
    src: SourceState,
    error: StageError,
    *,
    reason: SyncReason,
    seconds: float,
) -> None:
    """One `sync_failed` warning (with the retry the engine chose) and the failure series."""
    metrics.attempt(
        src.name, outcome=SyncOutcome.FAILED, reason=reason, seconds=seconds, stage=error.stage
    )
    metrics.failed(src.name, stage=error.stage)
    log.warning(
        "sync_failed",
        source=src.name,
        outcome=SyncOutcome.FAILED,
        reason=reason,
        stage=error.stage,
        error=error.message,
        attempt=src.status.attempt_count,
        retry_in=round(src.retry_delay, 3),
        duration=round(seconds, 3),
    )
