"""`THV_REGISTRY_<KEY>` environment overrides of config.yaml keys, as ToolHive's viper reads them.

ToolHive's server loads its config with viper's `AutomaticEnv`, prefix `THV_REGISTRY`, `.` → `_`:
`database.host` is `THV_REGISTRY_DATABASE_HOST`, `auth.oauth.realm` is
`THV_REGISTRY_AUTH_OAUTH_REALM` (key names upper-cased, camelCase words run together:
`database.migrationUser` is `THV_REGISTRY_DATABASE_MIGRATIONUSER`). Precedence, lowest first:
defaults, the file, the environment (command-line flags, where one exists, win over both).
A list of strings is written comma-separated (viper's string-to-slice hook); arrays of objects
(`sources`, `registries`, `auth.oauth.providers`) and maps (`claims`, roles) cannot be set.

One difference, on purpose: viper only overrides keys already present in the file (or with a
registered default, which ToolHive has for the two database passwords only), so a variable
for a key the file leaves out is silently ignored there. Here every key below is honoured
whether or not the file has it, so a variable always does what its name says.

Pure: the caller reads the environment and hands it in.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

ENV_PREFIX = "THV_REGISTRY_"


@dataclass(frozen=True, slots=True)
class EnvKey:
    """One config key settable from the environment."""

    path: tuple[str, ...]
    """The key's camelCase path in config.yaml (`("database", "host")`)."""
    is_list: bool = False
    """A list of strings, written comma-separated."""

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def variable(self) -> str:
        return ENV_PREFIX + "_".join(part.upper() for part in self.path)


@dataclass(frozen=True, slots=True)
class EnvOverrides:
    """A config document with the environment applied, and which keys it set (names only:
    a value may be a password)."""

    document: dict[str, Any]
    applied: tuple[EnvKey, ...]


def env_keys(model: type[BaseModel]) -> dict[str, EnvKey]:
    """Variable name -> key, for every scalar (or list-of-strings) key of `model` and of the
    models nested in it through plain (optional) fields."""
    return dict(_env_keys(model))


@cache
def _env_keys(model: type[BaseModel]) -> tuple[tuple[str, EnvKey], ...]:
    found: list[tuple[str, EnvKey]] = []
    _walk(model, (), found)
    return tuple(sorted(found))


def _walk(model: type[BaseModel], prefix: tuple[str, ...], found: list[tuple[str, EnvKey]]) -> None:
    for name, info in model.model_fields.items():
        path = (*prefix, info.alias or name)
        kind = _kind(info.annotation)
        if isinstance(kind, type):
            _walk(kind, path, found)
        elif kind is not None:
            key = EnvKey(path=path, is_list=kind == "list")
            found.append((key.variable, key))


def _kind(annotation: Any) -> type[BaseModel] | str | None:
    """A nested model to walk, `scalar`, `list` (of scalars), or None (not settable)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = {_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is list:
        (item,) = get_args(annotation)
        return "list" if _kind(item) == "scalar" else None
    if origin is Literal or annotation in (str, int, float, bool, SecretStr):
        return "scalar"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "scalar"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def env_help(model: type[BaseModel]) -> str:
    """A `--help` section listing every variable and the key it sets."""
    lines = ["config keys from the environment (over the --config file; lists comma-separated):"]
    lines += [f"  {var:<51} {key.dotted}" for var, key in env_keys(model).items()]
    return "\n".join(lines) + "\n"


def apply_env_overrides(
    document: Mapping[str, Any], env: Mapping[str, str], *, model: type[BaseModel]
) -> EnvOverrides:
    """`document` (a parsed config.yaml) with every `THV_REGISTRY_<KEY>` of `env` that names a
    key of `model` set in it, creating the enclosing objects as needed; values stay strings
    (the model converts them: `"5432"` to a port, `"true"` to a flag), lists are split on
    commas. A key whose enclosing value in the file is not an object is left to validation
    to report (it is not overwritten). Variable names are matched case-insensitively."""
    keys = env_keys(model)
    result: dict[str, Any] = dict(document)
    applied: list[EnvKey] = []
    for variable, value in sorted(env.items()):
        key = keys.get(variable.upper())
        if key is None or not variable.upper().startswith(ENV_PREFIX):
            continue
        parsed: Any = [part.strip() for part in value.split(",") if part.strip()]
        if not key.is_list:
            parsed = value
        if _set(result, key.path, parsed):
            applied.append(key)
    return EnvOverrides(document=result, applied=tuple(applied))


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> bool:
    """Set `path` in `document`, copying (never mutating) the objects on the way."""
    node = document
    for part in path[:-1]:
        child = node.get(part)
        if child is None:
            child = {}
        elif not isinstance(child, dict):
            return False
        else:
            child = dict(child)
        node[part] = child
        node = child
    node[path[-1]] = value
    return True
