"""Process-wide logging: structlog, one event per line, JSON off a TTY, secrets redacted."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import orjson
import structlog
from mcp_registry_common.redaction import redact_mapping
from structlog.typing import EventDict, Processor, WrappedLogger

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
LEVEL_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}
"""The `level` value structlog's `add_log_level` writes for `logger.log(level, ...)`."""


def parse_level(text: str | None) -> tuple[int, str | None]:
    """The logging level `text` names, and a warning when it names none (then INFO)."""
    if not text:
        return logging.INFO, None
    level = LEVELS.get(text.strip().lower())
    if level is None:
        return (
            logging.INFO,
            f"unknown log level {text!r}; using info (choose from {', '.join(LEVELS)})",
        )
    return level, None


def redact_secrets(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: the values of secret-looking keys, and credentials in URLs inside
    any string (messages, errors, rendered tracebacks), replaced by `REDACTED`, at any depth."""
    return redact_mapping(event)


class UtcTimestamper:
    """structlog processor: `timestamp` as RFC 3339 UTC with microseconds and `Z`.

    Formats the seconds once per second (the request log runs this on every request), which
    structlog's own `TimeStamper` does not.
    """

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock
        self._second = -1
        self._prefix = ""

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        event["timestamp"] = self.now()
        return event

    def now(self) -> str:
        """The current time, formatted."""
        second, nanoseconds = divmod(self._clock(), 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{nanoseconds // 1000:06d}Z"


def _dumps(value: Any, **kwargs: Any) -> str:
    """JSON for one log line (orjson: the request log renders a line per request)."""
    return orjson.dumps(value, default=kwargs.get("default")).decode()


class _CurrentStream:
    """`sys.stdout`/`sys.stderr` looked up at every write: loggers are cached on first use,
    and must not keep a stream that was replaced (and closed) after logging was configured."""

    def __init__(self, name: str) -> None:
        self._name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self._name).write(text))

    def flush(self) -> None:
        getattr(sys, self._name).flush()

    def isatty(self) -> bool:
        return bool(getattr(sys, self._name).isatty())


class LineSink:
    """Where every rendered line goes: written in batches, one write and flush per batch.

    Info and debug lines logged while an event loop runs in this thread are kept for at most
    `FLUSH_DELAY` seconds (a `call_later` set by the first of them) or `MAX_PENDING`
    characters, then written together: the request log of a busy server costs one write per
    batch of hundreds of requests instead of one per request or per loop iteration, as
    nginx's buffered `access_log` does. A warning or worse is written at once, after what is
    kept, and so is every line logged without a running loop (start-up, worker threads,
    exit). The order of lines is always the order of calls: one sink serves structlog and
    stdlib records. `flush_logs` runs at exit, so only a killed process can lose lines, and
    only info or debug lines of its last `FLUSH_DELAY`.
    """

    MAX_PENDING = 64 * 1024
    FLUSH_DELAY = 0.1

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._size = 0
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        """The loop a flush is scheduled on (None: none is)."""

    def write_line(self, line: str, *, urgent: bool = False) -> None:
        """Keep `line` for the next batch, or write it (and what is kept) now if `urgent`."""
        with self._lock:
            self._pending.append(line)
            self._size += len(line)
            if urgent or self._size >= self.MAX_PENDING:
                loop = None
            else:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    loop = None
                if loop is not None and loop is self._timer_loop:
                    return  # the flush already scheduled takes this line too
                self._timer_loop = loop
        if loop is None:
            self.flush()
        else:  # the first line since the last flush (or a flush pending on a loop now gone)
            loop.call_later(self.FLUSH_DELAY, self.flush)

    def flush(self) -> None:
        """Write and flush whatever is pending (safe to call at any time, from any thread)."""
        with self._lock:
            self._timer_loop = None
            if not self._pending:
                return
            text = "\n".join(self._pending) + "\n"
            self._pending.clear()
            self._size = 0
            self._stream.write(text)
            self._stream.flush()


class SinkLogger:
    """The structlog logger (what `WriteLogger` is) writing rendered events to a `LineSink`:
    info and debug lines in the next batch, warnings and worse at once."""

    def __init__(self, sink: LineSink) -> None:
        self._sink = sink

    def msg(self, message: str) -> None:
        self._sink.write_line(message)

    def urgent(self, message: str) -> None:
        self._sink.write_line(message, urgent=True)

    log = debug = info = msg
    warn = warning = fatal = failure = err = error = critical = exception = urgent


class _SinkHandler(logging.Handler):
    """The stdlib root handler: records formatted by structlog's chain, written to the sink."""

    def __init__(self, sink: LineSink) -> None:
        super().__init__()
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._sink.write_line(self.format(record), urgent=record.levelno >= logging.WARNING)
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self._sink.flush()


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
    out: TextIO = stream if stream is not None else _CurrentStream("stdout")  # type: ignore[assignment]
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
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    # Redacted last, after a traceback is rendered to text (JSON output), so URLs in it are too.
    tail: list[Processor] = [structlog.processors.format_exc_info] if as_json else []
    tail.append(redact_secrets)
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
    handler = _SinkHandler(sink)
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
