"""The auth middleware on a tiny app, with two real issuers: valid tokens, the attack list,
key rotation, public paths, anonymous mode and the 401 format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from mcp_registry_common.claims import Role
from mcp_registry_common.config import OAuthProvider
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.middleware import (
    IDENTITY_KEY,
    auth_middleware,
    get_identity,
    require_role,
)
from mcp_registry_server.auth.settings import AuthSettings
from mcp_registry_testing.clock import FakeClock
from mcp_registry_testing.oidc import OidcIssuer, generate_key
from pytest_aiohttp import AiohttpClient

SECRET_DATA = "top-secret-catalog-entry"
RESOURCE = "https://registry.example.com"


async def protected(request: web.Request) -> web.Response:
    identity = request[IDENTITY_KEY]
    return web.json_response(
        {
            "data": SECRET_DATA,
            "sub": identity.subject,
            "user": identity.user,
            "provider": identity.provider,
            "roles": sorted(identity.roles),
        }
    )


async def public(request: web.Request) -> web.Response:
    return web.json_response({"public": True, "sub": get_identity(request).subject})


async def manage_sources(request: web.Request) -> web.Response:
    identity = require_role(request, Role.MANAGE_SOURCES)
    return web.json_response({"updated": request.match_info["name"], "by": identity.subject})


def tiny_app(
    authenticator: Authenticator | None, *, public_paths: tuple[str, ...] = ()
) -> web.Application:
    app = web.Application(
        middlewares=[
            auth_middleware(authenticator, public_paths=public_paths, resource_url=RESOURCE)
        ]
    )
    app.router.add_get("/registry/default/v0.1/servers", protected)
    app.router.add_get("/openapi.json", public)
    app.router.add_get("/docs/{page}", public)
    app.router.add_put("/v1/sources/{name}", manage_sources)
    return app


@pytest.fixture
async def idp_a() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer(audience="registry-api") as issuer:
        yield issuer


@pytest.fixture
async def idp_b() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer(audience="registry-api", keys=[generate_key("EC")]) as issuer:
        yield issuer


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient,
    idp_a: OidcIssuer,
    idp_b: OidcIssuer,
    http: aiohttp.ClientSession,
    clock: FakeClock,
) -> TestClient[web.Request, web.Application]:
    """Provider A by jwksUrl, provider B by OIDC discovery, in that order."""
    providers = [
        OAuthProvider.model_validate(idp_a.provider_config("alpha")),
        OAuthProvider.model_validate(idp_b.provider_config("beta", discovery=True)),
    ]
    authenticator = Authenticator(
        providers, http=http, clock=clock, settings=AuthSettings(unknown_kid_refetch_interval=30)
    )
    return await aiohttp_client(tiny_app(authenticator, public_paths=("/docs",)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None = None) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b""
    if secret is not None:
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_tokens_from_both_providers_are_accepted(
    client: TestClient[web.Request, web.Application],
    idp_a: OidcIssuer,
    idp_b: OidcIssuer,
    clock: FakeClock,
) -> None:
    token_a = idp_a.mint(idp_a.claims(now=clock(), sub="alice", preferred_username="Alice A"))
    token_b = idp_b.mint(idp_b.claims(now=clock(), sub="bob", email="bob@example.com"))
    response = await client.get("/registry/default/v0.1/servers", headers=bearer(token_a))
    assert response.status == 200
    body = await response.json()
    assert (body["sub"], body["user"], body["provider"]) == ("alice", "Alice A", "alpha")
    assert body["roles"] == sorted(Role)  # no authz block: every role
    response = await client.get("/registry/default/v0.1/servers", headers=bearer(token_b))
    body = await response.json()
    assert (body["sub"], body["user"], body["provider"]) == ("bob", "bob@example.com", "beta")
    assert idp_b.counters.discovery == 1


def attack_tokens(a: OidcIssuer, b: OidcIssuer, now: float) -> dict[str, str]:
    """Every token here must be refused."""
    kid = a.keys[0].kid
    good = a.claims(now=now)
    rsa_public_pem = a.keys[0].as_pem(private=False)
    header, _, signature = a.mint(a.claims(now=now, role="reader")).split(".")
    return {
        "alg none": forge({"alg": "none", "kid": kid}, good),
        "alg none, no kid": forge({"alg": "none"}, good),
        "HS256 keyed with the RSA public key": forge(
            {"alg": "HS256", "kid": kid}, good, secret=rsa_public_pem
        ),
        "expired": a.mint(a.claims(now=now - 3600, ttl=60)),
        "not yet valid": a.mint(a.claims(now=now, nbf=int(now) + 600)),
        "wrong issuer": a.mint(a.claims(now=now, iss="https://evil.example")),
        "wrong audience": a.mint(a.claims(now=now, aud="someone-else")),
        "unknown kid": a.mint(good, key=generate_key("RSA")),
        "missing kid": a.mint(good, headers={"kid": None}),
        "tampered payload": f"{header}.{b64(json.dumps(a.claims(now=now, role='admin')).encode())}."
        f"{signature}",
        "A's key with B's issuer": a.mint(a.claims(now=now, iss=b.url)),
        "B's key with A's kid": b.mint(good, headers={"kid": kid}),
        "opaque, no introspection": "just-some-opaque-string",
    }


ATTACKS = [
    "alg none",
    "alg none, no kid",
    "HS256 keyed with the RSA public key",
    "expired",
    "not yet valid",
    "wrong issuer",
    "wrong audience",
    "unknown kid",
    "missing kid",
    "tampered payload",
    "A's key with B's issuer",
    "B's key with A's kid",
    "opaque, no introspection",
]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_attack_is_refused_with_401_and_no_data(
    attack: str,
    client: TestClient[web.Request, web.Application],
    idp_a: OidcIssuer,
    idp_b: OidcIssuer,
    clock: FakeClock,
) -> None:
    token = attack_tokens(idp_a, idp_b, clock())[attack]
    for path in ("/registry/default/v0.1/servers", "/v1/sources/x"):
        method = client.get if path.startswith("/registry") else client.put
        response = await method(path, headers=bearer(token))
        assert response.status == 401, attack
        text = await response.text()
        assert SECRET_DATA not in text
        assert "updated" not in text
        assert response.content_type == "application/problem+json"
        assert json.loads(text)["error"] == "token validation failed"
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer two words"},
        {"Authorization": "Bearer " + "x" * 8_100},  # over max_token_bytes, under aiohttp's limit
        {"Authorization": "Bearer caf\u00e9"},
    ],
)
async def test_missing_or_garbled_header_is_invalid_request(
    headers: dict[str, str], client: TestClient[web.Request, web.Application]
) -> None:
    response = await client.get("/registry/default/v0.1/servers", headers=headers)
    assert response.status == 401
    body = await response.json()
    assert body == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "missing or malformed authorization header",
        "error": "missing or malformed authorization header",
    }
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="mcp-registry", error="invalid_request", '
        'error_description="missing or malformed authorization header", '
        f'resource_metadata="{RESOURCE}/.well-known/oauth-protected-resource"'
    )


async def test_two_authorization_headers_are_refused(
    client: TestClient[web.Request, web.Application], idp_a: OidcIssuer, clock: FakeClock
) -> None:
    token = idp_a.mint(idp_a.claims(now=clock()))
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await client.get("/registry/default/v0.1/servers", headers=headers)
    assert response.status == 401


async def test_key_rotation_costs_exactly_one_refetch(
    client: TestClient[web.Request, web.Application], idp_b: OidcIssuer, clock: FakeClock
) -> None:
    path = "/registry/default/v0.1/servers"
    old = idp_b.mint(idp_b.claims(now=clock()))
    assert (await client.get(path, headers=bearer(old))).status == 200
    assert idp_b.counters.jwks == 1
    clock.advance(31)
    new_key = idp_b.add_key("RSA")
    idp_b.remove_key(idp_b.keys[0].kid or "")
    rotated = idp_b.mint(idp_b.claims(now=clock()), key=new_key)
    for _ in range(3):
        assert (await client.get(path, headers=bearer(rotated))).status == 200
    assert idp_b.counters.jwks == 2


async def test_random_kids_do_not_dos_the_issuer(
    client: TestClient[web.Request, web.Application], idp_b: OidcIssuer, clock: FakeClock
) -> None:
    path = "/registry/default/v0.1/servers"
    assert (
        await client.get(path, headers=bearer(idp_b.mint(idp_b.claims(now=clock()))))
    ).status == 200
    stranger = generate_key("EC")
    for i in range(25):
        token = idp_b.mint(idp_b.claims(now=clock()), key=stranger, headers={"kid": f"kid-{i}"})
        assert (await client.get(path, headers=bearer(token))).status == 401
    assert idp_b.counters.jwks == 1


async def test_public_paths_need_no_token(client: TestClient[web.Request, web.Application]) -> None:
    for path in ("/openapi.json", "/docs/intro"):
        response = await client.get(path)
        assert response.status == 200, path
        assert (await response.json())["sub"] == "anonymous"


async def test_encoded_traversal_out_of_a_public_path_is_not_public(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/docs/..%2Fregistry%2Fdefault%2Fv0.1%2Fservers")
    assert response.status == 401


async def test_role_check_on_public_path_asks_for_authentication(
    aiohttp_client: AiohttpClient, idp_a: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    authenticator = Authenticator(
        [OAuthProvider.model_validate(idp_a.provider_config("alpha"))], http=http
    )
    client = await aiohttp_client(tiny_app(authenticator, public_paths=("/v1/sources",)))
    response = await client.put("/v1/sources/x")
    assert response.status == 401
    assert "WWW-Authenticate" in response.headers


async def test_anonymous_mode_lets_everyone_in_with_every_role(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(tiny_app(None))
    response = await client.get("/registry/default/v0.1/servers")
    body = await response.json()
    assert (response.status, body["sub"], body["roles"]) == (200, "anonymous", sorted(Role))
    assert (await client.put("/v1/sources/x")).status == 200
    assert "WWW-Authenticate" not in response.headers


async def test_issuer_resolving_to_loopback_is_refused_without_allow_private_ip(
    aiohttp_client: AiohttpClient, idp_a: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    """`localhost` resolves to 127.0.0.1: discovery must not even be attempted."""
    localhost_issuer = idp_a.url.replace("127.0.0.1", "localhost")
    config = idp_a.provider_config("alpha", discovery=True, allowPrivateIP=False)
    config["issuerUrl"] = localhost_issuer
    authenticator = Authenticator([OAuthProvider.model_validate(config)], http=http)
    client = await aiohttp_client(tiny_app(authenticator))
    token = idp_a.mint(idp_a.claims(iss=localhost_issuer))
    response = await client.get("/registry/default/v0.1/servers", headers=bearer(token))
    assert response.status == 401
    assert SECRET_DATA not in await response.text()
    assert (idp_a.counters.discovery, idp_a.counters.jwks) == (0, 0)


async def test_unreachable_first_provider_does_not_block_the_second(
    aiohttp_client: AiohttpClient, idp_b: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    async with OidcIssuer() as gone:
        dead = OAuthProvider.model_validate(gone.provider_config("gone"))
    live = OAuthProvider.model_validate(idp_b.provider_config("beta"))
    settings = AuthSettings(fetch_timeout=2)
    authenticator = Authenticator([dead, live], http=http, settings=settings)
    client = await aiohttp_client(tiny_app(authenticator))
    token = idp_b.mint(idp_b.claims())
    response = await client.get("/registry/default/v0.1/servers", headers=bearer(token))
    assert response.status == 200
    bad = gone.mint(gone.claims())
    response = await client.get("/registry/default/v0.1/servers", headers=bearer(bad))
    assert response.status == 401
