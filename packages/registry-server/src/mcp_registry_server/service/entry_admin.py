"""Entries of the managed source through the admin API: publish, delete a version, claims.

The first publisher of a name owns it: its claims are the entry's claims, every later version
must be published with the same claims, and only callers who can see them may change them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from mcp_registry_server.service.admin_state import AdminState
from mcp_registry_server.service.caller import SUBSET_FORBIDDEN, Caller
from mcp_registry_server.service.definitions import Definitions, SourceDef, entry_claims_key
from mcp_registry_server.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    ObjectNotFoundError,
)
from mcp_registry_server.service.managed_entries import SERVER_KIND
from mcp_registry_server.service.views import claim_key
from mcp_registry_server.store.definitions import ClaimMap
from mcp_registry_server.store.errors import DefinitionsConflictError

log = structlog.get_logger(__name__)

CLAIMS_REQUIRED = "claims are required when authorization is enabled"


@dataclass(frozen=True, slots=True)
class Publication:
    """A validated `POST /v1/entries` body: one server.json, skill or plugin (`kind`)."""

    document: Mapping[str, Any]
    claims: ClaimMap | None
    kind: str = SERVER_KIND

    @property
    def name(self) -> str:
        """The entry's name: a server's `name`, a skill's or plugin's `namespace/name`."""
        return entry_name(self.kind, self.document)


def entry_name(kind: str, document: Mapping[str, Any]) -> str:
    """What identifies the entry a document of `kind` is a version of."""
    if kind == SERVER_KIND:
        return str(document.get("name"))
    return f"{document.get('namespace')}/{document.get('name')}"


def entry_not_found(name: str) -> ObjectNotFoundError:
    return ObjectNotFoundError(f"entry not found: {name}")


class EntryAdmin:
    """The `/v1/entries` operations on the single managed source."""

    def __init__(self, state: AdminState) -> None:
        self._state = state

    async def publish(self, caller: Caller, publication: Publication) -> Mapping[str, Any]:
        """Add one version of a server, skill or plugin to the managed source; the stored
        document."""
        state, claims, kind = self._state, publication.claims or None, publication.kind
        if state.authz_enabled and not claims:
            raise InvalidRequestError(CLAIMS_REQUIRED)
        name, version = publication.name, str(publication.document["version"])

        async def attempt() -> None:
            definitions = state.definitions
            managed = definitions.managed
            if managed is None:
                raise ConflictError("no managed source is configured: nothing can be published")
            if not caller.sees(managed.claims):
                raise ForbiddenError("forbidden: insufficient claims for the managed source")
            if not caller.may_grant(claims):
                raise ForbiddenError(SUBSET_FORBIDDEN)
            current = await state.managed_entries(managed.name, kind)
            known = _owner_claims(definitions, managed, kind, name)
            listed = _check_new_version(current, kind, name, version, owner=known, claims=claims)
            if not listed and known is not None:
                # Claims but no version: another publish of the name is on its way (its claims
                # are saved before its entry), or a deletion left them. The name is owned.
                _require_owner(name, known, claims)
            elif not listed:
                # A new name: its claims are saved first (a conditional save, so a replica
                # that claimed the name at the same time makes this attempt start again).
                await state.commit(_with_claims(definitions, managed, kind, name, claims))
            owner = _owner_claims(state.definitions, managed, kind, name)

            def add(current: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
                still = _check_new_version(current, kind, name, version, owner=owner, claims=claims)
                if listed and not still:
                    # Its last version was deleted meanwhile, and its claims perhaps with it:
                    # decide again on the stored definitions (nothing is written).
                    raise DefinitionsConflictError(f"{name} was deleted while publishing")
                return [*current, publication.document]

            await state.update_managed(managed.name, add, kind=kind)

        await state.write(attempt)
        return publication.document

    async def delete_version(
        self, caller: Caller, *, entry_type: str, name: str, version: str
    ) -> None:
        """Delete one version; the newest remaining becomes latest, none left deletes the
        entry (and its claims)."""
        state = self._state

        async def attempt() -> None:
            managed, entry = await self._entry(caller, entry_type, name, state.definitions)

            def drop(current: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
                kept = [
                    doc
                    for doc in current
                    if (entry_name(entry_type, doc), doc.get("version")) != (entry, version)
                ]
                if len(kept) == len(current):
                    raise ObjectNotFoundError(f"version not found: {entry} {version}")
                return kept

            kept = await state.update_managed(managed.name, drop, kind=entry_type)
            if not any(entry_name(entry_type, doc) == entry for doc in kept):
                await _forget_claims(state, managed, entry_type, entry)

        await state.write(attempt)

    async def claims(self, caller: Caller, *, entry_type: str, name: str) -> ClaimMap:
        """The entry's claims (an empty map when it has none)."""
        definitions = self._state.definitions
        managed, entry = await self._entry(caller, entry_type, name, definitions)
        return dict(_owner_claims(definitions, managed, entry_type, entry) or {})

    async def set_claims(
        self, caller: Caller, *, entry_type: str, name: str, claims: ClaimMap | None
    ) -> None:
        """Replace the entry's claims: the caller must see the old ones and hold the new."""
        state, claims = self._state, claims or None
        if state.authz_enabled and not claims:
            raise InvalidRequestError(CLAIMS_REQUIRED)

        async def attempt() -> None:
            definitions = state.definitions
            managed, entry = await self._entry(caller, entry_type, name, definitions)
            if not caller.may_grant(claims):
                raise ForbiddenError(SUBSET_FORBIDDEN)
            await state.commit(_with_claims(definitions, managed, entry_type, entry, claims))

        await state.write(attempt)

    async def _entry(
        self, caller: Caller, entry_type: str, name: str, definitions: Definitions
    ) -> tuple[SourceDef, str]:
        """The managed source and the entry's full name, if the source holds `name` (404)
        and the caller sees the entry's claims (403). A skill or plugin is named
        `namespace/name`, or by its bare name (ToolHive's identity) when one namespace has it."""
        managed = definitions.managed
        if managed is None:
            raise entry_not_found(name)
        docs = await self._state.managed_entries(managed.name, entry_type)
        names = {entry_name(entry_type, doc) for doc in docs}
        if name not in names and entry_type != SERVER_KIND and "/" not in name:
            matches = sorted(full for full in names if full.rpartition("/")[2] == name)
            if len(matches) > 1:
                raise ConflictError(
                    f"{entry_type} {name} exists in several namespaces ({', '.join(matches)}):"
                    " name it namespace/name"
                )
            name = matches[0] if matches else name
        if name not in names:
            raise entry_not_found(name)
        if not caller.sees(_owner_claims(definitions, managed, entry_type, name)):
            raise ForbiddenError(f"forbidden: insufficient claims for entry {name}")
        return managed, name


