"""What one registry document may hold, checked before Python builds it (pure).

Python pays about 40 to 200 bytes for each JSON value it builds (a `{}` of 3 bytes costs ~76),
so the byte cap alone does not bound the memory a parse takes: 18 MB of `{},` once became
450 MB. Hence three limits, each derived from the byte cap unless set:

- `max_bytes`: the document's size;
- `max_values`: JSON values, counted from the raw bytes before parsing (`value_count_bound`),
  one per `BYTES_PER_VALUE` bytes of the cap (real catalogs have one per ~25 bytes);
- `max_servers`: servers, counted before any is validated or converted (a legacy entry of
  30 bytes converts to ~3 KB of server.json), one per `BYTES_PER_SERVER` bytes of the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcp_registry_common.formats.errors import ROOT, RegistryFormatError

MIB = 1024 * 1024
DEFAULT_MAX_DOCUMENT_BYTES = 10 * MIB
"""Default byte cap of one document (one API source's pages together)."""
BYTES_PER_VALUE = 16
"""The value limit is one JSON value per this many bytes of the byte cap."""
BYTES_PER_SERVER = 512
"""The default server limit is one server per this many bytes of the byte cap."""

LimitKind = Literal["bytes", "values", "servers"]


class RegistryLimitError(RegistryFormatError):
    """The document exceeds one of its `DocumentLimits`; `limit` says which one."""

    def __init__(self, path: str, problem: str, *, limit: LimitKind) -> None:
        super().__init__(path, problem)
        self.limit: LimitKind = limit


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The most one registry document may hold; `for_bytes` derives the rest from the cap."""

    max_bytes: int
    max_values: int
    max_servers: int

    @classmethod
    def for_bytes(cls, max_bytes: int, *, max_servers: int | None = None) -> DocumentLimits:
        """Limits for a byte cap: the value and (unless given) server limits follow from it."""
        if max_bytes < 1 or (max_servers is not None and max_servers < 1):
            raise ValueError("document limits must be at least 1")
        return cls(
            max_bytes=max_bytes,
            max_values=max(1, max_bytes // BYTES_PER_VALUE),
            max_servers=max_servers or max(1, max_bytes // BYTES_PER_SERVER),
        )


DEFAULT_DOCUMENT_LIMITS = DocumentLimits.for_bytes(DEFAULT_MAX_DOCUMENT_BYTES)


def value_count_bound(data: bytes | str) -> int:
    """At least the number of JSON values in `data`, counted at C speed without parsing it.

    One for the root, plus one per `,`, `{` and `[`: every element of an array and member of an
    object but the first follows a comma, and the first has its container's bracket. The same
    characters inside strings count too, which only raises the bound (never lowers it).
    """
    if isinstance(data, str):
        return 1 + data.count(",") + data.count("{") + data.count("[")
    return 1 + data.count(b",") + data.count(b"{") + data.count(b"[")


def check_unparsed(data: bytes | str, limits: DocumentLimits) -> None:
    """RegistryLimitError when `data` is over the byte or the value limit (before parsing)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode())
    if size > limits.max_bytes:
        raise RegistryLimitError(
            ROOT,
            f"{size:,} bytes, over the {size_text(limits.max_bytes)} document limit",
            limit="bytes",
        )
    values = value_count_bound(data)
    if values > limits.max_values:
        raise RegistryLimitError(ROOT, values_problem(values, limits), limit="values")


def values_problem(values: int, limits: DocumentLimits) -> str:
    """The message of a document (or API source) holding too many JSON values."""
    return (
        f"refused unparsed: up to {values:,} JSON values (counting `,`, `{{` and `[`), over "
        f"the limit of {limits.max_values:,} (one per {BYTES_PER_VALUE} bytes of the "
        f"{size_text(limits.max_bytes)} document limit)"
    )


def check_server_count(count: int, limits: DocumentLimits, *, path: str) -> None:
    """RegistryLimitError when a document lists more servers than `limits.max_servers`."""
    if count > limits.max_servers:
        raise RegistryLimitError(
            path,
            f"{count:,} servers, over the limit of {limits.max_servers:,} per source",
            limit="servers",
        )


def size_text(size: int) -> str:
    """`10 MiB` for whole mebibytes (or more), else `N bytes`."""
    return f"{size / MIB:g} MiB" if size >= MIB else f"{size:,} bytes"
