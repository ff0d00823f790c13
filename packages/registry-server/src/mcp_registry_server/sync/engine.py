"""The sync engine: one supervised loop per synced source, fair slots, manual syncs."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import prometheus_client
import structlog
from mcp_registry_common.backoff import BackoffPolicy, Random
from mcp_registry_common.config.server import ServerConfig
from mcp_registry_common.config.sources import SourceConfig
from mcp_registry_common.retrying import keep_trying

from mcp_registry_server.sources.base import FetchLimits, WatchedFetcher
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.store.base import SourceStatus, Store
from mcp_registry_server.store.capabilities import ChangeFeed
from mcp_registry_server.sync.attempt import OnChange, describe, run_attempt
from mcp_registry_server.sync.decision import SyncReason, decide, next_check
from mcp_registry_server.sync.errors import NotSyncableError, UnknownSourceError
from mcp_registry_server.sync.follow import follow
from mcp_registry_server.sync.gate import ParseGate
from mcp_registry_server.sync.metrics import SyncMetrics, SyncObserver
from mcp_registry_server.sync.outcomes import report_completed, report_failed, report_served
from mcp_registry_server.sync.pipeline import StageError
from mcp_registry_server.sync.slots import SlotPool, Ticket
from mcp_registry_server.sync.state import (
    SYNC_TIMEOUT,
    NextAttempt,
    SourceState,
    build_state,
    lane,
    restore_state,
    utc_now,
)
from mcp_registry_server.sync.status import (
    FailureStage,
    attempt_failed,
    attempt_started,
)

log = structlog.get_logger("mcp_registry_server.sync")

Clock = Callable[[], datetime]
DEFAULT_CONCURRENCY = 4
"""Sync slots: attempts that run at once (see `sync.slots`)."""
SLOT_LEASE = 10.0
"""Seconds an attempt keeps its slot; a slower one runs on without it (see `sync.slots`)."""
WATCH_RESTART_CAP = 60.0
"""Longest pause before restarting a source's loop that crashed."""


