"""Sources added, changed and removed while the sync engine runs (the admin API's sources)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from mcp_registry_common.config import ServerConfig, SourceConfig
from mcp_registry_server.sources.localfiles import OUTSIDE_ROOTS
from mcp_registry_server.store.base import SourceStatus, SyncPhase
from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.engine import SyncEngine
from mcp_registry_server.sync.errors import UnknownSourceError
from mcp_registry_testing.sync_setup import ChangeRecorder, make_engine, running

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
UPSTREAM = SAMPLES / "fictional" / "registry-upstream.json"


def file_source(name: str, path: Path, **extra: object) -> SourceConfig:
    document = {"name": name, "file": {"path": str(path)}, "syncPolicy": {"interval": "1h"}}
    return SourceConfig.model_validate(document | extra)


def base_config() -> ServerConfig:
    return ServerConfig.model_validate(
        {
            "sources": [{"name": "managed", "managed": {}}],
            "registries": [{"name": "default", "sources": ["managed"]}],
            "auth": {"mode": "anonymous"},
        }
    )


def status_of(engine: SyncEngine, name: str) -> SourceStatus | None:
    return next((s for s in engine.statuses() if s.name == name), None)


async def test_a_source_added_while_running_syncs_at_once_and_removal_forgets_it(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store, changes = MemoryStore(), ChangeRecorder()
    engine = make_engine(base_config(), http=http, tmp_path=tmp_path, store=store, changes=changes)
    async with running(engine) as task:
        await engine.add_source(file_source("added", UPSTREAM))
        await engine.wait_for(
            "added", lambda s: s.phase is SyncPhase.COMPLETE and s.server_count > 0, within=5
        )
        assert "added" in await store.load_sources()
        assert changes.names == ["added"]
        assert [s.name for s in engine.statuses()] == ["managed", "added"]

        await engine.remove_source("added")
        assert "added" not in await store.load_sources()
        assert "added" not in await store.load_statuses()
        assert status_of(engine, "added") is None
        with pytest.raises(UnknownSourceError):
            await engine.sync_now("added")
        await engine.remove_source("added")  # removed already (a retried change): no-op
        assert not task.done(), "removing one source never stops the engine"
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "sync-added"]


async def test_a_changed_source_keeps_its_status_and_refetches(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = MemoryStore()
    engine = make_engine(base_config(), http=http, tmp_path=tmp_path, store=store)
    await engine.add_source(file_source("s", UPSTREAM))
    first = await engine.sync_now("s")
    assert first.server_count == 9
    narrowed = file_source("s", UPSTREAM, filter={"names": {"include": ["official/*"]}})
    await engine.add_source(narrowed)
    assert status_of(engine, "s") == first, "the status survives the change"
    assert engine.ever_synced("s")
    again = await engine.sync_now("s")
    assert again.server_count == 3
    stored = (await store.load_sources())["s"]
    assert {server["name"].split("/")[0] for server in stored.servers} == {"official"}


async def test_an_added_managed_source_is_complete_without_syncing(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = MemoryStore()
    config = base_config().model_copy(update={"sources": []})
    engine = SyncEngine(
        config=config, store=store, on_change=ChangeRecorder(), http=http, workdir=tmp_path / "git"
    )
    await engine.load()
    await engine.add_source(SourceConfig.model_validate({"name": "pub", "managed": {}}))
    status = status_of(engine, "pub")
    assert status is not None
    assert status.phase is SyncPhase.COMPLETE
    assert (await store.load_statuses())["pub"] == status
    assert engine.ever_synced("pub")


class DeleteFailsOnce(MemoryStore):
    """A store whose next source deletion fails (the database blinked)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_delete = False

    async def delete_source(self, source: str) -> None:
        if self.fail_delete:
            self.fail_delete = False
            raise StoreUnavailableError("database unavailable: connection reset")
        await super().delete_source(source)


async def test_a_removal_whose_store_delete_failed_is_done_by_a_repeat(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = DeleteFailsOnce()
    engine = make_engine(base_config(), http=http, tmp_path=tmp_path, store=store)
    async with running(engine):
        await engine.add_source(file_source("added", UPSTREAM))
        await engine.wait_for("added", lambda s: s.phase is SyncPhase.COMPLETE, within=5)
        await engine.add_source(file_source("added", UPSTREAM))  # added again: replaced
        assert [s.name for s in engine.statuses()] == ["managed", "added"]
        store.fail_delete = True
        with pytest.raises(StoreUnavailableError):
            await engine.remove_source("added")
        assert "added" in await store.load_sources()
        await engine.remove_source("added")
        assert "added" not in await store.load_sources()
        assert status_of(engine, "added") is None


async def test_an_admin_sources_local_file_is_checked_against_its_roots_at_every_fetch(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The roots as the engine is built (a config narrowed since the source was written) and
    as a source is added; a symlink under the root re-pointed outside is refused next time."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "registry.json").write_bytes(UPSTREAM.read_bytes())
    (outside / "registry.json").write_bytes(UPSTREAM.read_bytes())
    link = root / "link.json"
    link.symlink_to(root / "registry.json")
    config = base_config().model_copy(
        update={"sources": [*base_config().sources, file_source("old", outside / "registry.json")]}
    )
    engine = make_engine(config, http=http, tmp_path=tmp_path, file_roots={"old": [str(root)]})
    refused = await engine.sync_now("old")
    assert refused.phase is SyncPhase.FAILED
    assert refused.message is not None
    assert refused.message.endswith(OUTSIDE_ROOTS)

    await engine.add_source(file_source("linked", link), file_roots=[str(root)])
    assert (await engine.sync_now("linked")).server_count == 9
    link.unlink()
    link.symlink_to(outside / "registry.json")
    after = await engine.sync_now("linked")
    assert after.phase is SyncPhase.FAILED
    assert after.message is not None
    assert after.message.endswith(OUTSIDE_ROOTS)
    assert after.server_count == 9, "the data synced from under the root is still served"

    await engine.add_source(file_source("linked", link))  # now a config file's own source
    assert (await engine.sync_now("linked")).phase is SyncPhase.COMPLETE
