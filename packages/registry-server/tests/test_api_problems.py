"""The problem middleware's pure helpers."""

from __future__ import annotations

import pytest
from mcp_registry_server.api.problems import retry_after


@pytest.mark.parametrize(
    ("seconds", "header"),
    [(None, "1"), (0.0, "1"), (0.2, "1"), (1.0, "1"), (2.1, "3"), (9.9, "10")],
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(
    seconds: float | None, header: str
) -> None:
    assert retry_after(seconds) == header
