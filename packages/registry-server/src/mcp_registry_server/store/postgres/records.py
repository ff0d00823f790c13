"""Turn SourceData into rows for COPY (pure), enforcing maxMetaSize on publisher metadata."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from mcp_registry_server.store.errors import StoreError

PUBLISHER_META_KEY = "io.modelcontextprotocol.registry/publisher-provided"
SERVER_COLUMNS = ("source", "position", "name", "version", "body")


class MetaTooLargeError(StoreError):
    """A server's publisher-provided `_meta` exceeds database.maxMetaSize."""


def _plain(value: Any) -> Any:
    """Read-only mappings and tuples as the dicts and lists the JSON codec expects."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def publisher_meta_size(server: Mapping[str, Any]) -> int:
    """UTF-8 size of the compact JSON of `_meta[publisher-provided]` (0 when absent)."""
    meta = server.get("_meta")
    if not isinstance(meta, Mapping) or PUBLISHER_META_KEY not in meta:
        return 0
    text = json.dumps(_plain(meta[PUBLISHER_META_KEY]), separators=(",", ":"), ensure_ascii=False)
    return len(text.encode())


def server_records(
    source: str, servers: Sequence[Mapping[str, Any]], *, max_meta_size: int
) -> list[tuple[str, int, str, str, dict[str, Any]]]:
    """One (source, position, name, version, body) row per server, in input order."""
    records = []
    for position, server in enumerate(servers):
        name = str(server.get("name", ""))
        size = publisher_meta_size(server)
        if size > max_meta_size:
            raise MetaTooLargeError(
                f"server {name!r} (index {position}) of source {source!r}: publisher-provided"
                f" _meta is {size} bytes, more than database.maxMetaSize ({max_meta_size})"
            )
        body = server if type(server) is dict else _plain(server)
        records.append((source, position, name, str(server.get("version", "")), body))
    return records
