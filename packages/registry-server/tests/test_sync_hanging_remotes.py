"""Issue 13: hanging remotes must not stall the server. Forty sources of every kind point at a
loopback listener that accepts and never answers; one healthy git source (3 s interval) must
still become ready at once, keep syncing on schedule and answer a manual sync, and every hung
fetch must let go of its connection (its worker thread really ends)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.service.engine import OnChange, SyncEngineLike
from mcp_registry_server.store.base import Store
from mcp_registry_server.sync.engine import SyncEngine
from mcp_registry_testing.blackhole import BlackHole
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.loopback import Served, serve
from mcp_registry_testing.waiting import wait_for
from prometheus_client import CollectorRegistry

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
SAMPLE = SAMPLES / "fictional" / "registry-upstream.json"
HUNG_PER_KIND = 10
INTERVAL = "3s"


@dataclass(frozen=True)
class Timeouts:
    git: str = "500ms"
    http: str = "1s"
    attempt: str = "2s"


def hung_sources(hole: BlackHole, timeouts: Timeouts) -> list[dict[str, Any]]:
    """Ten of each kind, interleaved, all on the healthy source's interval."""
    sources: list[dict[str, Any]] = []
    for i in range(HUNG_PER_KIND):
        git, http = timeouts.git, timeouts.http
        blocks = {
            "git": {"git": {"repository": hole.url("git", f"/org/r{i}.git"), "timeout": git}},
            "githttp": {"git": {"repository": hole.url("http", f"/org/r{i}.git"), "timeout": git}},
            "url": {"file": {"url": hole.url("http", f"/registry{i}.json"), "timeout": http}},
            "api": {"api": {"endpoint": hole.url("http", f"/api{i}"), "timeout": http}},
        }
        sources.extend(
            {"name": f"hung-{kind}-{i}", **block, "syncPolicy": {"interval": INTERVAL}}
            for kind, block in blocks.items()
        )
    return sources


def hanging_config(
    hole: BlackHole, healthy_repo: str, timeouts: Timeouts = Timeouts()
) -> ServerConfig:
    healthy = {
        "name": "healthy",
        "git": {"repository": healthy_repo, "branch": "master"},
        "syncPolicy": {"interval": INTERVAL, "timeout": "20s"},
    }
    document = {
        "sources": [*hung_sources(hole, timeouts), healthy],  # last: queued behind the hung
        "registries": [{"name": "default", "sources": ["healthy"]}],
        "auth": {"mode": "anonymous"},
        "sync": {"timeout": timeouts.attempt, "allowPrivateIP": True},  # loopback remotes
    }
    loaded = load_server_config_data(document)
    assert not loaded.warnings, loaded.warnings
    return loaded.config


@dataclass
class Running:
    internal: str
    git: GitHttpServer


@pytest.fixture
async def hole() -> AsyncIterator[BlackHole]:
    async with BlackHole() as black_hole:
        yield black_hole


@dataclass(frozen=True)
class RealEngine:
    """The real engine (default concurrency), its git clones under a test directory."""

    workdir: Path

    def __call__(
        self,
        *,
        config: ServerConfig,
        store: Store,
        on_change: OnChange,
        http: aiohttp.ClientSession,
        metrics: CollectorRegistry,
        file_roots: Mapping[str, Sequence[str]],
    ) -> SyncEngineLike:
        return SyncEngine(
            config=config,
            file_roots=file_roots,
            store=store,
            on_change=on_change,
            http=http,
            metrics=metrics,
            workdir=self.workdir,
        )


@pytest.fixture
async def running(hole: BlackHole, tmp_path: Path) -> AsyncIterator[Running]:
    repo = GitRepo.init(tmp_path / "healthy")
    repo.commit({"registry.json": SAMPLE.read_bytes()})
    git = GitHttpServer()
    upstream = await serve(git.app(repo))
    config = hanging_config(hole, f"{upstream.url}{git.mount}")
    public, internal = create_apps(config, engine_factory=RealEngine(tmp_path / "clones"))
    servers: list[Served] = [upstream]
    try:
        servers.append(await serve(public))  # owns the engine: started first, stopped last
        servers.append(await serve(internal))
        yield Running(internal=servers[-1].url, git=git)
    finally:
        for served in reversed(servers):
            await served.runner.cleanup()


async def get_json(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.json(content_type=None)


async def statuses(running: Running) -> dict[str, dict[str, Any]]:
    _, body = await get_json(f"{running.internal}/status")
    return {item["name"]: item for item in body["sources"]}


def synced_at(status: dict[str, Any]) -> datetime | None:
    text = status["lastSyncTime"]
    return None if text is None else datetime.fromisoformat(text)


async def test_hanging_remotes_do_not_delay_a_healthy_source(
    running: Running, hole: BlackHole
) -> None:
    async def ready() -> bool:
        status, _ = await get_json(f"{running.internal}/readiness")
        return status == 200

    await wait_for(ready, 10, interval=0.1, message="not ready: the healthy source never synced")
    assert hole.accepted > 0, "the hung sources were tried meanwhile"

    # Keeps syncing on its 3 s schedule: two more completed syncs well within 15 s.
    first = synced_at((await statuses(running))["healthy"])
    assert first is not None

    async def synced_twice_more() -> bool:
        again = (await statuses(running))["healthy"]
        return again["phase"] == "Complete" and running.git.ref_listings >= listings + 2

    listings = running.git.ref_listings
    await wait_for(synced_twice_more, 15, interval=0.1, message="the healthy source fell behind")

    # A manual sync of the healthy source is not stuck behind the hung ones.
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client,
        client.post(f"{running.internal}/sources/healthy/sync") as response,
    ):
        assert response.status == 200
        manual = await response.json()
    assert manual["phase"] == "Complete", manual

    # Hung git sources fail on their socket timeout and try again: none is "still running".
    seen: set[str] = set()

    async def git_sources_retried() -> bool:
        hung_git = [s for n, s in (await statuses(running)).items() if n.startswith("hung-git")]
        seen.update(s["message"] for s in hung_git)
        return len(hung_git) == 2 * HUNG_PER_KIND and all(s["attemptCount"] >= 2 for s in hung_git)

    await wait_for(git_sources_retried, 15, interval=0.1, message="a hung git source is stuck")
    failures = {m for m in seen if m.startswith("Fetch failed")}
    assert failures, seen
    assert all("within 0.5s (git.timeout)" in m for m in failures), failures


async def test_every_hung_fetch_lets_go_of_its_connection_at_shutdown(
    hole: BlackHole, tmp_path: Path
) -> None:
    """Stopping the server abandons every attempt in flight; each hung fetch (a git worker
    thread, an HTTP request) closes its connection at once, although no timeout of its own
    would end it for minutes."""
    patient = Timeouts(git="10m", http="5m", attempt="10m")
    config = hanging_config(hole, hole.url("http", "/unused.git"), patient)
    public, _internal = create_apps(config, engine_factory=RealEngine(tmp_path / "clones"))
    served = await serve(public)
    try:
        await wait_for(lambda: hole.open >= 4, 10, message="the hung sources never connected")
    finally:
        await served.runner.cleanup()
    await wait_for(lambda: hole.open == 0, 10, message="a hung fetch outlived the server")
