"""Pure patch maths: JSON merge patch, JSON patch and a simplified server-side apply.

Server-side apply model (simplified, documented): each field manager owns the set of *leaf
paths* it last applied. Maps are walked key by key; lists and scalars are atomic leaves (no
list-map merging by key). Applying as manager M (1) fails with a conflict when, without
`force`, another manager owns a path M sets to a different value, (2) removes the paths M owned
before but no longer applies (unless another manager still owns them), (3) deep-merges the
intent into the object, keeping every field M does not mention, and (4) gives M ownership of
what it applied, taking it away from the others. Writes that are not applies (PUT, merge or
JSON patch) change no ownership. Metadata other than labels, annotations, ownerReferences and
finalizers is never owned.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import jsonpatch

Path = tuple[str, ...]
Owners = dict[str, set[Path]]

_OWNABLE_METADATA = ("labels", "annotations", "ownerReferences", "finalizers")


class PatchError(ValueError):
    """The patch document is malformed or cannot be applied to the object."""


class ApplyConflictError(Exception):
    """Another field manager owns a field the apply would change (and force was not set)."""

    def __init__(self, conflicts: list[tuple[str, Path]]) -> None:
        self.conflicts = conflicts
        text = "; ".join(f'conflict with "{m}": .{".".join(p)}' for m, p in conflicts)
        super().__init__(f"Apply failed with {len(conflicts)} conflict(s): {text}")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch; returns a new value and never mutates its inputs."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902 JSON patch through the `jsonpatch` package."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    try:
        result = jsonpatch.apply_patch(target, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise PatchError(f"the JSON patch could not be applied: {exc}") from exc
    if not isinstance(result, dict):
        raise PatchError("the JSON patch did not produce an object")
    return result


def ownable(intent: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an apply intent that field managers can own."""
    out = {k: copy.deepcopy(v) for k, v in intent.items() if k not in ("metadata",)}
    meta = intent.get("metadata") or {}
    owned_meta = {k: copy.deepcopy(meta[k]) for k in _OWNABLE_METADATA if k in meta}
    if owned_meta:
        out["metadata"] = owned_meta
    return out


def leaf_paths(value: Any, prefix: Path = ()) -> set[Path]:
    """Every leaf path of a JSON value: maps are walked, lists and scalars are leaves."""
    if isinstance(value, dict) and value:
        paths: set[Path] = set()
        for key, child in value.items():
            paths |= leaf_paths(child, (*prefix, key))
        return paths
    return {prefix} if prefix else set()


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """The managedFields `fieldsV1` set of `paths` (`{"f:spec": {"f:replicas": {}}}`); lists
    are atomic in this model, so no `k:`/`i:` members appear."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return root


def _get(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _remove(obj: dict[str, Any], path: Path) -> None:
    """Delete a leaf and then every map on its way that it left empty."""
    parents: list[tuple[dict[str, Any], str]] = []
    node: Any = obj
    for key in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return
        parents.append((node, key))
        node = node[key]
    if isinstance(node, dict):
        node.pop(path[-1], None)
    for parent, key in reversed(parents):
        if parent[key] == {}:
            del parent[key]


def deep_merge(target: dict[str, Any], intent: Mapping[str, Any]) -> dict[str, Any]:
    """Merge maps recursively; lists and scalars of the intent replace the target's."""
    result = copy.deepcopy(target)
    for key, value in intent.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def server_side_apply(
    current: dict[str, Any],
    intent: Mapping[str, Any],
    *,
    manager: str,
    force: bool,
    owners: Owners,
) -> tuple[dict[str, Any], Owners]:
    """Apply `intent` as `manager` on `current`; return the new object and new ownership."""
    applied = ownable(intent)
    paths = leaf_paths(applied)
    others = {m: p for m, p in owners.items() if m != manager}
    if not force:
        conflicts = [
            (m, p)
            for m, owned in sorted(others.items())
            for p in sorted(owned & paths)
            if _get(current, p) != _get(applied, p)
        ]
        if conflicts:
            raise ApplyConflictError(conflicts)
    still_owned = set().union(*others.values()) if others else set()
    result = copy.deepcopy(current)
    for path in sorted(owners.get(manager, set()) - paths - still_owned):
        _remove(result, path)
    result = deep_merge(result, applied)
    new_owners = {m: p - paths for m, p in others.items()}
    new_owners[manager] = paths
    return result, {m: p for m, p in new_owners.items() if p}


def drop_keys(obj: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """A shallow copy of `obj` without `keys`."""
    skip = set(keys)
    return {k: v for k, v in obj.items() if k not in skip}
