"""Process-wide logging: structlog, one event per line (JSON or console), secret keys dropped,
stdlib loggers (aiohttp, kubernetes_asyncio) rendered by the same chain."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console"]
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
SECRET_MARKERS = ("password", "token", "secret", "authorization", "credential")
"""A log key containing any of these (case-insensitive) is dropped, at any depth."""


def drop_secrets(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: remove secret-looking keys from the event and nested mappings."""
    return _scrub(event)


def _scrub(mapping: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in [k for k in mapping if _is_secret(k)]:
        del mapping[key]
    for key, value in mapping.items():
        if isinstance(value, dict):
            mapping[key] = _scrub(dict(value))
    return mapping


@functools.lru_cache(maxsize=4096)
def _is_secret(key: object) -> bool:
    lowered = str(key).lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


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
        drop_secrets,
    ]
    as_json = fmt == "json"
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    tail: list[Processor] = [structlog.processors.format_exc_info] if as_json else []
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
