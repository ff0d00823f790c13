"""Traces and metrics over OTLP/HTTP with the OpenTelemetry SDK: a span and request metrics
for every public API request (an aiohttp middleware), a span and metrics for every sync
attempt (the sync engine's observer), and gauges of what each source serves.

The only module importing OpenTelemetry; the app imports it only when telemetry is enabled,
so a server without `telemetry:` neither loads the SDK nor pays for it on any request. The
providers are this object's own (the global OpenTelemetry API is left alone), and the
exporters' blocking HTTP runs in the SDK's worker threads; `close` flushes them off the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from mcp_registry_server.api.observe import route_template
from mcp_registry_server.store.base import SourceStatus
from mcp_registry_server.telemetry.settings import TelemetrySettings

log = structlog.get_logger(__name__)

SCOPE = "mcp_registry_server"
EXPORT_TIMEOUT = 10.0
"""Seconds one export request may take."""
CLOSE_TIMEOUT = 15.0
"""Seconds the final flush at shutdown may take before the server moves on."""
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SYNC_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
Statuses = Callable[[], Iterable[SourceStatus]]


class _Outcome:
    """The status a handler answered with (500 until it answers: it raised)."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status = 500

    async def run(self, handler: Handler, request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.status = exc.status
            raise
        self.status = response.status
        return response


class Telemetry:
    """The tracer and meter providers of one server, and the hooks that feed them."""

    def __init__(
        self, settings: TelemetrySettings, *, statuses: Statuses, export_interval: float = 30.0
    ) -> None:
        resource = Resource.create(
            {"service.name": settings.service_name, "service.version": settings.service_version}
        )
        self._statuses = statuses
        self._seen: list[SourceStatus] = []
        self._propagator = TraceContextTextMapPropagator()
        self._tracer: Tracer | None = None
        self._tracer_provider: TracerProvider | None = None
        self._meter_provider: MeterProvider | None = None
        if settings.tracing:
            self._tracer_provider = TracerProvider(
                resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sampling))
            )
            exporter = OTLPSpanExporter(endpoint=settings.traces_url, timeout=EXPORT_TIMEOUT)
            self._tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
            self._tracer = self._tracer_provider.get_tracer(SCOPE)
        if settings.metrics:
            exporter_m = OTLPMetricExporter(endpoint=settings.metrics_url, timeout=EXPORT_TIMEOUT)
            reader = PeriodicExportingMetricReader(
                exporter_m, export_interval_millis=export_interval * 1000
            )
            self._meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
            self._instruments(self._meter_provider.get_meter(SCOPE))
        log.info(
            "telemetry_enabled",
            endpoint=settings.base_url,
            tracing=settings.tracing,
            sampling=settings.sampling,
            metrics=settings.metrics,
        )

    def _instruments(self, meter: Meter) -> None:
        self._request_duration = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._requests = meter.create_counter(
            "stacklok.registry.http.requests", description="HTTP requests."
        )
        self._active = meter.create_up_down_counter(
            "http.server.active_requests", description="HTTP requests in progress."
        )
        self._sync_duration = meter.create_histogram(
            "stacklok.registry.sync.duration",
            unit="s",
            description="Duration of sync attempts.",
            explicit_bucket_boundaries_advisory=SYNC_BUCKETS,
        )
        self._errors = meter.create_counter(
            "stacklok.registry.errors", description="Failed sync attempts and HTTP errors."
        )
        for kind in ("servers", "skills", "plugins"):
            meter.create_observable_gauge(
                f"stacklok.registry.{kind}",
                callbacks=[self._served(kind)],
                description=f"{kind.capitalize()} served per source, after filters.",
            )

    def _current(self) -> list[SourceStatus]:
        """The sources' statuses; once the engine has stopped (the final export at shutdown),
        the last ones seen. The metric reader calls this from its thread: a source added on
        the loop meanwhile (RuntimeError: changed during iteration) leaves the last ones."""
        try:
            statuses = list(self._statuses())
        except RuntimeError:
            return self._seen
        if statuses:
            self._seen = statuses
        return self._seen

    def _served(self, kind: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            for status in self._current():
                count = getattr(status, f"{kind[:-1]}_count")
                yield Observation(count, {"source": status.name})

        return observe

    # -- requests ---------------------------------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A server span `"{METHOD} {route}"` (continuing an incoming `traceparent`) and the
        request metrics, for every request of the app it is installed on."""
        started = time.perf_counter()
        route = route_template(request)
        attributes: dict[str, str | int] = {
            "http.request.method": request.method,
            "url.scheme": request.scheme,
            "http.route": route,
        }
        if self._meter_provider is not None:
            self._active.add(1, {"http.request.method": request.method})
        outcome = _Outcome()
        try:
            if self._tracer is None:
                return await outcome.run(handler, request)
            with self._tracer.start_as_current_span(
                f"{request.method} {route}",
                context=self._propagator.extract(request.headers),
                kind=SpanKind.SERVER,
                attributes={**attributes, "url.path": request.path},
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                try:
                    return await outcome.run(handler, request)
                finally:
                    span.set_attribute("http.response.status_code", outcome.status)
                    if outcome.status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
        finally:
            if self._meter_provider is not None:
                self._record_request(attributes, outcome.status, time.perf_counter() - started)

    def _record_request(
        self, attributes: dict[str, str | int], status: int, seconds: float
    ) -> None:
        self._active.add(-1, {"http.request.method": str(attributes["http.request.method"])})
        labelled = {**attributes, "http.response.status_code": status}
        self._request_duration.record(seconds, labelled)
        self._requests.add(1, labelled)
        if status >= 400:
            kind = "server_error" if status >= 500 else "client_error"
            self._errors.add(1, {"error_type": kind, "area": "http"})

    # -- sync attempts (the engine's SyncObserver) ------------------------------------------

    def attempt(
        self, source: str, *, outcome: str, reason: str, seconds: float, stage: str | None
    ) -> None:
        """A `sync.performRegistrySync` span covering the attempt just finished, and the sync
        metrics (`outcome` `success` or `error`, as ToolHive labels them)."""
        failed = stage is not None
        self._current()  # what the gauges report if the engine stops before the next export
        if self._tracer is not None:
            end = time.time_ns()
            span = self._tracer.start_span(
                "sync.performRegistrySync",
                start_time=end - int(seconds * 1e9),
                attributes={
                    "registry.name": source,
                    "sync.reason": reason,
                    "sync.outcome": outcome,
                    "sync.success": not failed,
                    "sync.duration_seconds": seconds,
                    **({"sync.error_stage": stage} if stage is not None else {}),
                },
            )
            if failed:
                span.set_status(Status(StatusCode.ERROR, f"{stage} failed"))
            span.end(end_time=end)
        if self._meter_provider is not None:
            labels = {"source": source, "outcome": "error" if failed else "success"}
            self._sync_duration.record(seconds, labels)
            if stage is not None:
                self._errors.add(1, {"error_type": stage, "area": "sync"})

    # -- lifecycle --------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Export what is pending and stop the exporters (blocking: run it in a thread)."""
        if self._tracer_provider is not None:
            self._tracer_provider.shutdown()
        if self._meter_provider is not None:
            self._meter_provider.shutdown(timeout_millis=CLOSE_TIMEOUT * 1000)

    async def close(self, app: web.Application | None = None) -> None:
        """`shutdown` off the event loop, bounded by CLOSE_TIMEOUT (an `on_cleanup` hook)."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self.shutdown), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("telemetry_flush_timeout", timeout_s=CLOSE_TIMEOUT)
