"""`meta.k8s.io/v1 Table` rendering for `kubectl get`, with a CRD's printer columns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .resources import ResourceType

_NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_FILTER = re.compile(r"^\[\?\(@\.([\w.]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")
_INDEX = re.compile(r"^\[(\d+|\*)\]")
_FIELD = re.compile(r"^\.([\w-]+)")


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def evaluate(path: str, obj: Any) -> Any:
    """A small JSONPath subset: `.a.b`, `[0]`, `[*]` and `[?(@.k=='v')]`; the first match wins."""
    nodes = [obj]
    rest = path.strip().removeprefix("{").removesuffix("}").removeprefix("$")
    while rest and nodes:
        if m := _FIELD.match(rest):
            nodes = [n[m.group(1)] for n in nodes if isinstance(n, dict) and m.group(1) in n]
        elif m := _INDEX.match(rest):
            lists = [n for n in nodes if isinstance(n, list)]
            if m.group(1) == "*":
                nodes = [x for n in lists for x in n]
            else:
                nodes = [n[int(m.group(1))] for n in lists if int(m.group(1)) < len(n)]
        elif m := _FILTER.match(rest):
            key, value = m.groups()
            items = [x for n in nodes if isinstance(n, list) for x in n]
            nodes = [x for x in items if str(evaluate("." + key, x)) == value]
        else:
            return None
        rest = rest[m.end() :]
    return nodes[0] if nodes else None


def age(timestamp: str, *, now: datetime | None = None) -> str:
    """The short age kubectl shows: 42s, 5m, 3h, 2d."""
    try:
        then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = max(int(((now or datetime.now(UTC)) - then).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _columns(rt: ResourceType) -> list[Mapping[str, Any]]:
    return list(rt.printer_columns) if rt.custom else [_AGE]


def _cell(column: Mapping[str, Any], obj: Mapping[str, Any]) -> Any:
    value = evaluate(column.get("jsonPath", ""), obj)
    if value is None:
        return None
    if column.get("type") == "date":
        return age(str(value))
    return value


def _partial_metadata(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def table(
    rt: ResourceType, objects: list[dict[str, Any]], *, resource_version: int
) -> dict[str, Any]:
    """A Table of `objects`: Name plus the printer columns (priority > 0 only for -o wide)."""
    columns = _columns(rt)
    definitions = [_NAME_COLUMN] + [
        {
            "name": c["name"],
            "type": c.get("type", "string"),
            "format": c.get("format", ""),
            "description": c.get("description", ""),
            "priority": c.get("priority", 0),
        }
        for c in columns
    ]
    rows = [
        {
            "cells": [obj["metadata"]["name"]] + [_cell(c, obj) for c in columns],
            "object": _partial_metadata(obj),
        }
        for obj in objects
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": definitions,
        "rows": rows,
    }
