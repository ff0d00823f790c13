"""Pre-serialised entries to HTTP responses: bodies kept per (snapshot, URL), ETags, 304s, gzip."""

from __future__ import annotations

import asyncio
import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from mcp_registry_server.api.observe import SECURITY_HEADERS, route_template
from mcp_registry_server.snapshot import Entry

JSON = "application/json"
VARY = ("Vary", "Accept-Encoding")
PLAIN_HEADERS = CIMultiDict((VARY, ("Content-Type", JSON), *SECURITY_HEADERS.items()))
"""A plain 200's headers but its ETag (one copy for every kept response: 700 bytes each)."""
GZIP_TAG_SUFFIX = "-gzip"
"""Appended to the opaque tag of a gzipped representation (a strong ETag names one encoding)."""
RESPONSE_CACHE_BYTES = 32 * 1024 * 1024
"""Budget of the responses kept for reuse: a 100-item list page is ~130 kB, one version ~1 kB
(that one is the entry's own bytes, but an old snapshot's stay alive while kept, so it counts
in full)."""
GZIP_IN_THREAD_BYTES = 4096
"""Bodies larger than this are gzipped in a worker thread, off the event loop (aiohttp's own
threshold)."""
KEPT_OVERHEAD_BYTES = 200
"""What one kept response costs besides its body and URL (key, record, LRU links)."""

CacheKey = tuple[str, str]
"""(snapshot ETag, raw URL): equal snapshot ETags mean equal data, so equal responses."""


@dataclass(eq=False, slots=True)
class Kept:
    """One rendered read response: its body, the opaque part of its ETag, its route template,
    and once a client has asked for gzip, the gzipped body (compressed once, not per request)."""

    body: bytes
    tag: str
    route: str
    gzip_body: bytes | None = None


