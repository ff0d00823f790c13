"""The public MCP Registry API end to end: the real apps from create_apps, a scripted engine."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_testing.registry_engine import FakeEngineFactory, FakeSyncEngine

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "testdata" / "registry-samples" / "fictional" / "registry-upstream.json"
PROBLEM = "application/problem+json"
UPDATED_SINCE_MESSAGE = (
    "Invalid updated_since parameter: must be RFC3339 format (e.g., 2025-08-07T13:15:04.280Z)"
)


def sample_servers() -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = json.loads(SAMPLE.read_text())["data"]["servers"]
    return servers


def server(name: str, version: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "version": version, "description": f"{name} does things", **fields}


def generated(count: int) -> list[dict[str, Any]]:
    """`count` names, the n-th with n % 3 + 1 versions (semver and not)."""
    out = []
    for n in range(count):
        versions = ["1.0.0", "1.10.0", "1.9.0"][: n % 3 + 1]
        out += [server(f"com.gen{n % 7}/srv-{n:04d}", v, title=f"Generated {n}") for v in versions]
    return out


def config_for(registries: Mapping[str, list[str]], *, managed: str | None = None) -> ServerConfig:
    names = {src for srcs in registries.values() for src in srcs}
    sources: list[dict[str, Any]] = [
        {"name": name, "file": {"path": f"{name}.json"}, "syncPolicy": {"interval": "1h"}}
        for name in sorted(names - {managed})
    ]
    if managed:
        sources.append({"name": managed, "managed": {}})
    registry_list = [{"name": name, "sources": srcs} for name, srcs in registries.items()]
    data = {"sources": sources, "registries": registry_list, "auth": {"mode": "anonymous"}}
    return load_server_config_data(data).config


@dataclass
class Served:
    client: TestClient[Any, Any]
    engine: FakeSyncEngine

    async def get_json(self, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.get(path, **kwargs)
        body = await response.read()
        assert response.status == status, body
        return json.loads(body)

    async def problem(self, path: str, status: int) -> dict[str, Any]:
        response = await self.client.get(path)
        assert response.status == status
        assert response.content_type == PROBLEM
        body: dict[str, Any] = await response.json(content_type=PROBLEM)
        assert body["type"] == "about:blank"
        assert body["status"] == status
        assert body["title"]
        assert body["detail"] == body["error"]
        return body


Start = Callable[..., Awaitable[Served]]


@pytest.fixture
async def start(aiohttp_client: Any) -> Start:
    async def _start(config: ServerConfig, **published: list[dict[str, Any]]) -> Served:
        factory = FakeEngineFactory()
        public, _internal = create_apps(config, engine_factory=factory, run_sync=False)
        served = Served(await aiohttp_client(public), factory.engine)
        for source, servers in published.items():
            await served.engine.publish(source, servers)
        return served

    return _start


@pytest.fixture
async def sample(start: Start) -> Served:
    return await start(config_for({"default": ["sample"]}), sample=sample_servers())


async def walk(served: Served, path: str, query: str = "") -> list[dict[str, Any]]:
    """Every item of a list endpoint, following nextCursor; checks each page's metadata."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        suffix = f"&cursor={quote(cursor)}" if cursor else ""
        page = await served.get_json(f"{path}?{query}{suffix}")
        assert page["metadata"]["count"] == len(page["servers"])
        items += page["servers"]
        cursor = page["metadata"].get("nextCursor")
        if cursor is None:
            return items
        assert page["servers"], "a page announcing more items must not be empty"
    raise AssertionError("pagination did not end")


def keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["server"]["name"], item["server"]["version"]) for item in items]


async def test_sample_list_is_sorted_with_official_meta(sample: Served) -> None:
    page = await sample.get_json("/registry/default/v0.1/servers")
    assert page["metadata"] == {"count": 9}
    assert keys(page["servers"]) == sorted((s["name"], s["version"]) for s in sample_servers())
    first = page["servers"][0]
    assert first["server"]["$schema"].endswith("/2025-12-11/server.schema.json")
    official = first["_meta"]["io.modelcontextprotocol.registry/official"]
    assert official == {
        "status": "active",
        "publishedAt": "2026-02-18T12:00:00.000000Z",
        "updatedAt": "2026-02-18T12:00:00.000000Z",
        "isLatest": True,
    }
    status = {
        item["server"]["name"]: item["_meta"]["io.modelcontextprotocol.registry/official"]["status"]
        for item in page["servers"]
    }
    deprecated = {name for name, value in status.items() if value == "deprecated"}
    expected = {"io.github.stacklok/legacy-jira", "io.github.stacklok/legacy-analytics"}
    assert deprecated == expected


