"""Convert a pydantic model's JSON Schema into a structural Kubernetes openAPIV3Schema."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

INT32_MAX = 2**31 - 1

_DROPPED = frozenset(
    {"title", "examples", "deprecated", "readOnly", "writeOnly", "$schema", "discriminator"}
)
_PASSED = frozenset(
    {
        "type",
        "format",
        "description",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "required",
        "nullable",
    }
)
_SIBLINGS_OF_REF = frozenset({"description", "default", "nullable"})

Schema = dict[str, Any]


class CRDSchemaError(ValueError):
    """A JSON Schema construct that a structural CRD schema cannot express."""


class CRDJsonSchema(GenerateJsonSchema):
    """Emits `default: []`/`{}` for `default_factory=list/dict/set` fields, which pydantic
    omits: without them a CEL rule such as `self.roles.all(...)` fails on a missing key."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory in (list, dict, set):
            return [] if factory is set else factory()
        return super().get_default_value(schema)


def model_schema(model: type[BaseModel]) -> Schema:
    """The validation-mode JSON Schema of `model` with wire (alias) names."""
    return model.model_json_schema(by_alias=True, mode="validation", schema_generator=CRDJsonSchema)


def to_structural(json_schema: JsonSchemaValue) -> Schema:
    """Turn pydantic's JSON Schema into a structural schema: $defs inlined, nullables made
    optional, pydantic-only keywords translated or dropped. Raises CRDSchemaError on anything
    a CRD cannot express (recursion, general unions, tuples, constrained keys)."""
    defs = json_schema.get("$defs", {})
    root = {k: v for k, v in json_schema.items() if k != "$defs"}
    converted = _Converter(defs).convert(root, path="", stack=())
    # A fresh tree: inlined definitions must not share lists (YAML would emit anchors).
    result: Schema = json.loads(json.dumps(converted))
    return result


