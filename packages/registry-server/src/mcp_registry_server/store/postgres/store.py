"""PostgresStore: Store and DefinitionStore on an asyncpg pool, one transaction per replace."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

import asyncpg
import structlog

from mcp_registry_server.store.base import (
    SourceChange,
    SourceData,
    SourceStatus,
    SyncPhase,
    changed_data,
)
from mcp_registry_server.store.definitions import (
    NEVER_SAVED,
    DefinitionsRevision,
    LoadedDefinitions,
    StoredDefinitions,
)
from mcp_registry_server.store.errors import (
    DefinitionsConflictError,
    StoreError,
    StoreUnavailableError,
)
from mcp_registry_server.store.postgres import changes
from mcp_registry_server.store.postgres.availability import (
    AvailabilityGate,
    BackoffPolicy,
    describe,
    is_stale_connection,
    is_unavailable,
)
from mcp_registry_server.store.postgres.definitions import (
    definitions_from_json,
    definitions_to_json,
)
from mcp_registry_server.store.postgres.migrator import latest_version, load_migrations, read_state
from mcp_registry_server.store.postgres.pool import Connection, Pool, create_pool, pooled
from mcp_registry_server.store.postgres.records import (
    SERVER_COLUMNS,
    EncodedJson,
    server_records,
)
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import (
    DEFAULT_MAX_META_SIZE,
    SCHEMA,
    ConnectionSettings,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

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
_LOCK_SOURCE = "SELECT pg_advisory_xact_lock($1, hashtext($2))"
"""Held until the transaction ends; replaces and updates of one source take it first."""
_SOURCE_LOCK_SPACE = 0x6D637372
"""First key of a source's advisory lock ("mcsr"), so it matches no other lock of ours."""
_UPSERT_STATUS = f"""
INSERT INTO {SCHEMA}.source_status AS t (name, phase, message, attempt_count, last_attempt,
    last_sync_time, content_hash, filter_hash, server_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (name) DO UPDATE SET
    phase = EXCLUDED.phase, message = EXCLUDED.message, attempt_count = EXCLUDED.attempt_count,
    last_attempt = EXCLUDED.last_attempt, last_sync_time = EXCLUDED.last_sync_time,
    content_hash = EXCLUDED.content_hash, filter_hash = EXCLUDED.filter_hash,
    server_count = EXCLUDED.server_count, updated_at = now()
"""

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


class _ChangeRaisedError(Exception):
    """Carries an error an update's change function raised past the driver-error translation."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class OperationTimeoutError(Exception):
    """One store operation outlived StoreOptions.operation_timeout (its connection is dropped)."""


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Runtime knobs that are not in the config file (defaults suit production)."""

    acquire_timeout: float = 5.0
    """How long an operation waits for a pooled connection (or a new one) before giving up."""
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    """Fail-fast window after a connection failure, and the change feed's reconnect delays."""
    poll_interval: float = 30.0
    """The change feed re-reads source revisions this often even without a NOTIFY."""
    max_meta_size: int = DEFAULT_MAX_META_SIZE
    require_schema: bool = True
    """Refuse to open unless the schema is at the version this server ships (not dirty)."""
    operation_timeout: float = 120.0
    """Longest one store operation may take, COPY of a large source included. A connection
    that a database restart left wedged is dropped when it runs out and the operation retried."""


