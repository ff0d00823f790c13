"""The front for repeated anonymous reads: same answers as the app, only when a response is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from mcp_registry_common.config import ServerConfig
from mcp_registry_server.api.fastreads import FAST_READS, FastReads, ServerRunner
from mcp_registry_server.api.registry import PREFIXES, REGISTRY_PARAMETER, registry_of
from mcp_registry_server.app import create_apps
from mcp_registry_server.keys import METRICS
from mcp_registry_testing.loopback import serve
from mcp_registry_testing.registry_engine import (
    FakeEngineFactory,
    FakeSyncEngine,
    one_source_config,
)
from multidict import CIMultiDict

SCOPED = "/registry/team/v0.1/servers/io.x%2Fa/versions/latest"
UNSCOPED = "/v0.1/servers/io.x%2Fa/versions/latest"
VARYING = {"date", "x-request-id"}


def config(auth: dict[str, Any]) -> ServerConfig:
    return one_source_config("default", "team", auth=auth)


def entry(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "description": f"{name} {version}", "version": version}


@dataclass
class Running:
    url: str
    app: web.Application
    engine: FakeSyncEngine
    http: aiohttp.ClientSession

    @property
    def front(self) -> FastReads:
        return self.app[FAST_READS]

    async def get(self, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
        headers.setdefault("Accept-Encoding", "identity")  # aiohttp asks for gzip by default
        async with self.http.get(self.url + path, headers=headers) as response:
            return response.status, CIMultiDict(response.headers), await response.read()


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    factory = FakeEngineFactory()
    public, _internal = create_apps(
        config({"mode": "anonymous"}), engine_factory=factory, run_sync=False
    )
    served = await serve(public, runner_class=ServerRunner)
    try:
        await factory.engine.publish("s", [entry("io.x/a", "1.0.0"), entry("io.x/a", "2.0.0")])
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            yield Running(served.url, public, factory.engine, http)
    finally:
        await served.runner.cleanup()


def mocked(path: str, app: web.Application, **headers: str) -> web.Request:
    return make_mocked_request("GET", path, headers=headers, app=app)


def without(headers: CIMultiDict[str], names: set[str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items() if key.lower() not in names}


@pytest.mark.parametrize("path", [UNSCOPED, SCOPED, "/v0.1/servers?limit=1"])
@pytest.mark.parametrize(
    "headers", [{}, {"Accept-Encoding": "gzip"}, {"X-Request-ID": "caller-id.1"}]
)
async def test_a_kept_read_is_answered_by_the_front_exactly_as_the_app_answers_it(
    running: Running, path: str, headers: dict[str, str]
) -> None:
    assert running.front.answer(mocked(path, running.app)) is None  # nothing kept yet
    by_app = await running.get(path, **headers)
    assert by_app[0] == 200
    assert running.front.answer(mocked(path, running.app)) is not None  # now it is kept
    assert running.front.answer(mocked(path, running.app, **headers)) is not None  # gzip too
    by_front = await running.get(path, **headers)
    assert by_front[0] == by_app[0]
    assert by_front[2] == by_app[2]
    assert without(by_front[1], VARYING) == without(by_app[1], VARYING)
    if "X-Request-ID" in headers:
        assert by_front[1]["X-Request-ID"] == by_app[1]["X-Request-ID"] == "caller-id.1"
    if "Accept-Encoding" in headers:
        assert by_front[1]["Content-Encoding"] == "gzip"
        assert by_front[1]["ETag"].endswith('-gzip"')


async def test_revalidation_log_lines_and_latency_samples_match_the_app(
    running: Running,
) -> None:
    with structlog.testing.capture_logs() as logs:
        _, headers, _ = await running.get(UNSCOPED)  # by the app; then by the front:
        status, again, body = await running.get(UNSCOPED, **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert again["ETag"] == headers["ETag"]
    lines = [line for line in logs if line["event"] == "http_request"]
    assert [(line["status"], line["route"]) for line in lines] == [
        (200, "/v0.1/servers/{serverName}/versions/{version}"),
        (304, "/v0.1/servers/{serverName}/versions/{version}"),
    ]
    assert lines[0].keys() == lines[1].keys()
    registry = running.app[METRICS].registry
    route = "/v0.1/servers/{serverName}/versions/{version}"
    for status_code in ("200", "304"):
        labels = {
            "http_route": route,
            "http_request_method": "GET",
            "http_response_status_code": status_code,
        }
        assert registry.get_sample_value("http_server_request_duration_seconds_count", labels) == 1


async def test_new_data_is_never_answered_from_an_old_snapshot(running: Running) -> None:
    _, _, before = await running.get(UNSCOPED)
    await running.get(UNSCOPED)  # kept, and answered by the front
    await running.engine.publish("s", [entry("io.x/a", "3.0.0")])
    assert running.front.answer(mocked(UNSCOPED, running.app)) is None
    _, _, after = await running.get(UNSCOPED)
    assert b'"3.0.0"' in after
    assert after != before


async def test_the_app_answers_what_the_front_cannot(running: Running) -> None:
    await running.get("/registry/t%65am/v0.1/servers")  # percent-encoded registry name
    assert running.front.answer(mocked("/registry/t%65am/v0.1/servers", running.app)) is None
    status, _, _ = await running.get("/registry/nope/v0.1/servers")
    assert status == 404
    assert running.front.answer(mocked("/registry/nope/v0.1/servers", running.app)) is None
    status, _, _ = await running.get("/v0.1/servers/io.x%2Fnope/versions/latest")
    assert status == 404  # errors are never kept
    missing = mocked("/v0.1/servers/io.x%2Fnope/versions/latest", running.app)
    assert running.front.answer(missing) is None
    await running.get(UNSCOPED)
    head = make_mocked_request("HEAD", UNSCOPED, app=running.app)
    async with running.http.head(running.url + UNSCOPED) as response:
        assert response.status == 200
    assert running.front.answer(head) is not None  # kept, but `wrap` only fronts GETs


def test_an_authenticating_server_has_no_front() -> None:
    provider = {"name": "p", "issuerUrl": "https://issuer.example", "audience": "registry"}
    public, _ = create_apps(
        config({"mode": "oauth", "oauth": {"providers": [provider]}}),
        engine_factory=FakeEngineFactory(),
        run_sync=False,
    )
    assert FAST_READS not in public


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_front_reads_the_registry_the_route_table_names(prefix: str) -> None:
    scoped = "{" + REGISTRY_PARAMETER + "}" in prefix
    path = prefix.replace("{" + REGISTRY_PARAMETER + "}", "team") + "/servers?limit=1"
    assert registry_of(path, "default") == ("team" if scoped else "default")


@pytest.mark.parametrize(
    "path",
    ["/openapi.json", "/registry/t%65am/v0.1/servers", "/registry/team/v9/servers", "/v0.2/x"],
)
def test_the_front_leaves_other_urls_to_the_router(path: str) -> None:
    assert registry_of(path, "default") is None
