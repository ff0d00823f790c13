"""Credentials in source URLs never leave in outputs: `/status`, the admin API's source views,
problem details and the logs show them redacted, and a view written back keeps them."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.logs import configure_logging, flush_logs
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.loopback import serve

USER, PASSWORD = "deployer", "pw-c0ffee42"
TOKEN, SIGNATURE, WRONG_TOKEN = "tok-3f9a1c77", "sig-77be0d11", "tok-expired-5e5e"
SECRETS = (PASSWORD, TOKEN, SIGNATURE, WRONG_TOKEN)
PROBLEM = "application/problem+json"


@dataclass
class GuardedUpstream:
    """Serves `/r.json` only to a request with the right basic auth, access token and
    signature; remembers what each request presented."""

    url: str = ""
    seen: list[tuple[str | None, str | None]] = field(default_factory=list)

    async def registry(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token")
        self.seen.append((token, request.headers.get("Authorization")))
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        allowed = (
            token == TOKEN
            and request.query.get("sig") == SIGNATURE
            and request.headers.get("Authorization") == basic
        )
        if not allowed:
            return web.Response(status=403, text="forbidden")
        return web.json_response(upstream_document([server("io.acme/guarded")]))

    def source_url(self, *, token: str = TOKEN, path: str = "/r.json") -> str:
        host = self.url.removeprefix("http://")
        return f"http://{USER}:{PASSWORD}@{host}{path}?access_token={token}&sig={SIGNATURE}"


@pytest.fixture
async def upstream() -> AsyncIterator[GuardedUpstream]:
    double = GuardedUpstream()
    app = web.Application()
    app.router.add_get("/r.json", double.registry)
    served = await serve(app)
    double.url = served.url
    yield double
    await served.runner.cleanup()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The server's JSON log lines, as production writes them. Module loggers are not cached
    on first use here: a cached one would keep writing to this stream in later tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging(logging.DEBUG, stream=out, json=True)
    structlog.configure(cache_logger_on_first_use=False)
    yield out
    flush_logs()
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@dataclass
class Server:
    public: TestClient[Any, Any]
    internal: TestClient[Any, Any]


async def start(aiohttp_client: Any, upstream: GuardedUpstream) -> Server:
    document = {
        "sources": [
            {"name": "published", "managed": {}},
            {
                "name": "leaky",
                "file": {"url": upstream.source_url(token=WRONG_TOKEN)},
                "syncPolicy": {"interval": "1h"},
            },
        ],
        "registries": [{"name": "default", "sources": ["published", "leaky"]}],
        "auth": {"mode": "anonymous"},
        "sync": {  # the upstream listens on loopback
            "allowPrivateIP": True,
            "adminSources": {"allowPrivateIP": True},
        },
    }
    config = load_server_config_data(document).config
    public, internal = create_apps(config, run_sync=False)
    public_client = await aiohttp_client(public)  # owns the resources: start it first
    return Server(public_client, await aiohttp_client(internal))


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked in {text}"


async def test_status_admin_views_and_logs_show_url_credentials_redacted(
    aiohttp_client: Any, upstream: GuardedUpstream, log_output: io.StringIO
) -> None:
    served = await start(aiohttp_client, upstream)
    synced = await served.internal.post("/sources/leaky/sync")
    assert synced.status == 200
    assert (await synced.json())["phase"] == "Failed"
    assert upstream.seen[-1][0] == WRONG_TOKEN  # it did present its (rejected) credentials

    status = await served.internal.get("/status")
    text = await status.text()
    assert_no_secret(text)
    (leaky,) = [s for s in json.loads(text)["sources"] if s["name"] == "leaky"]
    host = upstream.url.removeprefix("http://")
    shown = f"http://REDACTED@{host}/r.json?access_token=REDACTED&sig=REDACTED"
    assert leaky["message"] == f"Fetch failed: HTTP 403 Forbidden for URL {shown}"

    for path in ("/v1/sources", "/v1/sources/leaky", "/v1/registries/default"):
        response = await served.public.get(path)
        assert response.status == 200
        assert_no_secret(await response.text())
    view = await (await served.public.get("/v1/sources/leaky")).json()
    assert view["sourceConfig"] == {"url": shown}
    assert view["syncStatus"]["message"] == leaky["message"]

    flush_logs()
    logged = log_output.getvalue()
    assert "sync_failed" in logged
    assert_no_secret(logged)


async def test_a_source_view_written_back_keeps_the_stored_credentials(
    aiohttp_client: Any, upstream: GuardedUpstream
) -> None:
    served = await start(aiohttp_client, upstream)
    source = {
        "file": {"url": upstream.source_url()},
        "syncPolicy": {"interval": "1h"},
        "allowPrivateIP": True,  # the upstream listens on loopback
    }
    created = await served.public.put("/v1/sources/guarded", json=source)
    assert created.status == 201
    assert_no_secret(await created.text())
    assert (await (await served.public.post("/v1/sources/guarded/sync")).json())["syncStatus"][
        "phase"
    ] == "complete"

    view = await (await served.public.get("/v1/sources/guarded")).json()
    written_back = {
        "file": view["sourceConfig"],
        "syncPolicy": {"interval": "2h"},
        "allowPrivateIP": view["allowPrivateIP"],
    }
    updated = await served.public.put("/v1/sources/guarded", json=written_back)
    assert updated.status == 200, await updated.text()
    assert (await updated.json())["syncSchedule"] == "2h0m0s"
    upstream.seen.clear()
    synced = await (await served.public.post("/v1/sources/guarded/sync")).json()
    assert synced["syncStatus"]["phase"] == "complete"
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert upstream.seen == [(TOKEN, basic)]  # the stored credentials, not the marker

    moved = {"url": view["sourceConfig"]["url"].replace("/r.json", "/moved.json")}
    refused = [
        ("guarded", {"file": moved, "syncPolicy": {"interval": "1h"}}),
        ("copy", written_back),
    ]
    for name, body in refused:
        response = await served.public.put(f"/v1/sources/{name}", json=body)
        assert response.status == 400, name
        detail = (await response.json(content_type=PROBLEM))["detail"]
        assert "file.url" in detail
        assert "redaction marker" in detail
    listed = await (await served.public.get("/v1/sources")).json()
    assert [item["name"] for item in listed["sources"]] == ["published", "leaky", "guarded"]
    upstream.seen.clear()
    await served.public.post("/v1/sources/guarded/sync")
    assert upstream.seen == [(TOKEN, basic)]


async def test_the_api_description_says_how_a_redacted_view_is_written_back(
    aiohttp_client: Any, upstream: GuardedUpstream
) -> None:
    served = await start(aiohttp_client, upstream)
    document = await (await served.public.get("/openapi.json")).json()
    put = document["paths"]["/v1/sources/{name}"]["put"]
    assert "keeps the stored" in put["description"]
    assert "refused with 400" in put["description"]
    assert "REDACTED" in document["paths"]["/v1/sources"]["get"]["description"]