@pytest.mark.parametrize("limit", [1, 2, 7, 30, 100])
async def test_pagination_walk_visits_every_entry_once(start: Start, limit: int) -> None:
    servers = sample_servers() + generated(120)
    served = await start(config_for({"default": ["sample"]}), sample=servers)
    items = await walk(served, "/registry/default/v0.1/servers", f"limit={limit}")
    assert keys(items) == sorted((s["name"], s["version"]) for s in servers)


async def test_filters_compose_with_pagination(start: Start) -> None:
    servers = sample_servers() + generated(60)
    served = await start(config_for({"default": ["sample"]}), sample=servers)
    latest = await walk(served, "/v0.1/servers", "limit=4&version=latest")
    assert len(latest) == 69
    assert all(i["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] for i in latest)
    gen_latest = {name: v for name, v in keys(latest) if name.startswith("com.gen")}
    assert set(gen_latest.values()) == {"1.0.0", "1.10.0"}  # semver: 1.10.0 beats 1.9.0
    exact = await walk(served, "/v0.1/servers", "limit=3&version=1.9.0")
    assert {v for _, v in keys(exact)} == {"1.9.0"}
    assert len(exact) == 20
    found = await walk(served, "/v0.1/servers", "limit=2&search=KNOWLEDGE")
    assert keys(found) == [("official/acme-search", "1.0.0")]  # description match
    titled = await walk(served, "/v0.1/servers", "limit=5&search=generated 1")
    assert {name for name, _ in keys(titled)} == {
        f"com.gen{n % 7}/srv-{n:04d}" for n in range(60) if str(n).startswith("1")
    }


async def test_updated_since_is_strictly_after_the_sync_time(start: Start) -> None:
    served = await start(config_for({"default": ["old", "new"]}))
    await served.engine.publish(
        "old", [server("a.b/old", "1")], synced_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    await served.engine.publish(
        "new", [server("a.b/new", "1")], synced_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    for since, expected in [
        ("2025-06-01T00:00:00Z", ["a.b/new"]),
        ("2025-01-01T00:00:00Z", ["a.b/new"]),
        ("2024-12-31T23:00:00-02:00", ["a.b/new"]),
        ("2024-12-31T23:59:59.999999999Z", ["a.b/new", "a.b/old"]),
        ("2026-01-01T00:00:00.000Z", []),
    ]:
        page = await served.get_json(f"/v0.1/servers?updated_since={quote(since)}")
        assert [name for name, _ in keys(page["servers"])] == expected, since


async def test_higher_priority_source_owns_a_name_entirely(start: Start) -> None:
    served = await start(
        config_for({"default": ["primary", "fallback"]}),
        primary=[server("com.acme/tool", "2.0.0", title="primary copy")],
        fallback=[
            server("com.acme/tool", "1.0.0", title="fallback copy"),  # sorts before 2.0.0
            server("com.acme/tool", "3.0.0", title="fallback copy"),
            server("com.acme/other", "0.1.0"),
        ],
    )
    items = await walk(served, "/v0.1/servers", "limit=1")
    assert keys(items) == [("com.acme/other", "0.1.0"), ("com.acme/tool", "2.0.0")]
    assert items[1]["server"]["title"] == "primary copy"
    versions = await served.get_json("/v0.1/servers/com.acme%2Ftool/versions")
    assert keys(versions["servers"]) == [("com.acme/tool", "2.0.0")]
    latest = await served.get_json("/v0.1/servers/com.acme%2Ftool/versions/latest")
    assert latest["server"]["version"] == "2.0.0"
    await served.problem("/v0.1/servers/com.acme%2Ftool/versions/1.0.0", 404)


async def test_registry_order_not_source_name_decides_priority(start: Start) -> None:
    served = await start(
        config_for({"default": ["zeta", "alpha"], "other": ["alpha", "zeta"]}),
        alpha=[server("com.acme/tool", "1.0.0", title="alpha")],
        zeta=[server("com.acme/tool", "1.0.0", title="zeta")],
    )
    default = await served.get_json("/v0/servers/com.acme%2Ftool/versions/1.0.0")
    other = await served.get_json("/registry/other/v0.1/servers/com.acme%2Ftool/versions/1.0.0")
    assert (default["server"]["title"], other["server"]["title"]) == ("zeta", "alpha")


async def test_versions_and_latest(start: Start) -> None:
    versions = ["1.2.0", "1.10.0-rc.1", "1.9.9", "v1.10.0"]
    served = await start(
        config_for({"default": ["s"]}),
        s=[server("io.x/y", v) for v in versions]
        + [server("io.x/z", "beta"), server("io.x/z", "alpha")],
    )
    listed = await served.get_json("/v0.1/servers/io.x%2Fy/versions")
    assert [v for _, v in keys(listed["servers"])] == sorted(versions)
    assert listed["metadata"] == {"count": 4}
    flags = {
        i["server"]["version"]: i["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"]
        for i in listed["servers"]
    }
    assert flags == {"1.2.0": False, "1.10.0-rc.1": False, "1.9.9": False, "v1.10.0": True}
    latest = await served.get_json("/v0.1/servers/io.x%2Fz/versions/latest")
    assert latest["server"]["version"] == "beta"  # not semver: plain string order


@pytest.mark.parametrize(
    ("path", "version"),
    [
        (
            "/registry/default/v0.1/servers/io.github.stacklok%2Fpg-explorer/versions/latest",
            "1.0.0",
        ),
        ("/v0.1/servers/io.github.stacklok%2fpg-explorer/versions/1.0.0", "1.0.0"),
        ("/v0/servers/io.github.stacklok%2Fpg-explorer/versions/latest", "1.0.0"),
    ],
)
async def test_get_by_percent_encoded_name(sample: Served, path: str, version: str) -> None:
    body = await sample.get_json(path)
    assert body["server"]["name"] == "io.github.stacklok/pg-explorer"
    assert body["server"]["version"] == version
    assert set(body) == {"server", "_meta"}


async def test_encoded_version_segment(start: Start) -> None:
    served = await start(config_for({"default": ["s"]}), s=[server("io.x/y", "1.0.0+build.5")])
    body = await served.get_json("/v0.1/servers/io.x%2Fy/versions/1.0.0%2Bbuild.5")
    assert body["server"]["version"] == "1.0.0+build.5"


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/v0.1/servers/io.x%2Fnope/versions", 404, "Server not found"),
        ("/v0.1/servers/io.x%2Fnope/versions/latest", 404, "Server not found"),
        ("/v0.1/servers/io.github.stacklok%2Fpg-explorer/versions/9.9.9", 404, "Server not found"),
        ("/v0.1/servers/no-slash/versions", 400, "exactly one '/'"),
        ("/v0.1/servers/a%2Fb%2Fc/versions", 400, "exactly one '/'"),
        ("/v0.1/servers/-bad%2Fname/versions", 400, "dns-namespace/name"),
        ("/v0.1/servers/io.x%2Fa%20b/versions", 400, "serverName cannot contain whitespace"),
        ("/v0.1/servers/io.x%2Fy/versions/1.0%200", 400, "version cannot contain whitespace"),
        ("/v0.1/servers/io.x%2Fy/versions/%20", 400, "version cannot be empty"),
        ("/registry/nope/v0.1/servers", 404, "registry not found: nope"),
        ("/registry/nope/v0.1/servers/io.x%2Fy/versions", 404, "registry not found"),
        ("/registry/a%20b/v0.1/servers", 400, "registryName cannot contain whitespace"),
        ("/v0.1/servers/io.github.stacklok/pg-explorer/versions", 404, "no such endpoint"),
        ("/v0.2/servers", 404, "no such endpoint"),
    ],
)
async def test_path_errors_are_problems(
    sample: Served, path: str, status: int, detail: str
) -> None:
    body = await sample.problem(path, status)
    assert detail in body["detail"]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=0", "Invalid limit parameter: must be between 1 and 100"),
        ("limit=101", "Invalid limit parameter: must be between 1 and 100"),
        ("limit=-3", "Invalid limit parameter"),
        ("limit=abc", "Invalid limit parameter: must be an integer"),
        ("limit=1.5", "Invalid limit parameter: must be an integer"),
        ("limit=99999999999999999999", "Invalid limit parameter: must be between 1 and 100"),
        ("cursor=!!!", "Invalid cursor parameter"),
        ("cursor=bm90IGpzb24", "Invalid cursor parameter"),  # "not json"
        ("cursor=eyJhIjoxfQ", "Invalid cursor parameter"),  # {"a":1}
        ("cursor=WyJhIl0", "Invalid cursor parameter"),  # ["a"]
        ("updated_since=2025-08-07", UPDATED_SINCE_MESSAGE),
        ("updated_since=2025-08-07T13:15:04", UPDATED_SINCE_MESSAGE),
        ("updated_since=2025-08-07T13:15:04+02:00", UPDATED_SINCE_MESSAGE),  # '+' decodes to ' '
        ("updated_since=2025-02-30T13:15:04Z", UPDATED_SINCE_MESSAGE),
        ("version=a%20b", "version cannot contain whitespace"),
    ],
)
async def test_query_errors_are_400_problems(sample: Served, query: str, detail: str) -> None:
    body = await sample.problem(f"/registry/default/v0.1/servers?{query}", 400)
    assert body["detail"].startswith(detail)


