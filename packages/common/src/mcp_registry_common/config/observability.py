"""`telemetry:` (OpenTelemetry export) and `audit:` (audit log) of the server config."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.errorpaths import FieldPathError

NonEmpty = Annotated[str, Field(min_length=1)]
MAX_AUDIT_DATA_SIZE = 1 << 20


class TracingConfig(ConfigModel):
    """`telemetry.tracing:`."""

    enabled: bool = False
    sampling: float = Field(default=0.05, description="Ratio of traces kept, in (0, 1].")


class MetricsConfig(ConfigModel):
    """`telemetry.metrics:`; also turns on `/metrics` on the internal port."""

    enabled: bool = False


class TelemetryConfig(ConfigModel):
    """`telemetry:`: OTLP/HTTP export. Nothing is validated while `enabled` is false."""

    enabled: bool = False
    service_name: NonEmpty = "thv-registry-api"
    service_version: NonEmpty = "unknown"
    endpoint: NonEmpty = Field(default="localhost:4318", description="OTLP/HTTP host:port.")
    insecure: bool = Field(default=False, description="Plain HTTP to the collector.")
    tracing: TracingConfig | None = None
    metrics: MetricsConfig | None = None

    @model_validator(mode="after")
    def _sampling(self) -> TelemetryConfig:
        tracing = self.tracing
        if not (self.enabled and tracing is not None and tracing.enabled):
            return self
        if not 0.0 < tracing.sampling <= 1.0:
            message = (
                f"sampling must be greater than 0.0 and at most 1.0, got {tracing.sampling:f} "
                "(use enabled: false to disable tracing)"
            )
            raise FieldPathError([(("tracing", "sampling"), message)])
        return self


class AuditConfig(ConfigModel):
    """`audit:`: one structured event per API operation (SIEM-friendly)."""

    enabled: bool = False
    log_file: NonEmpty | None = Field(
        default=None, description="Dedicated file (its directory must exist); absent = stdout."
    )
    event_types: list[NonEmpty] = Field(
        default_factory=list, description="Allow-list of event types; empty = all."
    )
    exclude_event_types: list[NonEmpty] = Field(
        default_factory=list, description="Deny-list; wins over event_types."
    )
    include_request_data: bool = Field(
        default=False, description="Capture bodies of POST/PUT/DELETE requests."
    )
    max_data_size: int = Field(
        default=1024, description="Byte cap on captured bodies, 0..1048576 (0 = the default)."
    )

    @field_validator("max_data_size")
    @classmethod
    def _size(cls, size: int) -> int:
        if size < 0:
            raise ValueError(f"audit.maxDataSize must be non-negative, got {size}")
        if size > MAX_AUDIT_DATA_SIZE:
            raise ValueError(
                f"audit.maxDataSize must not exceed {MAX_AUDIT_DATA_SIZE} bytes, got {size}"
            )
        return size
