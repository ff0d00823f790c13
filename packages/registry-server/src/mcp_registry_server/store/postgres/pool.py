"""Open asyncpg connections and pools from ConnectionSettings: TLS, codecs, timeouts, lifetime."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from mcp_registry_server.store.postgres.records import EncodedJson
from mcp_registry_server.store.postgres.settings import SCHEMA, ConnectionSettings
from mcp_registry_server.store.postgres.tls import tls_argument

Pool = asyncpg.Pool
if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
    """A plain or pooled connection: both have the same query API."""
else:
    Connection = asyncpg.Connection | PoolConnectionProxy


class ConnectionExpiredError(Exception):
    """A pooled connection outlived connMaxLifetime; the pool replaces it on the next acquire."""


class TimedConnection(asyncpg.Connection):
    """An asyncpg connection that remembers when it was opened (for connMaxLifetime)."""

    __slots__ = ("opened_at",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_at = time.monotonic()


_JSONB_VERSION = b"\x01"


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)


def _encode_jsonb(value: Any) -> bytes:
    if isinstance(value, EncodedJson):  # encoded once by server_records
        return _JSONB_VERSION + value
    return _JSONB_VERSION + _dumps(value).encode()


def _decode_jsonb(data: bytes) -> Any:
    if data[:1] != _JSONB_VERSION:
        raise ValueError(f"unsupported jsonb binary format version {data[:1]!r}")
    return json.loads(data[1:])


async def register_codecs(conn: Connection) -> None:
    """json/jsonb as Python values (asyncpg returns str by default). jsonb uses the binary
    format (a version byte, then the JSON text) because COPY ... BINARY needs it."""
    await conn.set_type_codec(
        "jsonb", encoder=_encode_jsonb, decoder=_decode_jsonb, schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec("json", encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def server_settings(settings: ConnectionSettings) -> dict[str, str]:
    """Session GUCs sent in the startup packet."""
    timeout_ms = str(int(settings.statement_timeout * 1000))
    return {
        "application_name": settings.application_name,
        "search_path": SCHEMA,
        "statement_timeout": timeout_ms,
        "idle_in_transaction_session_timeout": timeout_ms,
    }


def connect_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
    """Keyword arguments shared by `asyncpg.connect` and `asyncpg.create_pool`.

    The password is passed explicitly ("" when none was resolved) so asyncpg never falls back
    to its own pgpass parser, which does not unescape `\\:` the way libpq does.
    """
    statement_timeout = settings.statement_timeout
    return {
        "host": settings.host,
        "port": settings.port,
        "user": settings.user,
        "password": settings.credential.password or "",
        "database": settings.database,
        "ssl": tls_argument(settings.ssl_mode, settings.ssl_root_cert),
        "timeout": settings.connect_timeout,
        "command_timeout": statement_timeout + 5.0 if statement_timeout > 0 else None,
        "server_settings": server_settings(settings),
    }


async def connect(settings: ConnectionSettings) -> asyncpg.Connection[Any]:
    """One connection outside any pool (migrations, LISTEN), with the JSON codecs."""
    conn: asyncpg.Connection[Any] = await asyncpg.connect(**connect_kwargs(settings))
    try:
        await register_codecs(conn)
    except BaseException:
        conn.terminate()
        raise
    return conn


def _lifetime_check(max_lifetime: float) -> Any:
    async def setup(proxy: PoolConnectionProxy[Any]) -> None:
        opened_at: float = getattr(proxy, "opened_at", time.monotonic())
        if time.monotonic() - opened_at > max_lifetime:
            raise ConnectionExpiredError(f"connection older than {max_lifetime}s")

    return setup if max_lifetime > 0 else None


async def create_pool(settings: ConnectionSettings) -> Pool:
    """A pool sized by maxOpenConns/maxIdleConns whose connections live at most connMaxLifetime.

    Opens `min_size` connections now (raising if the database is unreachable); later acquires
    reconnect dead connections on demand.
    """
    pool = await asyncpg.create_pool(
        **connect_kwargs(settings),
        min_size=settings.pool.min_size,
        max_size=settings.pool.max_size,
        max_queries=settings.pool.max_queries,
        max_inactive_connection_lifetime=settings.pool.max_inactive_lifetime,
        connection_class=TimedConnection,
        init=register_codecs,
        setup=_lifetime_check(settings.pool.max_lifetime),
    )
    assert pool is not None  # create_pool only returns None for an un-awaited pool
    return pool


async def _acquire(pool: Pool, *, acquire_timeout: float) -> PoolConnectionProxy[asyncpg.Record]:
    for _ in range(pool.get_max_size() + 1):
        try:
            return await pool.acquire(timeout=acquire_timeout)
        except ConnectionExpiredError:
            continue  # the holder closed it; the next acquire reconnects
    return await pool.acquire(timeout=acquire_timeout)


@asynccontextmanager
async def pooled(pool: Pool, *, acquire_timeout: float) -> AsyncIterator[Connection]:
    """A pooled connection for the block, replacing any that outlived connMaxLifetime."""
    conn = await _acquire(pool, acquire_timeout=acquire_timeout)
    try:
        yield conn
    finally:
        # Bounded: releasing resets the connection, and a connection whose protocol state a
        # server restart broke can leave that reset waiting forever. asyncpg terminates the
        # connection when the reset times out; the next acquire opens a fresh one.
        with contextlib.suppress(Exception):
            await pool.release(conn, timeout=acquire_timeout)
