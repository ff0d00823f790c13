"""The live set of sources and registries (config-defined plus API-created) as an immutable value.

Every admin write builds a new `Definitions` and swaps it in, so a reader always holds one
consistent version; `revision` grows with every swap (caches key on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import structlog
from mcp_registry_common.config import RegistryConfig, ServerConfig, SourceConfig
from mcp_registry_common.config.sync import SyncSettings
from pydantic import ValidationError

from mcp_registry_server.service.source_policy import admin_policy
from mcp_registry_server.service.topology import Topology
from mcp_registry_server.store.definitions import ClaimMap, StoredDefinitions, StoredObject

log = structlog.get_logger(__name__)

_Model = TypeVar("_Model", SourceConfig, RegistryConfig)

PER_ENTRY_CLAIM_KINDS = frozenset({"managed", "kubernetes"})
"""Source kinds whose entries carry their own claims instead of the source's."""


def entry_claims_key(kind: str, name: str) -> str:
    """The key of an entry's claims in `Definitions.entry_claims`: a server's name as it is,
    a skill's or plugin's `namespace/name` after `skill:`/`plugin:` (a server name holds no
    colon, so the kinds never collide)."""
    return name if kind == "server" else f"{kind}:{name}"


class Origin(StrEnum):
    """Who defined a source or registry (ToolHive's `creation_type`)."""

    CONFIG = "CONFIG"
    API = "API"


@dataclass(frozen=True, slots=True)
class SourceDef:
    """A source as the admin API sees it."""

    config: SourceConfig
    origin: Origin
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def claims(self) -> ClaimMap | None:
        return self.config.claims

    def fetch_config(self, sync: SyncSettings | None) -> SourceConfig:
        """The config the sync engine fetches with. An API-created source reaches non-public
        addresses only when it says so and `sync.adminSources.allowPrivateIP` lets it (now: a
        policy withdrawn later guards it again), never by the config-file default."""
        if self.origin is Origin.CONFIG:
            return self.config
        allowed = bool(self.config.allow_private_ip) and admin_policy(sync).allow_private_ip
        return self.config.model_copy(update={"allow_private_ip": allowed})

    def file_roots(self, sync: SyncSettings | None) -> tuple[str, ...] | None:
        """The directories a local file of this source must lie under at every fetch: the
        config's `sync.adminSources.fileRoots` now for an API-created source (none configured:
        none allowed), None (anywhere) for the config file's own."""
        if self.origin is Origin.CONFIG:
            return None
        return tuple(admin_policy(sync).file_roots)


@dataclass(frozen=True, slots=True)
class RegistryDef:
    """A registry as the admin API sees it."""

    config: RegistryConfig
    origin: Origin
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def claims(self) -> ClaimMap | None:
        return self.config.claims


@dataclass(frozen=True, slots=True)
class Definitions:
    """Sources and registries in creation order (config first), and per-entry claims."""

    sources: Mapping[str, SourceDef]
    registries: Mapping[str, RegistryDef]
    entry_claims: Mapping[str, Mapping[str, ClaimMap]] = field(default_factory=dict)
    """Source name -> `entry_claims_key` -> claims (sources of `PER_ENTRY_CLAIM_KINDS`)."""
    revision: int = 0

    @property
    def managed(self) -> SourceDef | None:
        """The single managed source, where the admin API publishes."""
        return next((s for s in self.sources.values() if s.config.managed is not None), None)

    def topology(self) -> Topology:
        """The read side's view: registry -> ordered sources, and the synced sources."""
        return Topology(
            registries={name: tuple(reg.config.sources) for name, reg in self.registries.items()},
            synced=frozenset(name for name, src in self.sources.items() if src.config.synced),
        )

    def entry_claims_of(self, source: str, name: str) -> ClaimMap | None:
        """The claims an entry of `source` is read with: its own for managed and kubernetes
        sources, else the source's (ToolHive copies source claims onto every synced entry)."""
        src = self.sources.get(source)
        if src is None:
            return None
        if src.config.kind in PER_ENTRY_CLAIM_KINDS:
            return self.entry_claims.get(source, {}).get(name)
        return src.claims

    def registries_using(self, source: str) -> list[str]:
        """Names of the registries that list `source`."""
        return [name for name, reg in self.registries.items() if source in reg.config.sources]

    def effective_config(self, base: ServerConfig) -> ServerConfig:
        """`base` with every live source and registry (what the sync engine is built from)."""
        return base.model_copy(
            update={
                "sources": [src.fetch_config(base.sync) for src in self.sources.values()],
                "registries": [reg.config for reg in self.registries.values()],
            }
        )

    def file_roots(self, sync: SyncSettings | None) -> dict[str, tuple[str, ...]]:
        """Source name -> the roots its local files must lie under (API-created sources)."""
        restricted = ((name, src.file_roots(sync)) for name, src in self.sources.items())
        return {name: roots for name, roots in restricted if roots is not None}

    def evolve(self, **changes: Any) -> Definitions:
        """A copy with `changes` applied and the next revision."""
        return replace(self, revision=self.revision + 1, **changes)

    def adopt(self, loaded: Definitions) -> Definitions:
        """`loaded` (merged afresh from the config and the store) as the next revision of
        these: config-defined objects keep the ones held here (same config, same times)."""
        sources = {
            name: self.sources.get(name, src) if src.origin is Origin.CONFIG else src
            for name, src in loaded.sources.items()
        }
        registries = {
            name: self.registries.get(name, reg) if reg.origin is Origin.CONFIG else reg
            for name, reg in loaded.registries.items()
        }
        return self.evolve(sources=sources, registries=registries, entry_claims=loaded.entry_claims)

    def stored(self) -> StoredDefinitions:
        """What a store keeps: the API-created objects and the per-entry claims."""
        return StoredDefinitions(
            sources=tuple(
                _stored(src.config, src.created_at, src.updated_at)
                for src in self.sources.values()
                if src.origin is Origin.API
            ),
            registries=tuple(
                _stored(reg.config, reg.created_at, reg.updated_at)
                for reg in self.registries.values()
                if reg.origin is Origin.API
            ),
            entry_claims={src: dict(names) for src, names in self.entry_claims.items() if names},
        )


