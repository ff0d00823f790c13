"""Server documents kept as compact JSON bytes, decoded when read: what a stored source holds.

A server.json parsed into Python dicts, lists and strings takes about four times its compact
JSON (10,000 realistic servers: ~48 MB against ~13 MB), and the catalog keeps every source's
data for as long as it serves it (to build snapshots and claim-filtered views). Reads are
rare (a snapshot build, an admin edit) and each decodes afresh, so nobody can change what
is stored through what they read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

import orjson

from mcp_registry_server.store.base import SourceData


def _as_dict(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


EXACT_MARK = b" "
"""Leads the JSON of a server packed by the standard library (JSON allows the whitespace)."""


def pack_one(server: Mapping[str, Any]) -> bytes:
    """Compact JSON of one server (orjson; the standard library for what orjson refuses, such
    as integers beyond 64 bits, after `EXACT_MARK`: orjson would read those back as floats)."""
    try:
        encoded = orjson.dumps(server, default=_as_dict)
    except (orjson.JSONEncodeError, TypeError):
        return (
            EXACT_MARK
            + json.dumps(
                server, separators=(",", ":"), ensure_ascii=False, default=_as_dict
            ).encode()
        )
    # orjson's bytes keep the capacity of its output buffer (~4.5 kB for a ~1.1 kB server);
    # a copy has its exact size
    return bytes(memoryview(encoded))


def unpack_one(body: bytes) -> dict[str, Any]:
    """One server as `pack_one` packed it (integers of any size kept exact)."""
    if body.startswith(EXACT_MARK):
        exact: dict[str, Any] = json.loads(body)
        return exact
    try:
        server: dict[str, Any] = orjson.loads(body)
    except orjson.JSONDecodeError:
        server = json.loads(body)
    return server


class PackedServers(Sequence[Mapping[str, Any]]):
    """An immutable sequence of server documents stored as compact JSON; every item read is
    a new dict decoded from it."""

    __slots__ = ("_bodies",)

    def __init__(self, bodies: Iterable[bytes] = ()) -> None:
        self._bodies = tuple(bodies)

    @classmethod
    def pack(cls, servers: Sequence[Mapping[str, Any]]) -> PackedServers:
        """`servers` packed (as they are when they already are)."""
        if isinstance(servers, PackedServers):
            return servers
        return cls(pack_one(server) for server in servers)

    @property
    def bodies(self) -> tuple[bytes, ...]:
        """Each server's compact JSON, in order."""
        return self._bodies

    @property
    def packed_size(self) -> int:
        """Bytes of JSON kept."""
        return sum(len(body) for body in self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)

    @overload
    def __getitem__(self, index: int) -> Mapping[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Mapping[str, Any] | Sequence[Mapping[str, Any]]:
        if isinstance(index, slice):
            return PackedServers(self._bodies[index])
        return unpack_one(self._bodies[index])

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        return map(unpack_one, self._bodies)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedServers):
            return self._bodies == other._bodies or list(self) == list(other)
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedServers({len(self._bodies)} servers, {self.packed_size} bytes)"


def packed(data: SourceData) -> SourceData:
    """`data` with its servers packed."""
    if isinstance(data.servers, PackedServers):
        return data
    return dataclasses.replace(data, servers=PackedServers.pack(data.servers))
