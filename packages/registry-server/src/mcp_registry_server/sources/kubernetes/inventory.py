"""What the watched objects export right now: entries, skipped objects and their reasons (pure).

Keyed by (kind, namespace, name); a list replaces one kind in one namespace, a watch event
changes one object. `result` renders the whole source as the sync engine takes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcp_registry_common.kubeexport import Exported, Skipped, is_exported, to_entry

from mcp_registry_server.sources.base import FetchedServers, canonical_json_hash

Key = tuple[str, str, str]
"""(kind, namespace, name)."""
MAX_NOTES = 20
"""Skipped objects named in the status message; more are counted."""


class Inventory:
    """The exported objects' mapped results; mutated only from the event loop."""

    def __init__(self) -> None:
        self._items: dict[Key, Exported | Skipped] = {}

    def replace(self, kind: str, namespace: str, objects: Iterable[Mapping[str, Any]]) -> bool:
        """A fresh list of `kind` in `namespace` replaces what was known; True if it changed."""
        before = {k: v for k, v in self._items.items() if k[0] == kind and k[1] == namespace}
        after = dict(item for obj in objects if (item := _mapped(kind, obj)) is not None)
        for key in before:
            del self._items[key]
        self._items.update(after)
        return before != after

    def apply(self, kind: str, event: str, obj: Mapping[str, Any]) -> bool:
        """One watch event (ADDED, MODIFIED, DELETED); True if what is exported changed."""
        meta = obj.get("metadata") or {}
        key = (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        before = self._items.get(key)
        item = None if event == "DELETED" else _mapped(kind, obj)
        if item is None:
            self._items.pop(key, None)
            return before is not None
        self._items[key] = item[1]
        return before != item[1]

    def result(self, *, origin: str) -> FetchedServers:
        """Every entry, sorted by name; skipped objects become notes (status message)."""
        exported = sorted(
            (item for item in self._items.values() if isinstance(item, Exported)),
            key=lambda item: str(item.server["name"]),
        )
        servers = [item.server for item in exported]
        claims = {str(item.server["name"]): item.claims for item in exported if item.claims}
        skipped = sorted(
            f"{kind} {namespace}/{name}: {item.reason}"
            for (kind, namespace, name), item in self._items.items()
            if isinstance(item, Skipped)
        )
        notes = skipped[:MAX_NOTES]
        if len(skipped) > MAX_NOTES:
            notes.append(f"and {len(skipped) - MAX_NOTES} more")
        return FetchedServers(
            servers=servers,
            content_hash=canonical_json_hash([servers, sorted(claims.items()), skipped]),
            origin=origin,
            claims=claims,
            skipped=tuple(notes),
        )


def _mapped(kind: str, obj: Mapping[str, Any]) -> tuple[Key, Exported | Skipped] | None:
    if not is_exported(obj):
        return None
    meta = obj.get("metadata") or {}
    key = (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    return key, to_entry(kind, obj)
