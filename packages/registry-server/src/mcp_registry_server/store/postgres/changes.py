"""Change feed between replicas: NOTIFY after each write, LISTEN plus a revision poll to read it.

Two things are watched: each source's data (reported by name) and the admin definitions
(one row, reported as a whole). Both carry revisions from one sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from mcp_registry_common.backoff import BackoffPolicy

from mcp_registry_server.store.postgres.availability import describe, is_unavailable
from mcp_registry_server.store.postgres.pool import Connection, connect
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import SCHEMA, ConnectionSettings

log = structlog.get_logger(__name__)

CHANNEL = "mcp_registry_changes"
"""NOTIFY channel; the payload is the source name (for logs only: readers re-read revisions)."""
DEFINITIONS = ":definitions"
"""The payload after a definitions save, and their key in a RevisionTracker (no source name
can be spelled like it: source names are DNS labels)."""


async def notify(conn: Connection, source: str) -> None:
    """Queue a notification; PostgreSQL delivers it only if the transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, source)


async def _read_revisions(conn: Connection, read_timeout: float) -> dict[str, int]:
    rows = await conn.fetch(f"SELECT name, revision FROM {SCHEMA}.source", timeout=read_timeout)
    return {row["name"]: row["revision"] for row in rows}


async def _read_definitions_revision(conn: Connection, read_timeout: float) -> dict[str, int]:
    query = f"SELECT revision FROM {SCHEMA}.definitions"
    revision = await conn.fetchval(query, timeout=read_timeout)
    return {} if revision is None else {DEFINITIONS: revision}


@dataclass(frozen=True, slots=True)
class Watchers:
    """What the feed reports to: changed sources one by one, changed definitions as a whole."""

    sources: RevisionTracker
    on_source: Callable[[str], Awaitable[None]]
    definitions: RevisionTracker
    on_definitions: Callable[[], Awaitable[int]] | None = None
    """Adopts the stored definitions and returns the revision it applied (only that one is
    acknowledged: if it raises, or applied an older one, it is called again)."""


async def _deliver(conn: Connection, *, watchers: Watchers, read_timeout: float) -> None:
    # Definitions first: a source another replica just created must be known before its data.
    if watchers.on_definitions is not None:
        current = await _read_definitions_revision(conn, read_timeout)
        if watchers.definitions.changes(current):
            try:
                applied = await watchers.on_definitions()
            except Exception as exc:  # retried at the next wake-up or poll
                log.error("change_callback_failed", source=DEFINITIONS, error=describe(exc))
            else:
                watchers.definitions.acknowledge(DEFINITIONS, {DEFINITIONS: applied})
    current = await _read_revisions(conn, read_timeout)
    for name in watchers.sources.changes(current):
        try:
            await watchers.on_source(name)
        except Exception as exc:  # the feed must survive a failing consumer; retried next poll
            log.error("change_callback_failed", source=name, error=describe(exc))
            continue
        watchers.sources.acknowledge(name, current)


async def _listen_once(
    settings: ConnectionSettings,
    *,
    watchers: Watchers,
    poll_interval: float,
    read_timeout: float,
    on_connected: Callable[[], None],
) -> None:
    """One connection's life: LISTEN, re-read revisions on each wake-up; return when it dies."""
    conn = await connect(settings)
    wake = asyncio.Event()
    lost = asyncio.Event()

    def terminated(_conn: object) -> None:
        lost.set()
        wake.set()

    try:
        await conn.add_listener(CHANNEL, lambda *_: wake.set())
        conn.add_termination_listener(terminated)
        on_connected()
        log.info("change_feed_listening", channel=CHANNEL)
        while not lost.is_set():
            wake.clear()  # before reading, so a NOTIFY during the read causes another read
            await _deliver(conn, watchers=watchers, read_timeout=read_timeout)
            # The periodic poll covers a lost or never-delivered NOTIFY.
            await woken(wake, within=poll_interval)
        log.warning("change_feed_connection_lost")
    finally:
        conn.terminate()


async def woken(event: asyncio.Event, *, within: float) -> None:
    """Wait for `event`, at most `within` seconds. A cancellation from outside always ends the
    wait with CancelledError, even when it meets the wake-up in one loop turn: Python 3.11's
    `asyncio.wait_for` then returned normally instead, and the feed, never cancelled again,
    held its app's shutdown for a whole poll interval (a replica test's teardown hung)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            await event.wait()


async def watch(
    *,
    settings: ConnectionSettings,
    watchers: Watchers,
    poll_interval: float,
    read_timeout: float,
    backoff: BackoffPolicy,
) -> None:
    """Run until cancelled: report every source, and the definitions, another process changed
    (see RevisionTracker).

    A read of the revisions may take `read_timeout` (the store's operation timeout), however
    short the poll interval: a slow database delays the feed rather than dropping it.
    Each reconnect starts with a full re-read, so nothing that happened while the connection
    was down is missed. Connection failures back off exponentially with jitter.
    """
    failures = 0

    def reset() -> None:
        nonlocal failures
        failures = 0

    while True:
        try:
            await _listen_once(
                settings,
                watchers=watchers,
                poll_interval=poll_interval,
                read_timeout=read_timeout,
                on_connected=reset,
            )
        except Exception as exc:
            if not is_unavailable(exc):
                log.error("change_feed_failed", error=describe(exc))
            failures += 1
            delay = backoff.delay(failures, random.random())
            # A warning when the outage starts; the retries after it are routine (the store
            # logs the outage's end).
            level = logging.WARNING if failures == 1 else logging.DEBUG
            log.log(level, "change_feed_retry", error=describe(exc), retry_in=round(delay, 2))
            await asyncio.sleep(delay)
        else:
            failures += 1
            await asyncio.sleep(backoff.delay(failures, random.random()))
