"""Decide, without writing, whether a built object must be applied (pure).

Each intent carries the digest of itself in an annotation. An object needs an apply when it
is absent, when its stored digest differs (our intent changed: that is how fields we stopped
setting get removed by server-side apply), or when a field we set now holds another value
(someone edited it). Fields the API server or other managers added are ignored: maps are
compared key by key on our keys only, lists item by item with the same length.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

APPLIED_DIGEST_ANNOTATION = "toolhive.stacklok.dev/applied-digest"
"""sha256 of the intent the operator last applied to this object."""


def intent_digest(obj: Mapping[str, Any]) -> str:
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_digest(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a built object whose annotations record the digest of the object."""
    intent = copy.deepcopy(dict(obj))
    digest = intent_digest(obj)
    meta = intent.setdefault("metadata", {})
    meta["annotations"] = {**meta.get("annotations", {}), APPLIED_DIGEST_ANNOTATION: digest}
    return intent


def stored_digest(obj: Mapping[str, Any]) -> str | None:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(APPLIED_DIGEST_ANNOTATION)
    return str(value) if value is not None else None


def covers(actual: Any, wanted: Any) -> bool:
    """Does `actual` hold every value of `wanted` (maps: our keys; lists: item by item)?"""
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and covers(actual[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(covers(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted
    return bool(actual == wanted)


def needs_apply(intent: Mapping[str, Any], stored: Mapping[str, Any] | None) -> bool:
    """`intent` comes from `with_digest`; `stored` is the cached object (None when absent)."""
    if stored is None:
        return True
    if stored_digest(stored) != stored_digest(intent):
        return True
    return not covers(stored, {k: v for k, v in intent.items() if k != "status"})