class ResponseCache:
    """Kept responses by (snapshot ETag, raw URL); the least recently used go once the bodies
    and URLs kept exceed the budget. A hit skips parsing, validation, lookup and rendering:
    paginating clients walk the same pages, and popular servers are read again and again.

    The budget is `max_bytes`, or `grow_with()` when that is more: given the bytes of the
    served entries, a walk of every list page stays kept however large the catalog (a walk
    larger than the budget would find none of its pages kept on its next pass: at 100,000
    servers, a list page in eight was rendered again, and the list ratio fell by a fifth).
    """

    def __init__(
        self, max_bytes: int = RESPONSE_CACHE_BYTES, *, grow_with: Callable[[], int] | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self._grow_with = grow_with
        self._kept: OrderedDict[CacheKey, Kept] = OrderedDict()
        self._size = 0

    @property
    def budget(self) -> int:
        """Bytes the kept responses may take now."""
        if self._grow_with is None:
            return self.max_bytes
        return max(self.max_bytes, self._grow_with())

    def peek(self, key: CacheKey) -> Kept | None:
        """The response kept for `key` (now the most recently used), or None."""
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def forget(self, snapshot_etag: str) -> int:
        """Drop every response kept for `snapshot_etag` (a snapshot no longer served: no
        request can hit them again); how many there were."""
        stale = [key for key in self._kept if key[0] == snapshot_etag]
        for key in stale:
            self._size -= _cost(key, self._kept.pop(key))
        return len(stale)

    def get(self, key: CacheKey, *, route: str, render: Callable[[], bytes]) -> Kept:
        """The response kept for `key`, else `render()`'s (kept when it fits the budget)."""
        kept = self.peek(key)
        if kept is not None:
            return kept
        snapshot_etag, url = key
        seed = f"{snapshot_etag}\n{url}".encode()
        kept = Kept(render(), hashlib.blake2b(seed, digest_size=12).hexdigest(), route)
        cost, budget = _cost(key, kept), self.budget
        if cost <= budget:
            self._kept[key] = kept
            self._size += cost
            while self._size > budget:
                self._size -= _cost(*self._kept.popitem(last=False))
        return kept

    def keep_gzip(self, key: CacheKey, kept: Kept, gzip_body: bytes) -> None:
        """Give `kept` its gzipped body (the first one given stays), counted in the budget
        while `kept` is the response kept for `key`."""
        if kept.gzip_body is not None:
            return
        kept.gzip_body = gzip_body
        if self._kept.get(key) is not kept:
            return
        self._size += len(gzip_body)
        budget = self.budget
        if _cost(key, kept) > budget:  # too large now to keep: only it goes
            self._size -= _cost(key, self._kept.pop(key))
        while self._size > budget:
            self._size -= _cost(*self._kept.popitem(last=False))

    def __len__(self) -> int:
        return len(self._kept)


def _cost(key: CacheKey, kept: Kept) -> int:
    gzipped = len(kept.gzip_body) if kept.gzip_body is not None else 0
    return len(kept.body) + gzipped + len(key[1]) + KEPT_OVERHEAD_BYTES


RESPONSES = web.AppKey("responses", ResponseCache)


def list_body(
    entries: Sequence[Entry], *, next_cursor: str | None = None, key: bytes = b"servers"
) -> bytes:
    """`{"servers": [...], "metadata": {...}}` assembled from the entries' rendered bytes
    (`key` names the array: `skills` and `plugins` lists have the same shape).

    One `join` over the parts, so the (up to 100) item bodies are copied exactly once.
    """
    metadata: dict[str, object] = {"count": len(entries)}
    if next_cursor is not None:
        metadata = {"nextCursor": next_cursor, "count": len(entries)}
    parts = [b'{"', key, b'":[']
    for entry in entries:
        parts += (entry.body, b",")
    if entries:
        parts.pop()  # no separator after the last item
    parts += (b'],"metadata":', json.dumps(metadata, separators=(",", ":")).encode(), b"}")
    return b"".join(parts)


async def cached_json(
    request: web.Request, *, snapshot_etag: str, render: Callable[[], bytes]
) -> web.Response:
    """A JSON response with a strong ETag for (snapshot, URL); 304 when the client has it.

    `render` does all the work that depends on the URL alone (parsing and validating it, which
    may raise a problem, looking up, rendering); what it renders is kept in the app's
    `RESPONSES` for (snapshot, raw URL), so a repeated request costs a lookup. The first
    request that accepts gzip compresses the body once for every later one.
    """
    responses = request.app[RESPONSES]
    key = (snapshot_etag, request.raw_path)
    kept = responses.get(key, route=route_template(request), render=render)
    response = represent(request, kept)
    if response is None:  # the first client to accept gzip: compress once, for every later one
        responses.keep_gzip(key, kept, await gzipped(kept.body))
        response = represent(request, kept)
        assert response is not None  # the gzipped body is there now
    return response


async def gzipped(body: bytes) -> bytes:
    """`body` gzipped as aiohttp would (zlib's default level), off the loop when large."""
    if len(body) > GZIP_IN_THREAD_BYTES:
        return await asyncio.to_thread(_gzip, body)
    return _gzip(body)


def _gzip(body: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def represent(request: web.BaseRequest, kept: Kept) -> web.Response | None:
    """The 200 (gzipped whenever the client accepts gzip, so the tag depends on the request
    alone) or the 304 for a kept response, with the security headers; None when the client
    accepts gzip and `kept` has no gzipped body yet (compressing is the caller's: off the
    loop, and only once)."""
    headers = request.headers
    accept_encoding = headers.get("Accept-Encoding")
    if_none_match = headers.get("If-None-Match")
    if not accept_encoding and not if_none_match:  # the plain 200: most reads, made directly
        response = web.Response(body=kept.body, headers=PLAIN_HEADERS)  # copies them
        response.headers["ETag"] = f'"{kept.tag}"'
        return response
    gzip = _accepts_gzip(accept_encoding or "")
    tag = f'"{kept.tag}{GZIP_TAG_SUFFIX if gzip else ""}"'
    labels: dict[str, str] = {"Vary": "Accept-Encoding", "ETag": tag, **SECURITY_HEADERS}
    if _matches(if_none_match, kept.tag):
        return web.Response(status=304, headers=labels)
    if not gzip:
        return web.Response(body=kept.body, content_type=JSON, headers=labels)
    if kept.gzip_body is None:
        return None
    labels |= {"Content-Type": JSON, "Content-Encoding": "gzip"}
    return web.Response(body=kept.gzip_body, headers=labels)


def _matches(if_none_match: str | None, opaque: str) -> bool:
    """RFC 9110 weak comparison of `If-None-Match` against our tag in either encoding."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"').removesuffix(GZIP_TAG_SUFFIX)
        if tag == opaque:
            return True
    return False


def _accepts_gzip(accept_encoding: str) -> bool:
    """True when `Accept-Encoding` lists gzip (or `*`) with a non-zero quality."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() not in ("gzip", "*"):
            continue
        quality = params.strip().removeprefix("q=").strip()
        try:
            return not quality or float(quality) > 0
        except ValueError:
            return False
    return False
