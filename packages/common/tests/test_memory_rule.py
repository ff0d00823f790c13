"""The memory rule keeps the default byte cap and the server pod's memory limit consistent."""

from __future__ import annotations

from mcp_registry_common.formats.limits import DEFAULT_MAX_DOCUMENT_BYTES, MIB
from mcp_registry_common.memory import (
    DEFAULT_MEMORY_LIMIT,
    HEADROOM,
    max_document_bytes_for,
    memory_limit_quantity,
    peak_rss_bound,
)


def test_the_default_cap_fits_the_default_memory_limit_with_headroom() -> None:
    assert peak_rss_bound(DEFAULT_MAX_DOCUMENT_BYTES) <= HEADROOM * DEFAULT_MEMORY_LIMIT
    assert max_document_bytes_for(DEFAULT_MEMORY_LIMIT) >= DEFAULT_MAX_DOCUMENT_BYTES
    assert memory_limit_quantity(DEFAULT_MEMORY_LIMIT) == "512Mi"


def test_the_cap_for_a_memory_limit_is_the_rule_solved_for_it() -> None:
    for limit in (256 * MIB, 512 * MIB, 1024 * MIB, 2048 * MIB):
        cap = max_document_bytes_for(limit)
        assert peak_rss_bound(cap) <= HEADROOM * limit < peak_rss_bound(cap + 1)
    assert max_document_bytes_for(64 * MIB) == 0
    assert round(max_document_bytes_for(1024 * MIB) / MIB) == 24
