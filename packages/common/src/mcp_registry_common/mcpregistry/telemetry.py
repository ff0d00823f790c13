"""spec.telemetryConfig: OpenTelemetry tracing and metrics of the registry server."""

from __future__ import annotations

from pydantic import Field, StrictBool

from mcp_registry_common.base import WireModel
from mcp_registry_common.mcpregistry.strings import ShortText

SAMPLING_PATTERN = r"^(1(\.0+)?|0?\.[0-9]*[1-9][0-9]*)$"
"""A decimal ratio in (0, 1], written as a string (ToolHive's `*string`)."""


class TracingConfig(WireModel):
    """Distributed tracing."""

    enabled: StrictBool = Field(default=False, description="Export traces.")
    sampling: str | None = Field(
        default=None,
        max_length=32,
        pattern=SAMPLING_PATTERN,
        description='Sampling ratio in (0, 1] as a string, e.g. "0.05" (the default).',
    )


class MetricsConfig(WireModel):
    """OpenTelemetry metrics."""

    enabled: StrictBool = Field(default=False, description="Export metrics.")


class TelemetryConfig(WireModel):
    """OpenTelemetry export settings."""

    enabled: StrictBool = Field(default=False, description="Enable OpenTelemetry.")
    service_name: ShortText | None = Field(
        default=None, description="Service name. Defaults to thv-registry-api."
    )
    service_version: ShortText | None = Field(
        default=None, description="Service version. Defaults to the server's version."
    )
    endpoint: ShortText | None = Field(
        default=None, description="OTLP HTTP endpoint (host:port). Defaults to localhost:4318."
    )
    insecure: StrictBool = Field(default=False, description="Use plain HTTP for the endpoint.")
    tracing: TracingConfig | None = Field(default=None, description="Tracing settings.")
    metrics: MetricsConfig | None = Field(default=None, description="Metrics settings.")
