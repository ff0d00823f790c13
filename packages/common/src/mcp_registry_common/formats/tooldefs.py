"""MCP tool definitions as toolhive-core's `mcp.Tool` decodes and re-marshals them."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats.gojson import GoFields

_SCHEMA_MODELED = frozenset(
    {"$defs", "definitions", "type", "properties", "required", "additionalProperties"}
)
_HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")


def tool_definition(tool: GoFields) -> dict[str, Any]:
    """One `tool_definitions[]` item after Go's `Tool.UnmarshalJSON`/`MarshalJSON`.

    `name`, `inputSchema` and `annotations` are always written (`{}` when absent);
    `outputSchema` only when it has a `type`; unknown keys are dropped.
    """
    out: dict[str, Any] = {"name": tool.text("name")}
    for key in ("title", "description"):
        if value := tool.text(key):
            out[key] = value
    input_schema = tool.child("inputSchema")
    out["inputSchema"] = {} if input_schema is None else _schema(input_schema)
    output_schema = tool.child("outputSchema")
    if output_schema is not None and output_schema.text("type"):
        out["outputSchema"] = _schema(output_schema)
    annotations = tool.child("annotations")
    out["annotations"] = {} if annotations is None else _annotations(annotations)
    if tool.flag("defer_loading"):
        out["defer_loading"] = True
    meta = tool.mapping("_meta")
    if meta is not None:
        out["_meta"] = {k: v for k, v in meta.items() if k != "progressToken" or v is not None}
    icons = tool.children("icons")
    if icons is not None:
        out["icons"] = [_icon(icon) for icon in icons]
    execution = tool.child("execution")
    if execution is not None:
        task_support = execution.text("taskSupport")
        out["execution"] = {"taskSupport": task_support} if task_support else {}
    return out


def _schema(schema: GoFields) -> dict[str, Any]:
    """`ToolArgumentsSchema`: unmodelled keywords kept; object schemas always get `properties`
    and `required`; `definitions` becomes `$defs`."""
    out = {k: v for k, v in schema.obj.items() if k not in _SCHEMA_MODELED}
    kind = schema.text("type")
    if kind:
        out["type"] = kind
    defs = schema.mapping("$defs")
    definitions = schema.mapping("definitions")
    if defs is None:
        defs = definitions
    if defs is not None:
        out["$defs"] = defs
    is_object = kind == "object"
    properties = schema.mapping("properties")
    if properties is not None:
        out["properties"] = properties
    elif is_object:
        out["properties"] = {}
    required = schema.texts("required")
    if required:
        out["required"] = required
    elif is_object:
        out["required"] = []
    additional = schema.raw("additionalProperties")
    if additional is not None:
        out["additionalProperties"] = additional
    return out


def _annotations(annotations: GoFields) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if title := annotations.text("title"):
        out["title"] = title
    for hint in _HINTS:
        value = annotations.maybe_flag(hint)
        if value is not None:
            out[hint] = value
    return out


def _icon(icon: GoFields) -> dict[str, Any]:
    out: dict[str, Any] = {"src": icon.text("src")}
    if mime_type := icon.text("mimeType"):
        out["mimeType"] = mime_type
    if sizes := icon.texts("sizes"):
        out["sizes"] = sizes
    if theme := icon.text("theme"):
        out["theme"] = theme
    return out
