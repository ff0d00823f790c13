"""Go encoding/json emulation for the converter: typed field reads that fail where Go's decoder
fails, and the marshal-to-map round trip (sorted keys, numbers as float64)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from mcp_registry_common.formats.errors import RegistryFormatError, index_path, json_type, key_path

_FLOAT64_EXACT = 2**53
_GO_PLAIN_FLOAT_LIMIT = 1e21  # Go prints float64 without an exponent below this


def _type_error(path: str, *, expected: str, value: object) -> RegistryFormatError:
    return RegistryFormatError(path, f"must be {expected}, got {json_type(value)}")


def as_object(value: object, path: str) -> dict[str, Any] | None:
    """A JSON object, or None for null/absent (a nil pointer in Go)."""
    if value is None:
        return None
    if type(value) is not dict:
        raise _type_error(path, expected="an object", value=value)
    return value


class GoFields:
    """Reads the fields of one decoded JSON object the way Go decodes them into a typed struct:
    null and absent give the zero value, a wrong JSON type raises RegistryFormatError."""

    __slots__ = ("obj", "path")

    def __init__(self, obj: dict[str, Any], path: str) -> None:
        self.obj = obj
        self.path = path

    def where(self, key: str) -> str:
        """JSON path of field `key`."""
        return key_path(self.path, key)

    def raw(self, key: str) -> Any:
        """The decoded value as is (a Go `any`)."""
        return self.obj.get(key)

    def text(self, key: str) -> str:
        """A Go string: "" when null or absent."""
        value = self.obj.get(key)
        if value is None:
            return ""
        if type(value) is not str:
            raise _type_error(self.where(key), expected="a string", value=value)
        return value

    def flag(self, key: str) -> bool:
        """A Go bool: False when null or absent."""
        value = self.obj.get(key)
        if value is None:
            return False
        if type(value) is not bool:
            raise _type_error(self.where(key), expected="a boolean", value=value)
        return value

    def maybe_flag(self, key: str) -> bool | None:
        """A Go *bool: None when null or absent."""
        return None if self.obj.get(key) is None else self.flag(key)

    def integer(self, key: str) -> int:
        """A Go int: 0 when null or absent; `1.0` and `1e3` fail as they do in Go."""
        value = self.obj.get(key)
        if value is None:
            return 0
        if type(value) is not int:
            raise _type_error(self.where(key), expected="an integer", value=value)
        return value

    def texts(self, key: str) -> list[str] | None:
        """A Go []string; None when null or absent."""
        return _typed_list(self.obj.get(key), path=self.where(key), kind=str, expected="a string")

    def integers(self, key: str) -> list[int] | None:
        """A Go []int; None when null or absent."""
        return _typed_list(self.obj.get(key), path=self.where(key), kind=int, expected="an integer")

    def child(self, key: str) -> GoFields | None:
        """A nested struct pointer; None when null or absent."""
        obj = as_object(self.obj.get(key), self.where(key))
        return None if obj is None else GoFields(obj, self.where(key))

    def children(self, key: str) -> list[GoFields] | None:
        """A Go slice of structs; None when null or absent."""
        where = self.where(key)
        items = _typed_list(self.obj.get(key), path=where, kind=dict, expected="an object")
        if items is None:
            return None
        return [GoFields(item, index_path(where, i)) for i, item in enumerate(items)]

    def mapping(self, key: str) -> dict[str, Any] | None:
        """A Go map[string]any; None when null or absent."""
        return as_object(self.obj.get(key), self.where(key))

    def text_map(self, key: str) -> dict[str, str] | None:
        """A Go map[string]string; None when null or absent."""
        mapping = self.mapping(key)
        if mapping is None:
            return None
        for name, value in mapping.items():
            if type(value) is not str:
                raise _type_error(key_path(self.where(key), name), expected="a string", value=value)
        return mapping


def _typed_list(value: object, *, path: str, kind: type, expected: str) -> list[Any] | None:
    if value is None:
        return None
    if type(value) is not list:
        raise _type_error(path, expected="an array", value=value)
    for i, item in enumerate(value):
        if type(item) is not kind:
            raise _type_error(index_path(path, i), expected=expected, value=item)
    return value


def go_roundtrip(value: Any, path: str) -> Any:
    """What Go's `json.Unmarshal` into `map[string]any` followed by `json.Marshal` yields.

    Object keys come out sorted at every level; every number passes through float64, so
    integers beyond 2**53 lose precision and integral floats print as integers (`1.0` -> `1`).
    """
    kind = type(value)
    if kind is dict:
        return {k: go_roundtrip(value[k], key_path(path, k)) for k in sorted(value)}
    if kind is list:
        return [go_roundtrip(item, index_path(path, i)) for i, item in enumerate(value)]
    if kind is int:
        return value if -_FLOAT64_EXACT <= value <= _FLOAT64_EXACT else _float64(value, path)
    if kind is float:
        return _float64(value, path)
    return value


def _float64(number: float, path: str) -> int | float:
    try:
        as_float = float(number)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        raise RegistryFormatError(path, f"number {number!r} does not fit a float64")
    if as_float.is_integer() and abs(as_float) < _GO_PLAIN_FLOAT_LIMIT:
        return int(Decimal(repr(as_float)))
    return as_float
