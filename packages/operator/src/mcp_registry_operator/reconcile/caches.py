"""The informer caches the reconciler reads from: the registries and every kind it touches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mcp_registry_operator.runtime.keys import Key, make_key


class Cache(Protocol):
    """What the reconciler needs from an informer: a read of its local copy."""

    def get(self, key: Key) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Caches:
    """One cache per kind; reads never go to the API server."""

    registries: Cache
    by_kind: Mapping[str, Cache]
    """ConfigMap, Secret, ServiceAccount, Role, RoleBinding, Deployment, Service."""

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        cache = self.by_kind.get(kind)
        return None if cache is None else cache.get(make_key(namespace, name))
