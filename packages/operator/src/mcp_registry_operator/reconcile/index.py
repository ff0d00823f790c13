"""A reverse index from Secrets/ConfigMaps to the MCPRegistries that reference them, kept up
to date from the registry informer, and the mapper that turns a change of such an object into
the keys of its owner and of every registry that references it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mcp_registry_operator.reconcile.validation import InvalidSpecError, parse_cached
from mcp_registry_operator.resources.desired import references
from mcp_registry_operator.runtime.informer import KeyHandler
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_operator.runtime.mapping import Mapper

Ref = tuple[str, str, str]
"""(kind, namespace, name) of a referenced object."""


def referenced_by(obj: Mapping[str, Any]) -> set[Ref]:
    """What a cached MCPRegistry references; nothing when its spec does not validate."""
    try:
        registry = parse_cached(obj)
    except InvalidSpecError:
        return set()
    namespace = registry.metadata.namespace or ""
    return {(kind, namespace, name) for kind, name in references(registry)}


class ReferenceIndex:
    """registry key -> refs and ref -> registry keys; re-parsed only when the generation moves."""

    def __init__(self) -> None:
        self._refs: dict[Key, set[Ref]] = {}
        self._generation: dict[Key, object] = {}
        self._users: dict[Ref, set[Key]] = {}

    def update(self, key: Key, obj: Mapping[str, Any] | None) -> None:
        """Index the registry's current object (None: it is gone)."""
        if obj is None:
            self._set(key, set())
            self._generation.pop(key, None)
            return
        meta = obj.get("metadata") or {}
        stamp = (meta.get("uid"), meta.get("generation"))
        if self._generation.get(key) == stamp:
            return
        self._generation[key] = stamp
        self._set(key, referenced_by(obj))

    def registries(self, kind: str, namespace: str, name: str) -> list[Key]:
        return sorted(self._users.get((kind, namespace, name), ()))

    def handler(self, get: Callable[[Key], Mapping[str, Any] | None]) -> KeyHandler:
        """A registry-informer subscriber: re-index the key from the (already updated) cache."""

        def on_change(key: Key) -> None:
            self.update(key, get(key))

        return on_change

    def mapper(self, kind: str, *, owners: Mapper) -> Mapper:
        """For the informer of `kind`: the object's owner plus every registry referencing it."""

        def keys(obj: Mapping[str, Any]) -> Iterable[Key]:
            meta = obj.get("metadata") or {}
            users = self.registries(kind, str(meta.get("namespace", "")), str(meta.get("name", "")))
            return [*owners(obj), *users]

        return keys

    def _set(self, key: Key, refs: set[Ref]) -> None:
        for ref in self._refs.pop(key, set()) - refs:
            users = self._users.get(ref)
            if users is not None:
                users.discard(key)
                if not users:
                    del self._users[ref]
        if refs:
            self._refs[key] = refs
            for ref in refs:
                self._users.setdefault(ref, set()).add(key)
