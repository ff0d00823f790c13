"""OpenTelemetry export (OTLP/HTTP traces and metrics), configured by `telemetry:`.

Off by default. `settings` is pure and always importable; `otel` is the only module that
imports the OpenTelemetry SDK, and the app imports it only when telemetry is enabled.
"""
