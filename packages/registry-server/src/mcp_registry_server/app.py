"""Composition root: builds the public and internal aiohttp apps and wires every server part."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import structlog
from aiohttp import web
from mcp_registry_common.backoff import BackoffPolicy, equal_jitter
from mcp_registry_common.config import ServerConfig
from mcp_registry_common.retrying import keep_trying
from prometheus_client import CollectorRegistry

from mcp_registry_server.api.admin_routes import admin_routes
from mcp_registry_server.api.extensions import extension_routes
from mcp_registry_server.api.fastreads import FAST_READS, FastReads
from mcp_registry_server.api.internal import QUIET_ROUTES, internal_routes
from mcp_registry_server.api.internal_access import InternalAccess
from mcp_registry_server.api.loglimit import DEFAULT_PER_SECOND, RequestLogLimit
from mcp_registry_server.api.observe import RequestObserver, observe_middleware
from mcp_registry_server.api.problems import problem_middleware
from mcp_registry_server.api.registry import registry_routes
from mcp_registry_server.api.responses import RESPONSES, ResponseCache
from mcp_registry_server.auth.layer import AuthLayer, build_auth_layer
from mcp_registry_server.buildinfo import BuildInfo, current_build_info
from mcp_registry_server.keys import (
    ADMIN,
    BUILD_INFO,
    CATALOG,
    ENGINE,
    INTERNAL_ACCESS,
    METRICS,
    STORE,
    EngineSlot,
    StoreSlot,
)
from mcp_registry_server.metrics import CatalogCollector, create_metrics
from mcp_registry_server.netguard import GUARD, guarded_session
from mcp_registry_server.service.admin import build_admin_services
from mcp_registry_server.service.admin_state import AdminState
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.engine import EngineFactory, OnChange, SyncEngineLike
from mcp_registry_server.service.topology import topology_of
from mcp_registry_server.sources.base import FetchLimits
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.store.base import SourceStatus, Store
from mcp_registry_server.store.capabilities import ChangeFeed
from mcp_registry_server.store.memory import MemoryStore
from mcp_registry_server.sync.engine import DEFAULT_CONCURRENCY, SyncEngine
from mcp_registry_server.sync.metrics import SyncObserver
from mcp_registry_server.telemetry.settings import telemetry_settings

if TYPE_CHECKING:
    from mcp_registry_server.telemetry.otel import Telemetry

log = structlog.get_logger(__name__)

CLIENT_MAX_SIZE = 1024 * 1024
"""Request bodies above 1 MiB are refused (413): no endpoint takes more than a small JSON body."""
ENGINE_STOP_TIMEOUT = 10.0
"""Seconds the sync engine gets to finish after cancellation before shutdown moves on."""
ENGINE_RESTART = BackoffPolicy(base=1.0, cap=60.0, jitter=equal_jitter)
"""Pauses before restarting a sync engine that crashed (1 s doubling up to 60 s, jittered)."""

StoreOpener = Callable[[], AbstractAsyncContextManager[Store]]
"""Opens the configured store (e.g. a PostgreSQL pool) for the app's lifetime and closes it."""


class StoreNotConfiguredError(Exception):
    """`database:` is configured but no way to open that store was given."""


def default_engine_factory(
    *,
    config: ServerConfig,
    store: Store,
    on_change: OnChange,
    http: aiohttp.ClientSession,
    metrics: CollectorRegistry,
    file_roots: Mapping[str, Sequence[str]] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    limits: FetchLimits | None = None,
    kube: KubeSettings | None = None,
    observer: SyncObserver | None = None,
) -> SyncEngineLike:
    """The real sync engine."""
    return SyncEngine(
        config=config,
        store=store,
        on_change=on_change,
        http=http,
        metrics=metrics,
        file_roots=file_roots,
        concurrency=concurrency,
        limits=limits,
        kube=kube,
        observer=observer,
    )


