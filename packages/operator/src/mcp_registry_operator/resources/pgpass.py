"""The generated pgpass Secret `<n>-db-pgpass` (app and migration user lines, libpq format)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import pgpass_secret_name


@dataclass(frozen=True)
class DatabasePasswords:
    """Passwords read from the two referenced Secrets. Never logged (repr is redacted)."""

    app: str
    migration: str

    def __repr__(self) -> str:
        return "DatabasePasswords(app=<redacted>, migration=<redacted>)"


def _escape(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def render_pgpass(registry: MCPRegistry, passwords: DatabasePasswords) -> str:
    db = registry.spec.database_config
    if db is None:
        raise ValueError("render_pgpass needs spec.databaseConfig")
    lines = [
        ":".join(_escape(str(f)) for f in (db.host, db.port, db.database, user, password))
        for user, password in ((db.user, passwords.app), (db.migration_user, passwords.migration))
    ]
    return "\n".join(lines) + "\n"


def build_pgpass_secret(registry: MCPRegistry, passwords: DatabasePasswords) -> dict[str, Any]:
    content = render_pgpass(registry, passwords).encode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": object_meta(registry, pgpass_secret_name(registry.metadata.name or "")),
        "data": {".pgpass": base64.b64encode(content).decode()},
    }
