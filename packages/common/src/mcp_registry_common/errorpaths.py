"""Render pydantic validation errors as `camelCase.path[0]: message` problem lines."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import ValidationError

from mcp_registry_common.durations import GO_DURATION_PATTERN
from mcp_registry_common.formats.errors import json_type

Loc = tuple[str | int, ...]
"""A location inside a document: keys and list indexes, outermost first."""

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$-]+")
_INDEX = re.compile(r"\[\d+\]")

# Segments pydantic adds to a location for the members of a union (`str | list[str]` gives
# `str` and `list[str]`), for wrapping validators, or `[key]` for a bad mapping key.
# They name schema types, never keys.
_SCHEMA_TAG = re.compile(
    r"(\[key\]|str|int|float|bool|bytes|none|"
    r"(list|dict|set|tuple|frozenset|literal|nullable|union|tagged-union|json-or-python|"
    r"lax-or-strict|function-(after|before|wrap|plain)|constrained-\w+)\[.*\]|constrained-\w+)"
)

_PREFIXES = ("Value error, ", "Assertion failed, ")

MISSING = "required key is missing"
"""Message for a required key that is absent, unless the caller supplies a better one."""


class FieldPathError(ValueError):
    """Problems a model validator found below its own model, each at a relative location.

    Raise it from a validator; `validation_problems` expands it into one problem per entry,
    so a cross-field check can report every defect at the key it concerns.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(problem_line(loc, msg) for loc, msg in self.problems))


def format_loc(loc: Iterable[str | int]) -> str:
    """`("sources", 0, "syncPolicy")` -> `sources[0].syncPolicy`; odd keys as `["a.b"]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def problem_line(loc: Iterable[str | int], message: str) -> str:
    """`path: message`, or just the message for the document root."""
    path = format_loc(loc)
    return f"{path}: {message}" if path else message


def pattern_key(loc: Iterable[str | int]) -> str:
    """The location with every list index replaced by `*` (`sources[*].name`), for lookups."""
    return _INDEX.sub("[*]", format_loc(loc))


def _clean_loc(loc: Sequence[str | int]) -> Loc:
    return tuple(p for p in loc if isinstance(p, int) or not _SCHEMA_TAG.fullmatch(p))


_MAPPING_KINDS = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _message(kind: str, msg: str, ctx: Mapping[str, object], value: object) -> str:
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in _MAPPING_KINDS:
        return f"must be a mapping, got {type_name(value)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == GO_DURATION_PATTERN:
        return "invalid duration: use Go duration syntax such as '30s', '15m', '1h30m'"
    for prefix in _PREFIXES:
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


_YAML_NAMES = {"array": "list", "object": "mapping"}


def type_name(value: object) -> str:
    """The YAML name of a parsed value's type, for messages ("list", "mapping", "number")."""
    name = json_type(value)
    return _YAML_NAMES.get(name, name)


def validation_problems(
    exc: ValidationError,
    *,
    prefix: Loc = (),
    missing_messages: Mapping[str, str] | None = None,
) -> list[str]:
    """One `path: message` line per error, in pydantic's order, without duplicates.

    `missing_messages` maps a `pattern_key` (`sources[*].name`) to the text used when that
    key is absent; other absent keys read `required key is missing`.
    """
    lines: list[str] = []
    for error in exc.errors():
        loc = prefix + _clean_loc(error["loc"])
        ctx: Mapping[str, object] = error.get("ctx") or {}
        cause = ctx.get("error")
        if isinstance(cause, FieldPathError):
            lines.extend(problem_line(loc + sub, msg) for sub, msg in cause.problems)
        elif error["type"] == "missing":
            text = (missing_messages or {}).get(pattern_key(loc), MISSING)
            lines.append(problem_line(loc, text))
        else:
            text = _message(error["type"], error["msg"], ctx, error.get("input"))
            lines.append(problem_line(loc, text))
    return list(dict.fromkeys(lines))
