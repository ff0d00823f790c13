"""Response helpers: the bounded cache of rendered bodies, alone and behind the read API."""

from __future__ import annotations

import gzip
import json
from typing import Any

from mcp_registry_server.api.responses import (
    GZIP_IN_THREAD_BYTES,
    KEPT_OVERHEAD_BYTES,
    RESPONSES,
    ResponseCache,
)
from mcp_registry_server.app import create_apps
from mcp_registry_server.keys import CATALOG
from mcp_registry_testing.registry_engine import FakeEngineFactory, one_source_config


def renderer(body: bytes, calls: list[bytes]) -> Any:
    def render() -> bytes:
        calls.append(body)
        return body

    return render


def body(cache: ResponseCache, url: str, rendered: bytes, calls: list[bytes]) -> bytes:
    return cache.get(("etag", url), route="/r", render=renderer(rendered, calls)).body


def test_a_kept_response_is_not_rendered_again() -> None:
    cache, calls = ResponseCache(1000), []
    first = cache.get(("etag", "/a"), route="/r", render=renderer(b"first", calls))
    assert body(cache, "/a", b"other", calls) == b"first"
    assert calls == [b"first"]
    assert cache.peek(("etag", "/a")) == first
    assert first.route == "/r"
    assert cache.peek(("other-etag", "/a")) is None


def test_the_tag_names_the_snapshot_and_the_url() -> None:
    cache: ResponseCache = ResponseCache(1000)
    tags = {
        cache.get(key, route="/r", render=lambda: b"x").tag
        for key in [("e1", "/a"), ("e2", "/a"), ("e1", "/b")]
    }
    assert len(tags) == 3


def test_least_recently_used_responses_leave_first_once_over_budget() -> None:
    each = len(b"aaaa") + len("/a") + KEPT_OVERHEAD_BYTES
    cache, calls = ResponseCache(2 * each + 1), []
    body(cache, "/a", b"aaaa", calls)
    body(cache, "/b", b"bbbb", calls)
    body(cache, "/a", b"xxxx", calls)  # a is now the most recently used
    body(cache, "/c", b"cccc", calls)  # over budget: b goes
    assert len(cache) == 2
    assert body(cache, "/a", b"new-a", calls) == b"aaaa"
    assert body(cache, "/b", b"new-b", calls) == b"new-b"
    assert calls == [b"aaaa", b"bbbb", b"cccc", b"new-b"]


def test_a_response_larger_than_the_budget_is_served_but_not_kept() -> None:
    cache, calls = ResponseCache(100), []
    assert body(cache, "/big", b"1" * 100, calls) == b"1" * 100
    assert body(cache, "/big", b"1" * 100, calls) == b"1" * 100
    assert len(cache) == 0
    assert len(calls) == 2


def test_the_budget_grows_with_what_the_catalog_serves() -> None:
    each = len(b"aaaa") + len("/a") + KEPT_OVERHEAD_BYTES
    served = [0]
    cache, calls = ResponseCache(each, grow_with=lambda: served[0]), []
    assert cache.budget == each  # a small catalog: the floor
    served[0] = 3 * each
    assert cache.budget == 3 * each
    for url in ("/a", "/b", "/c"):
        body(cache, url, url.encode() * 2, calls)
    assert len(cache) == 3  # all kept: one walk of every page fits
    served[0] = 0  # the catalog shrank: the next insert evicts down to the floor
    body(cache, "/d", b"dddd", calls)
    assert len(cache) == 1
    assert body(cache, "/d", b"new-d", calls) == b"dddd"


async def test_the_apps_budget_is_at_least_the_served_entries_bytes(aiohttp_client: Any) -> None:
    config = one_source_config()
    factory = FakeEngineFactory()
    public, _internal = create_apps(config, engine_factory=factory, run_sync=False)
    await aiohttp_client(public)
    cache = public[RESPONSES]
    assert cache.budget == cache.max_bytes  # nothing served yet
    await factory.engine.publish("s", [entry("io.x/a", "1.0.0"), entry("io.x/b", "2.0.0")])
    snapshot = public[CATALOG].snapshot("default")
    assert snapshot is not None
    assert snapshot.body_bytes == sum(len(item.body) for item in snapshot.entries) > 0
    cache.max_bytes = 1  # the floor out of the way: the served bytes decide
    assert cache.budget == snapshot.body_bytes


def test_a_gzipped_body_is_kept_once_and_counted_in_the_budget() -> None:
    each = len(b"aaaa") + len("/a") + KEPT_OVERHEAD_BYTES
    cache, calls = ResponseCache(2 * each + 3), []
    kept = cache.get(("etag", "/a"), route="/r", render=renderer(b"aaaa", calls))
    body(cache, "/b", b"bbbb", calls)
    cache.peek(("etag", "/a"))  # a is now the most recently used
    cache.keep_gzip(("etag", "/a"), kept, b"zz")  # fits: 2 bytes of the 3 left
    cache.keep_gzip(("etag", "/a"), kept, b"other")  # the first one stays
    assert kept.gzip_body == b"zz"
    assert len(cache) == 2
    evicted = cache.get(("etag", "/c"), route="/r", render=renderer(b"c", calls))
    assert len(cache) == 2  # b went: a's gzipped body counts
    assert cache.peek(("etag", "/b")) is None
    cache.keep_gzip(("etag", "/c"), evicted, b"z" * 2 * each)  # c can't fit: only c goes
    assert len(cache) == 1
    assert cache.peek(("etag", "/a")) is kept


