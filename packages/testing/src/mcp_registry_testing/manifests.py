"""Manifest surgery and error-path helpers for table-driven validation tests."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_path(path: str) -> list[str | int]:
    """`spec.sources[0].git` -> ["spec", "sources", 0, "git"]."""
    return [int(index) if index else key for index, key in _TOKEN.findall(path)]


def format_path(parts: Iterable[str | int]) -> str:
    """The inverse of parse_path: ["spec", "sources", 0] -> `spec.sources[0]`."""
    out = ""
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else (f"{out}.{part}" if out else part)
    return out


def set_path(doc: Any, path: str, value: Any) -> None:
    """Assign `value` at `path`, creating missing objects and extending lists by one."""
    parts = parse_path(path)
    node = doc
    for part, following in itertools.pairwise(parts):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if part == len(node):
                node.append(empty)
            node = node[part]
        else:
            node = node.setdefault(part, empty)
    last = parts[-1]
    if isinstance(last, int) and last == len(node):
        node.append(copy.deepcopy(value))
    else:
        node[last] = copy.deepcopy(value)


def unset_path(doc: Any, path: str) -> None:
    """Delete the key or list item at `path` (which must exist)."""
    parts = parse_path(path)
    node = doc
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]


def patched(base: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `base` with the case's `set` (path -> value) and `unset` (paths) applied."""
    doc = copy.deepcopy(dict(base))
    for path, value in (case.get("set") or {}).items():
        set_path(doc, path, value)
    for path in case.get("unset") or []:
        unset_path(doc, path)
    return doc


def pydantic_causes(error: ValidationError) -> list[tuple[str, str]]:
    """(field path, message) per pydantic error, with paths like `spec.sources[0].name`."""
    return [(format_path(e["loc"]), e["msg"]) for e in error.errors()]


def names_field(causes: Iterable[tuple[str, str]], field: str) -> bool:
    """Whether some cause points at `field`: its path contains it, or its path is a prefix of
    it and its message names the rest (e.g. `spec` + "registries[0].sources: unknown ...")."""
    for path, message in causes:
        if field in f"{path}: {message}":
            return True
        if path == "" or field.startswith(path):
            rest = field[len(path) :].lstrip(".")
            if rest and rest in message:
                return True
    return False
