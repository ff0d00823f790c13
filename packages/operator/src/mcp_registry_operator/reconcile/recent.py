"""Writes this operator made moments ago, remembered until the informer cache has caught up.

An informer shows our own write only when its watch event arrives. A reconcile that runs in
between would see the old object and write the same thing again. So each write is recorded
with the resourceVersion the API server returned; while the cached object is older than that,
the recorded content stands in for it. resourceVersions are compared as integers when both are
integers (etcd revisions, and the local API double), otherwise only equality counts; either way
an entry expires after `ttl` seconds, and deleting the object forgets it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Aspect = Literal["object", "status", "finalizer"]


@dataclass(frozen=True)
class WriteRef:
    kind: str
    namespace: str
    name: str
    aspect: Aspect = "object"


@dataclass(frozen=True)
class _Entry:
    content: Any
    resource_version: str
    at: float


def caught_up(cached_rv: str, written_rv: str) -> bool:
    """Does a cache at `cached_rv` already include the write that returned `written_rv`?"""
    if cached_rv.isdigit() and written_rv.isdigit():
        return int(cached_rv) >= int(written_rv)
    return cached_rv == written_rv


class RecentWrites:
    def __init__(self, *, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[WriteRef, _Entry] = {}
        self._since_sweep = 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, ref: WriteRef, content: Any, resource_version: str) -> None:
        self._entries[ref] = _Entry(content, resource_version, self._clock())
        self._since_sweep += 1
        if self._since_sweep >= 1024:
            self._sweep()

    def lookup(self, ref: WriteRef, cached: Mapping[str, Any] | None) -> Any | None:
        """The content we wrote, if the cached object does not show that write yet."""
        entry = self._entries.get(ref)
        if entry is None:
            return None
        cached_rv = str(((cached or {}).get("metadata") or {}).get("resourceVersion") or "")
        expired = self._clock() - entry.at > self._ttl
        if expired or (cached_rv and caught_up(cached_rv, entry.resource_version)):
            del self._entries[ref]
            return None
        return entry.content

    def forget(self, kind: str, namespace: str, name: str) -> None:
        """The object is gone: nothing we wrote to it stands any more."""
        for aspect in ("object", "status", "finalizer"):
            self._entries.pop(WriteRef(kind, namespace, name, aspect), None)

    def _sweep(self) -> None:
        now = self._clock()
        self._entries = {r: e for r, e in self._entries.items() if now - e.at <= self._ttl}
        self._since_sweep = 0
