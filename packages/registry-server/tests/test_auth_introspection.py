"""RFC 7662 introspection against the local issuer: client auth, active/inactive, checks, cache."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from mcp_registry_server.auth.errors import TokenRejectedError
from mcp_registry_server.auth.fetch import FetchPolicy
from mcp_registry_server.auth.introspection import ClientCredentials, Introspector, cache_key
from mcp_registry_server.auth.jwt_validator import ClaimsChecker
from mcp_registry_server.auth.settings import AuthSettings
from mcp_registry_testing.blackhole import BlackHole
from mcp_registry_testing.clock import FakeClock
from mcp_registry_testing.oidc import OidcIssuer


def introspector(
    idp: OidcIssuer,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    *,
    secret: str | None = None,
    settings: AuthSettings | None = None,
) -> Introspector:
    checker = ClaimsChecker(provider="idp", issuer=idp.url, audience=idp.audience, clock=clock)
    return Introspector(
        url=idp.introspection_url,
        checker=checker,
        http=http,
        policy=FetchPolicy(allow_private_ip=True),
        credentials=ClientCredentials(idp.client_id, secret or idp.client_secret),
        settings=settings or AuthSettings(),
        clock=clock,
    )


def test_basic_authorization_form_encodes_id_and_secret() -> None:
    header = ClientCredentials("my:client", "p@ss word+1").basic_authorization()
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]) == b"my%3Aclient:p%40ss+word%2B1"


def test_credentials_repr_hides_the_secret() -> None:
    assert "hunter2" not in repr(ClientCredentials("client", "hunter2"))


def test_cache_key_is_not_the_token() -> None:
    assert "opaque-token" not in cache_key("opaque-token")


async def test_active_token_returns_claims(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    token = idp.issue_opaque(idp.claims(now=clock(), sub="svc-1"))
    claims = await introspector(idp, http, clock).introspect(token)
    assert claims["sub"] == "svc-1"
    assert claims["active"] is True


async def test_inactive_token_is_rejected(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    with pytest.raises(TokenRejectedError, match="not active"):
        await introspector(idp, http, FakeClock()).introspect("opaque-unknown")


async def test_bad_client_secret_is_rejected(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    token = idp.issue_opaque(idp.claims())
    with pytest.raises(TokenRejectedError, match="HTTP status 401") as caught:
        await introspector(idp, http, FakeClock(), secret="wrong").introspect(token)
    assert "wrong" not in str(caught.value)
    assert token not in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-api"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"exp": -100}, "expired"),
    ],
)
async def test_active_token_with_bad_claims_is_rejected(
    overrides: dict[str, object], reason: str, idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    claims = idp.claims(now=clock())
    for key, value in overrides.items():
        claims[key] = int(clock()) + value if isinstance(value, int) else value
    token = idp.issue_opaque(claims)
    with pytest.raises(TokenRejectedError, match=reason):
        await introspector(idp, http, clock).introspect(token)


async def test_active_result_is_cached_for_a_short_while(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    token = idp.issue_opaque(idp.claims(now=clock(), ttl=3600))
    client = introspector(idp, http, clock, settings=AuthSettings(introspection_cache_ttl=60))
    await client.introspect(token)
    await client.introspect(token)
    assert idp.counters.introspection == 1
    clock.advance(61)
    idp.opaque_tokens.clear()  # revoked at the IdP
    with pytest.raises(TokenRejectedError, match="not active"):
        await client.introspect(token)
    assert idp.counters.introspection == 2


async def test_cache_never_outlives_the_token(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    token = idp.issue_opaque(idp.claims(now=clock(), ttl=10))
    client = introspector(idp, http, clock)
    await client.introspect(token)
    clock.advance(10 + 31)  # past exp plus the leeway; the IdP still calls it active
    with pytest.raises(TokenRejectedError, match="expired"):
        await client.introspect(token)
    assert idp.counters.introspection == 2


async def test_a_hanging_endpoint_is_backed_off_like_a_jwks_fetch(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    """A hung introspection endpoint costs one timeout per backoff, not one per token: the
    tokens arriving during the backoff are refused at once, without a connection."""
    clock = FakeClock()
    settings = AuthSettings(fetch_timeout=0.5, backoff_initial=2, backoff_max=8)
    async with BlackHole() as hole:
        checker = ClaimsChecker(provider="idp", issuer=idp.url, audience=idp.audience, clock=clock)
        hung = Introspector(
            url=hole.url("http", "/introspect"),
            checker=checker,
            http=http,
            policy=FetchPolicy(allow_private_ip=True),
            credentials=ClientCredentials(idp.client_id, idp.client_secret),
            settings=settings,
            clock=clock,
        )
        with pytest.raises(TokenRejectedError, match="introspection failed"):
            await hung.introspect("opaque-1")
        for token in ("opaque-2", "opaque-3", "opaque-4"):
            with pytest.raises(TokenRejectedError, match="backing off"):
                await hung.introspect(token)
        assert hole.accepted == 1
        clock.advance(2.1)
        with pytest.raises(TokenRejectedError, match="introspection failed"):
            await hung.introspect("opaque-5")
        assert hole.accepted == 2
