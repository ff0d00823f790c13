"""Faults through the engine: after a good sync, every kind of bad upstream leaves the stored
data untouched, says what failed, counts attempts and backs off further each time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_registry_common.config.server import ServerConfig
from mcp_registry_server.sources.base import MIB, FetchLimits
from mcp_registry_server.store.base import SyncPhase
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.decision import SyncReason
from mcp_registry_server.sync.engine import SyncEngine
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.sync_setup import ChangeRecorder, make_engine
from mcp_registry_testing.upstreams import HUGE_BYTES, Fault, FaultyUpstream

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
SAMPLE = SAMPLES / "fictional" / "registry-upstream.json"


def engine_for(
    source: dict[str, Any], *, http: aiohttp.ClientSession, store: MemoryStore, tmp_path: Path
) -> tuple[SyncEngine, ChangeRecorder]:
    cfg = ServerConfig.model_validate(
        {
            "sources": [source | {"name": "src", "syncPolicy": {"interval": "1h"}}],
            "registries": [{"name": "default", "sources": ["src"]}],
            "auth": {"mode": "anonymous"},
            "sync": {"allowPrivateIP": True},  # the upstreams listen on loopback
        }
    )
    changes = ChangeRecorder()
    limits = FetchLimits(max_bytes=8 * MIB)
    engine = make_engine(
        cfg, http=http, tmp_path=tmp_path, store=store, changes=changes, limits=limits
    )
    return engine, changes


async def assert_failures_keep_data(
    engine: SyncEngine, store: MemoryStore, changes: ChangeRecorder, *, expected: str
) -> None:
    """A good sync, then (the fault switched on by `expected`'s caller) three failing ones."""
    good = engine.statuses()[0]
    assert good.phase is SyncPhase.COMPLETE, good.message
    data = (await store.load_sources())["src"]
    delays = []
    for attempt in (1, 2, 3):
        status = await engine.sync_now("src")
        assert status.phase is SyncPhase.FAILED
        assert expected in status.message, status.message
        assert status.attempt_count == attempt
        assert status.content_hash == good.content_hash
        assert status.last_sync_time == good.last_sync_time
        assert status.server_count == 9
        assert (await store.load_sources())["src"] is data, "previous data still served"
        assert (await store.load_statuses())["src"] == status
        delays.append(engine.next_attempt("src").retry_delay)
    assert delays == [1.0, 2.0, 4.0], "retry delay doubles with each failed attempt"
    assert engine.next_attempt("src").reason is SyncReason.BACKOFF
    assert changes.names == ["src"], "no snapshot rebuild for failed syncs"
    assert engine.ever_synced("src")


FAULTS: list[tuple[Fault, str, str]] = [
    ("http-500", "10s", "Fetch failed: HTTP 500 Internal Server Error for URL http://127.0.0.1"),
    ("hang", "300ms", "Fetch failed: no complete answer within 0.3s from http://127.0.0.1"),
    ("truncated", "10s", "(unexpected end of data; truncated?)"),
    ("not-json", "10s", "Parse failed: http://127.0.0.1"),
    ("invalid", "10s", "Validation failed: http://127.0.0.1"),
    ("huge", "10s", "exceeds the 8 MiB limit; stopped reading"),
    ("redirect-loop", "10s", "Fetch failed: more than 10 redirects fetching http://127.0.0.1"),
    (
        "dense",
        "10s",
        "$: refused unparsed: up to 1,400,003 JSON values (counting `,`, `{` and `[`), over the "
        "limit of 524,288 (one per 16 bytes of the 8 MiB document limit) "
        "(limit: --max-document-bytes, env MCP_REGISTRY_MAX_DOCUMENT_BYTES)",
    ),
    (
        "crowded",
        "10s",
        "data.servers: 20,000 servers, over the limit of 16,384 per source "
        "(limit: --max-servers, env MCP_REGISTRY_MAX_SERVERS)",
    ),
]


@pytest.mark.parametrize(("fault", "fetch_timeout", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_url_fault_keeps_previous_data(
    upstream: tuple[FaultyUpstream, str],
    http: aiohttp.ClientSession,
    tmp_path: Path,
    fault: Fault,
    fetch_timeout: str,
    expected: str,
) -> None:
    fake, url = upstream
    store = MemoryStore()
    source = {"file": {"url": url, "timeout": fetch_timeout}}
    engine, changes = engine_for(source, http=http, store=store, tmp_path=tmp_path)
    await engine.sync_now("src")
    fake.mode = fault
    await assert_failures_keep_data(engine, store, changes, expected=expected)
    if fault == "huge":
        assert fake.streamed < HUGE_BYTES / 4, "each fetch stopped near the 8 MiB limit"
    fake.mode = "ok"
    recovered = await engine.sync_now("src")
    assert (recovered.phase, recovered.attempt_count) == (SyncPhase.COMPLETE, 0)
    assert recovered.message == "Sync completed: data unchanged"
    assert engine.next_attempt("src").retry_delay == 0.0


async def test_git_repo_missing_the_path_keeps_previous_data(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"registry.json": SAMPLE.read_bytes()})
    git = GitHttpServer()
    server = await aiohttp_server(git.app(repo))
    store = MemoryStore()
    source = {"git": {"repository": str(server.make_url(git.mount)), "branch": "master"}}
    engine, changes = engine_for(source, http=http, store=store, tmp_path=tmp_path)
    await engine.sync_now("src")
    repo.commit({"moved.json": SAMPLE.read_bytes()}, "copy the registry")
    repo.remove("registry.json", "drop the old path")
    await assert_failures_keep_data(
        engine, store, changes, expected="Fetch failed: path 'registry.json' not found in"
    )
