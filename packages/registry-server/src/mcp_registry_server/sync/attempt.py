"""One sync attempt's work on a source's state: fetch; parse (through the engine's parse gate),
filter and store only when the content or the filter changed; then tell the catalog. Failures
leave as `StageError`s naming the step; the engine owns scheduling, backoff, status
persistence, metrics and logs."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime

from mcp_registry_common.formats import DocumentLimits

from mcp_registry_server.sources.base import FetchedServers
from mcp_registry_server.store.base import SourceData, Store
from mcp_registry_server.sync.gate import ParseGate, ParseGateTimeoutError
from mcp_registry_server.sync.metrics import SyncOutcome
from mcp_registry_server.sync.pipeline import (
    Prepared,
    StageError,
    convert_and_filter,
    fetch_within,
)
from mcp_registry_server.sync.state import SourceState
from mcp_registry_server.sync.status import FailureStage, attempt_succeeded, data_stored

Clock = Callable[[], datetime]
OnChange = Callable[[str], Awaitable[None]]


async def run_attempt(
    src: SourceState,
    *,
    store: Store,
    on_change: OnChange,
    clock: Clock,
    time_limit: float,
    limits: DocumentLimits,
    gate: ParseGate,
) -> SyncOutcome:
    """Bring the store (and, through `on_change`, the catalog) to the source's content now;
    a fetched document must stay within `limits` and is parsed when `gate` lets it (waiting
    at most `time_limit` for it)."""
    fetched = await fetch_within(src.fetcher, time_limit=time_limit)
    changed = not (
        src.has_data
        and fetched.content_hash == src.status.content_hash
        and src.filter_hash == src.status.filter_hash
    )
    if changed:
        parse = functools.partial(
            convert_and_filter,
            fetched,
            format=src.config.format,
            filter=src.config.filter if src.config.synced else None,
            limits=limits,
        )
        try:
            prepared = await gate.run(parse, wait=time_limit)
        except ParseGateTimeoutError as exc:
            raise StageError(FailureStage.PARSE, str(exc)) from None
        await _store_data(src, prepared, store=store, clock=clock)
    if isinstance(fetched, FetchedServers) and fetched.claims != src.entry_claims:
        src.entry_claims, src.needs_publish = fetched.claims, True
    if src.needs_publish:
        try:
            await on_change(src.name)
        except Exception as exc:
            raise StageError(FailureStage.PUBLISH, describe(exc)) from None
        src.needs_publish = False
    skipped = fetched.skipped if isinstance(fetched, FetchedServers) else ()
    src.status = attempt_succeeded(src.status, now=clock(), changed=changed, skipped=skipped)
    return SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED


async def _store_data(src: SourceState, prepared: Prepared, *, store: Store, clock: Clock) -> None:
    now = clock()
    data = SourceData(
        source=src.name,
        servers=prepared.servers,
        content_hash=prepared.content_hash,
        synced_at=now,
        skills=prepared.skills,
        plugins=prepared.plugins,
    )
    try:
        await store.replace_source(data)
    except Exception as exc:
        raise StageError(FailureStage.STORAGE, describe(exc)) from None
    src.has_data, src.needs_publish = True, True
    src.status = data_stored(
        src.status,
        now=now,
        content_hash=prepared.content_hash,
        filter_hash=src.filter_hash,
        data=data,
    )


def describe(exc: Exception) -> str:
    """`Type: message` (the type alone when the message is empty), safe for status and logs."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
