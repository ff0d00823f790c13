"""Two processes updating one source at once on PostgreSQL: the second waits for the first to
commit, then changes what the first wrote (a read-modify-write never loses the other's)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.postgres import PostgresStore, open_store, resolve_settings
from mcp_registry_server.store.postgres.pool import connect
from mcp_registry_server.store.postgres.settings import ConnectionSettings
from mcp_registry_testing.postgres import PgDatabase
from mcp_registry_testing.waiting import wait_for

pytestmark = pytest.mark.db

T0 = datetime(2026, 2, 1, tzinfo=UTC)
WAITING_FOR_A_SOURCE_LOCK = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def server(name: str) -> dict[str, Any]:
    return {"name": name, "description": name, "version": "1.0.0"}


def names(data: SourceData | None) -> list[str]:
    return [] if data is None else [str(s["name"]) for s in data.servers]


def adding(name: str, seen: list[list[str]]) -> Any:
    def change(current: SourceData | None) -> SourceData:
        seen.append(names(current))
        servers = (*(current.servers if current else ()), server(name))
        return SourceData(source="managed", servers=servers, content_hash=name, synced_at=T0)

    return change


def update_in_another_process(
    settings: ConnectionSettings, *, entered: threading.Event, release: threading.Event
) -> list[list[str]]:
    """Replica A, on its own event loop and pool: its change holds the source's transaction
    open (blocking its own loop, as a slow writer would) until `release` is set."""
    seen: list[list[str]] = []
    first = adding("io.acme/a", seen)

    def held(current: SourceData | None) -> SourceData:
        entered.set()
        if not release.wait(timeout=30):
            raise TimeoutError("the test never released replica A")
        return first(current)

    async def run() -> None:
        store = await open_store(settings)
        try:
            await store.update_source("managed", held)
        finally:
            await store.close()

    asyncio.run(run())
    return seen


@dataclass
class ReplicaAHoldsTheLock:
    """Replica A inside its update of `managed` (holding the source's lock until `release`),
    and replica B's store beside it."""

    replica_a: asyncio.Future[list[list[str]]]
    release: threading.Event
    store_b: PostgresStore
    observer: Any

    async def wait_until_blocked(self, message: str) -> None:
        """Until a request of replica B waits for A's lock (seen in pg_locks)."""

        async def blocked() -> bool:
            return bool(await self.observer.fetchval(WAITING_FOR_A_SOURCE_LOCK))

        await wait_for(blocked, timeout=10, message=message)


@contextlib.asynccontextmanager
async def replica_a_holding_the_lock(
    pg_db: PgDatabase, tmp_path: Path
) -> AsyncIterator[ReplicaAHoldsTheLock]:
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    entered, release = threading.Event(), threading.Event()
    replica_a = asyncio.ensure_future(
        asyncio.to_thread(update_in_another_process, settings, entered=entered, release=release)
    )
    store_b = await open_store(settings)
    observer = await connect(settings.app)
    try:
        await wait_for(entered.is_set, timeout=10, message="replica A is inside its update")
        yield ReplicaAHoldsTheLock(replica_a, release, store_b, observer)
    finally:
        release.set()
        await asyncio.gather(replica_a, return_exceptions=True)
        await observer.close()
        await store_b.close()


async def test_an_update_waits_for_a_concurrent_one_and_keeps_its_entry(
    pg_db: PgDatabase, tmp_path: Path
) -> None:
    async with replica_a_holding_the_lock(pg_db, tmp_path) as race:
        seen_b: list[list[str]] = []
        update_b = race.store_b.update_source("managed", adding("io.acme/b", seen_b))
        replica_b = asyncio.ensure_future(update_b)
        await race.wait_until_blocked("replica B waits for A's lock")
        assert seen_b == []  # B has not read anything yet
        race.release.set()
        assert await race.replica_a == [[]]
        stored = await replica_b
        assert seen_b == [["io.acme/a"]]  # B read what A committed
        assert names(stored) == ["io.acme/a", "io.acme/b"]
        loaded = await race.store_b.load_sources()
        assert names(loaded["managed"]) == ["io.acme/a", "io.acme/b"]


async def test_many_concurrent_updates_from_two_stores_keep_every_entry(
    pg_db: PgDatabase, tmp_path: Path
) -> None:
    settings = resolve_settings(pg_db.config(), env=pg_db.env, home=tmp_path)
    stores = [await open_store(settings) for _ in range(2)]
    try:
        seen: list[list[str]] = []
        expected = [f"io.acme/s{index:02d}" for index in range(20)]
        await asyncio.gather(
            *(
                stores[index % 2].update_source("managed", adding(name, seen))
                for index, name in enumerate(expected)
            )
        )
        stored = (await stores[0].load_sources())["managed"]
        assert sorted(names(stored)) == expected
        assert sorted(len(before) for before in seen) == list(range(20))  # one at a time
    finally:
        for store in stores:
            await store.close()


async def test_a_delete_waits_for_an_update_in_flight_and_removes_what_it_wrote(
    pg_db: PgDatabase, tmp_path: Path
) -> None:
    """Replica B deletes the source while replica A's update holds its lock: the delete waits,
    so A's rows cannot land after it and outlive the source."""
    async with replica_a_holding_the_lock(pg_db, tmp_path) as race:
        delete_b = asyncio.ensure_future(race.store_b.delete_source("managed"))
        await race.wait_until_blocked("the delete waits for A's lock")
        race.release.set()
        assert await race.replica_a == [[]]
        await delete_b
        assert "managed" not in await race.store_b.load_sources()
