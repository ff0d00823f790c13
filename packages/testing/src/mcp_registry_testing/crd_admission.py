"""Offline admission of a custom resource against its CRD, in the API server's order:
strict unknown-field check, pruning, null pruning, defaulting, OpenAPI validation, list-type
checks, then x-kubernetes-validations (CEL)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Literal, cast

import jsonschema
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from mcp_registry_testing.crd_cel import Cause, Node, cel_causes, child, get_key, sub_schema

FieldValidation = Literal["Strict", "Warn", "Ignore"]

_META_FIELDS = ("apiVersion", "kind", "metadata")
_BLOCKING = ("type", "enum")  # apiserver: TypeInvalid/NotSupported errors skip CEL
_NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


class AdmissionError(Exception):
    """The API server would refuse the object: 400 (strict decoding) or 422 (invalid)."""

    def __init__(self, causes: list[Cause], *, code: int = 422, kind: str = "", name: str = ""):
        self.causes = causes
        self.code = code
        self.reason = "BadRequest" if code == 400 else "Invalid"
        self.kind = kind
        self.name = name
        super().__init__("\n".join(f"{field}: {message}" for field, message in causes))

    def to_status(self) -> dict[str, Any]:
        """The metav1.Status body the API server would answer with."""
        listed = ", ".join(f"{f}: {m}" for f, m in self.causes)
        if self.code == 400:
            message = f"strict decoding error: {listed}"
        else:
            message = f'{self.kind} "{self.name}" is invalid: [{listed}]'
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": self.reason,
            "details": {
                "name": self.name,
                "kind": self.kind,
                "causes": [
                    {"reason": "FieldValueInvalid", "message": m, "field": f}
                    for f, m in self.causes
                ],
            },
            "code": self.code,
        }


def admit(
    crd: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    old: Mapping[str, Any] | None = None,
    field_validation: FieldValidation = "Strict",
) -> dict[str, Any]:
    """Return the object as the API server would store it, or raise AdmissionError.

    `field_validation` is the request's fieldValidation (kubectl sends Strict): Strict rejects
    unknown fields with a 400, Warn/Ignore prune them silently (see `unknown_fields`).
    """
    kind = crd["spec"]["names"]["kind"]
    name = str(obj.get("metadata", {}).get("name", ""))
    schema = _version_schema(crd, obj)
    out: dict[str, Any] = copy.deepcopy(dict(obj))
    pruned: list[str] = []
    _prune(out, schema, path="", pruned=pruned, root=True)
    if pruned and field_validation == "Strict":
        causes = [(p, "field not declared in schema") for p in pruned]
        raise AdmissionError(causes, code=400, kind=kind, name=name)
    _prune_nulls(out, schema)
    _default(out, schema)
    causes = _metadata_causes(out)
    schema_causes, blocking = _schema_causes(schema, out)
    causes += schema_causes + _list_causes(schema, out, "")
    if blocking:
        causes.append(("", _NOT_CHECKED))
    else:
        causes += list(cel_causes(schema, out, old, ""))
    if causes:
        raise AdmissionError(_unique(causes), kind=kind, name=name)
    return out


def unknown_fields(crd: Mapping[str, Any], obj: Mapping[str, Any]) -> list[str]:
    """Paths of the fields pruning would drop (the warnings of fieldValidation=Warn)."""
    pruned: list[str] = []
    _prune(copy.deepcopy(dict(obj)), _version_schema(crd, obj), path="", pruned=pruned, root=True)
    return pruned


def validate_value(schema: Node, value: Any, path: str = "") -> list[Cause]:
    """OpenAPI validation only (no pruning, defaulting or CEL), e.g. for schema defaults."""
    return _schema_causes(schema, value, path)[0]


def _version_schema(crd: Mapping[str, Any], obj: Mapping[str, Any]) -> Node:
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    api_version = obj.get("apiVersion")
    if obj.get("kind") != kind:
        raise AdmissionError([("kind", f"Invalid value: {obj.get('kind')!r}: must be {kind}")])
    for version in crd["spec"]["versions"]:
        if version.get("served") and api_version == f"{group}/{version['name']}":
            schema: Node = version["schema"]["openAPIV3Schema"]
            return schema
    raise AdmissionError([("apiVersion", f"Unsupported value: {api_version!r}: not served")])


def _preserves(schema: Node) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _prune(
    value: Any, schema: Node | None, *, path: str, pruned: list[str], root: bool = False
) -> None:
    """Drop fields the schema does not declare; keep preserve-unknown subtrees (but still
    prune inside their declared properties), and never touch metadata."""
    if isinstance(value, dict):
        for key in list(value):
            if root and key in _META_FIELDS:
                continue  # never pruned (metadata is ObjectMeta's business)
            sub = sub_schema(schema or {}, key)
            if sub is not None:
                _prune(value[key], sub, path=child(path, key), pruned=pruned)
            elif schema is None or not _preserves(schema):
                pruned.append(child(path, key))
                del value[key]
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        if schema is not None and items is None and _preserves(schema):
            return
        for i, item in enumerate(value):
            _prune(item, items, path=f"{path}[{i}]", pruned=pruned)


def _prune_nulls(value: Any, schema: Node | None) -> None:
    if schema is None:
        return
    if isinstance(value, dict):
        for key in list(value):
            sub = sub_schema(schema, key)
            if sub is None:
                continue
            if value[key] is None and not sub.get("nullable") and "default" not in sub:
                del value[key]
            else:
                _prune_nulls(value[key], sub)
    elif isinstance(value, list):
        for item in value:
            _prune_nulls(item, schema.get("items"))


def _default(value: Any, schema: Node | None) -> None:
    """Fill in missing (or non-nullable null) fields from `default`, then recurse."""
    if schema is None:
        return
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, sub in props.items():
            if "default" in sub and (key not in value or _non_nullable_null(value[key], sub)):
                value[key] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            _default(item, sub_schema(schema, key))
    elif isinstance(value, list):
        for item in value:
            _default(item, schema.get("items"))


def _non_nullable_null(value: Any, schema: Node) -> bool:
    return value is None and not schema.get("nullable")


def _metadata_causes(obj: Mapping[str, Any]) -> list[Cause]:
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return [("metadata", "Required value")]
    if not meta.get("name") and not meta.get("generateName"):
        return [("metadata.name", "Required value: name or generateName is required")]
    return []


# --- OpenAPI validation ---------------------------------------------------------------------


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date-time")(_is_datetime)
_FORMATS.checks("int32")(_is_int32)


def _nullable_type(validator: Any, types: Any, instance: Any, schema: Node) -> Iterator[Any]:
    if instance is None and schema.get("nullable"):
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


def _int_or_string(validator: Any, enabled: Any, instance: Any, schema: Node) -> Iterator[Any]:
    if enabled and not (isinstance(instance, str | int) and not isinstance(instance, bool)):
        yield SchemaError(f"{instance!r} must be an integer or a string")


_OpenAPIValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft4Validator,
    {"type": _nullable_type, "x-kubernetes-int-or-string": _int_or_string},
)


def _join(path: str, parts: Any) -> str:
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else child(path, str(part))
    return path


def _schema_causes(schema: Node, value: Any, base: str = "") -> tuple[list[Cause], bool]:
    causes: list[Cause] = []
    blocking = False
    validator = _OpenAPIValidator(schema, format_checker=_FORMATS)
    for error in validator.iter_errors(value):
        path = _join(base, error.absolute_path)
        blocking |= error.validator in _BLOCKING
        if error.validator == "required":
            causes += [
                (child(path, key), "Required value")
                for key in error.validator_value
                if isinstance(error.instance, Mapping) and key not in error.instance
            ]
        else:
            causes.append((path, _message(error, path)))
    return causes, blocking


def _message(error: SchemaError, path: str) -> str:
    """The wording of the API server's (go-openapi's) messages for each keyword."""
    inst, rule, keyword = error.instance, error.validator_value, str(error.validator)
    shown = json.dumps(inst)
    size = len(inst) if isinstance(inst, list | str) else shown
    if keyword == "type":
        actual = json.dumps(_json_type(inst))
        return f"Invalid value: {actual}: {path} in body must be of type {rule}: {actual}"
    if keyword == "enum":
        allowed = ", ".join(json.dumps(v) for v in cast(list[Any], rule))
        return f"Unsupported value: {shown}: supported values: {allowed}"
    templates = {
        "pattern": f"Invalid value: {shown}: {path} in body should match '{rule}'",
        "minLength": f"Invalid value: {shown}: {path} in body should be at least {rule} chars long",
        "maxLength": f"Too long: may not be more than {rule} bytes",
        "minimum": f"Invalid value: {shown}: {path} in body should be greater than or equal to "
        f"{rule}",
        "maximum": f"Invalid value: {shown}: {path} in body should be less than or equal to {rule}",
        "minItems": f"Invalid value: {size}: {path} in body should have at least {rule} items",
        "maxItems": f"Too many: {size}: must have at most {rule} items",
        "not": f"Invalid value: {shown}: {path} in body must not validate the schema (not)",
        "format": f"Invalid value: {shown}: {path} in body must be of type {rule}",
    }
    return templates.get(keyword, f"Invalid value: {shown}: {error.message}")


def _json_type(value: Any) -> str:
    for pytype, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(value, pytype):
            return name
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else "null"


# --- list types -----------------------------------------------------------------------------


def _list_causes(schema: Node, value: Any, path: str) -> list[Cause]:
    """x-kubernetes-list-type set/map: no duplicate items or keys."""
    causes: list[Cause] = []
    if isinstance(value, dict):
        for key, item in value.items():
            sub = sub_schema(schema, key)
            if sub is not None:
                causes += _list_causes(sub, item, child(path, key))
    elif isinstance(value, list):
        list_type = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if list_type in ("set", "map"):
                ident = item if list_type == "set" else {k: get_key(item, k) for k in keys}
                marker = json.dumps(ident, sort_keys=True)
                if marker in seen:
                    causes.append((f"{path}[{i}]", f"Duplicate value: {marker}"))
                seen.add(marker)
            causes += _list_causes(schema.get("items") or {}, item, f"{path}[{i}]")
    return causes


def _unique(causes: list[Cause]) -> list[Cause]:
    return list(dict.fromkeys(causes))
