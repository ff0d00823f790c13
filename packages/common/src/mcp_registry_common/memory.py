"""The memory rule of the registry server, and the defaults it keeps consistent (pure).

    peak RSS <= BASE_RSS + RSS_PER_CAP_BYTE x max document bytes

for a server syncing one source, whatever the source serves: a hostile document (refused or
within the limits), a realistic catalog at the cap, or either of them after a catalog at the
cap is already stored (a re-sync holds the old data while it builds the new one).
`bench/document_memory.py` measures each case against it. Each further source adds what it
keeps (about 6x its document's size for an upstream catalog, 10x for a legacy one); parses run
one at a time, so the transient part is paid once.

The operator gives each server container `DEFAULT_MEMORY_LIMIT`, and the default byte cap
keeps the rule within `HEADROOM` of it.
"""

from __future__ import annotations

from mcp_registry_common.formats.limits import MIB

BASE_RSS = 96 * MIB
"""The server's RSS before it holds any document (80 MiB measured: Python 3.11, x86-64)."""
RSS_PER_CAP_BYTE = 30
"""Peak RSS one source may add per byte of the byte cap. Worst measured 23 to 26: a string
filling the cap with one emoji (Python keeps such text at 4 bytes a character, in the decoded
document, the value, its JSON and its search text), synced after a realistic catalog at the
cap; a realistic catalog at the cap takes 7 to 11, 14 to 21 to re-sync."""
DEFAULT_MEMORY_LIMIT = 512 * MIB
"""`resources.limits.memory` of the server container the operator creates (512Mi)."""
HEADROOM = 0.8
"""Share of a memory limit the rule may take; the rest is margin (allocator, other sources)."""


def peak_rss_bound(max_document_bytes: int) -> int:
    """The most the rule lets a server with this byte cap reach, in bytes."""
    return BASE_RSS + RSS_PER_CAP_BYTE * max_document_bytes


def max_document_bytes_for(memory_limit: int) -> int:
    """The largest byte cap whose rule stays within `HEADROOM` of `memory_limit` (0: none)."""
    return max(0, int(memory_limit * HEADROOM - BASE_RSS) // RSS_PER_CAP_BYTE)


def memory_limit_quantity(size: int) -> str:
    """`size` as a Kubernetes quantity in whole mebibytes (`512Mi`)."""
    return f"{-(-size // MIB)}Mi"
