"""The auth layer built from config, assembled the way the composition root does it (with the
API's real problem middleware), plus the insecure-URL switch."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_common.claims import Role
from mcp_registry_common.config import AuditConfig, AuthConfig
from mcp_registry_server.api.problems import NotFoundError, problem_middleware
from mcp_registry_server.auth.layer import AuthLayer, build_auth_layer, insecure_urls_allowed
from mcp_registry_server.auth.middleware import require_role
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        ({}, False),
        ({"THV_REGISTRY_INSECURE_URL": "true"}, True),
        ({"THV_REGISTRY_INSECURE_URL": "TRUE "}, True),
        ({"THV_REGISTRY_INSECURE_URL": "1"}, False),
        ({"THV_REGISTRY_INSECURE_URL": "false"}, False),
    ],
)
def test_insecure_url_switch(environ: dict[str, str], allowed: bool) -> None:
    assert insecure_urls_allowed(environ) is allowed


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def delete_source(request: web.Request) -> web.Response:
    require_role(request, Role.MANAGE_SOURCES)
    raise NotFoundError(f"source not found: {request.match_info['name']}")


async def servers(request: web.Request) -> web.Response:
    return web.json_response({"servers": []})


@pytest.fixture
async def issuers() -> AsyncIterator[tuple[OidcIssuer, OidcIssuer]]:
    async with OidcIssuer() as first, OidcIssuer() as second:
        yield first, second


async def app_for(
    layer: AuthLayer, http: aiohttp.ClientSession, aiohttp_client: AiohttpClient
) -> Any:
    app = web.Application(middlewares=[*layer.outer, problem_middleware, *layer.inner])
    app.add_routes(layer.routes)
    app.router.add_delete("/v1/sources/{name}", delete_source)
    app.router.add_get("/registry/{registry}/v0.1/servers", servers)
    layer.bind_http(http)
    return await aiohttp_client(app)


async def test_oauth_layer_end_to_end(
    issuers: tuple[OidcIssuer, OidcIssuer], tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    first, second = issuers
    auth = AuthConfig.model_validate(
        {
            "mode": "oauth",
            "oauth": {
                "resourceUrl": "https://registry.acme.com",
                "realm": "acme",
                "providers": [first.provider_config("one"), second.provider_config("two")],
            },
            "authz": {"roles": {"manageSources": [{"groups": "platform"}]}},
        }
    )
    audit = AuditConfig.model_validate({"enabled": True, "logFile": str(tmp_path / "audit.log")})
    layer = build_auth_layer(auth, audit)
    async with aiohttp.ClientSession() as http:
        client = await app_for(layer, http, aiohttp_client)
        document = await (await client.get("/.well-known/oauth-protected-resource")).json()
        assert document == {
            "resource": "https://registry.acme.com",
            "authorization_servers": [first.url, second.url],
            "bearer_methods_supported": ["header"],
        }
        response = await client.get("/registry/default/v0.1/servers")
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="acme", ')
        assert "resource_metadata=" in response.headers["WWW-Authenticate"]

        member = second.mint(second.claims(sub="p1", groups=["platform"]))
        outsider = first.mint(first.claims(sub="o1", groups=["sales"]))
        response = await client.delete(
            "/v1/sources/x", headers={"Authorization": f"Bearer {outsider}"}
        )
        assert response.status == 403
        assert (await response.json())["detail"] == "forbidden: insufficient permissions"
        response = await client.delete(
            "/v1/sources/x", headers={"Authorization": f"Bearer {member}"}
        )
        assert response.status == 404
        assert (await response.json())["detail"] == "source not found: x"
    layer.close()
    events = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert [(e["type"], e["outcome"], e["metadata"]["status"]) for e in events] == [
        ("auth.unauthenticated", "denied", 401),
        ("DELETE /v1/sources/{name}", "denied", 403),
        ("DELETE /v1/sources/{name}", "failure", 404),
    ]


async def test_anonymous_layer_has_no_metadata_route_and_no_auth(
    aiohttp_client: AiohttpClient,
) -> None:
    layer = build_auth_layer(AuthConfig.model_validate({"mode": "anonymous"}))
    assert layer.authenticator is None
    assert layer.outer == []
    async with aiohttp.ClientSession() as http:
        client = await app_for(layer, http, aiohttp_client)
        assert (await client.get("/.well-known/oauth-protected-resource")).status == 404
        assert (await client.get("/registry/default/v0.1/servers")).status == 200
        assert (await client.delete("/v1/sources/x")).status == 404  # every role; then not found


@pytest.mark.parametrize("insecure", [False, True])
async def test_plain_http_jwks_url_needs_the_insecure_switch(
    insecure: bool, aiohttp_client: AiohttpClient
) -> None:
    """http is allowed only to localhost/127.0.0.1/::1 unless THV_REGISTRY_INSECURE_URL=true:
    127.0.0.2 is loopback too, but not one of those names."""
    idp = OidcIssuer()
    await idp.start(host="127.0.0.2")
    try:
        jwks_url = idp.jwks_url  # http://127.0.0.2:<port>/jwks
        idp.url = "https://idp.test"  # the tokens' iss and the configured issuerUrl
        provider = idp.provider_config("one", jwksUrl=jwks_url)
        auth = AuthConfig.model_validate({"mode": "oauth", "oauth": {"providers": [provider]}})
        layer = build_auth_layer(auth, allow_insecure_http=insecure)
        async with aiohttp.ClientSession() as http:
            client = await app_for(layer, http, aiohttp_client)
            token = idp.mint(idp.claims())
            response = await client.get(
                "/registry/default/v0.1/servers", headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status == (200 if insecure else 401)
        assert idp.counters.jwks == (1 if insecure else 0)
    finally:
        await idp.stop()
