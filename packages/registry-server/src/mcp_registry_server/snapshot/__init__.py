"""Immutable per-registry read caches: deduplicated, sorted, pre-serialised server entries
(and skills and plugins)."""

from mcp_registry_server.snapshot.build import build_snapshot
from mcp_registry_server.snapshot.model import (
    Entry,
    EntryKey,
    Items,
    ListQuery,
    Page,
    RegistrySnapshot,
    entry_key,
)

__all__ = [
    "Entry",
    "EntryKey",
    "Items",
    "ListQuery",
    "Page",
    "RegistrySnapshot",
    "build_snapshot",
    "entry_key",
]
