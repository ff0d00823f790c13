"""API sources: page through another MCP registry's `/v0.1/servers` (or `/v0/servers`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from mcp_registry_common.formats import RegistryFormatError, validate_server
from mcp_registry_common.formats.limits import size_text, value_count_bound, values_problem
from mcp_registry_common.redaction import redact_url

from mcp_registry_server.netguard import GUARD, AddressGuard, http_client
from mcp_registry_server.sources.base import FetchedServers, FetchLimits, canonical_json_hash
from mcp_registry_server.sources.errors import (
    SourceDataError,
    SourceHTTPError,
    SourceTooLargeError,
)
from mcp_registry_server.sources.httpget import get_bytes

PAGE_SIZE = 100
API_VERSIONS = ("v0.1", "v0")
"""Tried in order; the next one only when the first page of the previous answers 404."""


@dataclass(frozen=True, slots=True)
class Page:
    """One parsed list response: the `server` objects and the cursor of the next page."""

    servers: list[dict[str, Any]]
    next_cursor: str | None


class ApiFetcher:
    """Reads every server (all versions) of an upstream MCP registry, following cursors;
    `guard` checks every address connected to (None: any address, `allowPrivateIP`)."""

    def __init__(
        self,
        endpoint: str,
        *,
        http: aiohttp.ClientSession,
        timeout: float,
        max_pages: int,
        limits: FetchLimits,
        guard: AddressGuard | None = GUARD,
    ) -> None:
        self._base = endpoint.removesuffix("/")
        self._client = http_client(http, guard)
        self._timeout = timeout
        self._max_pages = max_pages
        self._limits = limits

    async def fetch(self) -> FetchedServers:
        async with self._client() as http:
            return await self._fetch(http)

    async def _fetch(self, http: aiohttp.ClientSession) -> FetchedServers:
        for version in API_VERSIONS:
            collection = f"{self._base}/{version}/servers"
            raw = await self._read_all(http, collection)
            if raw == []:
                # An empty answer would wipe the stored source; file sources refuse it too.
                raise SourceDataError(f"{redact_url(collection)} lists no servers")
            if raw is not None:
                servers = await asyncio.to_thread(validate_servers, raw)
                return FetchedServers(
                    servers=servers,
                    content_hash=canonical_json_hash(servers),
                    origin=redact_url(collection),
                )
        raise SourceDataError(
            f"{redact_url(self._base)} serves neither /v0.1/servers nor /v0/servers (HTTP 404)"
        )

    async def _read_all(
        self, http: aiohttp.ClientSession, collection: str
    ) -> list[dict[str, Any]] | None:
        """All `server` objects of `collection`, or None when its first page is a 404.

        The pages together must stay within the document limits: their bytes, their JSON
        values (counted before each page is parsed) and their servers."""
        limits = self._limits.document
        shown = redact_url(collection)
        servers: list[dict[str, Any]] = []
        seen: set[str] = set()
        cursor: str | None = None
        size = values = 0
        for number in range(1, self._max_pages + 1):
            url = page_url(collection, cursor)
            try:
                body = await get_bytes(http, url, time_limit=self._timeout, limits=self._limits)
            except SourceHTTPError as exc:
                if exc.status == 404 and number == 1:
                    return None
                raise
            size += len(body)
            if size > limits.max_bytes:
                raise SourceTooLargeError(
                    f"the first {number} pages of {shown} exceed the "
                    f"{size_text(limits.max_bytes)} limit together; stopped reading"
                )
            values += value_count_bound(body)
            if values > limits.max_values:
                problem = values_problem(values, limits)
                raise SourceTooLargeError(f"page {number} of {shown}: {problem}", limit="values")
            page = parse_page(body, where=f"page {number} of {shown}")
            del body
            servers.extend(page.servers)
            if len(servers) > limits.max_servers:
                raise SourceTooLargeError(
                    f"{shown} lists more than {limits.max_servers:,} servers", limit="servers"
                )
            if not page.next_cursor:
                return servers
            if page.next_cursor in seen:
                raise SourceDataError(f"{shown} repeated cursor {page.next_cursor!r} (a loop)")
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise SourceDataError(f"{shown} has more than {self._max_pages} pages; raise api.maxPages")


def page_url(collection: str, cursor: str | None) -> str:
    """`<collection>?limit=100[&cursor=<percent-encoded>]`."""
    url = f"{collection}?limit={PAGE_SIZE}"
    return url if cursor is None else f"{url}&cursor={quote(cursor, safe='')}"


def parse_page(body: bytes, *, where: str) -> Page:
    """Parse one `{"servers":[{"server":{...}}], "metadata":{"nextCursor"}}` answer."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceDataError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("servers"), list):
        raise SourceDataError(f"{where}: expected an object with a `servers` list")
    servers: list[dict[str, Any]] = []
    for index, item in enumerate(doc["servers"]):
        server = item.get("server") if isinstance(item, dict) else None
        if not isinstance(server, dict):
            raise SourceDataError(f"{where}: servers[{index}] has no `server` object")
        servers.append(server)
    metadata = doc.get("metadata")
    cursor = metadata.get("nextCursor") if isinstance(metadata, dict) else None
    if cursor is not None and not isinstance(cursor, str):
        raise SourceDataError(f"{where}: metadata.nextCursor must be a string")
    return Page(servers=servers, next_cursor=cursor or None)


def validate_servers(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each server checked against server.json; the first invalid one fails the whole fetch."""
    try:
        return [validate_server(obj, path=f"servers[{i}].server") for i, obj in enumerate(raw)]
    except RegistryFormatError as exc:
        raise SourceDataError(f"invalid server: {exc}") from None
