"""Label and field selectors: parse the query strings into predicates over objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .status import bad_request

Predicate = Callable[[Mapping[str, Any]], bool]

_SET = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside `in (...)` value lists."""
    parts, depth, cur = [], 0, ""
    for ch in selector:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p for p in [*parts, cur] if p.strip()]


def _requirement(term: str) -> Callable[[Mapping[str, str]], bool]:
    if m := _EQ.match(term):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _SET.match(term):
        neg, key, op, values = m.groups()
        if op:
            allowed = {v.strip() for v in values.split(",")}
            if op == "in":
                return lambda labels: labels.get(key) in allowed
            return lambda labels: labels.get(key) not in allowed
        if neg:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement: {term!r}")


def label_predicate(selector: str | None) -> Predicate:
    """A predicate for `labelSelector` (equality, inequality, in, notin, exists, !exists)."""
    reqs = [_requirement(t) for t in _split(selector or "")]
    return lambda obj: all(r((obj.get("metadata") or {}).get("labels") or {}) for r in reqs)


_FIELDS: dict[str, tuple[str, ...]] = {
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
    "spec.nodeName": ("spec", "nodeName"),
    "status.phase": ("status", "phase"),
    "reason": ("reason",),
    "type": ("type",),
    **{
        f"involvedObject.{key}": ("involvedObject", key)
        for key in (
            "name",
            "namespace",
            "kind",
            "uid",
            "apiVersion",
            "fieldPath",
            "resourceVersion",
        )
    },
}
"""The field labels the double knows (the real server knows these and a few more per type)."""


def field_predicate(selector: str | None) -> Predicate:
    """A predicate for `fieldSelector` over the field labels in `_FIELDS`."""
    checks: list[Predicate] = []
    for term in _split(selector or ""):
        m = _EQ.match(term)
        if not m or m.group(1) not in _FIELDS:
            raise bad_request(f'field label not supported: "{term}"')
        field, op, value = m.groups()
        path = _FIELDS[field]

        def check(
            obj: Mapping[str, Any], p: tuple[str, ...] = path, v: str = value, o: str = op
        ) -> bool:
            actual: Any = obj
            for key in p:
                actual = actual.get(key) if isinstance(actual, Mapping) else None
            text = "" if actual is None else str(actual)
            return text != v if o == "!=" else text == v

        checks.append(check)
    return lambda obj: all(c(obj) for c in checks)
