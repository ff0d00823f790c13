"""Static checks of a generated openAPIV3Schema: structural-schema rules and CEL cost bounds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_FORBIDDEN = ("$ref", "$defs", "title", "uniqueItems", "const", "prefixItems", "oneOf", "allOf")
_JUNCTOR_FORBIDDEN = ("type", "description", "default", "additionalProperties", "nullable")
_UNTYPED_OK = ("x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields")
_IDENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")

Node = Mapping[str, Any]


def iter_nodes(schema: Node, path: str = "") -> Iterator[tuple[str, Node]]:
    """Every structural node (not inside value validations) with its dotted schema path."""
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from iter_nodes(sub, f"{path}.{name}" if path else name)
    if isinstance(schema.get("items"), Mapping):
        yield from iter_nodes(schema["items"], f"{path}[*]")
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield from iter_nodes(schema["additionalProperties"], f"{path}{{*}}")


def structural_violations(schema: Node) -> list[str]:
    """Everything the apiextensions validation would reject or that breaks pruning/CEL."""
    problems: list[str] = []
    for path, node in iter_nodes(schema):
        where = path or "<root>"
        problems += [f"{where}: forbidden keyword {k!r}" for k in _FORBIDDEN if k in node]
        if node.get("additionalProperties") is False:
            problems.append(f"{where}: additionalProperties: false is not allowed")
        if "additionalProperties" in node and "properties" in node:
            problems.append(f"{where}: properties and additionalProperties are exclusive")
        if "type" not in node and not any(node.get(k) for k in _UNTYPED_OK):
            problems.append(f"{where}: no type (and not int-or-string/preserve-unknown)")
        if node.get("type") == "array" and "items" not in node:
            problems.append(f"{where}: array without items")
        if "default" in node and node["default"] is None and not node.get("nullable"):
            problems.append(f"{where}: default null on a non-nullable node")
        for junctor in ("anyOf", "not"):
            for sub in _junction(node.get(junctor)):
                problems += [
                    f"{where}.{junctor}: {k!r} not allowed in value validations"
                    for k in _JUNCTOR_FORBIDDEN
                    if k in sub
                ]
        problems += _list_map_problems(where, node)
    return problems


def _junction(value: Any) -> list[Node]:
    if isinstance(value, Mapping):
        return [value]
    return [v for v in value or [] if isinstance(v, Mapping)]


def _list_map_problems(where: str, node: Node) -> list[str]:
    if node.get("x-kubernetes-list-type") != "map":
        if "x-kubernetes-list-map-keys" in node:
            return [f"{where}: list-map-keys without list-type map"]
        return []
    items = node.get("items", {})
    keys = node.get("x-kubernetes-list-map-keys") or []
    if not keys:
        return [f"{where}: list-type map without list-map-keys"]
    problems = []
    for key in keys:
        prop = items.get("properties", {}).get(key)
        if prop is None or prop.get("type") not in ("string", "integer", "boolean"):
            problems.append(f"{where}: list-map key {key!r} is not a scalar property")
        elif key not in items.get("required", []) and "default" not in prop:
            problems.append(f"{where}: list-map key {key!r} is neither required nor defaulted")
    return problems


def unbounded_cel_inputs(schema: Node) -> list[str]:
    """Lists and strings a CEL rule may touch but whose size is unbounded.

    The API server estimates each rule's worst-case cost from maxItems/maxLength and rejects
    the CRD when it is too high. A field counts as touched when the rule names it
    (`.name`) anywhere below the node that declares the rule, or when the rule's node itself
    is the list or string (`self`).
    """
    problems: list[str] = []
    for path, node in iter_nodes(schema):
        rules = node.get("x-kubernetes-validations") or []
        if not rules:
            continue
        idents = {m for r in rules for m in _IDENT.findall(r.get("rule", ""))}
        problems += _unbounded(path, node)
        for sub_path, sub in iter_nodes(node, path):
            name = re.sub(r"(\[\*\]|\{\*\})+$", "", sub_path).rsplit(".", 1)[-1]
            if sub is not node and name in idents:
                problems += _unbounded(sub_path, sub)
    return sorted(set(problems))


def _unbounded(path: str, node: Node) -> list[str]:
    if node.get("type") == "array":
        missing = [] if "maxItems" in node else [f"{path}: list without maxItems under a CEL rule"]
        return missing + _unbounded(f"{path}[*]", node.get("items", {}))
    if node.get("type") == "string" and "maxLength" not in node and "enum" not in node:
        return [f"{path}: string without maxLength under a CEL rule"]
    return []
