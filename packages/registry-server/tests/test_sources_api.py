"""API sources against a real local MCP registry (two pages of the shared fictional sample)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_registry_server.sources.api import ApiFetcher, page_url, parse_page
from mcp_registry_server.sources.base import FetchLimits, canonical_json_hash
from mcp_registry_server.sources.errors import SourceDataError, SourceHTTPError, SourceTooLargeError

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples" / "fictional"
PAGE1 = json.loads((SAMPLES / "upstream-api-page1.json").read_bytes())
PAGE2 = json.loads((SAMPLES / "upstream-api-page2.json").read_bytes())
CURSOR = PAGE1["metadata"]["nextCursor"]
ALL_SERVERS = [item["server"] for item in PAGE1["servers"] + PAGE2["servers"]]


class Registry:
    """An upstream registry: serves PAGE1 then PAGE2 under `prefix`; records raw queries."""

    def __init__(self, prefix: str = "/v0.1") -> None:
        self.prefix = prefix
        self.queries: list[str] = []
        self.cursors: list[str | None] = []
        self.paths: list[str] = []
        self.pages: dict[str | None, Any] = {None: PAGE1, CURSOR: PAGE2}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.prefix + "/servers", self.list_servers)
        app.middlewares.append(self.record)
        return app

    @web.middleware
    async def record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.paths.append(request.path)
        return await handler(request)

    async def list_servers(self, request: web.Request) -> web.Response:
        self.queries.append(request.rel_url.raw_query_string)
        self.cursors.append(request.query.get("cursor"))
        assert request.query["limit"] == "100"
        page = self.pages.get(request.query.get("cursor"))
        if page is None:
            return web.json_response({"error": "bad cursor"}, status=400)
        return web.json_response(page)


async def start(aiohttp_server: ServerFactory, registry: Registry) -> str:
    server = await aiohttp_server(registry.app())
    return str(server.make_url("/"))


def api(
    endpoint: str, http: aiohttp.ClientSession, *, max_pages: int = 1000, **kw: int
) -> ApiFetcher:
    return ApiFetcher(  # loopback upstreams: no private-address guard
        endpoint, http=http, timeout=5.0, max_pages=max_pages, limits=FetchLimits(**kw), guard=None
    )


async def test_follows_cursors_and_keeps_only_server_objects(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    endpoint = await start(aiohttp_server, registry)
    result = await api(endpoint, http).fetch()
    assert [s["name"] for s in result.servers] == [s["name"] for s in ALL_SERVERS]
    assert list(result.servers) == ALL_SERVERS
    assert result.content_hash == canonical_json_hash(ALL_SERVERS)
    assert registry.cursors == [None, CURSOR]
    assert registry.queries[0] == "limit=100"
    assert not any("openapi" in path for path in registry.paths), "no fingerprint request"


async def test_hash_is_stable_and_tracks_content(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    endpoint = await start(aiohttp_server, registry)
    first = await api(endpoint.rstrip("/"), http).fetch()
    second = await api(endpoint, http).fetch()
    assert first.content_hash == second.content_hash
    changed = json.loads(json.dumps(PAGE2))
    changed["servers"][0]["server"]["description"] = "changed"
    registry.pages[CURSOR] = changed
    assert (await api(endpoint, http).fetch()).content_hash != first.content_hash


async def test_falls_back_to_v0_when_v0_1_is_404(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry(prefix="/v0")
    endpoint = await start(aiohttp_server, registry)
    result = await api(endpoint, http).fetch()
    assert len(result.servers) == 9
    assert registry.paths[0] == "/v0.1/servers"
    assert "/v0/servers" in registry.paths
    assert result.origin.endswith("/v0/servers")


async def test_neither_api_version(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    endpoint = await start(aiohttp_server, Registry(prefix="/nothing"))
    with pytest.raises(SourceDataError, match=r"serves neither /v0\.1/servers nor /v0/servers"):
        await api(endpoint, http).fetch()


async def test_404_on_a_later_page_is_an_error(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    registry.pages[CURSOR] = None
    endpoint = await start(aiohttp_server, registry)
    with pytest.raises(SourceHTTPError, match="HTTP 400"):
        await api(endpoint, http).fetch()


async def test_page_cap(aiohttp_server: ServerFactory, http: aiohttp.ClientSession) -> None:
    endpoint = await start(aiohttp_server, Registry())
    with pytest.raises(SourceDataError, match=r"more than 1 pages; raise api\.maxPages"):
        await api(endpoint, http, max_pages=1).fetch()


async def test_server_cap(aiohttp_server: ServerFactory, http: aiohttp.ClientSession) -> None:
    endpoint = await start(aiohttp_server, Registry())
    with pytest.raises(SourceTooLargeError, match="lists more than 6 servers") as info:
        await api(endpoint, http, max_servers=6).fetch()
    assert info.value.limit == "servers"


async def test_pages_together_over_the_byte_cap(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    endpoint = await start(aiohttp_server, Registry())
    cap = len(json.dumps(PAGE1).encode()) + 100  # each page fits, both do not
    with pytest.raises(SourceTooLargeError) as info:
        await api(endpoint, http, max_bytes=cap).fetch()
    assert "the first 2 pages of http://127.0.0.1" in str(info.value)
    assert str(info.value).endswith(f"exceed the {cap:,} bytes limit together; stopped reading")
    assert info.value.limit == "bytes"


async def test_pages_together_over_the_value_limit(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    registry.pages[CURSOR] = dict(PAGE2, padding=[0] * 5000)  # ~15 KB, 5,000 more values
    endpoint = await start(aiohttp_server, registry)
    with pytest.raises(SourceTooLargeError) as info:
        await api(endpoint, http, max_bytes=64 * 1024).fetch()  # 4,096 values
    assert "page 2 of http://127.0.0.1" in str(info.value)
    assert "JSON values (counting `,`, `{` and `[`), over the limit of 4,096" in str(info.value)
    assert info.value.limit == "values"


async def test_cursor_loop(aiohttp_server: ServerFactory, http: aiohttp.ClientSession) -> None:
    registry = Registry()
    looping = json.loads(json.dumps(PAGE2))
    looping["metadata"]["nextCursor"] = CURSOR
    registry.pages[CURSOR] = looping
    endpoint = await start(aiohttp_server, registry)
    with pytest.raises(SourceDataError, match="repeated cursor"):
        await api(endpoint, http).fetch()


async def test_invalid_server_is_named(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    broken = json.loads(json.dumps(PAGE2))
    del broken["servers"][1]["server"]["name"]
    registry.pages[CURSOR] = broken
    endpoint = await start(aiohttp_server, registry)
    with pytest.raises(SourceDataError, match=r"servers\[6\]"):
        await api(endpoint, http).fetch()


async def test_body_size_limit_applies_per_page(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    endpoint = await start(aiohttp_server, Registry())
    with pytest.raises(SourceTooLargeError):
        await api(endpoint, http, max_bytes=1000).fetch()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"servers": [', " is not valid JSON: Expecting value: line 1 column 14"),
        (b"\xff\xfe", " is not valid JSON"),
        (b"[]", ": expected an object with a `servers` list"),
        (b'{"servers": {}}', ": expected an object with a `servers` list"),
        (b'{"servers": [{"_meta": {}}]}', r": servers\[0\] has no `server` object"),
        (
            b'{"servers": [], "metadata": {"nextCursor": 5}}',
            ": metadata.nextCursor must be a string",
        ),
    ],
)
def test_parse_page_rejects_malformed_pages(body: bytes, problem: str) -> None:
    with pytest.raises(SourceDataError, match=f"^page 1{problem}"):
        parse_page(body, where="page 1")


def test_parse_page_empty_cursor_ends_paging() -> None:
    page = parse_page(b'{"servers": [], "metadata": {"nextCursor": ""}}', where="p")
    assert page.next_cursor is None
    assert page.servers == []


def test_page_url_escapes_the_cursor() -> None:
    assert page_url("http://h/v0.1/servers", None) == "http://h/v0.1/servers?limit=100"
    assert page_url("http://h/v0.1/servers", "a/b:1 &x") == (
        "http://h/v0.1/servers?limit=100&cursor=a%2Fb%3A1%20%26x"
    )


async def test_cursor_with_reserved_characters_round_trips(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    weird = "a&b=c+d/e:f %25 g"
    first = json.loads(json.dumps(PAGE1))
    first["metadata"]["nextCursor"] = weird
    registry = Registry()
    registry.pages = {None: first, weird: PAGE2}
    endpoint = await start(aiohttp_server, registry)
    assert len((await api(endpoint, http).fetch()).servers) == 9
    assert registry.cursors == [None, weird]


async def test_an_empty_registry_is_refused(
    aiohttp_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    registry = Registry()
    registry.pages = {None: {"servers": [], "metadata": {"count": 0}}}
    endpoint = await start(aiohttp_server, registry)
    with pytest.raises(SourceDataError, match="lists no servers"):
        await api(endpoint, http).fetch()
