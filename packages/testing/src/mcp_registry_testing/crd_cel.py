"""The x-kubernetes-validations (CEL) step of offline CRD admission, and the schema-path
helpers it shares with the other steps (`crd_admission`)."""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import cel

Cause = tuple[str, str]
"""(field path, message), as the API server's status causes carry them."""
Node = Mapping[str, Any]

_CEL_REASONS = {
    "FieldValueForbidden": "Forbidden",
    "FieldValueRequired": "Required value",
    "FieldValueDuplicate": "Duplicate value",
}


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def sub_schema(schema: Node, key: str) -> Node | None:
    """The schema of an object's field: a declared property, else additionalProperties."""
    sub = schema.get("properties", {}).get(key)
    extra = schema.get("additionalProperties")
    return sub if sub is not None else (extra if isinstance(extra, Mapping) else None)


def get_key(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else None


@functools.lru_cache(maxsize=512)
def _compile(expression: str) -> Any:
    return cel.compile(expression)


def cel_causes(schema: Node, value: Any, old: Any, path: str) -> Iterator[Cause]:
    """Run each node's rules with `self` bound to its value (only where the value exists);
    rules that mention oldSelf run on updates only, against the correlated old value."""
    if value is None:
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        cause = _run_rule(rule, schema, value, old, path)
        if cause is not None:
            yield cause
    if isinstance(value, dict):
        old_map = old if isinstance(old, Mapping) else {}
        for key, item in value.items():
            sub = sub_schema(schema, key)
            if sub is not None:
                yield from cel_causes(sub, item, old_map.get(key), child(path, key))
    elif isinstance(value, list):
        items = schema.get("items") or {}
        keys = schema.get("x-kubernetes-list-map-keys") or []
        olds = _correlate(old, keys) if schema.get("x-kubernetes-list-type") == "map" else {}
        for i, item in enumerate(value):
            marker = json.dumps([get_key(item, k) for k in keys])
            yield from cel_causes(items, item, olds.get(marker), f"{path}[{i}]")


def _correlate(old: Any, keys: list[str]) -> dict[str, Any]:
    if not isinstance(old, list):
        return {}
    return {json.dumps([get_key(item, k) for k in keys]): item for item in old}


def _run_rule(rule: Node, schema: Node, value: Any, old: Any, path: str) -> Cause | None:
    expression = rule["rule"]
    bindings = {"self": value}
    if re.search(r"\boldSelf\b", expression):
        if old is None:
            return None
        bindings["oldSelf"] = old
    field_path = _field_path(rule.get("fieldPath", "")).lstrip(".")
    target = child(path, field_path) if field_path else path
    shown = json.dumps(schema.get("type", "object"))
    try:
        ok = _compile(expression).execute(bindings)
    except Exception as exc:  # the cel package raises plain exceptions for missing keys
        return (target, f"Invalid value: {shown}: {exc} evaluating rule: {expression}")
    if ok is True:
        return None
    message = rule.get("message") or f"failed rule: {expression}"
    if rule.get("messageExpression"):
        # The API server falls back to `message` when messageExpression fails.
        with contextlib.suppress(Exception):
            message = str(_compile(rule["messageExpression"]).execute(bindings))
    prefix = _CEL_REASONS.get(rule.get("reason", ""), f"Invalid value: {shown}")
    return (target, f"{prefix}: {message}")


def _field_path(field_path: str) -> str:
    """`.a['b'].c` -> `.a.b.c` (the path syntax of x-kubernetes-validations' fieldPath)."""
    return re.sub(r"\['([^']*)'\]", r".\1", field_path)
