"""How the engine follows a watched source (kubernetes): no schedule, an attempt per change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from mcp_registry_server.sources.base import WatchedFetcher


async def follow(fetcher: WatchedFetcher, attempt: Callable[[], Awaitable[object]]) -> None:
    """Run the fetcher's watch and `attempt` after each change it reports; changes reported
    during an attempt make one more. Until cancelled (or the watch fails)."""
    pending = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(fetcher.run(pending.set))
        while True:
            await pending.wait()
            pending.clear()
            await attempt()
