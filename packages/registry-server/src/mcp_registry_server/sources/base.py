"""The fetcher protocol: what every source kind returns to the sync engine, and its limits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mcp_registry_common.formats.limits import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DocumentLimits,
    LimitKind,
)
from mcp_registry_common.formats.limits import MIB as MIB  # the fetchers' unit


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Bounds on what one fetch may read; each default documents why."""

    max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    """Per file, response body, git blob, and an API source's pages together. It bounds the
    server's memory (README, "Memory"): a catalog of ToolHive's cap, 100 MiB, adds ~750 MiB
    to sync and ~1.35 GiB to re-sync, far over the pod's 512Mi."""
    max_redirects: int = 10
    """HTTP redirects followed before giving up (a redirect loop fails cleanly)."""
    max_servers: int | None = None
    """Servers accepted from one source; None: one per 512 bytes of `max_bytes`."""

    @property
    def document(self) -> DocumentLimits:
        """What one document (or an API source's pages together) may hold."""
        return DocumentLimits.for_bytes(self.max_bytes, max_servers=self.max_servers)


def limit_setting(limit: LimitKind) -> str:
    """The settings that raise `limit`, for failure messages."""
    if limit == "servers":
        return "--max-servers, env MCP_REGISTRY_MAX_SERVERS"
    return "--max-document-bytes, env MCP_REGISTRY_MAX_DOCUMENT_BYTES"


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A whole registry document (git, file): the engine parses it with the source's format."""

    data: bytes
    content_hash: str
    """sha256 hex of `data`."""
    origin: str
    """Where it came from, for logs and messages (no secrets), e.g. `<repo>@<sha>:<path>`."""
    local: bool = False
    """Read from the server's own filesystem (`file.path`): a message about it must not quote
    its contents (the file may be anything the server can read)."""


@dataclass(frozen=True, slots=True)
class FetchedServers:
    """Already-validated upstream server.json objects (api sources)."""

    servers: Sequence[dict[str, Any]]
    content_hash: str
    """sha256 hex of the canonical JSON of `servers`."""
    origin: str
    claims: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Entry name -> its own claims (kubernetes sources: the authz-claims annotation)."""
    skipped: tuple[str, ...] = ()
    """Objects the source left out, and why (kubernetes sources; shown in the status)."""


FetchResult = FetchedDocument | FetchedServers


class Fetcher(Protocol):
    """Produces the current data of one source; raises a `FetchError` subclass on failure."""

    async def fetch(self) -> FetchResult:
        """Fetch once. Safe to call again after a failure or a cancellation."""
        ...


@runtime_checkable
class WatchedFetcher(Fetcher, Protocol):
    """A source that pushes: it watches its origin and says when `fetch` would answer anew."""

    async def run(self, changed: Callable[[], None]) -> None:
        """Watch until cancelled, calling `changed` after every change."""
        ...


def sha256_hex(data: bytes) -> str:
    """sha256 hex digest of raw bytes (the content hash of documents)."""
    return hashlib.sha256(data).hexdigest()


def canonical_json_hash(value: Any) -> str:
    """sha256 hex of `value` as canonical JSON (sorted keys, no whitespace), order of lists kept."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(text.encode())
