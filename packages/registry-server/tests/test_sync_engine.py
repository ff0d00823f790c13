"""The sync engine end to end with real sources (local HTTP, git, files) and the memory store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_registry_common.backoff import BackoffPolicy, no_jitter
from mcp_registry_common.config.server import ServerConfig
from mcp_registry_server.store.base import SourceData, SourceStatus, SyncPhase
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.decision import SyncReason
from mcp_registry_server.sync.errors import NotSyncableError, UnknownSourceError
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.sync_setup import ChangeRecorder, make_engine, running
from mcp_registry_testing.upstreams import FaultyUpstream
from prometheus_client import CollectorRegistry, generate_latest

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
UPSTREAM = SAMPLES / "fictional" / "registry-upstream.json"
LEGACY = SAMPLES / "fictional" / "registry-legacy.json"
NAMES = {
    "io.github.stacklok/file-vault",
    "io.github.stacklok/issue-tracker-cloud",
    "io.github.stacklok/legacy-analytics",
    "io.github.stacklok/legacy-jira",
    "io.github.stacklok/pg-explorer",
    "io.github.stacklok/weather-remote",
    "official/acme-docs",
    "official/acme-search",
    "official/metrics-sandbox",
}
FILTER_07 = {
    "names": {"include": ["official/*"], "exclude": ["*/deprecated"]},
    "tags": {"include": ["production"], "exclude": ["experimental"]},
}


def config(*sources: dict[str, Any], **top: Any) -> ServerConfig:
    # The upstreams listen on loopback: the private-address guard is lifted for them.
    sync = {"allowPrivateIP": True, **top.pop("sync", {})}
    return ServerConfig.model_validate(
        {
            "sources": list(sources),
            "registries": [{"name": "default", "sources": [s["name"] for s in sources]}],
            "auth": {"mode": "anonymous"},
            "sync": sync,
            **top,
        }
    )


def file_source(name: str, path: Path, **extra: Any) -> dict[str, Any]:
    return {"name": name, "file": {"path": str(path)}, "syncPolicy": {"interval": "1h"}} | extra


def url_source(name: str, url: str, *, timeout: str = "10s", **extra: Any) -> dict[str, Any]:
    source = {"file": {"url": url, "timeout": timeout}, "syncPolicy": {"interval": "1h"}}
    return {"name": name} | source | extra


def complete(status: SourceStatus) -> bool:
    return status.phase is SyncPhase.COMPLETE


def attempting(status: SourceStatus) -> bool:
    """Mid-attempt (not merely waiting for the first one)."""
    return status.phase is SyncPhase.SYNCING and status.attempt_count > 0


async def stored(store: MemoryStore, source: str) -> SourceData:
    return (await store.load_sources())[source]


# -- one source, manual syncs -----------------------------------------------------------------


async def test_url_source_syncs_then_skips_unchanged_data(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    _, url = upstream
    store, changes, metrics = MemoryStore(), ChangeRecorder(), CollectorRegistry()
    engine = make_engine(
        config(url_source("up", url)),
        http=http,
        tmp_path=tmp_path,
        store=store,
        changes=changes,
        metrics=metrics,
    )
    assert not engine.ever_synced("up")
    status = await engine.sync_now("up")
    assert (status.phase, status.message, status.attempt_count) == (
        SyncPhase.COMPLETE,
        "Sync completed successfully",
        0,
    )
    first = await stored(store, "up")
    assert {s["name"] for s in first.servers} == NAMES
    assert status.content_hash == first.content_hash
    assert status.server_count == 9
    assert changes.names == ["up"]
    assert engine.ever_synced("up")
    assert (await store.load_statuses())["up"] == status

    again = await engine.sync_now("up")
    assert again.message == "Sync completed: data unchanged"
    assert await stored(store, "up") is first, "no store write when nothing changed"
    assert changes.names == ["up"], "no on_change when nothing changed"

    def sample(name: str, **labels: str) -> float | None:
        return metrics.get_sample_value(name, {"source": "up", **labels})

    assert sample("mcp_registry_sync_attempts_total", outcome="updated", reason="manual") == 1
    assert sample("mcp_registry_sync_attempts_total", outcome="unchanged", reason="manual") == 1
    assert sample("mcp_registry_sync_duration_seconds_count", outcome="updated") == 1
    assert sample("mcp_registry_source_servers") == 9
    assert engine.next_attempt("up").reason is SyncReason.UP_TO_DATE


@pytest.mark.parametrize("sample", [UPSTREAM, LEGACY], ids=["upstream", "legacy"])
async def test_both_file_formats_are_converted(
    sample: Path, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = MemoryStore()
    engine = make_engine(
        config(file_source("f", sample)), http=http, tmp_path=tmp_path, store=store
    )
    assert complete(await engine.sync_now("f"))
    assert {s["name"] for s in (await stored(store, "f")).servers} == NAMES


async def test_declared_format_must_match_the_data(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    cfg = config(file_source("f", LEGACY, format="upstream"))
    status = await make_engine(cfg, http=http, tmp_path=tmp_path).sync_now("f")
    assert status.phase is SyncPhase.FAILED
    assert status.message.startswith("Validation failed: ")
    assert "format mismatch" in status.message


async def test_real_toolhive_subset_parses(http: aiohttp.ClientSession, tmp_path: Path) -> None:
    store = MemoryStore()
    cfg = config(file_source("real", SAMPLES / "toolhive-legacy-real-subset.json"))
    status = await make_engine(cfg, http=http, tmp_path=tmp_path, store=store).sync_now("real")
    assert complete(status)
    assert status.server_count == len((await stored(store, "real")).servers) == 6


async def test_git_source(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"data/registry.json": LEGACY.read_bytes()})
    git = GitHttpServer()
    server = await aiohttp_server(git.app(repo))
    source = {
        "name": "g",
        "git": {"repository": str(server.make_url(git.mount)), "path": "data/registry.json"},
        "syncPolicy": {"interval": "30m"},
    }
    store, changes = MemoryStore(), ChangeRecorder()
    engine = make_engine(config(source), http=http, tmp_path=tmp_path, store=store, changes=changes)
    assert complete(await engine.sync_now("g"))
    assert {s["name"] for s in (await stored(store, "g")).servers} == NAMES
    repo.commit({"data/registry.json": UPSTREAM.read_bytes()})  # same servers, other bytes
    again = await engine.sync_now("g")
    assert again.message == "Sync completed successfully"
    assert changes.names == ["g", "g"]


async def test_api_source(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    page1 = json.loads((SAMPLES / "fictional" / "upstream-api-page1.json").read_bytes())
    page2 = json.loads((SAMPLES / "fictional" / "upstream-api-page2.json").read_bytes())
    fake = FaultyUpstream(b"", pages={None: page1, page1["metadata"]["nextCursor"]: page2})
    server = await aiohttp_server(fake.app())
    source = {
        "name": "a",
        "api": {"endpoint": str(server.make_url("/"))},
        "syncPolicy": {"interval": "1h"},
    }
    store = MemoryStore()
    engine = make_engine(config(source), http=http, tmp_path=tmp_path, store=store)
    assert complete(await engine.sync_now("a"))
    assert {s["name"] for s in (await stored(store, "a")).servers} == NAMES


async def test_filter_is_applied(http: aiohttp.ClientSession, tmp_path: Path) -> None:
    store = MemoryStore()
    cfg = config(file_source("f", UPSTREAM, filter=FILTER_07))
    status = await make_engine(cfg, http=http, tmp_path=tmp_path, store=store).sync_now("f")
    assert status.server_count == 2
    names = {s["name"] for s in (await stored(store, "f")).servers}
    assert names == {"official/acme-docs", "official/acme-search"}


# -- restarts ---------------------------------------------------------------------------------


async def test_restart_serves_persisted_data_without_a_sync(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    store = MemoryStore()
    cfg = config(url_source("up", url))
    first = await make_engine(cfg, http=http, tmp_path=tmp_path, store=store).sync_now("up")
    requests = fake.requests

    restarted = make_engine(cfg, http=http, tmp_path=tmp_path, store=store)
    await restarted.load()
    assert restarted.ever_synced("up")
    assert restarted.statuses() == [first]
    plan = restarted.next_attempt("up")
    assert plan.reason is SyncReason.UP_TO_DATE
    assert first.last_attempt is not None
    assert plan.at == first.last_attempt + (plan.at - first.last_attempt)
    assert plan.at is not None
    assert (plan.at - first.last_attempt).total_seconds() == 3600
    assert fake.requests == requests


async def test_filter_change_forces_a_resync_at_start(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    _, url = upstream
    store, metrics, changes = MemoryStore(), CollectorRegistry(), ChangeRecorder()
    await make_engine(
        config(url_source("up", url)), http=http, tmp_path=tmp_path, store=store
    ).sync_now("up")
    assert len((await stored(store, "up")).servers) == 9

    filtered = config(url_source("up", url, filter=FILTER_07))
    engine = make_engine(
        filtered, http=http, tmp_path=tmp_path, store=store, metrics=metrics, changes=changes
    )
    await engine.load()
    assert engine.next_attempt("up").reason is SyncReason.FILTER_CHANGED
    async with running(engine):
        await engine.wait_for("up", lambda s: complete(s) and s.server_count == 2, within=10)
    assert len((await stored(store, "up")).servers) == 2
    assert changes.names == ["up"]
    labels = {"source": "up", "outcome": "updated", "reason": "filter-changed"}
    assert metrics.get_sample_value("mcp_registry_sync_attempts_total", labels) == 1


async def test_sources_that_left_the_config_are_pruned(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    store = MemoryStore()
    await make_engine(
        config(file_source("old", UPSTREAM)), http=http, tmp_path=tmp_path, store=store
    ).sync_now("old")
    engine = make_engine(
        config(file_source("new", UPSTREAM)), http=http, tmp_path=tmp_path, store=store
    )
    await engine.load()
    assert "old" not in await store.load_sources()
    assert "old" not in await store.load_statuses()


# -- unsynced kinds, unknown names ------------------------------------------------------------


async def test_managed_and_kubernetes_sources_are_not_synced(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    cfg = config({"name": "pub", "managed": {}}, {"name": "k8s", "kubernetes": {}})
    engine = make_engine(cfg, http=http, tmp_path=tmp_path)
    await engine.load()
    assert [(s.name, s.phase, s.message) for s in engine.statuses()] == [
        ("pub", SyncPhase.COMPLETE, "not synced (managed source)"),
        ("k8s", SyncPhase.COMPLETE, "not synced (kubernetes source)"),  # until its watch reports
    ]
    assert engine.ever_synced("pub")
    assert engine.ever_synced("k8s")
    with pytest.raises(NotSyncableError, match="'pub' is a managed source"):
        await engine.sync_now("pub")
    with pytest.raises(UnknownSourceError) as caught:
        await engine.sync_now("nope")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "unknown source 'nope'"
    assert engine.next_attempt("k8s").reason is SyncReason.NOT_SYNCED  # never on a schedule
    async with running(engine) as task:
        # No cluster here (no service account, no --kubeconfig): the server runs on and says so.
        failed = await engine.wait_for("k8s", lambda s: s.phase is SyncPhase.FAILED, within=5.0)
        assert "not in a cluster" in failed.message
        assert not task.done()


# -- concurrency and scheduling ---------------------------------------------------------------


async def test_a_hanging_source_does_not_delay_another(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    fake.mode = "hang"
    cfg = config(url_source("slow", url, timeout="10m"), file_source("fast", UPSTREAM))
    engine = make_engine(cfg, http=http, tmp_path=tmp_path, concurrency=2)
    async with running(engine):
        await engine.wait_for("slow", attempting, within=10)
        await engine.wait_for("fast", complete, within=10)
        slow = engine.statuses()[0]
        assert attempting(slow), "still hanging while the other source completed"
        assert slow.message == "Sync in progress (never-synced)"
    assert fake.requests == 1


async def test_a_source_still_running_after_its_slot_lease_lets_the_next_one_in(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    fake.mode = "hang"
    cfg = config(url_source("slow", url, timeout="10m"), file_source("fast", UPSTREAM))
    engine = make_engine(cfg, http=http, tmp_path=tmp_path, concurrency=1, slot_lease=0.2)
    with structlog.testing.capture_logs() as logs:
        async with running(engine):
            await engine.wait_for("slow", attempting, within=10)
            await engine.wait_for("fast", complete, within=10)
            assert attempting(engine.statuses()[0]), "the slow one runs on, without its slot"
    released = [e for e in logs if e["event"] == "sync_slot_released"]
    # the slow one's lease ran out first (the fast one's may too, on a loaded machine: it is
    # as short, and that is not what this test is about)
    assert (released[0]["source"], released[0]["lease"]) == ("slow", 0.2)
    # The fast source got the slot only when the slow one's lease ran out. (Its own wait began
    # after the slow source took the slot, so it is shorter than the lease: no clock figure.)
    fast = next(e for e in logs if e["event"] == "sync_started" and e["source"] == "fast")
    assert logs.index(released[0]) < logs.index(fast)
    assert fast["slot_wait"] > 0


async def test_run_retries_a_failing_source_with_growing_backoff(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    fake.mode = "http-500"
    backoff = BackoffPolicy(base=0.01, jitter=no_jitter)
    engine = make_engine(
        config(url_source("up", url)), http=http, tmp_path=tmp_path, backoff=backoff
    )
    with structlog.testing.capture_logs() as logs:
        async with running(engine):
            await engine.wait_for(
                "up", lambda s: s.phase is SyncPhase.FAILED and s.attempt_count >= 4, within=10
            )
    failures = [e for e in logs if e["event"] == "sync_failed"][:4]
    assert [e["attempt"] for e in failures] == [1, 2, 3, 4]
    assert [e["retry_in"] for e in failures] == [0.01, 0.02, 0.04, 0.08]
    assert [e["reason"] for e in failures] == ["never-synced"] * 4
    assert all(e["stage"] == "fetch" and "HTTP 500" in e["error"] for e in failures)


async def test_manual_sync_waits_for_the_running_attempt_then_runs_again(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    fake.gate = asyncio.Event()
    engine = make_engine(config(url_source("up", url)), http=http, tmp_path=tmp_path)
    async with running(engine):
        await engine.wait_for("up", attempting, within=10)
        manual = asyncio.create_task(engine.sync_now("up"))
        fake.gate.set()
        async with asyncio.timeout(10):
            status = await manual
    assert fake.log == ["start 1", "end 1", "start 2", "end 2"]
    assert status.message == "Sync completed: data unchanged"


async def test_wait_for_times_out(http: aiohttp.ClientSession, tmp_path: Path) -> None:
    engine = make_engine(config(file_source("f", UPSTREAM)), http=http, tmp_path=tmp_path)
    with pytest.raises(TimeoutError):
        await engine.wait_for("f", complete, within=0.01)


# -- failures after the fetch -----------------------------------------------------------------


class FlakyStore(MemoryStore):
    """A memory store whose writes fail while `broken` is set."""

    broken = False

    async def replace_source(self, data: SourceData) -> None:
        if self.broken:
            raise ConnectionError("database is down")
        await super().replace_source(data)


async def test_storage_failure_keeps_previous_data(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    store = FlakyStore()
    engine = make_engine(config(url_source("up", url)), http=http, tmp_path=tmp_path, store=store)
    good = await engine.sync_now("up")
    before = await stored(store, "up")
    fake.body = (SAMPLES / "fictional" / "registry-legacy.json").read_bytes()
    store.broken = True
    failed = await engine.sync_now("up")
    assert failed.phase is SyncPhase.FAILED
    assert failed.message == "Storage failed: ConnectionError: database is down"
    assert failed.content_hash == good.content_hash
    assert await stored(store, "up") is before
    store.broken = False
    assert (await engine.sync_now("up")).message == "Sync completed successfully"


async def test_publish_failure_is_retried_even_when_data_is_unchanged(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    _, url = upstream
    store, changes = MemoryStore(), ChangeRecorder()
    changes.fail = 1
    engine = make_engine(
        config(url_source("up", url)), http=http, tmp_path=tmp_path, store=store, changes=changes
    )
    failed = await engine.sync_now("up")
    assert failed.phase is SyncPhase.FAILED
    assert failed.message == "Publish failed: RuntimeError: snapshot rebuild failed"
    assert failed.content_hash == (await stored(store, "up")).content_hash
    assert not engine.ever_synced("up")
    ok = await engine.sync_now("up")
    assert ok.phase is SyncPhase.COMPLETE
    assert changes.names == ["up"]
    assert engine.ever_synced("up")


async def test_overall_sync_timeout_bounds_a_slow_fetch(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fake, url = upstream
    fake.mode = "hang"
    cfg = config(url_source("up", url, timeout="10m"))
    engine = make_engine(cfg, http=http, tmp_path=tmp_path, sync_timeout=0.2)
    status = await engine.sync_now("up")
    assert status.phase is SyncPhase.FAILED
    assert status.message == "Fetch failed: did not finish within 0.2s"


@pytest.mark.parametrize(
    ("policy", "sync", "limit"),
    [
        ({"timeout": "200ms"}, None, "0.2s"),
        ({}, {"timeout": "300ms"}, "0.3s"),
        ({"timeout": "200ms"}, {"timeout": "10m"}, "0.2s"),
    ],
    ids=["source", "global", "source-wins"],
)
async def test_the_attempt_timeout_is_the_sources_then_the_global_one(
    upstream: tuple[FaultyUpstream, str],
    http: aiohttp.ClientSession,
    tmp_path: Path,
    policy: dict[str, str],
    sync: dict[str, str] | None,
    limit: str,
) -> None:
    fake, url = upstream
    fake.mode = "hang"
    source = url_source("up", url, timeout="10m", syncPolicy={"interval": "1h", **policy})
    cfg = config(source, **({"sync": sync} if sync else {}))
    status = await make_engine(cfg, http=http, tmp_path=tmp_path).sync_now("up")
    assert status.message == f"Fetch failed: did not finish within {limit}"


class StatusOutageStore(MemoryStore):
    """Source data can be written, statuses cannot."""

    async def save_status(self, status: SourceStatus) -> None:
        raise ConnectionError("status table is locked")


async def test_a_status_write_outage_does_not_fail_the_sync(
    upstream: tuple[FaultyUpstream, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    _, url = upstream
    store = StatusOutageStore()
    engine = make_engine(config(url_source("up", url)), http=http, tmp_path=tmp_path, store=store)
    with structlog.testing.capture_logs() as logs:
        status = await engine.sync_now("up")
    assert complete(status)
    assert len((await stored(store, "up")).servers) == 9
    assert "sync_status_save_failed" in {e["event"] for e in logs}


async def test_git_password_never_reaches_status_logs_or_metrics(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"registry.json": UPSTREAM.read_bytes()})
    git = GitHttpServer(credentials=("bot", "the-real-one"))
    server = await aiohttp_server(git.app(repo))
    password_file = tmp_path / "password"
    password_file.write_text("wrong-but-secret\n")
    password_file.chmod(0o600)
    source = {
        "name": "private",
        "git": {
            "repository": str(server.make_url(git.mount)),
            "auth": {"username": "bot", "passwordFile": str(password_file)},
        },
        "syncPolicy": {"interval": "1h"},
    }
    metrics = CollectorRegistry()
    engine = make_engine(config(source), http=http, tmp_path=tmp_path, metrics=metrics)
    with structlog.testing.capture_logs() as logs:
        failed = await engine.sync_now("private")
        assert failed.message.startswith("Fetch failed: authentication failed for http://")
        password_file.write_text("the-real-one\n")
        assert complete(await engine.sync_now("private"))
    seen = repr(logs) + repr(engine.statuses()) + generate_latest(metrics).decode()
    assert "wrong-but-secret" not in seen
    assert "the-real-one" not in seen
