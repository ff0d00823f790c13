"""PostgresStore: Store and DefinitionStore on an asyncpg pool, one transaction per replace.

The class owns the pool and translates driver errors once; the rows it reads and writes live in
`source_rows` (source data and statuses) and `definitions_row` (the admin definitions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import structlog
from mcp_registry_common.backoff import BackoffPolicy

from mcp_registry_server.store.base import SourceChange, SourceData, SourceStatus
from mcp_registry_server.store.definitions import (
    DefinitionsRevision,
    LoadedDefinitions,
    StoredDefinitions,
)
from mcp_registry_server.store.errors import StoreError, StoreUnavailableError
from mcp_registry_server.store.postgres import changes, definitions_row, source_rows
from mcp_registry_server.store.postgres.availability import (
    DATABASE_BACKOFF,
    AvailabilityGate,
    describe,
    is_stale_connection,
    is_unavailable,
)
from mcp_registry_server.store.postgres.definitions import definitions_to_json
from mcp_registry_server.store.postgres.migrator import latest_version, load_migrations, read_state
from mcp_registry_server.store.postgres.pool import Connection, Pool, create_pool, pooled
from mcp_registry_server.store.postgres.records import server_records
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import DEFAULT_MAX_META_SIZE, ConnectionSettings

log = structlog.get_logger(__name__)
T = TypeVar("T")


class OperationTimeoutError(Exception):
    """One store operation outlived StoreOptions.operation_timeout (its connection is dropped)."""


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Runtime knobs that are not in the config file (defaults suit production)."""

    acquire_timeout: float = 5.0
    """How long an operation waits for a pooled connection (or a new one) before giving up."""
    backoff: BackoffPolicy = DATABASE_BACKOFF
    """Fail-fast window after a connection failure, and the change feed's reconnect delays."""
    poll_interval: float = 30.0
    """The change feed re-reads source revisions this often even without a NOTIFY."""
    max_meta_size: int = DEFAULT_MAX_META_SIZE
    require_schema: bool = True
    """Refuse to open unless the schema is at the version this server ships (not dirty)."""
    operation_timeout: float = 120.0
    """Longest one store operation may take, COPY of a large source included. A connection
    that a database restart left wedged is dropped when it runs out and the operation retried
    (unless it is an update or a definitions save: those fail, see `PostgresStore._run`)."""


