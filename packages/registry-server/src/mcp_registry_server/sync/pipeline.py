"""One sync attempt's data path: fetch (bounded in time), then parse/convert, filter and pack.

Every failure leaves as a `StageError` naming the step, so the engine can say what failed.
The engine skips the second step when the fetched content and the filter are unchanged.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp_registry_common.filtering import SourceFilter, apply_name_filter, server_allowed
from mcp_registry_common.formats import (
    DocumentLimits,
    ParsedRegistry,
    RegistryFormat,
    RegistryFormatError,
    RegistryLimitError,
    ServerSink,
    item_key,
    parse_registry,
)
from mcp_registry_common.formats.errors import ROOT
from mcp_registry_common.gcpause import gc_paused
from mcp_registry_common.redaction import redact_text

from mcp_registry_server.sources.base import (
    FetchedDocument,
    Fetcher,
    FetchResult,
    limit_setting,
)
from mcp_registry_server.sources.errors import (
    FetchError,
    SourceConfigError,
    SourceDataError,
    SourceTooLargeError,
)
from mcp_registry_server.store.packed import PackedServers, pack_one, unpack_one
from mcp_registry_server.sync.status import FailureStage


class StageError(Exception):
    """An attempt failed at `stage`; the message is safe for status, logs and metrics (any URL
    in it is redacted here, whichever error it came from)."""

    def __init__(self, stage: FailureStage, message: str) -> None:
        message = redact_text(message)
        super().__init__(message)
        self.stage = stage
        self.message = message


@dataclass(frozen=True, slots=True)
class Prepared:
    """What an attempt would store: filtered upstream servers (packed), skills and plugins,
    and the fetched content's hash."""

    servers: PackedServers
    content_hash: str
    origin: str
    skills: Sequence[dict[str, Any]] = ()
    plugins: Sequence[dict[str, Any]] = ()


async def fetch_within(fetcher: Fetcher, *, time_limit: float) -> FetchResult:
    """`fetcher.fetch()` with an overall deadline and errors mapped to stages."""
    try:
        async with asyncio.timeout(time_limit):
            return await fetcher.fetch()
    except TimeoutError:
        raise StageError(FailureStage.FETCH, f"did not finish within {time_limit:g}s") from None
    except SourceConfigError as exc:
        raise StageError(FailureStage.CONFIG, str(exc)) from None
    except SourceDataError as exc:
        raise StageError(FailureStage.VALIDATION, str(exc)) from None
    except SourceTooLargeError as exc:
        raise StageError(FailureStage.FETCH, f"{exc} (limit: {limit_setting(exc.limit)})") from None
    except FetchError as exc:
        raise StageError(FailureStage.FETCH, str(exc)) from None


def convert_and_filter(
    result: FetchResult,
    *,
    format: RegistryFormat | None,
    filter: SourceFilter | None,
    limits: DocumentLimits,
) -> Prepared:
    """Parse a fetched document (any format → upstream servers), apply the source filter,
    and pack the servers (compact JSON, as stores keep them).

    A document over `limits` is refused before it is decoded (or, over the server limit,
    before any server is converted). CPU-bound on big registries: the engine runs it in a
    worker thread.

    Memory: each server is filtered and packed as soon as it is converted, so converted
    legacy servers (4.8 kB each as Python objects, against 1.2 kB packed) never all exist at
    once; the decoded document is the peak.

    The cyclic collector is paused throughout, and everything the step builds but the packed
    bodies is freed before it resumes, so the collector never walks it. Resumed while the
    converted servers were alive, it walked them in three passes as they aged (100,000
    servers: 2.7 s of a 4.1 s parse). One full pass runs once the document is freed, to
    give its memory back (`_release_document`).
    """
    with gc_paused():
        return _convert_filter_pack(result, format=format, filter=filter, limits=limits)


