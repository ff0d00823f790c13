"""The C heap's settings: glibc takes one malloc arena for every thread (memtrim.py says why)."""

from __future__ import annotations

import platform

import pytest
from mcp_registry_server import memtrim

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_trim are glibc's"
)


def test_glibc_takes_one_arena_for_every_thread() -> None:
    assert memtrim.use_one_malloc_arena()  # mallopt answers 0 to a parameter it does not know
