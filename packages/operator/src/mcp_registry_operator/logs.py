"""Process-wide logging: structlog, one event per line (JSON or console), secrets redacted,
stdlib loggers (aiohttp, kubernetes_asyncio) rendered by the same chain."""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog
from mcp_registry_common.redaction import redact_mapping
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console"]
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def redact_secrets(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: the values of secret-looking keys, and credentials in URLs inside
    any string (messages, errors, rendered tracebacks), replaced by `REDACTED`, at any depth."""
    return redact_mapping(event)


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


def configure_logging(*, level: str, fmt: LogFormat, stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger once, at process start."""
    out: TextIO = stream if stream is not None else _CurrentStream("stderr")  # type: ignore[assignment]
    number = LEVELS[level.lower()]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    as_json = fmt == "json"
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    # Redacted last, after a traceback is rendered to text (JSON output), so URLs in it are too.
    tail: list[Processor] = [structlog.processors.format_exc_info] if as_json else []
    tail.append(redact_secrets)
    structlog.configure(
        processors=[*shared, structlog.processors.StackInfoRenderer(), *tail, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
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
    root.setLevel(number)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