def _check_new_version(
    docs: Sequence[Mapping[str, Any]],
    kind: str,
    name: str,
    version: str,
    *,
    owner: ClaimMap | None,
    claims: ClaimMap | None,
) -> bool:
    """Whether `docs` hold `name` already; if they do, 409 unless `claims` are its owner's
    and `version` is new."""
    versions = {str(doc.get("version")) for doc in docs if entry_name(kind, doc) == name}
    if not versions:
        return False
    _require_owner(name, owner, claims)
    if version in versions:
        raise ConflictError(f"version already exists: {name} {version}")
    return True


def _require_owner(name: str, owner: ClaimMap | None, claims: ClaimMap | None) -> None:
    """409 unless `claims` are the ones `name` was first published with."""
    if claim_key(owner) != claim_key(claims):
        raise ConflictError(f"claims mismatch: {name} was first published with other claims")


async def _forget_claims(state: AdminState, managed: SourceDef, kind: str, name: str) -> None:
    """Drop the claims of an entry whose last version is gone. The entry is deleted already,
    so a replica that saved the definitions meanwhile leaves them in place rather than
    failing the request: the name then stays owned by those claims (a publish with them, or
    `set_claims` by a caller who sees them, takes it on)."""
    try:
        await state.commit(_with_claims(state.definitions, managed, kind, name, None))
    except DefinitionsConflictError:
        log.info("entry_claims_kept", source=managed.name, entry=name)


def _owner_claims(
    definitions: Definitions, managed: SourceDef, kind: str, name: str
) -> ClaimMap | None:
    return definitions.entry_claims.get(managed.name, {}).get(entry_claims_key(kind, name))


def _with_claims(
    definitions: Definitions, managed: SourceDef, kind: str, name: str, claims: ClaimMap | None
) -> Definitions:
    """`definitions` with the entry's claims set (None removes them)."""
    names = dict(definitions.entry_claims.get(managed.name, {}))
    key = entry_claims_key(kind, name)
    names.pop(key, None)
    if claims:
        names[key] = dict(claims)
    return definitions.evolve(entry_claims={**definitions.entry_claims, managed.name: names})
