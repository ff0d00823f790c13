"""Registries through the admin API: list, read, create/update, delete, and their entries."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_registry_common.config import RegistryConfig

from mcp_registry_server.service.admin_state import AdminState
from mcp_registry_server.service.caller import SUBSET_FORBIDDEN, Caller
from mcp_registry_server.service.definitions import Origin, RegistryDef
from mcp_registry_server.service.errors import (
    ForbiddenError,
    InvalidRequestError,
    ObjectNotFoundError,
)
from mcp_registry_server.service.source_admin import VersionInfo, stored_entries, version_info


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One version of one entry in a registry, with the source it comes from (unshadowed)."""

    entry_type: str
    name: str
    version: VersionInfo
    source: str
    position: int


@dataclass(frozen=True, slots=True)
class RegistryView:
    """A registry as one caller may see it: only the sources whose claims the caller covers
    are named (a source the caller cannot see stays unnamed, as `GET /v1/sources` hides it)."""

    registry: RegistryDef
    sources: tuple[str, ...]
    """The registry's visible sources, highest priority first."""


SOURCE_FORBIDDEN = "forbidden: insufficient claims for a referenced source"
"""403 for a registry listing a source the caller cannot see (which one is not said)."""


def registry_not_found(name: str) -> ObjectNotFoundError:
    return ObjectNotFoundError(f"registry not found: {name}")


class RegistryAdmin:
    """The `/v1/registries` operations; callers are checked against each registry's claims."""

    def __init__(self, state: AdminState) -> None:
        self._state = state

    def list_visible(self, caller: Caller) -> list[RegistryView]:
        """Every registry the caller's claims cover, by name."""
        registries = self._state.definitions.registries
        return [
            self._view(caller, registries[name])
            for name in sorted(registries)
            if caller.sees(registries[name].claims)
        ]

    def get(self, caller: Caller, name: str) -> RegistryView:
        """One registry; 404 when missing or not visible to the caller (existence hidden)."""
        return self._view(caller, self._visible(caller, name))

    def _visible(self, caller: Caller, name: str) -> RegistryDef:
        registry = self._state.definitions.registries.get(name)
        if registry is None or not caller.sees(registry.claims):
            raise registry_not_found(name)
        return registry

    def _view(self, caller: Caller, registry: RegistryDef) -> RegistryView:
        sources = self._state.definitions.sources
        visible = tuple(
            name
            for name in registry.config.sources
            if name in sources and caller.sees(sources[name].claims)
        )
        return RegistryView(registry, visible)

    async def put(self, caller: Caller, config: RegistryConfig) -> tuple[RegistryView, bool]:
        """Create (True) or update (False) an API-defined registry; snapshots are rebuilt."""
        state = self._state

        async def attempt() -> tuple[RegistryDef, bool]:
            definitions = state.definitions
            existing = definitions.registries.get(config.name)
            if existing is not None:
                _check_writable(existing, caller)
            for source in config.sources:
                src = definitions.sources.get(source)
                if src is None:
                    raise InvalidRequestError(f"unknown source: {source}")
                if not caller.sees(src.claims):
                    raise ForbiddenError(SOURCE_FORBIDDEN)
            if not caller.may_grant(config.claims):
                raise ForbiddenError(SUBSET_FORBIDDEN)
            now = state.now()
            registry = RegistryDef(
                config=config,
                origin=Origin.API,
                created_at=existing.created_at if existing is not None else now,
                updated_at=now,
            )
            registries = {**definitions.registries, config.name: registry}
            await state.apply(definitions.evolve(registries=registries))
            return registry, existing is None

        registry, created = await state.write(attempt)
        return RegistryView(registry, tuple(registry.config.sources)), created

    async def delete(self, caller: Caller, name: str) -> None:
        """Delete an API-defined registry (its sources stay)."""
        state = self._state

        async def attempt() -> None:
            definitions = state.definitions
            existing = definitions.registries.get(name)
            if existing is None:
                raise registry_not_found(name)
            _check_writable(existing, caller)
            registries = {key: reg for key, reg in definitions.registries.items() if key != name}
            await state.apply(definitions.evolve(registries=registries))

        await state.write(attempt)

    def entries(self, caller: Caller, name: str) -> list[RegistryEntry]:
        """Every version of every entry of every source of the registry that the caller may
        see, unshadowed, by name, version and source position."""
        registry = self._visible(caller, name)
        definitions = self._state.definitions
        positions = {source: index for index, source in enumerate(registry.config.sources)}
        result: list[RegistryEntry] = []
        for data in self._state.catalog.inputs(name):
            position = positions.get(data.source)
            if position is None:
                continue
            for stored in stored_entries(data):
                if caller.sees(definitions.entry_claims_of(data.source, stored.claims_key)):
                    info = version_info(stored.document, at=data.synced_at)
                    result.append(
                        RegistryEntry(stored.entry_type, stored.name, info, data.source, position)
                    )
        result.sort(key=lambda item: (item.name, item.version.version, item.position))
        return result


def _check_writable(existing: RegistryDef, caller: Caller) -> None:
    if not caller.sees(existing.claims):  # first, as for sources: nothing named to an outsider
        raise ForbiddenError("forbidden: insufficient claims for registry")
    if existing.origin is Origin.CONFIG:
        raise ForbiddenError(f"cannot modify config-created registry via API: {existing.name}")
