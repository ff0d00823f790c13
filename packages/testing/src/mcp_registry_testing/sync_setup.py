"""The real sync engine, set up for tests: a change recorder, an engine with a deterministic
backoff and its own metrics registry, and running it for the body of a block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from mcp_registry_common.backoff import BackoffPolicy, no_jitter
from mcp_registry_common.config import ServerConfig
from mcp_registry_server.store.base import Store
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.engine import SyncEngine
from prometheus_client import CollectorRegistry

DETERMINISTIC_BACKOFF = BackoffPolicy(base=1.0, jitter=no_jitter)
"""1 s, 2 s, 4 s … capped at the source's interval: retry delays a test can assert."""


class ChangeRecorder:
    """The engine's `on_change` callback: records the sources whose data changed, in order;
    the next `fail` calls raise (as a failed snapshot rebuild would)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.fail = 0

    async def __call__(self, source: str) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("snapshot rebuild failed")
        self.names.append(source)


def make_engine(
    config: ServerConfig,
    *,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    store: Store | None = None,
    changes: ChangeRecorder | None = None,
    **kw: Any,
) -> SyncEngine:
    """A real engine over `config` (git clones under `tmp_path`); `kw` goes to SyncEngine
    (default: `DETERMINISTIC_BACKOFF`, a fresh metrics registry)."""
    kw.setdefault("backoff", DETERMINISTIC_BACKOFF)
    kw.setdefault("metrics", CollectorRegistry())
    return SyncEngine(
        config=config,
        store=store if store is not None else MemoryStore(),
        on_change=changes or ChangeRecorder(),
        http=http,
        workdir=tmp_path / "git",
        **kw,
    )


@contextlib.asynccontextmanager
async def running(engine: SyncEngine) -> AsyncIterator[asyncio.Task[None]]:
    """`engine.run()` as a task for the body of the block; cancelled (and awaited) after."""
    task = asyncio.create_task(engine.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            async with asyncio.timeout(5):
                await task