def _convert_filter_pack(
    result: FetchResult,
    *,
    format: RegistryFormat | None,
    filter: SourceFilter | None,
    limits: DocumentLimits,
) -> Prepared:
    bodies: list[bytes] = []

    def keep(server: dict[str, Any]) -> None:
        """Filter and pack one server as it comes: the converted ones never all exist."""
        if server_allowed(server, filter):  # fails closed on a bad pattern: raises nothing
            try:
                bodies.append(pack_one(server))
            except (TypeError, ValueError) as exc:  # what no fetched JSON holds
                name = server.get("name")
                raise StageError(FailureStage.VALIDATION, f"server {name!r}: {exc}") from None

    skills: list[dict[str, Any]] = []
    plugins: list[dict[str, Any]] = []
    if isinstance(result, FetchedDocument):
        parsed = _parse(result, format=format, limits=limits, on_server=keep)
        skills, plugins = parsed.skills, parsed.plugins
        del parsed  # with it the decoded document: all of it but the two lists is gone now
        if len(result.data) >= RELEASE_AFTER_BYTES:
            _release_document()
            skills, plugins = _made_anew(skills), _made_anew(plugins)
    else:
        for server in result.servers:
            keep(server)
    if filter is not None:
        skills = apply_name_filter(skills, filter, key=item_key)
        plugins = apply_name_filter(plugins, filter, key=item_key)
    return Prepared(
        servers=PackedServers(bodies),
        content_hash=result.content_hash,
        origin=result.origin,
        skills=skills,
        plugins=plugins,
    )


RELEASE_AFTER_BYTES = 256 * 1024
"""Documents from this size on are followed by `_release_document`. A smaller one decodes
into a few MB at most, mostly made in memory the heap had free, which is not worth a pass
over the whole heap."""


def _release_document() -> None:
    """Let the allocator give the freed document's memory back, before anything that is kept
    is made: one full collection, which also empties the interpreter's free lists.

    A decoded document is millions of small objects (10,000 servers: about 30 MB) in
    pymalloc arenas of 1 MiB, and an arena goes back to the system only when nothing in it
    is alive. Freeing the document left some of its dicts and lists in the free lists, which
    kept their arenas; the next objects made (the stored data, the status, the snapshot)
    went into those arenas first and held them for as long as they lived. RSS grew about
    1 MiB with every sync (10,000 servers: 100 MB after the first, 145 MB after sixty) and
    stays level with this pass, which costs 20-30 ms at 10,000 servers and 65-90 ms at
    100,000 (the heap without the document, walked once).
    """
    gc.collect()


def _made_anew(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of skills or plugins made now, out of new memory: the parsed ones were made
    with the document, and kept they would hold its arenas (see `_release_document`)."""
    return [unpack_one(pack_one(item)) for item in items]


def _parse(
    result: FetchedDocument,
    *,
    format: RegistryFormat | None,
    limits: DocumentLimits,
    on_server: ServerSink,
) -> ParsedRegistry:
    """`parse_registry` with its errors as StageErrors naming the document (never quoting a
    local file)."""
    try:
        return parse_registry(result.data, format=format, limits=limits, on_server=on_server)
    except RegistryLimitError as exc:
        raise StageError(
            FailureStage.PARSE, f"{result.origin}: {exc} (limit: {limit_setting(exc.limit)})"
        ) from None
    except RegistryFormatError as exc:
        stage = FailureStage.PARSE if _is_syntax(exc) else FailureStage.VALIDATION
        quotes = result.local and exc.path != ROOT  # a key path or a `got '...'`
        shown = LOCAL_INVALID if quotes else str(exc)
        raise StageError(stage, f"{result.origin}: {shown}") from None


LOCAL_INVALID = (
    "not a valid registry document (what is wrong is not shown for a local file, since it "
    "could quote the file; check it with `mcp-registry-common validate <file>`)"
)
"""A local file's validation failure below the document's root: its key path or a `got '...'`
would echo the file's contents (what a root-level problem says does not)."""


def _is_syntax(exc: RegistryFormatError) -> bool:
    """Undecodable bytes (truncated, not JSON) rather than a well-formed but invalid registry."""
    return exc.path == ROOT and exc.problem.startswith("invalid JSON")
