"""Source data and status rows: writes under the source's advisory lock with NOTIFY, and reads.

Each operation runs on one connection the caller hands in (PostgresStore runs them through its
error translation); the source writes record their revisions in the caller's RevisionTracker, and
a read resets it only when asked to (the catalog's, which builds everything it read).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from mcp_registry_server.store.base import (
    SourceChange,
    SourceData,
    SourceStatus,
    SyncPhase,
    changed_data,
)
from mcp_registry_server.store.errors import DefinitionsConflictError
from mcp_registry_server.store.packed import PackedServers
from mcp_registry_server.store.postgres import changes
from mcp_registry_server.store.postgres.extension_rows import (
    read_extensions,
    with_items,
    write_extensions,
)
from mcp_registry_server.store.postgres.pool import Connection
from mcp_registry_server.store.postgres.records import (
    SERVER_COLUMNS,
    Record,
    at_revision,
    server_records,
)
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import SCHEMA

_UPSERT_SOURCE = f"""
INSERT INTO {SCHEMA}.source AS s (name, content_hash, synced_at, server_count)
VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET
    content_hash = EXCLUDED.content_hash,
    synced_at = EXCLUDED.synced_at,
    server_count = EXCLUDED.server_count,
    revision = nextval('{SCHEMA}.revision_seq'),
    updated_at = now()
RETURNING s.revision
"""
_SOURCE_DEFINED = f"""
SELECT EXISTS (
    SELECT 1 FROM {SCHEMA}.definitions d, jsonb_array_elements(d.document -> 'sources') s
    WHERE s ->> 'name' = $1
)
"""
_LOCK_SOURCE = "SELECT pg_advisory_xact_lock($1, hashtext($2))"
"""Held until the transaction ends; replaces and updates of one source take it first."""
_SOURCE_LOCK_SPACE = 0x6D637372
"""First key of a source's advisory lock ("mcsr"), so it matches no other lock of ours."""
_UPSERT_STATUS = f"""
INSERT INTO {SCHEMA}.source_status AS t (name, phase, message, attempt_count, last_attempt,
    last_sync_time, content_hash, filter_hash, server_count, skill_count, plugin_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (name) DO UPDATE SET
    phase = EXCLUDED.phase, message = EXCLUDED.message, attempt_count = EXCLUDED.attempt_count,
    last_attempt = EXCLUDED.last_attempt, last_sync_time = EXCLUDED.last_sync_time,
    content_hash = EXCLUDED.content_hash, filter_hash = EXCLUDED.filter_hash,
    server_count = EXCLUDED.server_count, skill_count = EXCLUDED.skill_count,
    plugin_count = EXCLUDED.plugin_count, updated_at = now()
"""

Records = list[Record]
"""The source's servers as `server_records` builds them (their revision is added when written)."""


class ChangeRaisedError(Exception):
    """Carries an error an update's change function raised past the driver-error translation."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def replace_source(
    conn: Connection, data: SourceData, records: Records, *, revisions: RevisionTracker
) -> None:
    """Replace the source's rows in one transaction holding the source's lock."""
    with revisions.writing(data.source) as ticket:
        async with conn.transaction():
            await _lock_source(conn, data.source)
            ticket.record(await _write_source(conn, data, records))


async def update_source(
    conn: Connection,
    source: str,
    change: SourceChange,
    *,
    revisions: RevisionTracker,
    max_meta_size: int,
    while_defined: bool = False,
) -> SourceData:
    """Store `change(current)` in one transaction holding the source's lock and return it; an
    error `change` raises comes out wrapped in ChangeRaisedError (nothing written), and so
    does DefinitionsConflictError when `while_defined` and the stored definitions (read
    after the lock, in READ COMMITTED: what any deleting replica committed) lost the source."""
    with revisions.writing(source) as ticket:
        async with conn.transaction(isolation="read_committed"):
            await _lock_source(conn, source)
            if while_defined and not await conn.fetchval(_SOURCE_DEFINED, source):
                raise ChangeRaisedError(
                    DefinitionsConflictError(f"source {source!r} was deleted by another replica")
                )
            current = await _read_source(conn, source)
            try:
                data = changed_data(source, change, current)
            except Exception as exc:
                raise ChangeRaisedError(exc) from exc
            records = server_records(source, data.servers, max_meta_size=max_meta_size)
            ticket.record(await _write_source(conn, data, records))
    return data


async def delete_source(conn: Connection, source: str, *, revisions: RevisionTracker) -> None:
    """Delete the source's data and status holding its lock; NOTIFY only if it had data."""
    with revisions.deleting_source(source):
        async with conn.transaction():
            await _lock_source(conn, source)
            await conn.execute(f"DELETE FROM {SCHEMA}.source_status WHERE name = $1", source)
            deleted = await conn.fetchval(
                f"DELETE FROM {SCHEMA}.source WHERE name = $1 RETURNING name", source
            )
            if deleted is not None:
                await changes.notify(conn, source)