def default_http_session() -> aiohttp.ClientSession:
    """The outbound HTTP client the sources share (per-request limits are the sources' job)."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)
    return aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": "mcp-registry-server"})


def create_apps(
    config: ServerConfig,
    *,
    store: Store | None = None,
    store_opener: StoreOpener | None = None,
    engine_factory: EngineFactory | None = None,
    http_session_factory: Callable[[], aiohttp.ClientSession] = default_http_session,
    run_sync: bool = True,
    clock: Callable[[], float] = time.time,
    build_info: BuildInfo | None = None,
    allow_insecure_http: bool = False,
    request_log_limit: int = DEFAULT_PER_SECOND,
    sync_concurrency: int = DEFAULT_CONCURRENCY,
    fetch_limits: FetchLimits | None = None,
    internal_token: str | None = None,
    internal_open: bool = False,
    kube: KubeSettings | None = None,
) -> tuple[web.Application, web.Application]:
    """The (public, internal) apps serving `config`. Reads no argv and no environment.

    The public app owns every resource (HTTP client, store, snapshots, sync engine) through
    its `cleanup_ctx`; the internal app only reads them, so start the public app first. A
    given `store` is used as is (the caller owns it); otherwise `store_opener` opens the
    configured database, or an in-memory store is used when `database:` is absent.
    `run_sync=False` builds the engine but never starts its loop (tests sync by hand).
    `allow_insecure_http` accepts http OAuth issuer/JWKS URLs; oauth mode reads the
    providers' secret and CA files here (a bad one raises `AuthConfigError`).
    `request_log_limit` caps successful requests' log lines per second (0: no cap).
    `sync_concurrency` is the real engine's slot count and `fetch_limits` what its sources may
    fetch (both unused with an `engine_factory`).
    `internal_token` and `internal_open` decide who may use the internal port's `/status` and
    manual sync (`InternalAccess.decide`: the token's holder; else anyone in anonymous mode or
    when open; else, in oauth mode, no one). `kube` is how kubernetes sources reach the
    cluster (default: in cluster).
    """
    auth = build_auth_layer(config.auth, config.audit, allow_insecure_http=allow_insecure_http)
    opener = _store_opener(config, store=store, store_opener=store_opener)
    build = build_info or current_build_info()
    catalog = Catalog(topology=topology_of(config), clock=clock)
    metrics = create_metrics(build)
    metrics.registry.register(CatalogCollector(catalog, clock=clock))
    slot = EngineSlot()
    observer = RequestObserver(
        metrics.request_duration,
        quiet_routes=QUIET_ROUTES,
        log_limit=RequestLogLimit(request_log_limit),
    )
    observe = observe_middleware(observer)
    telemetry = _telemetry(config, slot)
    traced = [telemetry.middleware] if telemetry is not None else []
    public = web.Application(
        middlewares=[*traced, observe, *auth.outer, problem_middleware, *auth.inner],
        client_max_size=CLIENT_MAX_SIZE,
    )
    internal = web.Application(
        middlewares=[observe, problem_middleware], client_max_size=CLIENT_MAX_SIZE
    )
    store_slot = StoreSlot()
    for app in (public, internal):
        app[CATALOG], app[ENGINE], app[METRICS], app[BUILD_INFO] = catalog, slot, metrics, build
        app[STORE] = store_slot
    admin = build_admin_services(config, catalog=catalog, engine=lambda: slot.engine)
    public[ADMIN] = admin
    public.add_routes([*auth.routes, *registry_routes(), *extension_routes(), *admin_routes()])
    public[RESPONSES] = responses = ResponseCache(grow_with=catalog.served_bytes)
    catalog.on_retired(responses.forget)  # a replaced snapshot's responses are never read again
    if auth.authenticator is None and telemetry is None:
        # anonymous: a kept read is the same for every caller (traced requests take the
        # app's path, through the telemetry middleware)
        public[FAST_READS] = FastReads(catalog=catalog, responses=responses, observer=observer)
    internal[INTERNAL_ACCESS] = InternalAccess.decide(
        config.auth.mode, token=internal_token, open_=internal_open
    )
    internal.add_routes(internal_routes())
    life = _Lifecycle(
        config=config,
        catalog=catalog,
        slot=slot,
        metrics=metrics.registry,
        engine_factory=engine_factory
        or functools.partial(
            default_engine_factory,
            concurrency=sync_concurrency,
            limits=fetch_limits,
            kube=kube,
            observer=telemetry,
        ),
        http_session_factory=http_session_factory,
        store_opener=opener,
        run_sync=run_sync,
        store_slot=store_slot,
        auth=auth,
        admin=admin.state,
    )
    public.on_cleanup.insert(0, observer.close)  # first: a failing teardown must not skip it
    public.cleanup_ctx.extend([life.http_session, life.store, life.change_feed, life.sync_engine])
    if telemetry is not None:
        public.on_cleanup.append(telemetry.close)  # after the engine stopped: its spans too
    return public, internal


def _telemetry(config: ServerConfig, slot: EngineSlot) -> Telemetry | None:
    """OTLP export when `telemetry:` enables it; the SDK is imported only then."""
    settings = telemetry_settings(config.telemetry)
    if settings is None:
        return None
    from mcp_registry_server.telemetry.otel import Telemetry

    def statuses() -> list[SourceStatus]:
        return slot.engine.statuses() if slot.engine is not None else []

    return Telemetry(settings, statuses=statuses)


def _store_opener(
    config: ServerConfig, *, store: Store | None, store_opener: StoreOpener | None
) -> StoreOpener:
    if store is not None:
        given = store
        return lambda: contextlib.nullcontext(given)
    if store_opener is not None:
        return store_opener
    if config.database is not None:
        raise StoreNotConfiguredError(
            "database: is configured, but no PostgreSQL store opener was given to create_apps"
        )
    return lambda: contextlib.nullcontext(MemoryStore())


@dataclass(eq=False, slots=True)
class _Lifecycle:
    """The public app's resources, one cleanup context each, started in declaration order."""

    config: ServerConfig
    catalog: Catalog
    slot: EngineSlot
    metrics: CollectorRegistry
    engine_factory: EngineFactory
    http_session_factory: Callable[[], aiohttp.ClientSession]
    store_opener: StoreOpener
    run_sync: bool
    store_slot: StoreSlot
    auth: AuthLayer
    admin: AdminState
    session: aiohttp.ClientSession | None = None
    opened: Store | None = None

    async def http_session(self, app: web.Application) -> AsyncIterator[None]:
        """The outbound HTTP client session the sources and the auth layer (JWKS, discovery,
        introspection) use, and its twin whose every socket the private-address guard checks
        (the auth layer's guarded calls reuse its connections); the audit log closes with
        them."""
        self.session = self.http_session_factory()
        guarded = guarded_session(self.session, GUARD)
        self.auth.bind_http(self.session, guarded=guarded)
        try:
            yield
        finally:
            await guarded.close()
            await self.session.close()
            self.session = None
            self.auth.close()

    async def store(self, app: web.Application) -> AsyncIterator[None]:
        """The store, the admin definitions it keeps, and snapshots of the data it holds."""
        async with self.store_opener() as opened:
            self.opened = opened
            await self.admin.attach(opened)
            self.store_slot.store = opened
            try:
                yield
            finally:
                self.opened = self.store_slot.store = None
                await self.admin.detach()

    async def change_feed(self, app: web.Application) -> AsyncIterator[None]:
        """A store shared by replicas reports the others' writes: rebuild the snapshots of a
        changed source; adopt changed admin definitions as this replica's admin API would."""
        store = self.opened
        if not isinstance(store, ChangeFeed):
            yield
            return

        async def on_change(source: str) -> None:
            self.admin.forget_managed(source)  # another replica published to it
            await self.catalog.refresh(store, source=source)

        task = asyncio.create_task(
            store.watch_changes(on_change, on_definitions=self.admin.reload),
            name="store-change-feed",
        )
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def sync_engine(self, app: web.Application) -> AsyncIterator[None]:
        """The sync engine, and (unless disabled) its supervised loop as a background task."""
        assert self.session is not None
        assert self.opened is not None
        store = self.opened

        async def on_change(source: str) -> None:
            # A kubernetes source's per-entry claims go with its data (both written once).
            claims = None if self.slot.engine is None else self.slot.engine.entry_claims(source)
            if claims is not None:
                await self.admin.set_entry_claims(source, claims)
            await self.catalog.refresh(store, source=source)

        engine = self.engine_factory(
            config=self.admin.effective_config(),
            store=store,
            on_change=on_change,
            http=self.session,
            metrics=self.metrics,
            file_roots=self.admin.file_roots(),
        )
        self.slot.engine = engine
        task = (
            asyncio.create_task(_keep_running(engine), name="sync-engine")
            if self.run_sync
            else None
        )
        try:
            yield
        finally:
            self.slot.engine = None
            if task is not None:
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=ENGINE_STOP_TIMEOUT)
                if not done:
                    log.error("sync_engine_stop_timeout", timeout_s=ENGINE_STOP_TIMEOUT)


async def _keep_running(engine: SyncEngineLike) -> None:
    """Run the engine; restart it with capped exponential backoff if it ever crashes."""

    def crashed(exc: Exception, crashes: int, delay: float) -> None:
        log.exception("sync_engine_crashed", restart_in_s=round(delay, 3))

    await keep_trying(engine.run, policy=ENGINE_RESTART, failed=crashed)
