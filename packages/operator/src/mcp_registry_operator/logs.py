"""Process-wide logging: structlog and the stdlib loggers (aiohttp, kubernetes_asyncio) rendered
by one chain, in the shape the server's lines have (`mcp_registry_common.logshape`): one JSON
object per line on stdout, secrets redacted."""

from __future__ import annotations

import functools
import json
import logging
from typing import TextIO

import structlog
from mcp_registry_common.logshape import (
    LEVELS,
    CurrentStream,
    LogFormat,
    UtcTimestamper,
    redact_event,
)
from structlog.typing import Processor

__all__ = ["LEVELS", "LogFormat", "configure_logging"]

_dumps = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)
"""Compact JSON, as the server's orjson writes it."""


def configure_logging(*, level: str, fmt: LogFormat, stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger once, at process start."""
    out: TextIO = stream if stream is not None else CurrentStream()  # type: ignore[assignment]
    number = LEVELS[level.lower()]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        UtcTimestamper(),
    ]
    as_json = fmt == "json"
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
    structlog.configure(
        processors=[*shared, *tail, renderer],
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
