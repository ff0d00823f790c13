"""Test isolation for structlog: both programs configure it with `cache_logger_on_first_use`,
so a module's logger used during a test that configured logging keeps that configuration for
the rest of the process, and `structlog.testing.capture_logs` in a later test sees nothing
from it. Which test configured logging first then decides what later tests see: a hidden
order dependency that random test order exposed."""

from __future__ import annotations

import sys

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
