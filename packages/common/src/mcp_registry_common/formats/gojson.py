"""Go encoding/json emulation for the converter: typed field reads that fail where Go's decoder
fails, and the marshal-to-map round trip (sorted keys, numbers as float64)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from mcp_registry_common.formats.errors import RegistryFormatError, index_path, json_type, key_path

FLOAT64_EXACT = 2**53
"""The largest integer (and, negated, the smallest) float64 holds with all integers below it."""
_GO_PLAIN_FLOAT_LIMIT = 1e21  # Go prints float64 without an exponent below this
_ITEM_EXPECTED = {str: "a string", int: "an integer", dict: "an object"}


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
    null and absent give the zero value, a wrong JSON type raises RegistryFormatError.

    The JSON path of the object is only spelled out when an error names it: building it for
    every field read cost more than the reads themselves.
    """

    __slots__ = ("_parent", "_step", "obj")

    def __init__(
        self,
        obj: dict[str, Any],
        parent: GoFields | str,
        step: str | tuple[str, int] | None = None,
    ) -> None:
        """`obj` at JSON path `parent` (a string), or at member `step` of `parent` (a struct)."""
        self.obj = obj
        self._parent = parent
        self._step = step

    @property
    def path(self) -> str:
        """JSON path of this object."""
        parent, step = self._parent, self._step
        if isinstance(parent, str):
            return parent
        if isinstance(step, tuple):
            return index_path(parent.where(step[0]), step[1])
        assert step is not None
        return parent.where(step)

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
        return self._typed_list(key, str)

    def integers(self, key: str) -> list[int] | None:
        """A Go []int; None when null or absent."""
        return self._typed_list(key, int)

    def child(self, key: str) -> GoFields | None:
        """A nested struct pointer; None when null or absent."""
        obj = self.obj.get(key)
        if obj is None:
            return None
        if type(obj) is not dict:
            raise _type_error(self.where(key), expected="an object", value=obj)
        return GoFields(obj, self, key)

    def children(self, key: str) -> list[GoFields] | None:
        """A Go slice of structs; None when null or absent."""
        items = self._typed_list(key, dict)
        if items is None:
            return None
        return [GoFields(item, self, (key, i)) for i, item in enumerate(items)]

    def mapping(self, key: str) -> dict[str, Any] | None:
        """A Go map[string]any; None when null or absent."""
        value = self.obj.get(key)
        if value is None or type(value) is dict:
            return value
        raise _type_error(self.where(key), expected="an object", value=value)

    def text_map(self, key: str) -> dict[str, str] | None:
        """A Go map[string]string; None when null or absent."""
        mapping = self.mapping(key)
        if mapping is None:
            return None
        for name, value in mapping.items():
            if type(value) is not str:
                raise _type_error(key_path(self.where(key), name), expected="a string", value=value)
        return mapping

    def _typed_list(self, key: str, kind: type, /) -> list[Any] | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if type(value) is list:
            for item in value:
                if type(item) is not kind:
                    break
            else:
                return value
        raise self._list_error(key, kind)

    def _list_error(self, key: str, kind: type) -> RegistryFormatError:
        value = self.obj.get(key)
        if type(value) is not list:
            return _type_error(self.where(key), expected="an array", value=value)
        i, item = next((i, item) for i, item in enumerate(value) if type(item) is not kind)
        where = index_path(self.where(key), i)
        return _type_error(where, expected=_ITEM_EXPECTED[kind], value=item)


class _NumberError(Exception):
    """A number no float64 holds, with the keys and indexes leading to it, innermost first."""

    def __init__(self, number: float) -> None:
        super().__init__(number)
        self.number = number
        self.trail: list[str | int] = []


def go_roundtrip(value: Any, path: str | GoFields, key: str | None = None) -> Any:
    """What Go's `json.Unmarshal` into `map[string]any` followed by `json.Marshal` yields.

    Object keys come out sorted at every level; every number passes through float64, so
    integers beyond 2**53 lose precision and integral floats print as integers (`1.0` -> `1`).
    `value` is at `path`, or at its member `key` when given (the path is spelled out only when
    a number no float64 holds makes it fail).
    """
    try:
        return _roundtrip(value)
    except _NumberError as exc:
        path = path if isinstance(path, str) else path.path
        if key is not None:
            exc.trail.append(key)
        for step in reversed(exc.trail):
            path = index_path(path, step) if isinstance(step, int) else key_path(path, step)
        raise RegistryFormatError(path, f"number {exc.number!r} does not fit a float64") from None


def float64_exact(number: int) -> bool:
    """An integer float64 holds exactly (Go's round trip leaves it as it is)."""
    return -FLOAT64_EXACT <= number <= FLOAT64_EXACT


def _roundtrip(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key in sorted(value):
            item = value[key]
            of = type(item)  # leaves inline (most values are; a call costs more than this)
            if of is str or of is bool or item is None or (of is int and float64_exact(item)):
                out[key] = item
                continue
            try:
                out[key] = _roundtrip(item)
            except _NumberError as exc:
                exc.trail.append(key)
                raise
        return out
    if kind is list:
        items = []
        for i, item in enumerate(value):
            of = type(item)
            if of is str or of is bool or item is None or (of is int and float64_exact(item)):
                items.append(item)
                continue
            try:
                items.append(_roundtrip(item))
            except _NumberError as exc:
                exc.trail.append(i)
                raise
        return items
    if kind is int:
        return value if float64_exact(value) else _float64(value)
    if kind is float:
        return _float64(value)
    return value


def _float64(number: float) -> int | float:
    try:
        as_float = float(number)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        raise _NumberError(number)
    if as_float.is_integer() and abs(as_float) < _GO_PLAIN_FLOAT_LIMIT:
        return int(Decimal(repr(as_float)))
    return as_float
