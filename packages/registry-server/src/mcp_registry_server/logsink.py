"""The batching line sink every log line goes through: one write and flush per batch."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TextIO


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


class SinkHandler(logging.Handler):
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