class PostgresStore:
    """The Store protocol on PostgreSQL; raises StoreUnavailableError while it is unreachable."""

    def __init__(self, pool: Pool, *, settings: ConnectionSettings, options: StoreOptions) -> None:
        self._pool = pool
        self._settings = settings
        self._options = options
        self._gate = AvailabilityGate(policy=options.backoff)
        self._revisions = RevisionTracker()
        """What this process wrote or loaded; the change feed reports everything else."""
        self._definition_revisions = RevisionTracker()
        """The same for the definitions row (one key: `changes.DEFINITIONS`)."""

    @classmethod
    async def open(
        cls, settings: ConnectionSettings, *, options: StoreOptions | None = None
    ) -> PostgresStore:
        """Create the pool and check the schema; StoreUnavailableError if unreachable."""
        log.info("postgres_store_opening", **settings.log_fields())
        try:
            pool = await create_pool(settings)
        except Exception as exc:
            if is_unavailable(exc):
                raise StoreUnavailableError(f"database unavailable: {describe(exc)}") from exc
            raise StoreError(f"cannot open the database pool: {describe(exc)}") from exc
        store = cls(pool, settings=settings, options=options or StoreOptions())
        if store._options.require_schema:
            try:
                await store._run(_check_schema_version)
            except BaseException:
                await store.close()
                raise
        return store

    async def close(self, *, grace: float = 10.0) -> None:
        """Close the pool, terminating connections still busy after `grace` seconds."""
        try:
            await asyncio.wait_for(self._pool.close(), grace)
        except TimeoutError:
            self._pool.terminate()

    @property
    def available(self) -> bool:
        """False after a connection failure until an operation succeeds again."""
        return self._gate.available

    async def _run(self, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `operation` on a pooled connection, translating driver errors once, here.

        Every operation is idempotent (whole-source replace, upserts, deletes, reads), so one
        that failed on a pooled connection that turned out to be dead is retried: the dead
        connection is dropped, so after at most one retry per pooled connection the operation
        runs on a fresh one (after a database restart no caller sees a spurious error).
        """
        self._gate.ensure_open()
        stale_retries = self._pool.get_max_size()
        while True:
            try:
                async with pooled(
                    self._pool, acquire_timeout=self._options.acquire_timeout
                ) as conn:
                    result = await self._bounded(operation, conn)
            except _ChangeRaisedError as exc:
                raise exc.error from None  # the caller's own error, not the database's
            except Exception as exc:
                if stale_retries > 0 and (
                    is_stale_connection(exc) or isinstance(exc, OperationTimeoutError)
                ):
                    stale_retries -= 1
                    log.info("database_connection_stale", error=describe(exc))
                    continue
                raise self._translate(exc) from exc
            self._gate.succeeded()
            return result

    async def _bounded(
        self, operation: Callable[[Connection], Awaitable[T]], conn: Connection
    ) -> T:
        try:
            async with asyncio.timeout(self._options.operation_timeout):
                return await operation(conn)
        except TimeoutError:
            conn.terminate()  # its protocol state is unknown: never hand it out again
            raise OperationTimeoutError(
                f"a database operation took more than {self._options.operation_timeout:g}s"
            ) from None

    def _translate(self, exc: Exception) -> StoreError:
        if isinstance(exc, asyncpg.UndefinedTableError):
            return StoreError(
                f"{describe(exc)}: the schema is missing, run `mcp-registry-server migrate up`"
            )
        if is_unavailable(exc):
            return self._gate.failed(exc)
        if isinstance(exc, StoreError):
            return exc
        return StoreError(f"database error: {describe(exc)}")

    async def check(self) -> None:
        """Raise StoreUnavailableError unless a pooled connection answers `SELECT 1`."""

        async def ping(conn: Connection) -> None:
            await conn.fetchval("SELECT 1", timeout=self._options.acquire_timeout)

        await self._run(ping)

    async def replace_source(self, data: SourceData) -> None:
        """Replace the source's rows in one transaction; on any failure the old rows stay."""
        records = server_records(
            data.source, data.servers, max_meta_size=self._options.max_meta_size
        )

        async def replace(conn: Connection) -> None:
            with self._revisions.writing(data.source) as ticket:
                async with conn.transaction():
                    await _lock_source(conn, data.source)
                    ticket.record(await _write_source(conn, data, records))

        await self._run(replace)

    async def update_source(self, source: str, change: SourceChange) -> SourceData:
        """Read the source's rows, store `change(current)` instead and return it, in one
        transaction holding the source's lock: a replace or update of the same source by any
        process waits until this one commits, then reads what it wrote. An error `change`
        raises reaches the caller as it is (nothing written)."""

        async def update(conn: Connection) -> SourceData:
            with self._revisions.writing(source) as ticket:
                async with conn.transaction():
                    await _lock_source(conn, source)
                    current = await _read_source(conn, source)
                    try:
                        data = changed_data(source, change, current)
                    except Exception as exc:
                        raise _ChangeRaisedError(exc) from exc
                    records = server_records(
                        source, data.servers, max_meta_size=self._options.max_meta_size
                    )
                    ticket.record(await _write_source(conn, data, records))
            return data

        return await self._run(update)

    async def delete_source(self, source: str) -> None:
        """Forget a source's data and status; unknown names are ignored."""

        async def delete(conn: Connection) -> None:
            with self._revisions.deleting_source(source):
                async with conn.transaction():
                    await conn.execute(
                        f"DELETE FROM {SCHEMA}.source_status WHERE name = $1", source
                    )
                    deleted = await conn.fetchval(
                        f"DELETE FROM {SCHEMA}.source WHERE name = $1 RETURNING name", source
                    )
                    if deleted is not None:
                        await changes.notify(conn, source)

        await self._run(delete)

    async def load_sources(self) -> dict[str, SourceData]:
        """All sources with their servers in stored order, read from one snapshot."""

        async def load(conn: Connection) -> dict[str, SourceData]:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                sources = await conn.fetch(
                    f"SELECT name, content_hash, synced_at, revision FROM {SCHEMA}.source"
                )
                rows = await conn.fetch(
                    f"SELECT source, body FROM {SCHEMA}.server ORDER BY source, position"
                )
            bodies: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                bodies.setdefault(row["source"], []).append(row["body"])
            self._revisions.reset({r["name"]: r["revision"] for r in sources})
            return {
                r["name"]: SourceData(
                    source=r["name"],
                    servers=tuple(bodies.get(r["name"], ())),
                    content_hash=r["content_hash"],
                    synced_at=r["synced_at"],
                )
                for r in sources
            }

        return await self._run(load)

    async def save_status(self, status: SourceStatus) -> None:
        async def save(conn: Connection) -> None:
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
            )

        await self._run(save)

    async def load_statuses(self) -> dict[str, SourceStatus]:
        async def load(conn: Connection) -> dict[str, SourceStatus]:
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
                )
                for row in rows
            }

        return await self._run(load)

    async def save_definitions(
        self, definitions: StoredDefinitions, *, expected: DefinitionsRevision
    ) -> DefinitionsRevision:
        """Replace the admin API's definitions if they are still at revision `expected` (one
        row, one conditional statement: atomic, and a concurrent save from another replica
        waits for the row lock, then finds the revision changed) and tell the other replicas
        (the NOTIFY is delivered only if the save commits). DefinitionsConflictError when
        someone else saved since `expected`."""
        document = definitions_to_json(definitions)

        async def save(conn: Connection) -> DefinitionsRevision:
            with self._definition_revisions.writing(changes.DEFINITIONS) as ticket:
                async with conn.transaction():
                    if expected == NEVER_SAVED:
                        revision = await conn.fetchval(_INSERT_DEFINITIONS, document)
                    else:
                        revision = await conn.fetchval(_UPDATE_DEFINITIONS, document, expected)
                    if revision is None:
                        raise DefinitionsConflictError(
                            "the admin definitions were saved by another replica since"
                            f" revision {expected}"
                        )
                    ticket.record(revision)
                    await changes.notify(conn, changes.DEFINITIONS)
            return DefinitionsRevision(revision)

        return await self._run(save)

    async def load_definitions(self) -> LoadedDefinitions:
        """The stored definitions and their revision; empty ones at NEVER_SAVED when nothing
        was ever saved."""

        async def load(conn: Connection) -> Any:
            row = await conn.fetchrow(f"SELECT document, revision FROM {SCHEMA}.definitions")
            if row is None:
                return None
            self._definition_revisions.reset({changes.DEFINITIONS: row["revision"]})
            return row

        row = await self._run(load)
        if row is None:
            return LoadedDefinitions(StoredDefinitions(), NEVER_SAVED)
        return LoadedDefinitions(
            definitions_from_json(row["document"]), DefinitionsRevision(row["revision"])
        )

    async def watch_changes(
        self,
        callback: Callable[[str], Awaitable[None]],
        *,
        on_definitions: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Call `callback(source)` when another process changed or deleted a source, and
        `on_definitions()` when it saved the admin definitions; runs until cancelled,
        reconnecting with backoff. Run it in a cleanup_ctx task."""
        watchers = changes.Watchers(
            sources=self._revisions,
            on_source=callback,
            definitions=self._definition_revisions,
            on_definitions=on_definitions,
        )
        await changes.watch(
            settings=self._settings,
            watchers=watchers,
            poll_interval=self._options.poll_interval,
            backoff=self._options.backoff,
        )


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
        f"SELECT body FROM {SCHEMA}.server WHERE source = $1 ORDER BY position", source
    )
    return SourceData(
        source=source,
        servers=tuple(r["body"] for r in rows),
        content_hash=row["content_hash"],
        synced_at=row["synced_at"],
    )


async def _write_source(
    conn: Connection, data: SourceData, records: list[tuple[str, int, str, str, EncodedJson]]
) -> int:
    """Replace the source's rows inside the caller's transaction and NOTIFY the other
    replicas (delivered only if it commits); the source's new revision."""
    # The upsert locks the source row, so a delete of the source waits for this transaction.
    revision: int = await conn.fetchval(
        _UPSERT_SOURCE, data.source, data.content_hash, _utc(data.synced_at), len(records)
    )
    await conn.execute(f"DELETE FROM {SCHEMA}.server WHERE source = $1", data.source)
    if records:
        await conn.copy_records_to_table(
            "server", schema_name=SCHEMA, columns=SERVER_COLUMNS, records=records
        )
    await changes.notify(conn, data.source)
    return revision


async def _check_schema_version(conn: Connection) -> None:
    expected = latest_version(load_migrations())
    state = await read_state(conn)
    if state.dirty or state.version != expected:
        found = f"{state.version}{' (dirty)' if state.dirty else ''}"
        raise StoreError(
            f"database schema is at version {found}, this server needs {expected}:"
            " run `mcp-registry-server migrate up` with the migration user"
        )
