"""The internal port is no back door: /status and manual syncs need the operator's token (or,
without one, anonymous mode or --internal-open); probes and metrics stay open."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_common.internaltoken import TOKEN_FILE_ENV, new_token
from mcp_registry_server.api.internal_access import (
    InternalAccess,
    InternalAccessMode,
    InternalTokenFileError,
    InternalUnauthorizedError,
    read_token_file,
)
from mcp_registry_server.app import create_apps
from mcp_registry_testing.registry_engine import FakeEngineFactory
from mcp_registry_testing.serverprocess import ServerProcess

PROBLEM = "application/problem+json"
TOKEN = new_token()
PROVIDER = {"name": "p", "issuerUrl": "https://issuer.example", "audience": "registry"}
OAUTH = {"mode": "oauth", "oauth": {"providers": [PROVIDER]}}
ANONYMOUS = {"mode": "anonymous"}
OPEN_PATHS = ("/health", "/version", "/metrics", "/readiness")
GUARDED = (("GET", "/status"), ("POST", "/sources/a/sync"))


def config(auth: dict[str, Any]) -> ServerConfig:
    data = {
        "sources": [{"name": "a", "file": {"path": "a.json"}, "syncPolicy": {"interval": "1h"}}],
        "registries": [{"name": "default", "sources": ["a"]}],
        "auth": auth,
    }
    return load_server_config_data(data).config


@pytest.fixture
def internal(aiohttp_client: Any) -> Any:
    async def _start(auth: dict[str, Any], **kwargs: Any) -> TestClient[Any, Any]:
        public, app = create_apps(
            config(auth), engine_factory=FakeEngineFactory(), run_sync=False, **kwargs
        )
        await aiohttp_client(public)  # owns the resources: start it first
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return _start


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_oauth_mode_with_a_token_answers_only_its_holder(internal: Any) -> None:
    client = await internal(OAUTH, internal_token=TOKEN)
    for method, path in GUARDED:
        for headers in ({}, bearer("x" * 43), {"Authorization": TOKEN}, bearer(TOKEN + "x")):
            refused = await client.request(method, path, headers=headers)
            assert refused.status == 401, (method, path, headers)
            assert refused.content_type == PROBLEM
            problem = await refused.json(content_type=PROBLEM)
            assert (problem["status"], problem["title"]) == (401, "Unauthorized")
            assert "internal token" in problem["detail"]
            assert refused.headers["WWW-Authenticate"].startswith('Bearer realm="mcp-registry-')
            assert TOKEN not in await refused.text()
        allowed = await client.request(method, path, headers=bearer(TOKEN))
        assert allowed.status == 200, await allowed.text()
    status = await (await client.get("/status", headers=bearer(TOKEN))).json()
    assert [s["name"] for s in status["sources"]] == ["a"]


async def test_probes_and_metrics_stay_open(internal: Any) -> None:
    for kwargs in ({"internal_token": TOKEN}, {}):
        client = await internal(OAUTH, **kwargs)
        for path in OPEN_PATHS:
            response = await client.get(path)
            assert response.status in (200, 503), path  # readiness: 503 until data, not 401
            assert response.status not in (401, 403)
        assert (await client.get("/health")).status == 200
        assert (await client.get("/metrics")).status == 200


async def test_oauth_mode_without_a_token_refuses_everyone(internal: Any) -> None:
    client = await internal(OAUTH)
    for method, path in GUARDED:
        for headers in ({}, bearer(TOKEN)):
            refused = await client.request(method, path, headers=headers)
            assert refused.status == 403
            problem = await refused.json(content_type=PROBLEM)
            assert "oauth mode without an internal token" in problem["detail"]
            assert "/v1/sources" in problem["detail"]


async def test_oauth_mode_without_a_token_is_open_only_when_told(internal: Any) -> None:
    client = await internal(OAUTH, internal_open=True)
    assert (await client.get("/status")).status == 200
    assert (await client.post("/sources/a/sync")).status == 200


async def test_anonymous_mode_keeps_the_port_open_unless_a_token_is_set(internal: Any) -> None:
    client = await internal(ANONYMOUS)
    assert (await client.get("/status")).status == 200
    assert (await client.post("/sources/a/sync")).status == 200
    guarded = await internal(ANONYMOUS, internal_token=TOKEN)
    assert (await guarded.get("/status")).status == 401
    assert (await guarded.post("/sources/a/sync")).status == 401
    assert (await guarded.get("/status", headers=bearer(TOKEN))).status == 200


async def test_a_refused_status_call_is_logged_as_a_warning(internal: Any) -> None:
    """/status is a quiet route (debug lines for the operator's polling); a refusal is not."""
    client = await internal(OAUTH, internal_token=TOKEN)
    with structlog.testing.capture_logs() as logs:
        await client.get("/status", headers=bearer(TOKEN))
        await client.get("/status")
    lines = [line for line in logs if line["event"] == "http_request"]
    assert [(line["status"], line["log_level"]) for line in lines] == [
        (200, "debug"),
        (401, "warning"),
    ]


@pytest.mark.parametrize(
    ("auth_mode", "token", "open_", "mode"),
    [
        ("oauth", TOKEN, False, InternalAccessMode.TOKEN),
        ("oauth", TOKEN, True, InternalAccessMode.TOKEN),
        ("anonymous", TOKEN, False, InternalAccessMode.TOKEN),
        ("anonymous", None, False, InternalAccessMode.OPEN),
        ("oauth", None, True, InternalAccessMode.OPEN),
        ("oauth", None, False, InternalAccessMode.CLOSED),
    ],
)
def test_who_may_use_the_internal_endpoints(
    auth_mode: Any, token: str | None, open_: bool, mode: InternalAccessMode
) -> None:
    access = InternalAccess.decide(auth_mode, token=token, open_=open_)
    assert access.mode is mode
    assert TOKEN not in repr(access)


@pytest.mark.parametrize(
    "headers",
    [
        [f"bearer {TOKEN}"],
        [f"BEARER   {TOKEN}  "],
    ],
)
def test_the_scheme_is_case_insensitive(headers: list[str]) -> None:
    InternalAccess.decide("oauth", token=TOKEN, open_=False).check(headers)


def test_two_authorization_headers_are_refused() -> None:
    access = InternalAccess.decide("oauth", token=TOKEN, open_=False)
    with pytest.raises(InternalUnauthorizedError, match="internal token"):
        access.check([f"Bearer {TOKEN}", f"Bearer {TOKEN}"])


def test_the_token_file_is_read_without_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    assert read_token_file(path) == TOKEN
    path.write_text("short\n")
    with pytest.raises(InternalTokenFileError, match="not a usable token"):
        read_token_file(path)
    with pytest.raises(InternalTokenFileError, match="cannot be read"):
        read_token_file(tmp_path / "missing")


@pytest.fixture
async def served_with_token(tmp_path: Path) -> AsyncIterator[str]:
    """The real command on the embedded default (anonymous), the token file named in the
    environment as the operator does; yields the internal port's URL."""
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = {**os.environ, TOKEN_FILE_ENV: str(token_file)}
    async with ServerProcess.running(env=env) as server:
        yield server.internal


async def test_the_command_reads_the_token_file_the_operator_names(
    served_with_token: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{served_with_token}/status") as refused:
            assert refused.status == 401
        async with session.get(f"{served_with_token}/status", headers=bearer(TOKEN)) as ok:
            assert ok.status == 200
        async with session.get(f"{served_with_token}/health") as health:
            assert health.status == 200


async def test_the_command_refuses_an_unusable_token_file(tmp_path: Path) -> None:
    bad = tmp_path / "token"
    bad.write_text("short")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mcp_registry_server.cli", "serve",
        "--address", "127.0.0.1:0", "--internal-token-file", str(bad),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert b"not a usable token" in stderr
