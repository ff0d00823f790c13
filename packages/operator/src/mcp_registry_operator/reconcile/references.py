"""Read what a registry references (Secrets, ConfigMaps) from the caches: a digest of their data
(a change rolls the pods) and the two database passwords. Values never leave this module
except inside DatabasePasswords, whose repr is redacted."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry, SecretKeySelector

from mcp_registry_operator.resources.desired import Reference, references
from mcp_registry_operator.resources.pgpass import DatabasePasswords

Lookup = Callable[[str, str, str], Mapping[str, Any] | None]
"""(kind, namespace, name) -> the cached object, or None."""


class MissingReferenceError(LookupError):
    """A referenced object (or a key in it) does not exist; the message names it."""


@dataclass(frozen=True)
class Resolved:
    digest: str
    """Salted sha256 over every referenced object's data: changes when any of it changes."""
    passwords: DatabasePasswords | None


def resolve_references(
    registry: MCPRegistry, lookup: Lookup, refs: Iterable[Reference] | None = None
) -> Resolved:
    """Read `refs` (default: what the registry references) from the caches; raises
    MissingReferenceError naming the first one missing."""
    namespace = registry.metadata.namespace or ""
    digest = hashlib.sha256((registry.metadata.uid or "").encode())
    for kind, name in references(registry) if refs is None else refs:
        obj = lookup(kind, namespace, name)
        if obj is None:
            raise MissingReferenceError(
                f"{kind} {name!r} referenced by the spec does not exist in namespace "
                f"{namespace!r}; waiting for it"
            )
        content = {"data": obj.get("data") or {}, "binaryData": obj.get("binaryData") or {}}
        digest.update(f"\0{kind}\0{name}\0".encode())
        digest.update(json.dumps(content, sort_keys=True, separators=(",", ":")).encode())
    return Resolved(digest.hexdigest(), _passwords(registry, lookup))


def _passwords(registry: MCPRegistry, lookup: Lookup) -> DatabasePasswords | None:
    db = registry.spec.database_config
    if db is None:
        return None
    namespace = registry.metadata.namespace or ""
    return DatabasePasswords(
        app=_secret_value(lookup, namespace, db.db_app_user_password_secret_ref),
        migration=_secret_value(lookup, namespace, db.db_migration_user_password_secret_ref),
    )


def _secret_value(lookup: Lookup, namespace: str, ref: SecretKeySelector) -> str:
    secret = lookup("Secret", namespace, ref.name)
    where = f"Secret {ref.name!r} in namespace {namespace!r}"
    if secret is None:
        raise MissingReferenceError(f"{where} does not exist; waiting for it")
    encoded = (secret.get("data") or {}).get(ref.key)
    if encoded is None:
        raise MissingReferenceError(f"{where} has no key {ref.key!r}; waiting for it")
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise MissingReferenceError(
            f"{where}: key {ref.key!r} is not base64-encoded UTF-8 text"
        ) from None
