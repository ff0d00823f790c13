"""The sync engine as the read side uses it: the protocol it fulfils and how it is constructed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from prometheus_client import CollectorRegistry

from mcp_registry_server.store.base import SourceStatus, Store

if TYPE_CHECKING:
    from mcp_registry_common.config import ServerConfig

OnChange = Callable[[str], Awaitable[None]]
"""Called with a source name after that source's stored data changed."""


class SyncEngineLike(Protocol):
    """What the app needs from `mcp_registry_server.sync.engine.SyncEngine`."""

    async def run(self) -> None:
        """Sync every source on its schedule until cancelled."""

    async def sync_now(self, source: str) -> SourceStatus:
        """Sync one source now; raises a KeyError subclass for an unknown source."""

    def statuses(self) -> list[SourceStatus]:
        """The current status of every configured source."""

    def ever_synced(self, source: str) -> bool:
        """True once the source synced successfully or has persisted data."""

    def entry_claims(self, source: str) -> Mapping[str, Mapping[str, Any]] | None:
        """A kubernetes source's per-entry claims as its data last said (None: other kinds)."""


class EngineFactory(Protocol):
    """Builds the engine; `create_apps` calls it once the store and HTTP session exist.
    `file_roots`: source name -> the directories its local files must lie under (sources
    created through the admin API)."""

    def __call__(
        self,
        *,
        config: ServerConfig,
        store: Store,
        on_change: OnChange,
        http: aiohttp.ClientSession,
        metrics: CollectorRegistry,
        file_roots: Mapping[str, Sequence[str]],
    ) -> SyncEngineLike: ...