async def load_sources(
    conn: Connection, *, revisions: RevisionTracker | None
) -> dict[str, SourceData]:
    """All sources with their servers in stored order, read from one snapshot; `revisions`,
    when given, is reset to what was read."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        sources = await conn.fetch(
            f"SELECT name, content_hash, synced_at, revision FROM {SCHEMA}.source"
        )
        rows = await conn.fetch(
            f"SELECT source, body FROM {SCHEMA}.server ORDER BY source, revision, position"
        )
        extensions = await read_extensions(conn)
    bodies: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        bodies.setdefault(row["source"], []).append(row["body"])
    if revisions is not None:
        revisions.reset({r["name"]: r["revision"] for r in sources})
    return {
        r["name"]: with_items(
            SourceData(
                source=r["name"],
                servers=PackedServers.pack(bodies.get(r["name"], ())),
                content_hash=r["content_hash"],
                synced_at=r["synced_at"],
            ),
            extensions.get(r["name"]),
        )
        for r in sources
    }


async def save_status(conn: Connection, status: SourceStatus) -> None:
    """Upsert the source's sync status."""
    await conn.execute(
        _UPSERT_STATUS,
        status.name,
        status.phase.value,
        status.message,
        status.attempt_count,
        _utc(status.last_attempt),
        _utc(status.last_sync_time),
        status.content_hash,
        status.filter_hash,
        status.server_count,
        status.skill_count,
        status.plugin_count,
    )


async def load_statuses(conn: Connection) -> dict[str, SourceStatus]:
    """Every stored sync status by source name."""
    rows = await conn.fetch(f"SELECT * FROM {SCHEMA}.source_status")
    return {
        row["name"]: SourceStatus(
            name=row["name"],
            phase=SyncPhase(row["phase"]),
            message=row["message"],
            attempt_count=row["attempt_count"],
            last_attempt=row["last_attempt"],
            last_sync_time=row["last_sync_time"],
            content_hash=row["content_hash"],
            filter_hash=row["filter_hash"],
            server_count=row["server_count"],
            skill_count=row["skill_count"],
            plugin_count=row["plugin_count"],
        )
        for row in rows
    }


@overload
def _utc(moment: datetime) -> datetime: ...
@overload
def _utc(moment: None) -> None: ...
def _utc(moment: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC (asyncpg would take them as the host's local time)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


async def _lock_source(conn: Connection, source: str) -> None:
    """Wait for every other transaction writing `source` to end; hold the lock until ours does."""
    await conn.execute(_LOCK_SOURCE, _SOURCE_LOCK_SPACE, source)


async def _read_source(conn: Connection, source: str) -> SourceData | None:
    """What is stored for `source` (servers in stored order), None when nothing is."""
    row = await conn.fetchrow(
        f"SELECT content_hash, synced_at FROM {SCHEMA}.source WHERE name = $1", source
    )
    if row is None:
        return None
    rows = await conn.fetch(
        f"SELECT body FROM {SCHEMA}.server WHERE source = $1 ORDER BY revision, position",
        source,
    )
    data = SourceData(
        source=source,
        servers=tuple(r["body"] for r in rows),
        content_hash=row["content_hash"],
        synced_at=row["synced_at"],
    )
    return with_items(data, (await read_extensions(conn, source)).get(source))


async def _write_source(conn: Connection, data: SourceData, records: Records) -> int:
    """Replace the source's rows inside the caller's transaction and NOTIFY the other
    replicas (delivered only if it commits); the source's new revision.

    The new rows carry the new revision, so COPY never meets a key of the old rows, which
    the same transaction deletes afterwards (revisions come from one sequence: every older
    row has a smaller one, a range of the primary key): readers see old rows or new ones."""
    # The upsert locks the source row, so a delete of the source waits for this transaction.
    revision: int = await conn.fetchval(
        _UPSERT_SOURCE, data.source, data.content_hash, _utc(data.synced_at), len(records)
    )
    if records:
        await conn.copy_records_to_table(
            "server", schema_name=SCHEMA, columns=SERVER_COLUMNS,
            records=at_revision(records, revision),
        )  # fmt: skip
    await conn.execute(
        f"DELETE FROM {SCHEMA}.server WHERE source = $1 AND revision < $2", data.source, revision
    )
    await write_extensions(conn, data, revision)
    await changes.notify(conn, data.source)
    return revision
