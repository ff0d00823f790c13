"""The watch protocol: newline-delimited JSON events, BOOKMARKs, timeoutSeconds and 410 Expired."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from .keys import STATE
from .resources import ResourceType
from .selectors import Predicate
from .status import ApiError
from .store import WatchEvent
from .tables import table, wants_table

_DEFAULT_TIMEOUT = 1800.0


def _bookmark(rt: ResourceType, rv: int) -> dict[str, Any]:
    return {
        "type": "BOOKMARK",
        "object": {
            "kind": rt.kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(rv)},
        },
    }


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


def _since(raw: str | None) -> int | None:
    if raw in (None, "", "0"):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, "BadRequest", f"invalid resourceVersion: {raw!r}") from exc


async def serve_watch(
    request: web.Request, rt: ResourceType, namespace: str | None, matches: Predicate
) -> web.StreamResponse:
    """Stream events for `rt` until timeoutSeconds, a hang-up, or the client going away."""
    state = request.app[STATE]
    query = request.query
    bookmarks = query.get("allowWatchBookmarks", "").lower() not in ("", "false", "0")
    timeout = float(query.get("timeoutSeconds") or _DEFAULT_TIMEOUT)
    as_table = wants_table(request.headers.get("Accept", ""))
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    try:
        watcher = state.store.watch(
            rt,
            namespace,
            since=_since(query.get("resourceVersion")),
            matches=matches,
            bookmarks=bookmarks,
        )
    except ApiError as exc:
        await response.prepare(request)
        await response.write(_line({"type": "ERROR", "object": exc.body()}))
        await response.write_eof()
        return response
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while (remaining := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(min(remaining, state.bookmark_interval)):
                    item: WatchEvent | int | None = await watcher.queue.get()
            except TimeoutError:
                # A bookmark promises every event up to its RV was sent: not while events wait
                # in the queue, and not once the watch was cut (it no longer receives any).
                live = state.store.is_watching(watcher) and watcher.queue.empty()
                item = state.store.rv if bookmarks and live and deadline > loop.time() else -1
            if item is None:
                break
            if isinstance(item, int):
                if item >= 0:
                    await response.write(_line(_bookmark(rt, item)))
                continue
            obj = table(rt, [item.obj], resource_version=item.rv) if as_table else item.obj
            await response.write(_line({"type": item.type, "object": obj}))
    except (ConnectionResetError, asyncio.CancelledError):
        state.store.unwatch(watcher)
        raise
    state.store.unwatch(watcher)
    with contextlib.suppress(ConnectionResetError):  # the client may already have hung up
        await response.write_eof()
    return response
