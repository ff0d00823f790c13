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


def registry_not_found(name: str) -> ObjectNotFoundError:
    return ObjectNotFoundError(f"registry not found: {name}")


class RegistryAdmin:
    """The `/v1/registries` operations; callers are checked against each registry's claims."""

    def __init__(self, state: AdminState) -> None:
        self._state = state

    def list_visible(self, caller: Caller) -> list[RegistryDef]:
        """Every registry the caller's claims cover, by name."""
        registries = self._state.definitions.registries
        return [
            registries[name] for name in sorted(registries) if caller.sees(registries[name].claims)
        ]

    def get(self, caller: Caller, name: str) -> RegistryDef:
        """One registry; 404 when missing or not visible to the caller (existence hidden)."""
        registry = self._state.definitions.registries.get(name)
        if registry is None or not caller.sees(registry.claims):
            raise registry_not_found(name)
        return registry

    async def put(self, caller: Caller, config: RegistryConfig) -> tuple[RegistryDef, bool]:
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
                    raise ForbiddenError(f"forbidden: insufficient claims for source {source}")
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

        return await state.write(attempt)

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
        registry = self.get(caller, name)
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
    if existing.origin is Origin.CONFIG:
        raise ForbiddenError(f"cannot modify config-created registry via API: {existing.name}")
    if not caller.sees(existing.claims):
        raise ForbiddenError(f"forbidden: insufficient claims for registry {existing.name}")
