"""Process-wide logging set-up: structlog and the stdlib root logger rendered by one chain in
the shape both programs share (`mcp_registry_common.logshape`), written through the batching
`logsink.LineSink`; and `log_fields`, the request log's direct JSON rendering."""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass
from typing import Any, TextIO

import orjson
import structlog
from mcp_registry_common.logshape import LEVEL_NAMES, CurrentStream, UtcTimestamper, redact_event
from structlog.typing import Processor

from mcp_registry_server.logsink import LineSink, SinkHandler, SinkLogger


def _dumps(value: Any, **kwargs: Any) -> str:
    """JSON for one log line (orjson: the request log renders a line per request)."""
    return orjson.dumps(value, default=kwargs.get("default")).decode()


_sink: LineSink | None = None


@dataclass(frozen=True, slots=True)
class _JsonOutput:
    """The JSON chain `configure_logging` installed, for `log_fields` to render directly."""

    renderer: Processor
    level: int
    stamp: UtcTimestamper
    sink: LineSink


_json_output: _JsonOutput | None = None


def log_fields(logger: Any, level: int, event: str, fields: dict[str, Any]) -> None:
    """`logger.log(level, event, **fields)` for an event logged on every request, whose keys
    the caller fixes (none of them secret) and which carries every value it needs itself.

    While the JSON output of `configure_logging` is in force, the line is rendered here in
    one pass: `fields` (taken over), `event`, `level`, `timestamp`, with no structlog proxy,
    processor loop, contextvars merge or secret scrub, which together cost more than the
    line (the caller's values carry no credential: a request's path, never its query).
    Any other set-up (console output, `structlog.testing.capture_logs`) goes through
    `logger`, where bound contextvars with the same names give the same values.
    """
    out = _json_output
    processors = structlog.get_config()["processors"]
    if out is None or not processors or processors[-1] is not out.renderer:
        logger.log(level, event, **fields)
        return
    if level < out.level:
        return
    fields["event"] = event
    fields["level"] = LEVEL_NAMES.get(level, "info")
    fields["timestamp"] = out.stamp.now()
    out.sink.write_line(orjson.dumps(fields).decode(), urgent=level >= logging.WARNING)


def flush_logs() -> None:
    """Write out the lines the current sink holds (before exit, or before a plain `print`)."""
    if _sink is not None:
        _sink.flush()


def configure_logging(
    level: int, *, stream: TextIO | None = None, json: bool | None = None
) -> None:
    """Configure structlog and the stdlib root logger once, at process start.

    Output goes to `stream` (stdout by default) as JSON lines unless it is a TTY (then the
    console renderer), or as `json` says. Stdlib records (aiohttp, asyncio) are rendered by
    the same chain, so every line has one shape.
    """
    out: TextIO = stream if stream is not None else CurrentStream()  # type: ignore[assignment]
    as_json = (not out.isatty()) if json is None else json
    stamp = UtcTimestamper()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        stamp,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=out.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    # Redacted last, after a traceback is rendered to plain text (in both formats: a console
    # renderer given the exception itself would print it unredacted, and with `rich` installed
    # would print every frame's local variables too), so URLs in it are redacted as well.
    tail: list[Processor] = [structlog.processors.format_exc_info, redact_event]
    global _sink, _json_output
    flush_logs()  # a sink configured earlier keeps nothing back
    sink = _sink = LineSink(out)
    _json_output = _JsonOutput(renderer, level, stamp, sink) if as_json else None
    structlog.configure(
        processors=[*shared, *tail, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=lambda *args: SinkLogger(sink),
        cache_logger_on_first_use=True,
    )
    handler = SinkHandler(sink)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tail,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


atexit.register(flush_logs)
