"""Sources through the admin API: list, read, create/update, delete, their entries, manual sync."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_registry_common.config import SourceConfig
from mcp_registry_common.formats import ExtensionKind, item_key

from mcp_registry_server.service.admin_state import AdminState
from mcp_registry_server.service.caller import SUBSET_FORBIDDEN, Caller
from mcp_registry_server.service.definitions import (
    Definitions,
    Origin,
    SourceDef,
    entry_claims_key,
)
from mcp_registry_server.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    ObjectNotFoundError,
)
from mcp_registry_server.service.source_policy import admin_policy, check_admin_source
from mcp_registry_server.service.stored_urls import with_stored_urls
from mcp_registry_server.store.base import SourceData, SourceStatus
from mcp_registry_server.store.definitions import ClaimMap


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source and its current sync status (None while the engine is not running)."""

    source: SourceDef
    status: SourceStatus | None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stored version of an entry."""

    version: str
    title: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EntryGroup:
    """One entry of a source with its claims and every stored version (unshadowed)."""

    entry_type: str
    name: str
    claims: ClaimMap | None
    versions: tuple[VersionInfo, ...]


ENTRY_TYPES = {"server": "MCP", "skill": "SKILL", "plugin": "PLUGIN"}
"""ToolHive's `entryType` of each kind of entry."""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One stored version of a server, skill or plugin of a source."""

    kind: str
    """`server`, `skill` or `plugin`."""
    name: str
    """A server's name, a skill's or plugin's `namespace/name`."""
    document: Mapping[str, Any]

    @property
    def entry_type(self) -> str:
        return ENTRY_TYPES[self.kind]

    @property
    def claims_key(self) -> str:
        return entry_claims_key(self.kind, self.name)


def stored_entries(data: SourceData) -> Iterator[StoredEntry]:
    """Every stored version in `data`: servers, then skills, then plugins."""
    for server in data.servers:
        yield StoredEntry("server", str(server.get("name", "")), server)
    for kind in ExtensionKind:
        for item in data.items(kind):
            yield StoredEntry(kind.value, item_key(item), item)


def source_not_found(name: str) -> ObjectNotFoundError:
    return ObjectNotFoundError(f"source not found: {name}")


