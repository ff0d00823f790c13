"""Every test starts with structlog as it is before anything configures it (tracebacks plain, as
without `rich`: see mcp_registry_testing.logisolation.reset_logging), and with this
project's loggers unbound from whatever an earlier test configured (see
mcp_registry_testing.logisolation): the suite runs in random order, so what one test set up
must not decide what the next one sees (a level filter dropping debug lines, a cached logger
bypassing capture_logs)."""

from __future__ import annotations

import pytest
from mcp_registry_testing.logisolation import reset_logging, uncache_loggers


@pytest.fixture(autouse=True)
def _fresh_loggers() -> None:
    reset_logging()
    uncache_loggers()
