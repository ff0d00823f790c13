"""Per-source scheduling state of the sync engine, and how it is built from a source's config."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from mcp_registry_common.config.sources import DEFAULT_SYNC_TIMEOUT, SourceConfig
from mcp_registry_common.config.sync import SyncSettings
from mcp_registry_common.durations import parse_go_duration
from mcp_registry_common.filtering import filter_hash

from mcp_registry_server.netguard import GUARD, AddressGuard
from mcp_registry_server.sources.base import Fetcher, FetchLimits, FetchResult
from mcp_registry_server.sources.errors import FetchError, SourceConfigError
from mcp_registry_server.sources.factory import fetcher_for
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.sources.unsynced import unsynced_message
from mcp_registry_server.store.base import SourceData, SourceStatus, SyncPhase
from mcp_registry_server.sync.decision import SyncReason
from mcp_registry_server.sync.slots import Lane
from mcp_registry_server.sync.status import initial_status

DEFAULT_INTERVAL = timedelta(minutes=30)
"""Used only if a synced source somehow has no `syncPolicy` (the config model requires one)."""
SYNC_TIMEOUT = parse_go_duration(DEFAULT_SYNC_TIMEOUT)
"""Seconds one attempt may take (all API pages, a whole git fetch) unless the config says."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NextAttempt:
    """What a source's loop will do next, and the last computed retry delay."""

    reason: SyncReason
    at: datetime | None
    retry_delay: float


@dataclass(eq=False)
class SourceState:
    """Mutable, owned by the engine; only touched from the event loop."""

    config: SourceConfig
    fetcher: Fetcher
    interval: timedelta
    timeout: float
    """Seconds one attempt may take before it is abandoned."""
    filter_hash: str
    """Hash of the configured filter; compared with the one the served data was made with."""
    status: SourceStatus
    has_data: bool = False
    """The store holds data for this source."""
    ever_synced: bool = False
    retry_at: datetime | None = None
    """Set after a failure: no scheduled attempt before then (manual ones still run)."""
    retry_delay: float = 0.0
    needs_publish: bool = False
    """Stored data changed but on_change has not succeeded since."""
    entry_claims: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """A watched source's per-entry claims, as its last fetch said."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """One attempt at a time; a manual sync queues behind a running one."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    """Set to make the source's loop re-plan (after a manual sync)."""

    @property
    def name(self) -> str:
        return self.config.name


class BrokenFetcher:
    """A source whose config cannot produce a fetcher fails every attempt with that reason."""

    def __init__(self, error: str) -> None:
        self._error = error

    async def fetch(self) -> FetchResult:
        raise SourceConfigError(self._error)


def attempt_timeout(config: SourceConfig, settings: SyncSettings | None, default: float) -> float:
    """The source's `syncPolicy.timeout`, else the config's `sync.timeout`, else `default`."""
    policy = config.sync_policy
    if policy is not None and policy.timeout is not None:
        return parse_go_duration(policy.timeout)
    if settings is not None and settings.timeout is not None:
        return parse_go_duration(settings.timeout)
    return default


def source_guard(config: SourceConfig, settings: SyncSettings | None) -> AddressGuard | None:
    """The private-address guard of the source's fetches; None (any address) when its own
    `allowPrivateIP`, else `sync.allowPrivateIP`, says so. (An API-created source's comes
    resolved: `SourceDef.fetch_config`.)"""
    allowed = config.allow_private_ip
    if allowed is None:
        allowed = settings is not None and settings.allow_private_ip
    return None if allowed else GUARD


def build_state(
    config: SourceConfig,
    *,
    http: aiohttp.ClientSession,
    workdir: Path,
    limits: FetchLimits | None,
    settings: SyncSettings | None,
    default_timeout: float,
    kube: KubeSettings | None = None,
    elect: bool = False,
    file_roots: Sequence[str] | None = None,
) -> SourceState:
    """State for a configured source; a config that cannot be fetched fails at each attempt.
    Its attempt timeout and address guard come from the source, else `settings` (`sync:`); a
    local file or repository it reads must lie under `file_roots` at every fetch (None:
    anywhere)."""
    fetcher: Fetcher
    guard = source_guard(config, settings)
    try:
        fetcher = fetcher_for(
            config,
            http=http,
            workdir=workdir,
            limits=limits,
            guard=guard,
            kube=kube,
            elect=elect,
            file_roots=file_roots,
        )
    except (FetchError, ValueError) as exc:
        fetcher = BrokenFetcher(str(exc))
    policy = config.sync_policy
    interval = timedelta(seconds=parse_go_duration(policy.interval)) if policy else DEFAULT_INTERVAL
    unsynced = None if config.synced else unsynced_message(config.kind)
    return SourceState(
        config=config,
        fetcher=fetcher,
        interval=interval,
        timeout=attempt_timeout(config, settings, default_timeout),
        filter_hash=filter_hash(config.filter),
        status=initial_status(config.name, persisted=None, data=None, unsynced_message=unsynced),
        ever_synced=not config.synced,
    )


def lane(src: SourceState, *, manual: bool) -> Lane:
    """Manual syncs first, then sources whose last attempt did not fail."""
    if manual:
        return Lane.MANUAL
    return Lane.FAILING if src.status.phase is SyncPhase.FAILED else Lane.HEALTHY


def restore_state(
    src: SourceState, *, persisted: SourceStatus | None, data: SourceData | None
) -> None:
    """Start `src` from what the store kept. A watched source starts from its persisted
    status (a standby replica never attempts, so it shows the writer's last one); a source
    that is neither synced nor persisted shows as not synced yet."""
    keep = src.config.synced or (src.config.watched and persisted is not None)
    unsynced = None if keep else unsynced_message(src.config.kind)
    src.status = initial_status(src.name, persisted=persisted, data=data, unsynced_message=unsynced)
    src.has_data = data is not None
    src.ever_synced = src.has_data or not src.config.synced
