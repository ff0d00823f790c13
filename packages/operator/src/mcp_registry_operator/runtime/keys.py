"""Object keys: the "namespace/name" strings the workqueue and the reconcilers speak."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NewType

Key = NewType("Key", str)


class MalformedKeyError(ValueError):
    """A key was not of the form "namespace/name"."""


def make_key(namespace: str, name: str) -> Key:
    return Key(f"{namespace}/{name}")


def split_key(key: Key) -> tuple[str, str]:
    """(namespace, name) of a key."""
    namespace, sep, name = key.partition("/")
    if not sep or not namespace or not name:
        raise MalformedKeyError(f"key {key!r} is not of the form namespace/name")
    return namespace, name


def object_key(obj: Mapping[str, Any]) -> Key:
    """The key of an API object from its metadata."""
    meta = obj.get("metadata") or {}
    return make_key(str(meta.get("namespace", "")), str(meta.get("name", "")))