QUERY_KEYS = ["limit", "cursor", "search", "updated_since", "version", "other"]
QUERY_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.from_regex(r"[0-9+-]{0,12}", fullmatch=True),
    st.from_regex(
        r"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,14}(Z|[+-][0-9]{2}:[0-9]{2})?", fullmatch=True
    ),
    st.from_regex(r"[A-Za-z0-9_=-]{0,40}", fullmatch=True),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.dictionaries(st.sampled_from(QUERY_KEYS), QUERY_TEXT, max_size=4))
async def test_any_query_string_is_answered_200_or_400(
    sample: Served, params: dict[str, str]
) -> None:
    response = await sample.client.get("/v0.1/servers", params=params)
    assert response.status in (200, 400), await response.text()
    body = json.loads(await response.read())
    assert ("servers" in body) == (response.status == 200)


async def test_unscoped_aliases_serve_the_default_registry(start: Start) -> None:
    served = await start(
        config_for({"first": ["a"], "default": ["b"]}),
        a=[server("io.a/only-in-a", "1")],
        b=[server("io.b/only-in-b", "1")],
    )
    scoped = await served.get_json("/registry/default/v0.1/servers")
    assert await served.get_json("/v0.1/servers") == scoped
    assert await served.get_json("/v0/servers") == scoped
    assert keys(scoped["servers"]) == [("io.b/only-in-b", "1")]
    first_only = await start(config_for({"one": ["a"], "two": ["b"]}), a=[server("io.a/x", "1")])
    assert keys((await first_only.get_json("/v0/servers"))["servers"]) == [("io.a/x", "1")]


