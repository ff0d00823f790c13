"""The in-memory store keeps the latest data and status per source and forgets removed ones."""

from __future__ import annotations

from datetime import UTC, datetime

from mcp_registry_server.store.base import SourceData, SourceStatus, SyncPhase
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.store.packed import PackedServers

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_replace_load_and_delete() -> None:
    store = MemoryStore()
    first = SourceData(source="a", servers=[{"name": "x/y"}], content_hash="1", synced_at=NOW)
    second = SourceData(source="a", servers=[], content_hash="2", synced_at=NOW)
    await store.replace_source(first)
    await store.replace_source(SourceData(source="b", servers=[], content_hash="3", synced_at=NOW))
    loaded = await store.load_sources()
    await store.replace_source(second)
    assert loaded["a"] == first  # an earlier read is not changed by a later replace
    assert (await store.load_sources())["a"] == second
    await store.save_status(SourceStatus(name="a", phase=SyncPhase.COMPLETE))
    await store.save_status(SourceStatus(name="a", phase=SyncPhase.FAILED, message="boom"))
    assert (await store.load_statuses())["a"].message == "boom"
    await store.delete_source("a")
    await store.delete_source("never-there")
    assert set(await store.load_sources()) == {"b"}
    assert await store.load_statuses() == {}


async def test_servers_are_kept_packed_and_read_back_as_written() -> None:
    store = MemoryStore()
    servers = [{"name": "x/y", "version": "1", "n": 2**70 + 1, "t": "é"}, {"name": "x/z"}]
    await store.replace_source(SourceData("a", servers, "1", NOW))
    kept = (await store.load_sources())["a"].servers
    assert isinstance(kept, PackedServers)
    assert list(kept) == servers
    assert kept[1] == servers[1]
    first = kept[0]
    assert isinstance(first, dict)
    first["name"] = "changed by a reader"
    assert kept[0]["name"] == "x/y"  # every read decodes afresh
