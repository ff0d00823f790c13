"""Prometheus metrics of the sync engine, registered on the registry the app gives it."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class SyncOutcome(StrEnum):
    """How an attempt ended (the `outcome` label)."""

    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class SyncObserver(Protocol):
    """Told of every finished attempt besides the Prometheus metrics (telemetry's spans)."""

    def attempt(
        self, source: str, *, outcome: str, reason: str, seconds: float, stage: str | None
    ) -> None:
        """An attempt of `source` ended `seconds` after it started; `stage` names the failed
        step (None: it succeeded)."""


class SyncMetrics:
    """Duration by outcome, outcomes by reason, failures by stage, servers per source."""

    def __init__(self, registry: CollectorRegistry, observer: SyncObserver | None = None) -> None:
        self._observer = observer
        self.duration = Histogram(
            "mcp_registry_sync_duration_seconds",
            "Duration of sync attempts.",
            ["source", "outcome"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.attempts = Counter(
            "mcp_registry_sync_attempts",
            "Sync attempts by outcome and by the reason they ran.",
            ["source", "outcome", "reason"],
            registry=registry,
        )
        self.failures = Counter(
            "mcp_registry_sync_failures",
            "Failed sync attempts by the step that failed.",
            ["source", "stage"],
            registry=registry,
        )
        self.servers = Gauge(
            "mcp_registry_source_servers",
            "Servers currently stored for a source (after filters).",
            ["source"],
            registry=registry,
        )
        self.last_success = Gauge(
            "mcp_registry_source_last_success_timestamp_seconds",
            "Unix time of the source's last successful sync.",
            ["source"],
            registry=registry,
        )

    def forget(self, source: str) -> None:
        """Remove every series of `source` (it was deleted: a stale last-success timestamp
        would fire staleness alerts forever)."""
        for metric in (
            self.duration,
            self.attempts,
            self.failures,
            self.servers,
            self.last_success,
        ):
            metric.remove_by_labels({"source": source})

    def attempt(
        self,
        source: str,
        *,
        outcome: SyncOutcome,
        reason: str,
        seconds: float,
        stage: str | None = None,
    ) -> None:
        self.duration.labels(source, outcome).observe(seconds)
        self.attempts.labels(source, outcome, reason).inc()
        if self._observer is not None:
            self._observer.attempt(
                source, outcome=outcome, reason=reason, seconds=seconds, stage=stage
            )

    def failed(self, source: str, *, stage: str) -> None:
        self.failures.labels(source, stage).inc()

    def served(self, source: str, *, servers: int, synced_at: float | None) -> None:
        self.servers.labels(source).set(servers)
        if synced_at is not None:
            self.last_success.labels(source).set(synced_at)
