"""The shape both programs' log lines share: one JSON object per line on standard output,
with `event`, `level` (`debug|info|warning|error|critical`), `timestamp` (RFC 3339 UTC with
microseconds and `Z`), the caller's fields with secrets redacted (`redaction`), and `logger`
for records of stdlib loggers (aiohttp, kubernetes_asyncio, urllib3).

The pieces are structlog processors and helpers with no structlog import (a processor is a
plain callable `(logger, method, event) -> event`), so each program builds its chain from them.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Literal

from mcp_registry_common.redaction import redact_mapping

LogFormat = Literal["json", "console"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "console")
LOG_STREAM = "stdout"
"""The stream both programs write their log lines to."""

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
    """The logging level `text` names, and a warning when it names none (then INFO).

    >>> parse_level("WARN")
    (30, None)
    >>> parse_level("loud")[0] == logging.INFO
    True
    """
    if not text:
        return logging.INFO, None
    level = LEVELS.get(text.strip().lower())
    if level is None:
        return (
            logging.INFO,
            f"unknown log level {text!r}; using info (choose from {', '.join(LEVELS)})",
        )
    return level, None


def parse_format(text: str | None) -> tuple[bool | None, str | None]:
    """Whether `text` (`MCP_REGISTRY_LOG_FORMAT`) asks for JSON (True), console (False) or
    neither (None: JSON unless the stream is a TTY), and a warning when it names no format.

    >>> parse_format("console"), parse_format(None)
    ((False, None), (None, None))
    """
    if not text:
        return None, None
    value = text.strip().lower()
    if value in LOG_FORMATS:
        return value == "json", None
    return None, f"unknown log format {text!r}; choose from {', '.join(LOG_FORMATS)}"


def redact_event(logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
    """structlog processor: the values of secret-looking keys, and credentials in URLs inside
    any string (messages, errors, rendered tracebacks), replaced by `REDACTED`, at any depth.
    Both programs end their chains with it, so they hide the same keys."""
    return redact_mapping(event)


class UtcTimestamper:
    """structlog processor: `timestamp` as RFC 3339 UTC with microseconds and `Z`.

    Formats the seconds once per second (the server's request log runs this on every request),
    which structlog's own `TimeStamper` does not.
    """

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock
        self._second = -1
        self._prefix = ""

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
        event["timestamp"] = self.now()
        return event

    def now(self) -> str:
        """The current time, formatted.

        >>> UtcTimestamper(lambda: 1_700_000_000_123_456_789).now()
        '2023-11-14T22:13:20.123456Z'
        """
        second, nanoseconds = divmod(self._clock(), 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{nanoseconds // 1000:06d}Z"


class CurrentStream:
    """`sys.stdout`/`sys.stderr` looked up at every write: loggers are cached on first use,
    and must not keep a stream that was replaced (and closed) after logging was configured."""

    def __init__(self, name: str = LOG_STREAM) -> None:
        self._name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self._name).write(text))

    def flush(self) -> None:
        getattr(sys, self._name).flush()

    def isatty(self) -> bool:
        return bool(getattr(sys, self._name).isatty())
