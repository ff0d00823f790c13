"""Process-wide logging: structlog, one event per line, JSON off a TTY, secrets dropped."""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
SECRET_MARKERS = ("password", "token", "secret", "authorization", "credential", "api_key", "apikey")
"""A log key containing any of these (case-insensitive) is dropped, at any depth."""


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


def drop_secrets(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """structlog processor: remove secret-looking keys from the event and nested mappings."""
    return _scrub(event)


def _scrub(mapping: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    secret = [key for key in mapping if _is_secret(key)]
    for key in secret:
        del mapping[key]
    for key, value in mapping.items():
        if isinstance(value, dict):
            mapping[key] = _scrub(dict(value))
    return mapping


@functools.lru_cache(maxsize=4096)
def _is_secret(key: object) -> bool:
    """Cached: events reuse a small set of key names, and this runs for every key of every line."""
    lowered = str(key).lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


class UtcTimestamper:
    """structlog processor: `timestamp` as RFC 3339 UTC with microseconds and `Z`.

    Formats the seconds once per second (the request log runs this on every request), which
    structlog's own `TimeStamper` does not.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._second = -1
        self._prefix = ""

    def __call__(self, logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        now = self._clock()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        event["timestamp"] = f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"
        return event


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
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        UtcTimestamper(),
        drop_secrets,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    tail: list[Processor] = [structlog.processors.format_exc_info] if as_json else []
    structlog.configure(
        processors=[*shared, *tail, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
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
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
