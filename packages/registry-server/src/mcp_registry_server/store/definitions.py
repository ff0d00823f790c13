"""The admin API's persisted state: API-created sources and registries, managed entries' claims.

An optional store capability (like those in `store.capabilities`): a store that implements
`DefinitionStore` keeps what the admin API created across restarts; one that does not keeps
it for the life of the process only. Saves are conditional on the revision the writer last saw
(optimistic concurrency), so replicas sharing one store never overwrite each other's saves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType, Protocol, runtime_checkable

ClaimMap = Mapping[str, Any]
"""A claims map as stored: claim key -> string or list of strings."""
DefinitionsRevision = NewType("DefinitionsRevision", int)
"""Which save of the definitions a reader saw; every save takes a larger one."""
NEVER_SAVED = DefinitionsRevision(0)
"""The revision of a store in which no definitions were ever saved."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One API-created source or registry: its config document and when it was written."""

    name: str
    document: Mapping[str, Any]
    """The `sources[]`/`registries[]` item as config.yaml spells it (camelCase, with `name`)."""
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDefinitions:
    """Everything the admin API created; config-defined objects are never stored here."""

    sources: tuple[StoredObject, ...] = ()
    """API-created sources, oldest first."""
    registries: tuple[StoredObject, ...] = ()
    """API-created registries, oldest first."""
    entry_claims: Mapping[str, Mapping[str, ClaimMap]] = field(default_factory=dict)
    """Source name -> entry name -> claims, for sources whose entries carry their own claims
    (the managed source: set by the first publisher of a name)."""


@dataclass(frozen=True, slots=True)
class LoadedDefinitions:
    """The stored definitions and the revision they were saved at (the next save's `expected`)."""

    definitions: StoredDefinitions
    revision: DefinitionsRevision


@runtime_checkable
class DefinitionStore(Protocol):
    """A store that persists the admin API's definitions (written whole: they are small)."""

    async def save_definitions(
        self, definitions: StoredDefinitions, *, expected: DefinitionsRevision
    ) -> DefinitionsRevision:
        """Replace the stored definitions atomically if they are still at revision `expected`
        (`NEVER_SAVED`: none were saved yet); the new revision. Raise
        `DefinitionsConflictError` and change nothing when someone else saved in between."""

    async def load_definitions(self) -> LoadedDefinitions:
        """The stored definitions (empty ones at `NEVER_SAVED` when nothing was ever saved)."""