async def test_etag_and_if_none_match(sample: Served) -> None:
    path = "/v0.1/servers?limit=3"
    first = await sample.client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    again = await sample.client.get(path, headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert (
        await sample.client.get(path, headers={"If-None-Match": f'"x", W/{etag}'})
    ).status == 304
    other = await sample.client.get("/v0.1/servers?limit=4")
    assert other.headers["ETag"] != etag
    one = "/v0.1/servers/official%2Facme-docs/versions/latest"
    tag = (await sample.client.get(one)).headers["ETag"]
    assert (await sample.client.get(one, headers={"If-None-Match": tag})).status == 304
    await sample.engine.publish("sample", sample_servers()[:3])
    changed = await sample.client.get(path, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["ETag"] != etag


async def test_gzip_when_asked(sample: Served) -> None:
    plain = await sample.client.get("/v0.1/servers", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    zipped = await sample.client.get(
        "/v0.1/servers", headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"}, auto_decompress=False
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    raw = await zipped.read()
    assert len(raw) < len(await plain.read())
    assert gzip.decompress(raw) == await plain.read()
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    revalidate = await sample.client.get(
        "/v0.1/servers", headers={"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]}
    )
    assert revalidate.status == 304
    refused = await sample.client.get("/v0.1/servers", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


async def test_security_headers_and_request_id(sample: Served) -> None:
    for path in ("/v0.1/servers", "/v0.1/servers?limit=0", "/nowhere"):
        response = await sample.client.get(path, headers={"X-Request-ID": "abc-123"})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Request-ID"] == "abc-123"
    generated_id = (
        await sample.client.get("/v0.1/servers", headers={"X-Request-ID": "bad id!"})
    ).headers["X-Request-ID"]
    assert generated_id != "bad id!"
    assert re.fullmatch(r"[0-9a-f]{32}", generated_id)


async def test_wrong_method_is_a_problem(sample: Served) -> None:
    response = await sample.client.post("/v0.1/servers", data=b"x")
    assert response.status == 405
    assert response.content_type == PROBLEM
    assert "GET" in response.headers["Allow"]


async def test_openapi_documents_every_route_and_passes_the_toolhive_check(sample: Served) -> None:
    response = await sample.client.get("/openapi.yaml")
    document = yaml.safe_load(await response.read())
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == "1.0.0"
    assert "https://github.com/modelcontextprotocol/registry" in document["info"]["description"]
    assert await sample.get_json("/openapi.json") == document
    routes = {
        route.resource.canonical
        for route in sample.client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert set(document["paths"]) == routes


async def test_responses_match_the_openapi_schemas(start: Start) -> None:
    served = await start(config_for({"default": ["s"]}), s=sample_servers() + generated(5))
    document = await served.get_json("/openapi.json")

    def check(schema: str, instance: Any) -> None:
        wrapper = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
        Draft202012Validator(wrapper).validate(instance)

    check("ServerList", await served.get_json("/v0.1/servers?limit=4"))
    check("ServerList", await served.get_json("/v0.1/servers/com.gen2%2Fsrv-0002/versions"))
    check(
        "ServerResponse", await served.get_json("/v0.1/servers/com.gen2%2Fsrv-0002/versions/latest")
    )
    check("Problem", await served.get_json("/v0.1/servers?limit=0", status=400))


async def test_empty_registry_before_first_sync(start: Start) -> None:
    served = await start(config_for({"default": ["s"]}))
    assert await served.get_json("/v0.1/servers") == {"servers": [], "metadata": {"count": 0}}
    await served.problem("/v0.1/servers/io.x%2Fy/versions", 404)
