"""The admin definitions row: a conditional save on its revision with NOTIFY, and its load.

Each operation runs on one connection the caller hands in (PostgresStore runs them through its
error translation). A save records its revision in the caller's RevisionTracker; a load leaves
the tracker alone: only the change feed acknowledges a revision, once its consumer applied it.
"""

from __future__ import annotations

from typing import Any

from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    DefinitionsRevision,
    LoadedDefinitions,
    StoredDefinitions,
)
from mcp_registry_server.store.errors import DefinitionsConflictError
from mcp_registry_server.store.postgres import changes
from mcp_registry_server.store.postgres.definitions import definitions_from_json
from mcp_registry_server.store.postgres.pool import Connection
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import SCHEMA

_INSERT_DEFINITIONS = f"""
INSERT INTO {SCHEMA}.definitions AS d (singleton, document) VALUES (true, $1)
ON CONFLICT (singleton) DO NOTHING
RETURNING d.revision
"""
_UPDATE_DEFINITIONS = f"""
UPDATE {SCHEMA}.definitions SET
    document = $1,
    revision = nextval('{SCHEMA}.revision_seq'),
    updated_at = now()
WHERE singleton AND revision = $2
RETURNING revision
"""


async def save_definitions(
    conn: Connection,
    document: dict[str, Any],
    *,
    expected: DefinitionsRevision,
    revisions: RevisionTracker,
) -> DefinitionsRevision:
    """Store `document` if the row is still at revision `expected` (inserting it when that is
    NEVER_SAVED) and NOTIFY in the same transaction; DefinitionsConflictError otherwise."""
    with revisions.writing(changes.DEFINITIONS) as ticket:
        async with conn.transaction():
            if expected == NEVER_SAVED:
                revision = await conn.fetchval(_INSERT_DEFINITIONS, document)
            else:
                revision = await conn.fetchval(_UPDATE_DEFINITIONS, document, expected)
            if revision is None:
                raise DefinitionsConflictError(
                    f"the admin definitions were saved by another replica since revision {expected}"
                )
            ticket.record(revision)
            await changes.notify(conn, changes.DEFINITIONS)
    return DefinitionsRevision(revision)


async def load_definitions_row(conn: Connection) -> Any:
    """The row (document, revision), None when nothing was ever saved."""
    return await conn.fetchrow(f"SELECT document, revision FROM {SCHEMA}.definitions")


def loaded_definitions(row: Any) -> LoadedDefinitions:
    """What `load_definitions_row` read as LoadedDefinitions; empty ones at NEVER_SAVED for
    None."""
    if row is None:
        return LoadedDefinitions(StoredDefinitions(), NEVER_SAVED)
    return LoadedDefinitions(
        definitions_from_json(row["document"]), DefinitionsRevision(row["revision"])
    )
