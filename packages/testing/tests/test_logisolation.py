"""The logging every test starts with (the root conftest): a logged exception is rendered as a
plain traceback, never with each frame's local variables."""

from __future__ import annotations

import pytest
import structlog


def fail_with_a_large_local() -> None:
    cache = {f"key-{i}": "LOCAL-VALUE" for i in range(1000)}  # like an informer's cache
    raise RuntimeError(f"failed with {len(cache)} cached objects")


def test_a_logged_exception_is_a_plain_traceback_without_locals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        fail_with_a_large_local()
    except RuntimeError:
        structlog.get_logger("test").warning("reconcile_error", exc_info=True)
    out = capsys.readouterr().out
    assert "reconcile_error" in out
    assert "Traceback (most recent call last)" in out
    assert "RuntimeError: failed with 1000 cached objects" in out
    assert "LOCAL-VALUE" not in out  # rich's show_locals would print the cache, 1000 lines