class PostgresStore:
    """The Store protocol on PostgreSQL; raises StoreUnavailableError while it is unreachable."""

    def __init__(self, pool: Pool, *, settings: ConnectionSettings, options: StoreOptions) -> None:
        self._pool = pool
        self._settings = settings
        self._options = options
        self._gate = AvailabilityGate(policy=options.backoff)
        self._revisions = RevisionTracker()
        """What this process wrote, or loaded for the catalog (`mark_seen`); the change feed
        reports everything else."""
        self._definition_revisions = RevisionTracker()
        """The same for the definitions row (one key: `changes.DEFINITIONS`): this process's
        saves, and what the change feed's consumer applied (a load marks nothing seen)."""

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

    async def _run(
        self, operation: Callable[[Connection], Awaitable[T]], *, idempotent: bool = True
    ) -> T:
        """Run `operation` on a pooled connection, translating driver errors once, here.

        An idempotent operation (whole-source replace, upserts, deletes, reads) that failed on
        a pooled connection that turned out to be dead, or timed out, is retried: the dead
        connection is dropped, so after at most one retry per pooled connection it runs on a
        fresh one (after a database restart no caller sees a spurious error). One that is not
        (an update computed from what is stored, a conditional save) is never retried: its
        commit may have landed before the connection died, and running it again would apply
        it twice; its caller gets StoreUnavailableError and decides.
        """
        self._gate.ensure_open()
        stale_retries = self._pool.get_max_size() if idempotent else 0
        while True:
            try:
                async with pooled(
                    self._pool, acquire_timeout=self._options.acquire_timeout
                ) as conn:
                    result = await self._bounded(operation, conn)
            except source_rows.ChangeRaisedError as exc:
                raise exc.error from None  # the caller's own error, not the database's
            except Exception as exc:
                if stale_retries > 0 and (
                    is_stale_connection(exc) or isinstance(exc, OperationTimeoutError)
                ):
                    stale_retries -= 1
                    log.info("database_connection_stale", error=describe(exc))
                    continue
                if not idempotent and isinstance(exc, OperationTimeoutError):
                    raise StoreUnavailableError(f"{exc}: it may have been applied") from exc
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
        """Replace the source's rows in one transaction; on any failure the old rows stay.
        The rows are built in a worker thread (100,000 servers: about half a second)."""
        records = await asyncio.to_thread(
            server_records, data.source, data.servers, max_meta_size=self._options.max_meta_size
        )
        await self._run(
            lambda conn: source_rows.replace_source(conn, data, records, revisions=self._revisions)
        )

    async def update_source(
        self, source: str, change: SourceChange, *, while_defined: bool = False
    ) -> SourceData:
        """Read the source's rows, store `change(current)` instead and return it, in one
        transaction holding the source's lock: a replace, update or delete of the same source
        by any process waits until this one commits, then reads what it wrote. With
        `while_defined`, the stored definitions must still list the source, read under the
        lock (a replica deleting it saved them first): DefinitionsConflictError, nothing
        written, otherwise. An error `change` raises reaches the caller as it is (nothing
        written). Not retried after a lost connection (it may have committed):
        StoreUnavailableError then."""
        return await self._run(
            lambda conn: source_rows.update_source(
                conn,
                source,
                change,
                revisions=self._revisions,
                max_meta_size=self._options.max_meta_size,
                while_defined=while_defined,
            ),
            idempotent=False,
        )

    async def delete_source(self, source: str) -> None:
        """Forget a source's data and status, holding its lock (an update in flight commits
        first, and its rows are deleted too); unknown names are ignored."""
        await self._run(
            lambda conn: source_rows.delete_source(conn, source, revisions=self._revisions)
        )

    async def load_sources(self, *, mark_seen: bool = False) -> dict[str, SourceData]:
        """All sources with their servers in stored order, read from one snapshot; with
        `mark_seen`, the change feed reports only writes after it (the caller builds what it
        read)."""
        revisions = self._revisions if mark_seen else None
        return await self._run(lambda conn: source_rows.load_sources(conn, revisions=revisions))

    async def save_status(self, status: SourceStatus) -> None:
        await self._run(lambda conn: source_rows.save_status(conn, status))

    async def load_statuses(self) -> dict[str, SourceStatus]:
        return await self._run(source_rows.load_statuses)

    async def save_definitions(
        self, definitions: StoredDefinitions, *, expected: DefinitionsRevision
    ) -> DefinitionsRevision:
        """Replace the admin API's definitions if they are still at revision `expected` (one
        row, one conditional statement: atomic, and a concurrent save from another replica
        waits for the row lock, then finds the revision changed) and tell the other replicas
        (the NOTIFY is delivered only if the save commits). DefinitionsConflictError when
        someone else saved since `expected`. Not retried after a lost connection (a retry
        of a save that committed would find its own revision and report a conflict):
        StoreUnavailableError then."""
        document = definitions_to_json(definitions)
        return await self._run(
            lambda conn: definitions_row.save_definitions(
                conn, document, expected=expected, revisions=self._definition_revisions
            ),
            idempotent=False,
        )

    async def load_definitions(self) -> LoadedDefinitions:
        """The stored definitions and their revision; empty ones at NEVER_SAVED when nothing
        was ever saved."""
        row = await self._run(definitions_row.load_definitions_row)
        return definitions_row.loaded_definitions(row)

    async def watch_changes(
        self,
        callback: Callable[[str], Awaitable[None]],
        *,
        on_definitions: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        """Call `callback(source)` when another process changed or deleted a source, and
        `on_definitions()` when it saved the admin definitions (until it returns a revision
        at least as new as the stored one: the revision it applied); runs until cancelled,
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
            read_timeout=self._options.operation_timeout,
            backoff=self._options.backoff,
        )


async def _check_schema_version(conn: Connection) -> None:
    expected = latest_version(load_migrations())
    state = await read_state(conn)
    if state.dirty or state.version != expected:
        found = f"{state.version}{' (dirty)' if state.dirty else ''}"
        raise StoreError(
            f"database schema is at version {found}, this server needs {expected}:"
            " run `mcp-registry-server migrate up` with the migration user"
        )
