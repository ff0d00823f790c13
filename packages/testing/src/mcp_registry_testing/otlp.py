"""A loopback OTLP/HTTP receiver: what an OpenTelemetry collector would get, decoded.

It accepts `POST /v1/traces` and `POST /v1/metrics` with protobuf bodies (the OTLP/HTTP
exporter's default encoding, optionally gzipped), decodes them with opentelemetry-proto and
keeps the spans (name and attributes) and the names of the metrics with their data points'
attributes, for tests to wait on.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    kind: int
    attributes: dict[str, Any]
    service: str | None
    status_code: int
    trace_id: str
    parent_span_id: str


@dataclass
class OtlpReceiver:
    """The spans and metric points received so far (appended as requests arrive)."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Metric name -> the attributes of each data point received."""
    requests: int = 0
    url: str = ""

    def span_named(self, name: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.name == name]

    async def _traces(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        await _decode(request, message)
        for resource_spans in message.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            kind=span.kind,
                            attributes=_attributes(span.attributes),
                            service=resource.get("service.name"),
                            status_code=span.status.code,
                            trace_id=span.trace_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                        )
                    )
        return _reply(ExportTraceServiceResponse())

    async def _metrics(self, request: web.Request) -> web.Response:
        message = ExportMetricsServiceRequest()
        await _decode(request, message)
        for resource_metrics in message.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data")
                    points = getattr(metric, kind).data_points if kind else []
                    self.metrics.setdefault(metric.name, []).extend(
                        _attributes(point.attributes) for point in points
                    )
        return _reply(ExportMetricsServiceResponse())


async def _decode(request: web.Request, message: Any) -> None:
    if request.content_type != PROTOBUF:
        raise web.HTTPUnsupportedMediaType(text=f"expected {PROTOBUF}")
    body = await request.read()
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise web.HTTPBadRequest(text=f"not OTLP protobuf: {exc}") from None


def _reply(message: Any) -> web.Response:
    return web.Response(body=message.SerializeToString(), content_type=PROTOBUF)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return (
        getattr(value, kind)
        if kind in ("string_value", "bool_value", "int_value", "double_value")
        else None
    )


@asynccontextmanager
async def otlp_receiver(host: str = "127.0.0.1") -> AsyncIterator[OtlpReceiver]:
    """An OTLP/HTTP receiver on a free loopback port (`receiver.url` is its base URL)."""
    receiver = OtlpReceiver()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        receiver.requests += 1
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[count])
    app.add_routes(
        [web.post("/v1/traces", receiver._traces), web.post("/v1/metrics", receiver._metrics)]
    )
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://{host}:{port}"
    try:
        yield receiver
    finally:
        await runner.cleanup()
