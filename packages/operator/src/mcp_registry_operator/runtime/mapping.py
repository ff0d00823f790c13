"""Mappers from a watched object to the keys to reconcile: itself, its owner, or anything."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from .keys import Key, make_key, object_key


class Mapper(Protocol):
    def __call__(self, obj: Mapping[str, Any]) -> Iterable[Key]:
        """The keys an event on `obj` should enqueue."""
        ...


def own_key(obj: Mapping[str, Any]) -> Iterable[Key]:
    """The object's own key (the primary resource of a controller)."""
    return (object_key(obj),)


def owner_mapper(*, api_version: str, kind: str) -> Mapper:
    """Map an owned object to its controlling owner of `kind` (same namespace, by name)."""

    def owners(obj: Mapping[str, Any]) -> Iterable[Key]:
        meta = obj.get("metadata") or {}
        return [
            make_key(str(meta.get("namespace", "")), str(ref["name"]))
            for ref in meta.get("ownerReferences") or []
            if ref.get("controller")
            and ref.get("kind") == kind
            and str(ref.get("apiVersion", "")).split("/")[0] == api_version.split("/")[0]
        ]

    return owners