def fetch_changed(old: SourceConfig, new: SourceConfig) -> bool:
    """Whether anything but the claims changed (then the engine must re-fetch)."""
    return _without_claims(old) != _without_claims(new)


def _without_claims(config: SourceConfig) -> Sequence[object]:
    return [value for key, value in config if key != "claims"]


def _stored(
    config: SourceConfig | RegistryConfig, created_at: datetime, updated_at: datetime
) -> StoredObject:
    document = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return StoredObject(
        name=config.name, document=document, created_at=created_at, updated_at=updated_at
    )


def merge_definitions(
    config: ServerConfig, stored: StoredDefinitions, *, now: datetime
) -> Definitions:
    """The config's sources and registries, then the stored API-created ones that still fit.

    The config wins every clash: an API-created object named like a config one, a second
    managed source, or a registry that lists a source which no longer exists is dropped
    (with a warning) rather than stopping the server.
    """
    sources = _merge_sources(config, stored, now=now)
    registries = _merge_registries(config, stored, sources=sources, now=now)
    entry_claims = {
        src: dict(names) for src, names in stored.entry_claims.items() if src in sources
    }
    return Definitions(sources=sources, registries=registries, entry_claims=entry_claims)


def _merge_sources(
    config: ServerConfig, stored: StoredDefinitions, *, now: datetime
) -> dict[str, SourceDef]:
    sources = {
        src.name: SourceDef(config=src, origin=Origin.CONFIG, created_at=now, updated_at=now)
        for src in config.sources
    }
    for item in stored.sources:
        source = _load(SourceConfig, item)
        if source is None:
            continue
        if source.name in sources:
            _dropped("source", item.name, "a config-defined source has that name")
            continue
        if source.managed is not None and any(s.config.managed for s in sources.values()):
            _dropped("source", item.name, "the config defines the managed source")
            continue
        sources[source.name] = SourceDef(
            config=source, origin=Origin.API, created_at=item.created_at, updated_at=item.updated_at
        )
    return sources


def _merge_registries(
    config: ServerConfig,
    stored: StoredDefinitions,
    *,
    sources: Mapping[str, SourceDef],
    now: datetime,
) -> dict[str, RegistryDef]:
    registries = {
        reg.name: RegistryDef(config=reg, origin=Origin.CONFIG, created_at=now, updated_at=now)
        for reg in config.registries
    }
    for item in stored.registries:
        registry = _load(RegistryConfig, item)
        if registry is None:
            continue
        if registry.name in registries:
            _dropped("registry", item.name, "a config-defined registry has that name")
            continue
        missing = [name for name in registry.sources if name not in sources]
        if missing:
            _dropped("registry", item.name, f"it lists unknown sources {missing}")
            continue
        registries[registry.name] = RegistryDef(
            config=registry,
            origin=Origin.API,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )
    return registries


def _load(model: type[_Model], item: StoredObject) -> _Model | None:
    try:
        return model.model_validate(item.document)
    except ValidationError as exc:
        log.warning("stored_definition_invalid", name=item.name, error=str(exc))
        return None


def _dropped(kind: str, name: str, reason: str) -> None:
    log.warning("stored_definition_dropped", kind=kind, name=name, reason=reason)
