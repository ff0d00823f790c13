"""The fetcher protocol: what every source kind returns to the sync engine, and its limits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Bounds on what one fetch may read; each default documents why."""

    max_bytes: int = 100 * MIB
    """Per response body or file: ToolHive's cap; a larger catalog is almost certainly a mistake."""
    max_redirects: int = 10
    """HTTP redirects followed before giving up (a redirect loop fails cleanly)."""
    max_servers: int = 100_000
    """Servers accepted from one API source (ToolHive's guard)."""


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A whole registry document (git, file): the engine parses it with the source's format."""

    data: bytes
    content_hash: str
    """sha256 hex of `data`."""
    origin: str
    """Where it came from, for logs and messages (no secrets), e.g. `<repo>@<sha>:<path>`."""


@dataclass(frozen=True, slots=True)
class FetchedServers:
    """Already-validated upstream server.json objects (api sources)."""

    servers: Sequence[dict[str, Any]]
    content_hash: str
    """sha256 hex of the canonical JSON of `servers`."""
    origin: str


FetchResult = FetchedDocument | FetchedServers


class Fetcher(Protocol):
    """Produces the current data of one source; raises a `FetchError` subclass on failure."""

    async def fetch(self) -> FetchResult:
        """Fetch once. Safe to call again after a failure or a cancellation."""
        ...


def sha256_hex(data: bytes) -> str:
    """sha256 hex digest of raw bytes (the content hash of documents)."""
    return hashlib.sha256(data).hexdigest()


def canonical_json_hash(value: Any) -> str:
    """sha256 hex of `value` as canonical JSON (sorted keys, no whitespace), order of lists kept."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(text.encode())
