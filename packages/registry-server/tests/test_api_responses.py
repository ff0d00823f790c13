"""Response helpers: the bounded cache of rendered list bodies, alone and behind the list API."""

from __future__ import annotations

import json
from typing import Any

from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.api.responses import BodyCache
from mcp_registry_server.app import create_apps
from mcp_registry_testing.registry_engine import FakeEngineFactory


def renderer(body: bytes, calls: list[bytes]) -> Any:
    def render() -> bytes:
        calls.append(body)
        return body

    return render


def test_a_kept_body_is_not_rendered_again() -> None:
    cache, calls = BodyCache(100), []
    assert cache.get("a", renderer(b"first", calls)) == b"first"
    assert cache.get("a", renderer(b"other", calls)) == b"first"
    assert calls == [b"first"]


def test_least_recently_used_bodies_leave_first_once_over_budget() -> None:
    cache, calls = BodyCache(10), []
    cache.get("a", renderer(b"aaaa", calls))
    cache.get("b", renderer(b"bbbb", calls))
    cache.get("a", renderer(b"xxxx", calls))  # a is now the most recently used
    cache.get("c", renderer(b"cccc", calls))  # 12 bytes > 10: b goes
    assert len(cache) == 2
    assert cache.get("a", renderer(b"new-a", calls)) == b"aaaa"
    assert cache.get("b", renderer(b"new-b", calls)) == b"new-b"
    assert calls == [b"aaaa", b"bbbb", b"cccc", b"new-b"]


def test_a_body_larger_than_the_budget_is_served_but_not_kept() -> None:
    cache, calls = BodyCache(4), []
    assert cache.get("big", renderer(b"12345", calls)) == b"12345"
    assert cache.get("big", renderer(b"12345", calls)) == b"12345"
    assert len(cache) == 0
    assert len(calls) == 2


def entry(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "description": f"{name} {version}", "version": version}


async def test_list_pages_follow_new_data_at_the_same_url(aiohttp_client: Any) -> None:
    config = load_server_config_data(
        {
            "sources": [
                {"name": "s", "file": {"path": "s.json"}, "syncPolicy": {"interval": "1h"}}
            ],
            "registries": [{"name": "default", "sources": ["s"]}],
            "auth": {"mode": "anonymous"},
        }
    ).config
    factory = FakeEngineFactory()
    public, _internal = create_apps(config, engine_factory=factory, run_sync=False)
    client = await aiohttp_client(public)
    await factory.engine.publish("s", [entry("io.x/a", "1.0.0")])
    path = "/v0.1/servers?limit=5"
    first = await (await client.get(path)).read()
    assert await (await client.get(path)).read() == first
    await factory.engine.publish("s", [entry("io.x/a", "1.0.0"), entry("io.x/b", "2.0.0")])
    page = json.loads(await (await client.get(path)).read())
    assert [item["server"]["name"] for item in page["servers"]] == ["io.x/a", "io.x/b"]
