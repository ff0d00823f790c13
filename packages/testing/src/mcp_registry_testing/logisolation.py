"""Test isolation for structlog: both programs configure it with `cache_logger_on_first_use`,
so a module's logger used during a test that configured logging keeps that configuration for
the rest of the process, and `structlog.testing.capture_logs` in a later test sees nothing
from it. Which test configured logging first then decides what later tests see: a hidden
order dependency that random test order exposed."""

from __future__ import annotations

import sys

import structlog
from structlog._config import BoundLoggerLazyProxy

PREFIX = "mcp_registry_"


def uncache_loggers() -> int:
    """Make every module-level logger of this project's packages lazy again (it reads the
    configuration in force at its next use); the number reset."""
    reset = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith(PREFIX) or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, BoundLoggerLazyProxy) and "bind" in vars(value):
                del value.bind
                reset += 1
    return reset


def reset_logging() -> None:
    """structlog's defaults, except that a traceback is rendered as plain text.

    With `rich` installed (the test tools bring it; the products do not depend on it) the
    default console renderer prints every frame's local variables: for one failed reconcile,
    thousands of lines (informer caches, CRDs) rendered synchronously on the event loop, so a
    logged exception stalls the loop for seconds on a loaded machine and every wall-clock wait
    of the test runs out under it. Tests run on the defaults the products meet in production,
    where `rich` is absent and the traceback is plain."""
    structlog.reset_defaults()
    processors = [
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        if isinstance(p, structlog.dev.ConsoleRenderer)
        else p
        for p in structlog.get_config()["processors"]
    ]
    structlog.configure(processors=processors)
