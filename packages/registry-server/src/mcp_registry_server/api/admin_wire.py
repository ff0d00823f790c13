"""The admin API's JSON shapes (ToolHive's SourceInfo, RegistryInfo, entry listings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcp_registry_common.durations import format_go_duration, parse_go_duration
from mcp_registry_common.redaction import redact_text, redact_urls
from mcp_registry_common.timestamps import rfc3339

from mcp_registry_server.service.registry_admin import RegistryEntry, RegistryView
from mcp_registry_server.service.source_admin import EntryGroup, SourceView, VersionInfo
from mcp_registry_server.store.base import SourceStatus, SyncPhase

_PHASES = {SyncPhase.SYNCING: "syncing", SyncPhase.COMPLETE: "complete", SyncPhase.FAILED: "failed"}


def source_json(view: SourceView) -> dict[str, Any]:
    """One source: its type block (credentials in its URLs redacted: a PUT of this view keeps
    the stored ones, see `service.stored_urls`), filter, schedule, claims, sync status, times."""
    source, config = view.source, view.source.config
    block = getattr(config, config.kind)
    document: dict[str, Any] = {
        "name": source.name,
        "type": config.kind,
        "creationType": str(source.origin),
        "sourceType": config.kind,
        "sourceConfig": redact_urls(block.to_wire()),
    }
    if config.filter is not None:
        document["filterConfig"] = config.filter.to_wire()
    if config.synced and config.sync_policy is not None:
        seconds = parse_go_duration(config.sync_policy.interval)
        document["syncSchedule"] = format_go_duration(seconds)
    document["claims"] = dict(source.claims or {})
    if config.allow_private_ip is not None:
        document["allowPrivateIP"] = config.allow_private_ip
    if view.status is not None:
        document["syncStatus"] = sync_status_json(view.status)
    document["createdAt"] = rfc3339(source.created_at)
    document["updatedAt"] = rfc3339(source.updated_at)
    return document


def sync_status_json(status: SourceStatus) -> dict[str, Any]:
    """ToolHive's `syncStatus` (lower-case phase; servers, skills and plugins counted)."""
    document: dict[str, Any] = {"phase": _PHASES[status.phase]}
    if status.last_sync_time is not None:
        document["lastSyncTime"] = rfc3339(status.last_sync_time)
    if status.last_attempt is not None:
        document["lastAttempt"] = rfc3339(status.last_attempt)
    document.update(
        attemptCount=status.attempt_count,
        serverCount=status.server_count,
        skillCount=status.skill_count,
        pluginCount=status.plugin_count,
        message=redact_text(status.message),
    )
    return document


def sources_json(views: Iterable[SourceView]) -> dict[str, Any]:
    return {"sources": [source_json(view) for view in views]}


def registry_json(view: RegistryView) -> dict[str, Any]:
    """One registry: its claims, origin, the sources the caller may see in priority order, and
    times."""
    registry = view.registry
    return {
        "name": registry.name,
        "claims": dict(registry.claims or {}),
        "creationType": str(registry.origin),
        "sources": list(view.sources),
        "createdAt": rfc3339(registry.created_at),
        "updatedAt": rfc3339(registry.updated_at),
    }


def registries_json(views: Iterable[RegistryView]) -> dict[str, Any]:
    return {"registries": [registry_json(view) for view in views]}


def source_entries_json(groups: Iterable[EntryGroup]) -> dict[str, Any]:
    """`GET /v1/sources/{name}/entries`: one item per entry, its versions inside."""
    return {
        "entries": [
            {
                "entryType": group.entry_type,
                "name": group.name,
                "claims": dict(group.claims or {}),
                "versions": [_version(info) for info in group.versions],
            }
            for group in groups
        ]
    }


def registry_entries_json(entries: Iterable[RegistryEntry]) -> dict[str, Any]:
    """`GET /v1/registries/{name}/entries`: one flat item per version and source."""
    return {
        "entries": [
            {
                "entryType": entry.entry_type,
                "name": entry.name,
                **_version(entry.version),
                "sourceName": entry.source,
                "position": entry.position,
            }
            for entry in entries
        ]
    }


def claims_json(claims: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"claims": dict(claims or {})}


def _version(info: VersionInfo) -> dict[str, Any]:
    document: dict[str, Any] = {"version": info.version}
    if info.title is not None:
        document["title"] = info.title
    if info.description is not None:
        document["description"] = info.description
    document["createdAt"] = rfc3339(info.created_at)
    document["updatedAt"] = rfc3339(info.updated_at)
    return document
