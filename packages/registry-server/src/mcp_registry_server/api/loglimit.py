"""A per-second budget for the request log's info lines, the rest counted and reported.

Every request gets a latency sample; every failed request (4xx/5xx) gets its warning or error
line. Successful requests get an info line each up to `per_second` in one second of the
monotonic clock, as zap's production sampler does: a burst (a crawler walking every page, a
load test, a retry storm) otherwise writes a line per request, which costs more CPU than the
cached read itself and floods the log pipeline. What is left out is not lost silently: when
its second ends, one `http_requests_not_logged` line says how many lines were left out.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger("mcp_registry_server.http")

DEFAULT_PER_SECOND = 100
"""Successful-request lines per second by default (`--request-log-limit`, 0: every one)."""


def limit_at_level(per_second: int, level: int) -> int:
    """The limit to use at log `level`: none above info, where no success line is written
    (so nothing is counted, nor reported)."""
    return per_second if level <= logging.INFO else 0


class RequestLogLimit:
    """Admits at most `per_second` lines per second of `clock` (0: every line)."""

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second < 0:
            raise ValueError(f"request log limit must be 0 or more, not {per_second}")
        self.per_second = per_second
        self._clock = clock
        self._second = -1
        self._admitted = 0
        self._left_out = 0

    def admit(self) -> bool:
        """True: write this request's line. False: it is counted, to be reported."""
        if not self.per_second:
            return True
        now = self._clock()
        second = int(now)
        if second != self._second:
            if self._left_out:  # its timer is late: report now, outside this request's context
                contextvars.Context().run(self._report, self._second)
            self._second, self._admitted = second, 0
        if self._admitted < self.per_second:
            self._admitted += 1
            return True
        if not self._left_out:  # the first line left out this second: report when it ends
            self._report_later(second + 1 - now, second)
        self._left_out += 1
        return False

    def _report_later(self, delay: float, second: int) -> None:
        """Report `second` after `delay` (without a running loop: on the next second's first
        line, or at `close`)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(delay, self._report, second, context=contextvars.Context())

    def close(self) -> None:
        """Report what the current second has left out so far (at shutdown: its timer may
        never run)."""
        contextvars.Context().run(self._report, self._second)

    def _report(self, second: int) -> None:
        """Log how many lines `second` left out (once: a report for a later second is a no-op
        until that second has left lines out, and the counts restart with every second). Runs
        in an empty context: the line belongs to no request, so it carries no request's id."""
        if second != self._second or not self._left_out:
            return
        log.info(
            "http_requests_not_logged",
            count=self._left_out,
            limit_per_second=self.per_second,
        )
        self._left_out = 0
