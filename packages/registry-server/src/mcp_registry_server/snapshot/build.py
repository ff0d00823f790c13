"""Build a registry snapshot from its sources' data: dedupe by priority, mark latest, pre-render."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mcp_registry_common.formats import ExtensionKind, item_key
from mcp_registry_common.gcpause import gc_paused
from mcp_registry_common.timestamps import as_utc, rfc3339

from mcp_registry_server.snapshot.model import Entry, Items, RegistrySnapshot
from mcp_registry_server.snapshot.versions import latest_of
from mcp_registry_server.store.base import SourceData

SERVER_SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
"""`$schema` given to served server.json objects that carry none (ToolHive's constant)."""

OFFICIAL_META_KEY = "io.modelcontextprotocol.registry/official"
PUBLISHER_META_KEY = "io.modelcontextprotocol.registry/publisher-provided"
TOOLHIVE_PUBLISHER = "io.github.stacklok"
DEFAULT_ITEM_STATUS = "active"

ServerDoc = Mapping[str, Any]


def build_snapshot(
    *, registry: str, sources: Sequence[SourceData], built_at: float
) -> RegistrySnapshot:
    """The snapshot of `registry` whose sources, in priority order, hold `sources`.

    A server name is served entirely from the highest-priority source that has it: all its
    versions come from that source and none from lower-priority ones (no mixing, whatever the
    version strings). Entries without a string `name` and `version` are skipped and counted.
    Each server is rendered as it is read, so only one decoded document is alive at a time
    (stored sources keep theirs packed); `isLatest` is settled once a name's versions are
    all known.
    """
    # entries hold no cycles; at 100,000 servers a full collection during the build cost a
    # fifth of it
    with gc_paused():
        return _build(registry=registry, sources=sources, built_at=built_at)


def _build(*, registry: str, sources: Sequence[SourceData], built_at: float) -> RegistrySnapshot:
    claimed: dict[str, dict[str, Entry]] = {}
    skipped = 0
    for source in sources:
        updated_at = as_utc(source.synced_at)
        stamp = rfc3339(updated_at)
        own: dict[str, dict[str, Entry]] = {}
        for server in source.servers:
            name, version = server.get("name"), server.get("version")
            if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
                skipped += 1
                continue
            if name in claimed:
                continue  # a higher-priority source owns the name
            by_version = own.setdefault(name, {})
            if version not in by_version:  # the first copy of a version wins
                by_version[version] = _entry(server, updated_at=updated_at, stamp=stamp)
        claimed.update(own)
    entries: list[Entry] = []
    for by_version in claimed.values():
        latest = latest_of(by_version)
        entries.extend(
            _as_latest(entry) if version == latest else entry
            for version, entry in by_version.items()
        )
    entries.sort(key=_by_key)
    extensions = {kind: build_items(sources, kind) for kind in ExtensionKind}
    return RegistrySnapshot(
        registry=registry,
        sources=tuple(source.source for source in sources),
        entries=tuple(entries),
        keys=tuple(map(_by_key, entries)),
        etag=_digest(registry, [entries, *(items.entries for items in extensions.values())]),
        built_at=built_at,
        server_count=len(claimed),
        skipped=skipped,
        extensions={kind: items for kind, items in extensions.items() if items.entries},
    )


def build_items(sources: Sequence[SourceData], kind: ExtensionKind) -> Items:
    """The skills (or plugins) of `sources` in priority order, deduplicated like servers: a
    `namespace/name` is served entirely from the highest-priority source that has it."""
    claimed: dict[str, tuple[SourceData, dict[str, ServerDoc]]] = {}
    for source in sources:
        grouped: dict[str, dict[str, ServerDoc]] = {}
        for item in source.items(kind):
            grouped.setdefault(item_key(item), {}).setdefault(str(item["version"]), item)
        for key, by_version in grouped.items():
            claimed.setdefault(key, (source, by_version))
    return items_of(claimed.items())


def items_of(claimed: Iterable[tuple[str, tuple[SourceData, Mapping[str, ServerDoc]]]]) -> Items:
    """Rendered, sorted entries of the chosen versions of each `namespace/name`."""
    entries: list[Entry] = []
    count = 0
    for key, (source, by_version) in claimed:
        count += 1
        latest = latest_of(by_version)
        updated_at = as_utc(source.synced_at)
        entries.extend(
            _item_entry(key, item, is_latest=version == latest, updated_at=updated_at)
            for version, item in by_version.items()
        )
    entries.sort(key=_by_key)
    return Items(
        entries=tuple(entries),
        keys=tuple(map(_by_key, entries)),
        count=count,
    )


def _item_entry(key: str, item: ServerDoc, *, is_latest: bool, updated_at: datetime) -> Entry:
    """Render one skill or plugin version as ToolHive serves it (`status` defaults to active)."""
    document = dict(item)
    document.setdefault("status", DEFAULT_ITEM_STATUS)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    fields = (key, item.get("title"), item.get("description"))
    return Entry(
        name=key,
        version=str(item["version"]),
        body=body,
        search_text="\x00".join(field.lower() for field in fields if isinstance(field, str)),
        updated_at=updated_at,
        is_latest=is_latest,
    )


_NOT_LATEST_END = b'"isLatest":false}}}'
_LATEST_END = b'"isLatest":true}}}'


def _as_latest(entry: Entry) -> Entry:
    """`entry` marked as its server's latest version: its body's last member, the official
    meta's `isLatest`, made true."""
    assert entry.body.endswith(_NOT_LATEST_END)
    body = entry.body[: -len(_NOT_LATEST_END)] + _LATEST_END
    return Entry(entry.name, entry.version, body, entry.search_text, entry.updated_at, True)


_by_key = operator.attrgetter("name", "version")
"""An entry's (name, version): the order of a snapshot's entries."""


def _entry(server: ServerDoc, *, updated_at: datetime, stamp: str) -> Entry:
    """Render one server version as its response item, not (yet) marked as the latest;
    `stamp` is `updated_at` in RFC 3339."""
    schema = server.get("$schema")
    document: dict[str, Any] = {
        "$schema": schema if isinstance(schema, str) and schema else SERVER_SCHEMA_URL
    }
    document.update((key, value) for key, value in server.items() if key != "$schema")
    official = {
        "status": server_status(server),
        "publishedAt": stamp,
        "updatedAt": stamp,
        "isLatest": False,
    }
    item = {"server": document, "_meta": {OFFICIAL_META_KEY: official}}
    body = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    fields = (server.get("name"), server.get("title"), server.get("description"))
    return Entry(
        name=str(server["name"]),
        version=str(server["version"]),
        body=body,
        search_text="\x00".join(field.lower() for field in fields if isinstance(field, str)),
        updated_at=updated_at,
        is_latest=False,
    )


def server_status(server: ServerDoc) -> str:
    """`deprecated` when any ToolHive extension block of `server` says so, else `active`."""
    meta = server.get("_meta")
    publisher = meta.get(PUBLISHER_META_KEY) if isinstance(meta, Mapping) else None
    toolhive = publisher.get(TOOLHIVE_PUBLISHER) if isinstance(publisher, Mapping) else None
    if isinstance(toolhive, Mapping):
        for extension in toolhive.values():
            status = extension.get("status") if isinstance(extension, Mapping) else None
            if isinstance(status, str) and status.lower() == "deprecated":
                return "deprecated"
    return "active"


def _digest(registry: str, collections: Iterable[Sequence[Entry]]) -> str:
    """A digest that changes whenever any served byte of the registry changes (servers, then
    skills, then plugins, each collection closed by a marker)."""
    digest = hashlib.blake2b(registry.encode(), digest_size=16)
    for entries in collections:
        for entry in entries:
            digest.update(len(entry.body).to_bytes(8, "big"))
            digest.update(entry.body)
        digest.update(b"\xff" * 8)
    return digest.hexdigest()
