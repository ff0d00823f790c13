"""The admin API's persisted state: API-created sources and registries, managed entries' claims.

An optional store capability (like those in `store.capabilities`): a store that implements
`DefinitionStore` keeps what the admin API created across restarts; one that does not keeps
it for the life of the process only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

ClaimMap = Mapping[str, Any]
"""A claims map as stored: claim key -> string or list of strings."""


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


@runtime_checkable
class DefinitionStore(Protocol):
    """A store that persists the admin API's definitions (written whole: they are small)."""

    async def save_definitions(self, definitions: StoredDefinitions) -> None:
        """Replace the stored definitions atomically."""

    async def load_definitions(self) -> StoredDefinitions:
        """The stored definitions; empty ones when nothing was ever saved."""
