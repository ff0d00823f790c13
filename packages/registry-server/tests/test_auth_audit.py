"""Audit events: mutating and denied requests, outcome words, 0600 file, filters, no secrets."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_common.claims import Role
from mcp_registry_common.config import AuthzConfig, OAuthProvider
from mcp_registry_server.auth.audit import (
    AUDIT_ACTION_KEY,
    AuditLog,
    audit_middleware,
    outcome_of,
    should_audit,
)
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.middleware import auth_middleware, require_role
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "success"),
        (201, "success"),
        (204, "success"),
        (401, "denied"),
        (403, "denied"),
        (400, "failure"),
        (404, "failure"),
        (409, "failure"),
        (500, "error"),
        (503, "error"),
    ],
)
def test_outcome_words(status: int, outcome: str) -> None:
    assert outcome_of(status) == outcome


@pytest.mark.parametrize(
    ("method", "status", "audited"),
    [
        ("GET", 200, False),
        ("GET", 404, False),
        ("GET", 401, True),
        ("HEAD", 403, True),
        ("PUT", 201, True),
        ("POST", 500, True),
        ("DELETE", 204, True),
        ("PATCH", 400, True),
    ],
)
def test_which_requests_are_audited(method: str, status: int, audited: bool) -> None:
    assert should_audit(method, status) is audited


async def put_source(request: web.Request) -> web.Response:
    require_role(request, Role.MANAGE_SOURCES)
    request[AUDIT_ACTION_KEY] = "source.create"
    return web.json_response({"name": request.match_info["name"]}, status=201)


async def list_servers(request: web.Request) -> web.Response:
    return web.json_response({"servers": []})


@pytest.fixture
async def app_and_log(
    idp: OidcIssuer, tmp_path: Path
) -> AsyncIterator[tuple[web.Application, Path]]:
    log_file = tmp_path / "audit.log"
    audit = AuditLog.open(log_file)
    authz = AuthzConfig.model_validate({"roles": {"manageSources": [{"role": "admin"}]}})
    async with aiohttp.ClientSession() as http:
        provider = OAuthProvider.model_validate(idp.provider_config("corp"))
        authenticator = Authenticator([provider], http=http, authz=authz)
        app = web.Application(middlewares=[audit_middleware(audit), auth_middleware(authenticator)])
        app.router.add_put("/v1/sources/{name}", put_source)
        app.router.add_get("/registry/{registry}/v0.1/servers", list_servers)
        yield app, log_file
    audit.close()


def events(log_file: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log_file.read_text().splitlines()]


async def test_events_for_mutations_and_denials_only(
    app_and_log: tuple[web.Application, Path], idp: OidcIssuer, aiohttp_client: AiohttpClient
) -> None:
    app, log_file = app_and_log
    client = await aiohttp_client(app)
    admin = idp.mint(idp.claims(sub="u-admin", name="Ada", role="admin"))
    reader = idp.mint(idp.claims(sub="u-reader", role="reader"))
    assert (
        await client.put("/v1/sources/git-a", headers={"Authorization": f"Bearer {admin}"})
    ).status == 201
    assert (
        await client.put("/v1/sources/git-b", headers={"Authorization": f"Bearer {reader}"})
    ).status == 403
    assert (await client.get("/registry/default/v0.1/servers")).status == 401
    ok = await client.get(
        "/registry/default/v0.1/servers", headers={"Authorization": f"Bearer {reader}"}
    )
    assert ok.status == 200

    created, forbidden, unauthenticated = events(log_file)
    assert created["type"] == "source.create"
    assert created["outcome"] == "success"
    assert created["subjects"] == {"sub": "u-admin", "user": "Ada", "provider": "corp"}
    assert created["target"] == {
        "method": "PUT",
        "route": "/v1/sources/{name}",
        "resource": {"name": "git-a"},
    }
    assert forbidden["outcome"] == "denied"
    assert forbidden["type"] == "PUT /v1/sources/{name}"
    assert forbidden["subjects"] == {"sub": "u-reader", "user": None, "provider": "corp"}
    assert unauthenticated["type"] == "auth.unauthenticated"
    assert unauthenticated["outcome"] == "denied"
    assert unauthenticated["subjects"]["sub"] == "anonymous"  # type: ignore[index]
    assert unauthenticated["target"]["resource"] == {"registry": "default"}  # type: ignore[index]
    for event in (created, forbidden, unauthenticated):
        assert event["component"] == "mcp-registry-server"
        assert isinstance(event["metadata"]["duration_ms"], float)  # type: ignore[index]
    text = log_file.read_text()
    assert admin not in text
    assert reader not in text
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_audit_file_is_appended_not_truncated(tmp_path: Path) -> None:
    log_file = tmp_path / "audit.log"
    log_file.write_text("earlier\n")
    log_file.chmod(0o600)
    AuditLog.open(log_file).close()
    assert log_file.read_text() == "earlier\n"


def test_event_type_filters() -> None:
    log = AuditLog(
        io.StringIO(),
        event_types=["source.create", "source.delete"],
        exclude_event_types=["source.delete"],
    )
    assert log.wants("source.create")
    assert not log.wants("source.delete")
    assert not log.wants("auth.unauthenticated")
    assert AuditLog(io.StringIO()).wants("anything")