def _description(text: str) -> str:
    """Docstrings wrap lines; a CRD description reads better with paragraphs only."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text.strip())


class _Converter:
    def __init__(self, defs: dict[str, Schema]) -> None:
        self._defs = defs

    def convert(self, node: Schema, *, path: str, stack: tuple[str, ...]) -> Schema:
        if "$ref" in node:
            return self._inline(node["$ref"], node, path=path, stack=stack)
        if "allOf" in node:
            parts = node["allOf"]
            if len(parts) != 1 or "$ref" not in parts[0]:
                raise CRDSchemaError(f"{path or '<root>'}: allOf is only supported around a $ref")
            rest = {k: v for k, v in node.items() if k != "allOf"}
            return self._inline(parts[0]["$ref"], rest, path=path, stack=stack)
        if "anyOf" in node:
            return self._union(node, path=path, stack=stack)
        return self._plain(node, path=path, stack=stack)

    def _inline(self, ref: str, node: Schema, *, path: str, stack: tuple[str, ...]) -> Schema:
        name = ref.removeprefix("#/$defs/")
        if name in stack:
            raise CRDSchemaError(f"{path}: recursive model {name} cannot be expressed in a CRD")
        if name not in self._defs:
            raise CRDSchemaError(f"{path}: unresolvable reference {ref}")
        out = self.convert(self._defs[name], path=path, stack=(*stack, name))
        return self._overlay(out, node, path=path)

    def _overlay(self, out: Schema, node: Schema, *, path: str) -> Schema:
        """Field-level siblings (description, default, x-kubernetes-*) win over the type's."""
        for key, value in node.items():
            if key in ("$ref", "anyOf", "allOf") or key in _DROPPED:
                continue
            if key == "default" and value is None:
                if node.get("nullable"):
                    out[key] = None
                continue
            if key == "description":
                out[key] = _description(value)
            elif key in _SIBLINGS_OF_REF or key.startswith("x-kubernetes-"):
                out[key] = value
            else:
                raise CRDSchemaError(f"{path}: unsupported keyword {key!r} beside a $ref/anyOf")
        return out

    def _union(self, node: Schema, *, path: str, stack: tuple[str, ...]) -> Schema:
        branches = [b for b in node["anyOf"] if b != {"type": "null"}]
        if len(branches) == 1:
            out = self.convert(branches[0], path=path, stack=stack)
        elif _is_int_or_string(branches):
            out = {"x-kubernetes-int-or-string": True}
        elif _is_string_or_string_list(branches):
            out = self._claim_value(branches, path=path, stack=stack)
        else:
            raise CRDSchemaError(
                f"{path}: a union of {len(branches)} types has no structural form; "
                "use a single type, int | str, or str | list[str]"
            )
        return self._overlay(out, node, path=path)

    def _claim_value(self, branches: list[Schema], *, path: str, stack: tuple[str, ...]) -> Schema:
        """`str | list[str]` (claim values). A structural schema cannot give one node two
        types, so the node is untyped (preserve-unknown) and the shape is enforced by value
        validations that never name a type:

        - `not: {minLength: 2**31-1, minItems: 2**31-1}`: minLength only constrains strings and
          minItems only arrays, and no real value is that long. A string fails minLength and an
          array fails minItems, so for them the inner schema fails and `not` passes. A number,
          boolean or object passes both keywords vacuously, so `not` rejects it.
        - `items: {type: string}` (kept in the structural part, as the completeness rule
          requires) constrains array elements only, so `["a", 1]` is rejected and strings are
          unaffected. Array bounds (maxItems) likewise apply to arrays only.

        CEL cannot see such a node (it has no type), so no rule may reference it.
        """
        array = next(b for b in branches if b.get("type") == "array")
        string = next(b for b in branches if b.get("type") == "string")
        out: Schema = {"x-kubernetes-preserve-unknown-fields": True}
        for key in ("minLength", "maxLength", "pattern"):
            if key in string:
                out[key] = string[key]
        for key in ("minItems", "maxItems"):
            if key in array:
                out[key] = array[key]
        out["items"] = self.convert(array.get("items", {}), path=f"{path}[*]", stack=stack)
        out["not"] = {"minLength": INT32_MAX, "minItems": INT32_MAX}
        return out

    def _plain(self, node: Schema, *, path: str, stack: tuple[str, ...]) -> Schema:
        out: Schema = {}
        for key, value in node.items():
            if key in _DROPPED:
                continue
            if key == "type" and (not isinstance(value, str) or value == "null"):
                raise CRDSchemaError(f"{path}: type {value!r} has no structural form")
            if key == "const":
                out["enum"] = [value]
                out.setdefault("type", _json_type(value, path=path))
            elif key == "properties":
                props = {
                    name: self.convert(sub, path=_child(path, name), stack=stack)
                    for name, sub in value.items()
                }
                if props:
                    out["properties"] = props
            elif key == "items":
                out["items"] = self.convert(value, path=f"{path}[*]", stack=stack)
            elif key == "additionalProperties":
                self._additional(out, value, path=path, stack=stack)
            elif key == "uniqueItems":
                if value:
                    out.setdefault("x-kubernetes-list-type", "set")
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
                out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
                out[key] = True
            elif key == "default":
                if value is not None or node.get("nullable"):
                    out["default"] = value
            elif key == "description":
                out[key] = _description(value)
            elif key in _PASSED or key.startswith("x-kubernetes-"):
                out[key] = value
            else:
                raise CRDSchemaError(f"{path or '<root>'}: unsupported JSON Schema keyword {key!r}")
        if out.get("required") == []:
            del out["required"]
        return out

    def _additional(self, out: Schema, value: Any, *, path: str, stack: tuple[str, ...]) -> None:
        if value is False:
            return  # extra="forbid": the API server prunes (or, strict, rejects) unknown keys
        if value is True or value == {}:
            out["x-kubernetes-preserve-unknown-fields"] = True
            return
        out["additionalProperties"] = self.convert(value, path=f"{path}[*]", stack=stack)


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _json_type(value: Any, *, path: str) -> str:
    for pytype, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(value, pytype):
            return name
    raise CRDSchemaError(f"{path}: const {value!r} is not a scalar")


def _is_int_or_string(branches: list[Schema]) -> bool:
    return sorted(b.get("type", "") for b in branches) == ["integer", "string"] and all(
        set(b) <= {"type"} for b in branches
    )


def _is_string_or_string_list(branches: list[Schema]) -> bool:
    types = sorted(b.get("type", "") for b in branches)
    if types != ["array", "string"]:
        return False
    array = next(b for b in branches if b["type"] == "array")
    return isinstance(array.get("items"), dict) and array["items"].get("type") == "string"