class SourceAdmin:
    """The `/v1/sources` operations; callers are checked against each source's claims."""

    def __init__(self, state: AdminState) -> None:
        self._state = state

    def list_visible(self, caller: Caller) -> list[SourceView]:
        """Every source the caller's claims cover, config ones first, then by creation."""
        statuses = self._statuses()
        return [
            SourceView(src, statuses.get(src.name))
            for src in self._state.definitions.sources.values()
            if caller.sees(src.claims)
        ]

    def get(self, caller: Caller, name: str) -> SourceView:
        """One source; 404 when missing or not visible to the caller (existence hidden)."""
        return SourceView(self._visible(caller, name), self._statuses().get(name))

    async def put(self, caller: Caller, config: SourceConfig) -> tuple[SourceView, bool]:
        """Create (True) or update (False) an API-defined source. A URL sent back redacted, as
        the view shows it, keeps the stored one (`with_stored_urls`)."""
        state = self._state

        async def attempt() -> tuple[SourceDef, bool]:
            definitions = state.definitions
            existing = definitions.sources.get(config.name)
            if existing is not None:
                _check_update(existing, config, caller)
            elif config.managed is not None and definitions.managed is not None:
                raise ConflictError("at most one managed source is allowed")
            if not caller.may_grant(config.claims):
                raise ForbiddenError(SUBSET_FORBIDDEN)
            check_admin_source(config, admin_policy(state.config.sync))
            stored = with_stored_urls(config, existing.config if existing is not None else None)
            now = state.now()
            source = SourceDef(
                config=stored,
                origin=Origin.API,
                created_at=existing.created_at if existing is not None else now,
                updated_at=now,
            )
            await state.apply(
                definitions.evolve(sources={**definitions.sources, config.name: source})
            )
            return source, existing is None

        source, created = await state.write(attempt)
        return SourceView(source, self._statuses().get(config.name)), created

    async def delete(self, caller: Caller, name: str) -> None:
        """Delete an API-defined source that no registry lists, with its entries."""
        state = self._state

        async def attempt() -> None:
            definitions = state.definitions
            existing = definitions.sources.get(name)
            if existing is None:
                raise source_not_found(name)
            _check_writable(existing, caller)
            using = definitions.registries_using(name)
            if using:
                raise ConflictError(_referenced(using, definitions, caller))
            sources = {key: src for key, src in definitions.sources.items() if key != name}
            claims = {key: v for key, v in definitions.entry_claims.items() if key != name}
            await state.apply(definitions.evolve(sources=sources, entry_claims=claims))

        await state.write(attempt)

    async def entries(self, caller: Caller, name: str) -> list[EntryGroup]:
        """The source's entries with all their versions, each visible to the caller."""
        self._visible(caller, name)
        data = await self._state.source_data(name)
        if data is None:
            return []
        definitions = self._state.definitions
        groups: dict[tuple[str, str, str], list[VersionInfo]] = {}
        for stored in stored_entries(data):
            key = (stored.name, stored.entry_type, stored.claims_key)
            groups.setdefault(key, []).append(version_info(stored.document, at=data.synced_at))
        result = []
        for entry, entry_type, claims_key in sorted(groups):
            claims = definitions.entry_claims_of(name, claims_key)
            if caller.sees(claims):
                versions = tuple(sorted(groups[entry, entry_type, claims_key], key=_version))
                result.append(EntryGroup(entry_type, entry, claims, versions))
        return result

    async def sync(self, caller: Caller, name: str) -> SourceView:
        """Sync a visible synced source now; its resulting status."""
        source = self._visible(caller, name)
        status = await self._state.engine().sync_now(name)
        return SourceView(source, status)

    def _visible(self, caller: Caller, name: str) -> SourceDef:
        source = self._state.definitions.sources.get(name)
        if source is None or not caller.sees(source.claims):
            raise source_not_found(name)
        return source

    def _statuses(self) -> dict[str, SourceStatus]:
        engine = self._state.running_engine()
        if engine is None:
            return {}
        return {status.name: status for status in engine.statuses()}


def _version(info: VersionInfo) -> str:
    return info.version


def version_info(server: Mapping[str, Any], *, at: datetime) -> VersionInfo:
    """The admin listing's view of one stored server.json, skill or plugin."""
    title, description = server.get("title"), server.get("description")
    return VersionInfo(
        version=str(server.get("version", "")),
        title=title if isinstance(title, str) else None,
        description=description if isinstance(description, str) else None,
        created_at=at,
        updated_at=at,
    )


def _check_writable(existing: SourceDef, caller: Caller) -> None:
    # Claims first: a caller who cannot see the source learns neither its name nor its origin.
    if not caller.sees(existing.claims):
        raise ForbiddenError("forbidden: insufficient claims for source")
    if existing.origin is Origin.CONFIG:
        raise ForbiddenError(f"cannot modify config-created source via API: {existing.name}")


def _check_update(existing: SourceDef, new: SourceConfig, caller: Caller) -> None:
    _check_writable(existing, caller)
    if existing.config.kind != new.kind:
        raise InvalidRequestError("changing source type is not allowed")
    old_file, new_file = existing.config.file, new.file
    if (
        old_file is not None
        and new_file is not None
        and (old_file.path is None) != (new_file.path is None)
    ):
        raise InvalidRequestError("changing a file source between path and url is not allowed")


def _referenced(using: list[str], definitions: Definitions, caller: Caller) -> str:
    """Why a linked source cannot go, naming only the registries `caller` may see (as
    ToolHive's message, which names none, when it sees none of them)."""
    seen = [name for name in using if caller.sees(definitions.registries[name].claims)]
    names = f": {', '.join(seen)}" if seen else ""
    return f"source is referenced by one or more registries{names}"