def test_a_response_too_large_with_its_gzipped_body_leaves_alone() -> None:
    cache, calls = ResponseCache(12_000), []
    for i in range(9):
        body(cache, f"/small{i}", b"s" * 500, calls)
    big = cache.get(("etag", "/big"), route="/r", render=renderer(b"b" * 4000, calls))
    assert len(cache) == 10
    cache.keep_gzip(("etag", "/big"), big, b"z" * 8000)
    assert cache.peek(("etag", "/big")) is None
    assert len(cache) == 9  # the others stay


async def test_gzip_is_compressed_once_per_kept_response_large_or_small(
    aiohttp_client: Any,
) -> None:
    config = one_source_config()
    factory = FakeEngineFactory()
    public, _ = create_apps(config, engine_factory=factory, run_sync=False)
    client = await aiohttp_client(public)
    entries = [entry(f"io.x/s{i:03d}", "1.0.0") for i in range(100)]  # a page of > 4 KiB
    await factory.engine.publish("s", entries)
    for path in ["/v0.1/servers?limit=100", "/v0.1/servers?limit=1"]:
        plain = await (await client.get(path, headers={"Accept-Encoding": "identity"})).read()
        answers = []
        for _ in range(2):
            response = await client.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.headers["Content-Encoding"] == "gzip"
            answers.append(await response.read())  # decompressed by the client
        assert answers == [plain, plain]
        kept = public[RESPONSES].peek((public[CATALOG].snapshot("default").etag, path))
        assert kept is not None
        assert kept.gzip_body is not None
        assert gzip.decompress(kept.gzip_body) == plain
    assert len(plain) < GZIP_IN_THREAD_BYTES < len(kept_page_body(public))


def kept_page_body(app: Any) -> bytes:
    snapshot = app[CATALOG].snapshot("default")
    kept = app[RESPONSES].peek((snapshot.etag, "/v0.1/servers?limit=100"))
    assert kept is not None
    return bytes(kept.body)


def entry(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "description": f"{name} {version}", "version": version}


async def serving(aiohttp_client: Any, *servers: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The public app (its sync engine a fake), a client of it, and the engine, which has
    published `servers` for the one source."""
    factory = FakeEngineFactory()
    public, _internal = create_apps(one_source_config(), engine_factory=factory, run_sync=False)
    client = await aiohttp_client(public)
    await factory.engine.publish("s", list(servers))
    return public, client, factory.engine


async def test_list_pages_follow_new_data_at_the_same_url(aiohttp_client: Any) -> None:
    _public, client, engine = await serving(aiohttp_client, entry("io.x/a", "1.0.0"))
    path = "/v0.1/servers?limit=5"
    first = await (await client.get(path)).read()
    assert await (await client.get(path)).read() == first
    await engine.publish("s", [entry("io.x/a", "1.0.0"), entry("io.x/b", "2.0.0")])
    page = json.loads(await (await client.get(path)).read())
    assert [item["server"]["name"] for item in page["servers"]] == ["io.x/a", "io.x/b"]


def test_forgetting_a_snapshot_drops_only_its_responses_and_their_bytes() -> None:
    each = len(b"aaaa") + len("/a") + KEPT_OVERHEAD_BYTES
    cache, calls = ResponseCache(2 * each), []
    for etag in ("old", "new"):
        cache.get((etag, "/a"), route="/r", render=renderer(b"aaaa", calls))
    assert cache.forget("old") == 1
    assert cache.forget("old") == 0
    assert cache.peek(("old", "/a")) is None
    assert cache.peek(("new", "/a")) is not None
    # the forgotten bytes left the budget: one more fits without pushing "new" out
    cache.get(("new", "/b"), route="/r", render=renderer(b"bbbb", calls))
    assert len(cache) == 2
    assert cache.peek(("new", "/a")) is not None


async def test_a_replaced_snapshots_kept_responses_leave_with_it(aiohttp_client: Any) -> None:
    public, client, engine = await serving(aiohttp_client, entry("io.x/a", "1.0.0"))
    path = "/v0.1/servers?limit=100"
    assert (await client.get(path)).status == 200
    old = public[CATALOG].snapshot("default").etag
    assert public[RESPONSES].peek((old, path)) is not None
    await engine.publish("s", [entry("io.x/a", "1.0.1")])
    assert public[CATALOG].snapshot("default").etag != old
    assert public[RESPONSES].peek((old, path)) is None
    assert len(public[RESPONSES]) == 0
