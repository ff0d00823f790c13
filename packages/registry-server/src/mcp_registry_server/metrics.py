"""The server's Prometheus metrics, kept in one CollectorRegistry per app pair (no globals)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Gauge,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mcp_registry_server.buildinfo import BuildInfo
from mcp_registry_server.histogram import LoopHistogram
from mcp_registry_server.service.catalog import Catalog

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""ToolHive's buckets for `http.server.request.duration` (seconds)."""


@dataclass(frozen=True, slots=True)
class ServerMetrics:
    """The collector registry `/metrics` exposes and the instruments the HTTP layer records."""

    registry: CollectorRegistry
    request_duration: LoopHistogram


def create_metrics(build: BuildInfo) -> ServerMetrics:
    """A fresh registry with the HTTP histogram, the build-info gauge and the process, Python
    platform and garbage-collector collectors registered; no `_created` series (process-wide:
    they double the series of every counter and histogram and no dashboard reads them)."""
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry(auto_describe=True)
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    request_duration = LoopHistogram(
        "http_server_request_duration_seconds",
        "Duration of HTTP requests, by route template, method and status code.",
        ("http_route", "http_request_method", "http_response_status_code"),
        buckets=REQUEST_BUCKETS,
    )
    registry.register(request_duration)
    info = Gauge(
        "mcp_registry_build_info",
        "Always 1; the labels describe the running build.",
        ["version", "commit", "python_version"],
        registry=registry,
    )
    info.labels(build.version, build.commit, build.python_version).set(1)
    return ServerMetrics(registry=registry, request_duration=request_duration)


class CatalogCollector(Collector):
    """Reads every registry's snapshot at scrape time: its age and how many servers it serves."""

    def __init__(self, catalog: Catalog, *, clock: Callable[[], float] = time.time) -> None:
        self._catalog = catalog
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        age = GaugeMetricFamily(
            "mcp_registry_snapshot_age_seconds",
            "Seconds since the registry's served snapshot was built.",
            labels=["registry"],
        )
        servers = GaugeMetricFamily(
            "mcp_registry_snapshot_servers",
            "Distinct server names in the registry's served snapshot.",
            labels=["registry"],
        )
        now = self._clock()
        for name in self._catalog.registries:
            snapshot = self._catalog.snapshot(name)
            if snapshot is None:
                continue
            age.add_metric([name], max(0.0, now - snapshot.built_at))
            servers.add_metric([name], snapshot.server_count)
        yield age
        yield servers
