"""RegistryFormatError and the JSON-path strings its messages start with."""

from __future__ import annotations

import json
import re

ROOT = "$"
"""Path of the document itself."""

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$-]+")


class RegistryFormatError(ValueError):
    """A registry document (or one server in it) is malformed.

    The message starts with the JSON path of the offending value, then a colon:
    ``data.servers[3].name: must match ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, got 'fetch'``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def key_path(base: str, key: str) -> str:
    """Path of member `key` of the object at `base` (`a.b`, or `a["x/y"]` for unusual keys)."""
    if _PLAIN_KEY.fullmatch(key):
        return key if base == ROOT else f"{base}.{key}"
    quoted = json.dumps(key, ensure_ascii=False)
    return f"{quoted}" if base == ROOT else f"{base}[{quoted}]"


def index_path(base: str, index: int) -> str:
    """Path of element `index` of the array at `base`."""
    return f"{base}[{index}]"


def json_type(value: object) -> str:
    """The JSON type name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
