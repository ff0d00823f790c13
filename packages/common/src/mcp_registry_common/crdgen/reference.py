"""The MCPRegistry field reference (Markdown) generated from the CRD schema, itself generated
from the models: every field with its type, default, constraints and description."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcp_registry_common.crdgen.crd import build_crd

REFERENCE_FILE_NAME = "crd-reference.md"
GENERATED = "Generated from mcp_registry_common.mcpregistry by `hatch run gen-crd`. Do not edit."


def _shown(column: Mapping[str, Any]) -> str:
    return "with -o wide" if column.get("priority") else "always"


def _type_of(node: Mapping[str, Any]) -> str:
    if node.get("x-kubernetes-int-or-string"):
        return "int or string"
    kind = node.get("type")
    if kind == "array":
        return f"[]{_type_of(node.get('items', {}))}"
    if kind == "object" and "additionalProperties" in node:
        return f"map[string]{_type_of(node['additionalProperties'])}"
    if kind is None and node.get("x-kubernetes-preserve-unknown-fields"):
        return "string or []string" if "not" in node else "any"
    return str(kind or "any")


def _constraints(node: Mapping[str, Any]) -> str:
    parts: list[str] = []
    if "enum" in node:
        parts.append("one of " + ", ".join(f"`{v}`" for v in node["enum"]))
    for key, label in (
        ("pattern", "pattern"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ):
        if key in node:
            value = f"`{node[key]}`" if key == "pattern" else str(node[key])
            parts.append(f"{label} {value}")
    if node.get("x-kubernetes-list-map-keys"):
        parts.append("keyed by " + ", ".join(node["x-kubernetes-list-map-keys"]))
    return "; ".join(parts)


def _fields(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """(path, schema, required) for every field below `node`, depth first in schema order."""
    required = set(node.get("required", []))
    for name, child in node.get("properties", {}).items():
        child_path = f"{path}.{name}" if path else name
        yield child_path, child, name in required
        yield from _fields(child, child_path)
        items = child.get("items", {})
        if items.get("properties"):
            yield from _fields(items, f"{child_path}[]")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_reference() -> str:
    """The Markdown reference of spec and status, deterministic."""
    crd = build_crd()
    versions = crd["spec"]["versions"]
    version = versions[0]
    served = " and ".join(f"`{v['name']}`" for v in versions if v["served"])
    (stored,) = [v["name"] for v in versions if v["storage"]]
    root = version["schema"]["openAPIV3Schema"]
    names = crd["spec"]["names"]
    short_names = ", ".join(f"`{n}`" for n in names["shortNames"])
    lines = [
        f"<!-- {GENERATED} -->",
        f"# {names['kind']} reference ({crd['spec']['group']})",
        "",
        f"Served as {served} with one schema (conversion `None`), stored as `{stored}` "
        "(see [crd-versions.md](crd-versions.md)). "
        f"Plural `{names['plural']}`, short names {short_names}, namespaced, with a status "
        f"subresource. {_cell(root.get('description', ''))}",
        "",
        "| `kubectl get` column | JSONPath | shown |",
        "|---|---|---|",
        *(
            f"| {c['name']} | `{c['jsonPath']}` | {_shown(c)} |"
            for c in version.get("additionalPrinterColumns", [])
        ),
    ]
    for top in ("spec", "status"):
        lines += [
            "",
            f"## {top}",
            "",
            "| field | type | required | default | constraints | description |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for path, node, required in _fields(root["properties"][top], ""):
            default = f"`{json.dumps(node['default'])}`" if "default" in node else ""
            lines.append(
                f"| `{path}` | {_type_of(node)} | {'yes' if required else ''} | {default} "
                f"| {_cell(_constraints(node))} | {_cell(node.get('description', ''))} |"
            )
    spec = root["properties"]["spec"]
    nodes = [("spec", spec)] + [
        pair
        for path, node, _ in _fields(spec, "")
        for pair in ((f"spec.{path}", node), (f"spec.{path}[]", node.get("items", {})))
    ]
    rules = [
        (path, rule) for path, node in nodes for rule in node.get("x-kubernetes-validations", [])
    ]
    lines += ["", "## Cross-field rules (CEL, enforced by the API server)", ""]
    lines += [f"- `{path}`: {_cell(rule['message'])}" for path, rule in rules]
    return "\n".join(lines) + "\n"


def write_reference(path: str | Path) -> None:
    """Write render_reference() to `path`."""
    path = Path(path)
    path.write_text(render_reference(), encoding="utf-8")
