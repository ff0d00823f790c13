"""Pre-serialised entries to HTTP responses: list bodies (joined, then kept), ETags, 304s, gzip."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence

from aiohttp import web
from aiohttp.web import ContentCoding

from mcp_registry_server.snapshot import Entry

GZIP_TAG_SUFFIX = "-gzip"
"""Appended to the opaque tag of a gzipped representation (a strong ETag names one encoding)."""
BODY_CACHE_BYTES = 16 * 1024 * 1024
"""Budget of the rendered list bodies kept for reuse (a 100-item page is ~130 kB)."""


class BodyCache:
    """Rendered bodies by opaque tag; the least recently used go once `max_bytes` is exceeded.

    A tag digests (snapshot ETag, URL), and equal snapshot ETags mean equal responses, so a
    kept body is the one rendering would produce again: paginating clients walk the same pages.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def get(self, tag: str, render: Callable[[], bytes]) -> bytes:
        """The body kept for `tag`, else `render()` (kept when it fits the budget)."""
        body = self._bodies.get(tag)
        if body is not None:
            self._bodies.move_to_end(tag)
            return body
        body = render()
        if len(body) <= self.max_bytes:
            self._bodies[tag] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                self._size -= len(self._bodies.popitem(last=False)[1])
        return body

    def __len__(self) -> int:
        return len(self._bodies)


_LIST_BODIES = BodyCache(BODY_CACHE_BYTES)


def list_body(entries: Sequence[Entry], *, next_cursor: str | None = None) -> bytes:
    """`{"servers": [...], "metadata": {...}}` assembled from the entries' rendered bytes.

    One `join` over the parts, so the (up to 100) item bodies are copied exactly once.
    """
    metadata: dict[str, object] = {"count": len(entries)}
    if next_cursor is not None:
        metadata = {"nextCursor": next_cursor, "count": len(entries)}
    parts = [b'{"servers":[']
    for entry in entries:
        parts += (entry.body, b",")
    if entries:
        parts.pop()  # no separator after the last item
    parts += (b'],"metadata":', json.dumps(metadata, separators=(",", ":")).encode(), b"}")
    return b"".join(parts)


def cached_json(
    request: web.Request,
    *,
    snapshot_etag: str,
    render: Callable[[], bytes],
    keep: bool = False,
) -> web.Response:
    """A JSON response with a strong ETag for (snapshot, URL); 304 when the client has it.

    The tag is known before any rendering, so a revalidation costs no body work. The body is
    gzipped whenever the client accepts gzip, so the tag depends on the request alone.
    `keep` reuses bodies that cost real work to render (list pages) through a bounded cache.
    """
    seed = f"{snapshot_etag}\n{request.raw_path}".encode()
    opaque = hashlib.blake2b(seed, digest_size=12).hexdigest()
    gzip = _accepts_gzip(request.headers.get("Accept-Encoding", ""))
    headers = {"Vary": "Accept-Encoding", "ETag": f'"{opaque}{GZIP_TAG_SUFFIX if gzip else ""}"'}
    if _matches(request.headers.get("If-None-Match"), opaque):
        return web.Response(status=304, headers=headers)
    body = _LIST_BODIES.get(opaque, render) if keep else render()
    response = web.Response(body=body, content_type="application/json", headers=headers)
    if gzip:
        response.enable_compression(ContentCoding.gzip)
    return response


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
