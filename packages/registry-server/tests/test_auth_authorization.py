"""Roles from token claims with the seed's authz example, and the identity the claim gates use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from mcp_registry_common.claims import Role, claims_visible
from mcp_registry_common.config import AuthzConfig, OAuthProvider
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.identity import ANONYMOUS, PUBLIC
from mcp_registry_server.auth.middleware import auth_middleware, require_role
from mcp_registry_testing.oidc import OidcIssuer
from pytest_aiohttp import AiohttpClient

REPO = Path(__file__).resolve().parents[3]
AUTHZ_EXAMPLE = REPO / "examples" / "11-authz.yaml"


def seed_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(AUTHZ_EXAMPLE.read_text())["spec"]
    return spec


@pytest.fixture(scope="module")
def authz() -> AuthzConfig:
    return AuthzConfig.model_validate(seed_spec()["authConfig"]["authz"])


@pytest.fixture
async def idp() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer(audience="registry-api") as issuer:
        yield issuer


@pytest.fixture
async def authenticator(idp: OidcIssuer, authz: AuthzConfig) -> AsyncIterator[Authenticator]:
    async with aiohttp.ClientSession() as http:
        yield Authenticator(
            [OAuthProvider.model_validate(idp.provider_config("keycloak"))], http=http, authz=authz
        )


ADMIN = {"org": "acme", "role": "admin"}
WRITER = {"role": "writer"}
SUPER = {"role": "super-admin"}
OTHER_ORG_ADMIN = {"org": "globex", "role": "admin"}


@pytest.mark.parametrize(
    ("claims", "roles"),
    [
        (ADMIN, {Role.MANAGE_SOURCES, Role.MANAGE_REGISTRIES}),
        (WRITER, {Role.MANAGE_ENTRIES}),
        (SUPER, set(Role)),
        (OTHER_ORG_ADMIN, set()),
        ({"org": "acme"}, set()),
        ({"org": "acme", "role": ["admin", "writer"]}, set(Role) - {Role.SUPER_ADMIN}),
        ({"org": "ACME", "role": "admin"}, set()),
        ({"Role": "super-admin"}, set()),  # claim keys keep their case
    ],
)
async def test_seed_roles(
    claims: dict[str, Any], roles: set[Role], idp: OidcIssuer, authenticator: Authenticator
) -> None:
    identity = await authenticator.authenticate(f"Bearer {idp.mint(idp.claims(**claims))}")
    assert identity.roles == frozenset(roles)
    assert identity.enforce_claims


async def manage_sources(request: web.Request) -> web.Response:
    require_role(request, Role.MANAGE_SOURCES)
    return web.json_response({"ok": True})


async def publish(request: web.Request) -> web.Response:
    require_role(request, Role.MANAGE_ENTRIES)
    return web.json_response({"published": True}, status=201)


@pytest.mark.parametrize(
    ("claims", "source_status", "publish_status"),
    [
        (ADMIN, 200, 403),
        (WRITER, 403, 201),
        (SUPER, 200, 201),
        (OTHER_ORG_ADMIN, 403, 403),
    ],
)
async def test_role_guards_through_the_middleware(
    claims: dict[str, Any],
    source_status: int,
    publish_status: int,
    idp: OidcIssuer,
    authenticator: Authenticator,
    aiohttp_client: AiohttpClient,
) -> None:
    app = web.Application(middlewares=[auth_middleware(authenticator)])
    app.router.add_put("/v1/sources/{name}", manage_sources)
    app.router.add_post("/v1/entries", publish)
    client = await aiohttp_client(app)
    headers = {"Authorization": f"Bearer {idp.mint(idp.claims(**claims))}"}
    response = await client.put("/v1/sources/platform-tools", headers=headers)
    assert response.status == source_status
    response = await client.post("/v1/entries", headers=headers)
    assert response.status == publish_status
    if publish_status == 403:
        assert response.content_type == "application/problem+json"
        body = await response.json()
        assert body["error"] == "forbidden: insufficient permissions"
        assert body["status"] == 403
        assert "published" not in body


@pytest.mark.parametrize(
    ("claims", "visible"),
    [
        ({"org": "acme", "team": "platform"}, True),
        ({"org": "acme", "team": ["data", "platform"]}, True),
        ({"org": "acme", "team": "data"}, False),
        ({"org": "globex", "team": "platform"}, False),
        (SUPER, True),
    ],
)
async def test_identity_feeds_the_seed_source_claim_gate(
    claims: dict[str, Any], visible: bool, idp: OidcIssuer, authenticator: Authenticator
) -> None:
    source_claims = seed_spec()["sources"][0]["claims"]
    identity = await authenticator.authenticate(f"Bearer {idp.mint(idp.claims(**claims))}")
    assert (
        claims_visible(source_claims, identity.gate_claims, super_admin=identity.is_super_admin)
        is visible
    )


async def test_without_authz_every_caller_has_every_role_and_gates_are_bypassed(
    idp: OidcIssuer,
) -> None:
    async with aiohttp.ClientSession() as http:
        authenticator = Authenticator(
            [OAuthProvider.model_validate(idp.provider_config("keycloak"))], http=http
        )
        identity = await authenticator.authenticate(f"Bearer {idp.mint(idp.claims(org='globex'))}")
    assert identity.roles == frozenset(Role)
    assert identity.gate_claims is None
    assert identity.claims is not None
    assert identity.claims["org"] == "globex"
    assert claims_visible({"org": "acme"}, identity.gate_claims)


def test_anonymous_and_public_identities() -> None:
    assert ANONYMOUS.roles == frozenset(Role)
    assert ANONYMOUS.gate_claims is None
    assert all(ANONYMOUS.has_role(role) for role in Role)
    assert not ANONYMOUS.authenticated
    assert PUBLIC.roles == frozenset()
    assert not any(PUBLIC.has_role(role) for role in Role)
