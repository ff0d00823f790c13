"""Load-time warnings: unknown keys (with their path) and settings that have no effect."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.errorpaths import Loc, problem_line


def known_keys(model: type[BaseModel]) -> list[str]:
    """The wire keys of a model (aliases), in field order."""
    return [field.alias or name for name, field in model.model_fields.items()]


def unknown_key_message(key: str, known: list[str]) -> str:
    """`unknown key (ignored)`, plus a suggestion when the key is a near miss of a known one
    (keys are case-sensitive here; ToolHive's viper is not, so `syncpolicy` deserves a hint)."""
    by_case = [k for k in known if k.lower() == key.lower()]
    close = by_case or difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown key (ignored){hint}"


def collect_notices(model: BaseModel, loc: Loc = ()) -> list[str]:
    """Every unknown key kept in `model_extra` and every `config_notes()` entry, depth first,
    as `path: message` lines."""
    lines: list[str] = []
    if isinstance(model, ConfigModel):
        known = known_keys(type(model))
        extra = model.model_extra or {}
        lines.extend(problem_line((*loc, key), unknown_key_message(key, known)) for key in extra)
        lines.extend(problem_line(loc + sub, message) for sub, message in model.config_notes())
    for name, field in type(model).model_fields.items():
        lines.extend(_walk(getattr(model, name), (*loc, field.alias or name)))
    return lines


def _walk(value: object, loc: Loc) -> list[str]:
    if isinstance(value, BaseModel):
        return collect_notices(value, loc)
    if isinstance(value, list):
        return [line for i, item in enumerate(value) for line in _walk(item, (*loc, i))]
    if isinstance(value, dict):
        return [line for key, item in value.items() for line in _walk(item, (*loc, str(key)))]
    return []


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def unknown_keys_in(data: object, annotation: Any, loc: Loc = ()) -> list[str]:
    """Warnings for the keys of raw `data` that the type `annotation` (a model, possibly in a
    list, a mapping or a union) does not know. For documents that failed validation, where
    there is no `model_extra` to read."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return unknown_keys_in(data, args[0], loc)
    if origin in (Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        return unknown_keys_in(data, members[0], loc) if members else []
    if origin is list and isinstance(data, list) and args:
        return [
            line
            for i, item in enumerate(data)
            for line in unknown_keys_in(item, args[0], (*loc, i))
        ]
    if origin is dict and isinstance(data, dict) and len(args) == 2:
        return [
            line
            for key, item in data.items()
            for line in unknown_keys_in(item, args[1], (*loc, str(key)))
        ]
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return []
    if not isinstance(data, dict):
        return []
    fields = {field.alias or name: field for name, field in annotation.model_fields.items()}
    fields.update(annotation.model_fields)
    known = known_keys(annotation)
    lines: list[str] = []
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            lines.append(problem_line((*loc, str(key)), unknown_key_message(str(key), known)))
        else:
            lines.extend(unknown_keys_in(value, field.annotation, (*loc, str(key))))
    return lines


def drop_unknown_keys(data: object, model: type[BaseModel], loc: Loc) -> tuple[object, list[str]]:
    """For a strict model (unknown keys are errors, e.g. the shared `SourceFilter`): a copy of
    `data` without the keys it does not know, recursing into nested models, and a warning
    for each key dropped. Non-mappings are returned unchanged for pydantic to reject."""
    if not isinstance(data, dict):
        return data, []
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    fields.update(model.model_fields)
    known = known_keys(model)
    kept: dict[str, object] = {}
    warnings: list[str] = []
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            warnings.append(problem_line((*loc, key), unknown_key_message(str(key), known)))
            continue
        nested = _nested_model(field.annotation)
        if nested is not None:
            value, more = drop_unknown_keys(value, nested, (*loc, key))
            warnings.extend(more)
        kept[key] = value
    return kept, warnings
