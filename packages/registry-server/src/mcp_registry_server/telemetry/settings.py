"""What `telemetry:` asks for, resolved (pure): whether anything is exported, and where."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_registry_common.config.observability import TelemetryConfig

TRACES_PATH = "/v1/traces"
METRICS_PATH = "/v1/metrics"


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """Enabled telemetry: the OTLP/HTTP base URL, the service's identity, what is exported."""

    base_url: str
    """`http(s)://host:port` (no trailing slash); signals go to `/v1/traces`, `/v1/metrics`."""
    service_name: str
    service_version: str
    tracing: bool
    sampling: float
    """Ratio of new traces kept (a request inside a sampled trace follows its parent)."""
    metrics: bool

    @property
    def traces_url(self) -> str:
        return self.base_url + TRACES_PATH

    @property
    def metrics_url(self) -> str:
        return self.base_url + METRICS_PATH


def telemetry_settings(config: TelemetryConfig | None) -> TelemetrySettings | None:
    """The settings of enabled telemetry, None when nothing is to be exported (the block is
    absent, `enabled: false`, or neither tracing nor metrics is enabled). As in ToolHive,
    `endpoint` is `host:port`, reached over https unless `insecure`; an endpoint written as a
    URL (`http://collector:4318`) is taken as it is."""
    if config is None or not config.enabled:
        return None
    tracing = config.tracing is not None and config.tracing.enabled
    metrics = config.metrics is not None and config.metrics.enabled
    if not (tracing or metrics):
        return None
    endpoint = config.endpoint.rstrip("/")
    if "://" not in endpoint:
        endpoint = f"{'http' if config.insecure else 'https'}://{endpoint}"
    return TelemetrySettings(
        base_url=endpoint,
        service_name=config.service_name,
        service_version=config.service_version,
        tracing=tracing,
        sampling=config.tracing.sampling if config.tracing is not None else 0.0,
        metrics=metrics,
    )