class SyncEngine:
    """Keeps the store's data of every synced source current; see `run` and `sync_now`."""

    def __init__(
        self,
        *,
        config: ServerConfig,
        store: Store,
        on_change: OnChange,
        http: aiohttp.ClientSession,
        metrics: prometheus_client.CollectorRegistry | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock = utc_now,
        workdir: Path | None = None,
        limits: FetchLimits | None = None,
        backoff: BackoffPolicy | None = None,
        draw: Random = random.random,
        sync_timeout: float = SYNC_TIMEOUT,
        slot_lease: float = SLOT_LEASE,
        kube: KubeSettings | None = None,
        observer: SyncObserver | None = None,
        file_roots: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`sync_timeout` applies to sources for which the config sets no timeout; `kube`
        to every kubernetes source (which elects one writer when `store` is shared); `backoff`
        (full jitter, capped at each source's interval) draws its jitter from `draw`; `observer`
        hears of every finished attempt (telemetry); `file_roots` names the sources whose
        local files must lie under the given directories at every fetch (admin-created)."""
        self._store = store
        self._on_change = on_change
        self._metrics = SyncMetrics(metrics or prometheus_client.CollectorRegistry(), observer)
        self._slots = SlotPool(max(1, concurrency))
        self._slot_lease = slot_lease
        self._clock = clock
        self._backoff, self._draw = backoff or BackoffPolicy(), draw
        self._retry = functools.partial(keep_trying, policy=self._backoff, draw=draw)
        self._sync_timeout = sync_timeout
        self._settings = config.sync
        self._changed = asyncio.Condition()
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self._workdir = workdir or Path(tempfile.gettempdir()) / f"mcp-registry-git-{os.getpid()}"
        self._http, self._limits = http, limits or FetchLimits()
        self._parse_gate = ParseGate()  # one document parse at a time (its memory, once)
        self._kube, self._elect = kube, isinstance(store, ChangeFeed)
        self._file_roots = {name: tuple(roots) for name, roots in (file_roots or {}).items()}
        self._sources = {s.name: self._build(s) for s in config.sources}
        self._group: asyncio.TaskGroup | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- public API -------------------------------------------------------------------------

    async def run(self) -> None:
        """Load persisted state, then sync every synced source on its own schedule until
        cancelled. One source's failure or slowness never stops or delays another's loop."""
        await self._load_with_retry()
        async with asyncio.TaskGroup() as group:
            self._group = group
            try:
                for src in self._sources.values():
                    self._start(src)
                await asyncio.get_running_loop().create_future()  # until cancelled, even if idle
            finally:
                self._group = None

    def _build(self, config: SourceConfig) -> SourceState:
        return build_state(
            config,
            http=self._http,
            workdir=self._workdir / config.name,
            limits=self._limits,
            settings=self._settings,
            default_timeout=self._sync_timeout,
            kube=self._kube,
            elect=self._elect,
            file_roots=self._file_roots.get(config.name),
        )

    def _start(self, src: SourceState) -> None:
        if self._group is None:
            return
        if src.config.synced:
            self._tasks[src.name] = self._group.create_task(
                self._supervise(src, self._loop), name=f"sync-{src.name}"
            )
        elif isinstance(src.fetcher, WatchedFetcher):
            self._tasks[src.name] = self._group.create_task(
                self._supervise(src, self._follow), name=f"watch-{src.name}"
            )

    async def add_source(
        self, config: SourceConfig, *, file_roots: Sequence[str] | None = None
    ) -> None:
        """Manage a source created or changed at runtime (admin API), whose local files must
        lie under `file_roots` (None: anywhere). A changed source keeps its status but
        re-fetches at once, since its location or filter may differ now (so adding a source
        again, as a retried change does, replaces it)."""
        old = self._sources.get(config.name)
        if file_roots is None:
            self._file_roots.pop(config.name, None)
        else:
            self._file_roots[config.name] = tuple(file_roots)
        src = self._build(config)
        if old is not None:
            await self._stop(old)
            src.status, src.ever_synced = old.status, old.ever_synced
        elif self._loaded and not config.synced:
            await self._save_status(src)
        self._sources[config.name] = src
        self._start(src)
        await self._notify()

    async def remove_source(self, source: str) -> None:
        """Stop syncing `source` and forget its stored data and status (deleted at runtime).
        An unknown source is ignored: a retried removal may find it gone already. It is
        forgotten only once its stored data is deleted, so a removal the store failed can be
        repeated."""
        src = self._sources.get(source)
        if src is None:
            return
        await self._stop(src)
        await self._store.delete_source(source)
        del self._sources[source]
        self._file_roots.pop(source, None)
        self._metrics.forget(source)
        await self._notify()

    async def _stop(self, src: SourceState) -> None:
        """Cancel the source's loop, then wait for any manual attempt still holding it."""
        task = self._tasks.pop(src.name, None)
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        async with src.lock:
            pass

    async def load(self) -> None:
        """Read persisted statuses and data from the store (once; `run` does it first)."""
        async with self._load_lock:
            if not self._loaded:
                await self._load()

    async def _load(self) -> None:
        statuses = await self._store.load_statuses()
        stored = await self._store.load_sources()
        for name, src in self._sources.items():
            restore_state(src, persisted=statuses.get(name), data=stored.get(name))
            report_served(self._metrics, src)
            if not (src.config.synced or src.config.watched):
                await self._save_status(src)
        for name in sorted(stored.keys() - self._sources.keys()):
            log.info("source_removed", source=name)
            await self._store.delete_source(name)
        self._loaded = True

    async def sync_now(self, source: str) -> SourceStatus:
        """Sync `source` now (after any attempt in progress) and return its new status."""
        src = self._source(source)
        if not src.config.synced:
            raise NotSyncableError(source, src.config.kind)
        await self.load()
        return await self._sync(src, manual=True)

    def _source(self, source: str) -> SourceState:
        if (src := self._sources.get(source)) is None:
            raise UnknownSourceError(source)
        return src

    @property
    def concurrency(self) -> int:
        """Sync slots: attempts that run at once (see `sync.slots`)."""
        return self._slots.size

    def statuses(self) -> list[SourceStatus]:
        """Current status of every configured source, in configuration order."""
        return [src.status for src in self._sources.values()]

    def ever_synced(self, source: str) -> bool:
        """True once the source has data to serve (synced, or persisted before this start)."""
        src = self._source(source)
        return src.ever_synced

    def entry_claims(self, source: str) -> Mapping[str, Mapping[str, Any]] | None:
        """A watched source's per-entry claims as its data last said (None: other kinds)."""
        src = self._sources.get(source)
        return src.entry_claims if src is not None and src.config.watched else None

    def next_attempt(self, source: str) -> NextAttempt:
        """The scheduler's view of `source`: next decision, when, and the current retry delay."""
        src = self._source(source)
        now = self._clock()
        reason = self._decide(src, now=now)
        at = next_check(reason, src.status, now=now, interval=src.interval, retry_at=src.retry_at)
        return NextAttempt(reason=reason, at=at, retry_delay=src.retry_delay)

    async def wait_for(
        self, source: str, predicate: Callable[[SourceStatus], bool], *, within: float
    ) -> SourceStatus:
        """Wait until `predicate(status)` holds for `source`; TimeoutError after `within` s."""
        src = self._source(source)
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: predicate(src.status))
        return src.status

    # -- scheduling -------------------------------------------------------------------------

    async def _load_with_retry(self) -> None:
        """Load until the store answers: never give up."""

        def failed(exc: Exception, attempt: int, delay: float) -> None:
            log.warning("sync_load_failed", error=repr(exc), retry_in=round(delay, 3))

        await self._retry(self.load, failed=failed, cap=60.0)

    async def _supervise(
        self, src: SourceState, loop: Callable[[SourceState], Awaitable[None]]
    ) -> None:
        """Restart the source's loop after an unexpected error (a bug, not a sync failure)."""

        def crashed(exc: Exception, crashes: int, delay: float) -> None:
            log.exception("sync_loop_crashed", source=src.name, restart_in=round(delay, 3))

        cap = min(src.interval.total_seconds(), WATCH_RESTART_CAP)
        await self._retry(lambda: loop(src), failed=crashed, cap=cap)

    async def _loop(self, src: SourceState) -> None:
        while True:
            src.wake.clear()
            now = self._clock()
            reason = self._decide(src, now=now)
            if reason.should_sync:
                await self._sync(src, manual=False)
                continue
            at = next_check(
                reason, src.status, now=now, interval=src.interval, retry_at=src.retry_at
            )
            delay = None if at is None else max(0.0, (at - now).total_seconds())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await src.wake.wait()

    async def _follow(self, src: SourceState) -> None:
        assert isinstance(src.fetcher, WatchedFetcher)
        await follow(src.fetcher, lambda: self._sync(src, manual=False, pushed=True))

    def _decide(
        self, src: SourceState, *, now: datetime, manual: bool = False, pushed: bool = False
    ) -> SyncReason:
        return decide(
            src.status,
            now=now,
            interval=src.interval,
            filter_hash=src.filter_hash,
            has_data=src.has_data,
            retry_at=src.retry_at,
            manual=manual,
            synced=src.config.synced,
            pushed=pushed,
        )

    async def _sync(self, src: SourceState, *, manual: bool, pushed: bool = False) -> SourceStatus:
        """One attempt if still due once the source is free (a manual or pushed one always
        runs)."""
        async with src.lock:
            reason = self._decide(src, now=self._clock(), manual=manual, pushed=pushed)
            if reason.should_sync:
                async with self._slots.slot(
                    lane=lane(src, manual=manual),
                    wait=src.interval.total_seconds(),  # never waits longer than its interval
                    lease=self._slot_lease,
                    on_overrun=lambda: log.warning(
                        "sync_slot_released", source=src.name, lease=self._slot_lease
                    ),
                ) as ticket:
                    await self._attempt(src, reason, ticket)
        src.wake.set()
        return src.status

    # -- one attempt ------------------------------------------------------------------------

    async def _attempt(self, src: SourceState, reason: SyncReason, ticket: Ticket) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        src.status = attempt_started(src.status, now=self._clock(), reason=reason)
        await self._save_status(src)
        log.log(
            logging.INFO if ticket.slotted else logging.WARNING,  # every slot busy too long
            "sync_started",
            source=src.name,
            reason=reason,
            attempt=src.status.attempt_count,
            slot_wait=round(ticket.waited, 3),
            slotted=ticket.slotted,
        )
        try:
            outcome = await run_attempt(
                src,
                store=self._store,
                on_change=self._on_change,
                clock=self._clock,
                time_limit=src.timeout,
                limits=self._limits.document,
                gate=self._parse_gate,
            )
        except StageError as exc:
            await self._record_failure(src, exc, reason=reason, seconds=loop.time() - started)
            return
        except asyncio.CancelledError:
            src.status = attempt_failed(src.status, stage=FailureStage.INTERNAL, error="cancelled")
            await self._notify()
            raise
        except Exception as exc:  # a bug; the loop and the other sources carry on
            log.exception("sync_crashed", source=src.name)
            error = StageError(FailureStage.INTERNAL, f"{type(exc).__name__}: {exc}")
            await self._record_failure(src, error, reason=reason, seconds=loop.time() - started)
            return
        seconds = loop.time() - started
        src.retry_at, src.retry_delay, src.ever_synced = None, 0.0, True
        await self._save_status(src)
        report_completed(self._metrics, src, outcome=outcome, reason=reason, seconds=seconds)

    async def _record_failure(
        self, src: SourceState, error: StageError, *, reason: SyncReason, seconds: float
    ) -> None:
        src.status = attempt_failed(src.status, stage=error.stage, error=error.message)
        cap = src.interval.total_seconds()
        src.retry_delay = self._backoff.delay(src.status.attempt_count, self._draw(), cap=cap)
        src.retry_at = self._clock() + timedelta(seconds=src.retry_delay)
        await self._save_status(src)
        report_failed(self._metrics, src, error, reason=reason, seconds=seconds)

    async def _save_status(self, src: SourceState) -> None:
        """Persist and announce; a store outage is logged, never fatal (memory stays correct)."""
        try:
            await self._store.save_status(src.status)
        except Exception as exc:
            log.warning("sync_status_save_failed", source=src.name, error=describe(exc))
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
