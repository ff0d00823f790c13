"""Every test starts with this project's loggers unbound from whatever an earlier test
configured (see mcp_registry_testing.logisolation): the suite runs in random order."""

from __future__ import annotations

import pytest
from mcp_registry_testing.logisolation import uncache_loggers


@pytest.fixture(autouse=True)
def _fresh_loggers() -> None:
    uncache_loggers()
