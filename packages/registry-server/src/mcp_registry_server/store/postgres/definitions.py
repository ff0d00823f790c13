"""The admin API's StoredDefinitions as one JSON document and back (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mcp_registry_server.store.definitions import StoredDefinitions, StoredObject
from mcp_registry_server.store.errors import StoreError


def _object_to_json(item: StoredObject) -> dict[str, Any]:
    return {
        "name": item.name,
        "document": item.document,
        "createdAt": item.created_at.isoformat(),
        "updatedAt": item.updated_at.isoformat(),
    }


def _object_from_json(item: Mapping[str, Any]) -> StoredObject:
    return StoredObject(
        name=item["name"],
        document=item["document"],
        created_at=datetime.fromisoformat(item["createdAt"]),
        updated_at=datetime.fromisoformat(item["updatedAt"]),
    )


def definitions_to_json(definitions: StoredDefinitions) -> dict[str, Any]:
    """A JSON-ready document; times as ISO 8601 with their offsets."""
    return {
        "sources": [_object_to_json(s) for s in definitions.sources],
        "registries": [_object_to_json(r) for r in definitions.registries],
        "entryClaims": {
            source: {entry: dict(claims) for entry, claims in entries.items()}
            for source, entries in definitions.entry_claims.items()
        },
    }


def definitions_from_json(document: Mapping[str, Any]) -> StoredDefinitions:
    """The inverse of `definitions_to_json`; StoreError naming the problem if it is damaged."""
    try:
        return StoredDefinitions(
            sources=tuple(_object_from_json(s) for s in document.get("sources", ())),
            registries=tuple(_object_from_json(r) for r in document.get("registries", ())),
            entry_claims=dict(document.get("entryClaims", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"stored admin definitions are damaged: {exc!r}") from exc
