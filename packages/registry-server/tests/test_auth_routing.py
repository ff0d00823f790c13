"""A bearer token goes only to its own issuer: two real issuers with RFC 7662 introspection
endpoints count what they receive, whatever the token is (theirs, the other's, broken)."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from joserfc import jwt
from mcp_registry_common.config import OAuthProvider
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.errors import AuthenticationError
from mcp_registry_server.auth.routing import looks_like_jwt, opaque_token_provider, route_token
from mcp_registry_server.netguard import AddressGuard, IPAddress
from mcp_registry_testing.oidc import OidcIssuer, generate_key


@pytest.fixture
async def idp_a() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer() as issuer:
        yield issuer


@pytest.fixture
async def idp_b() -> AsyncIterator[OidcIssuer]:
    async with OidcIssuer(keys=[generate_key("EC")]) as issuer:
        yield issuer


def introspecting(
    idp: OidcIssuer, name: str, directory: Path, *, secret: str | None = None, **extra: Any
) -> OAuthProvider:
    """A provider with JWKS and introspection (client_secret_basic) at `idp`."""
    secret_file = directory / f"{name}-client-secret"
    secret_file.write_text(secret or idp.client_secret)
    config = idp.provider_config(
        name,
        introspectionUrl=idp.introspection_url,
        clientId=idp.client_id,
        clientSecretFile=str(secret_file),
        **extra,
    )
    return OAuthProvider.model_validate(config)


def received(idp: OidcIssuer) -> tuple[int, int]:
    """(introspection requests, JWKS requests) the issuer answered."""
    return idp.counters.introspection, idp.counters.jwks


async def accepted_by(authenticator: Authenticator, token: str) -> str | None:
    """The name of the provider that accepted the token, None if it was refused."""
    try:
        identity = await authenticator.authenticate(f"Bearer {token}")
    except AuthenticationError:
        return None
    return identity.provider


async def test_with_two_providers_an_opaque_token_goes_to_none_unless_one_opts_in(
    idp_a: OidcIssuer, idp_b: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    providers = [introspecting(idp_a, "alpha", tmp_path), introspecting(idp_b, "beta", tmp_path)]
    authenticator = Authenticator(providers, http=http)
    assert await accepted_by(authenticator, idp_a.issue_opaque(idp_a.claims())) is None
    assert await accepted_by(authenticator, "opaque-known-to-nobody") is None
    assert (received(idp_a), received(idp_b)) == ((0, 0), (0, 0))


async def test_an_opaque_token_goes_only_to_the_provider_that_opts_in(
    idp_a: OidcIssuer, idp_b: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    providers = [
        introspecting(idp_a, "alpha", tmp_path),
        introspecting(idp_b, "beta", tmp_path, introspectOpaqueTokens=True),
    ]
    authenticator = Authenticator(providers, http=http)
    assert await accepted_by(authenticator, idp_b.issue_opaque(idp_b.claims())) == "beta"
    # Rejected by beta (inactive there): not passed on to alpha, which would accept it.
    assert await accepted_by(authenticator, idp_a.issue_opaque(idp_a.claims())) is None
    assert await accepted_by(authenticator, "opaque-known-to-nobody") is None
    assert (received(idp_a), received(idp_b)) == ((0, 0), (3, 0))


async def test_a_provider_that_fails_does_not_pass_the_token_on(
    idp_a: OidcIssuer, idp_b: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    providers = [
        introspecting(idp_a, "alpha", tmp_path, secret="wrong", introspectOpaqueTokens=True),
        introspecting(idp_b, "beta", tmp_path),
    ]
    authenticator = Authenticator(providers, http=http)
    token = idp_b.issue_opaque(idp_b.claims())
    assert await accepted_by(authenticator, token) is None  # alpha answers 401 to our client
    assert (received(idp_a), received(idp_b)) == ((1, 0), (0, 0))


@pytest.mark.parametrize("junk", [".junk", "junk", ".a.b"])
async def test_a_jwt_goes_only_to_its_issuer_and_a_malformed_one_nowhere(
    junk: str,
    idp_a: OidcIssuer,
    idp_b: OidcIssuer,
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    providers = [
        introspecting(idp_a, "alpha", tmp_path),
        introspecting(idp_b, "beta", tmp_path, introspectOpaqueTokens=True),
    ]
    authenticator = Authenticator(providers, http=http)
    token = idp_a.mint(idp_a.claims())
    assert await accepted_by(authenticator, token) == "alpha"
    assert await accepted_by(authenticator, token + junk) is None
    stranger = idp_a.mint(idp_a.claims(iss="https://stranger.example"))
    assert await accepted_by(authenticator, stranger) is None
    assert received(idp_a) == (0, 1)  # its JWKS, once (cached)
    assert received(idp_b) == (0, 0)


async def test_a_single_provider_introspects_opaque_tokens_unless_told_not_to(
    idp_a: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    token = idp_a.issue_opaque(idp_a.claims())
    only = Authenticator([introspecting(idp_a, "alpha", tmp_path)], http=http)
    assert await accepted_by(only, token) == "alpha"
    told = [introspecting(idp_a, "alpha", tmp_path, introspectOpaqueTokens=False)]
    assert await accepted_by(Authenticator(told, http=http), token) is None
    assert received(idp_a) == (1, 0)


@dataclass(frozen=True)
class Named:
    name: str
    issuer: str


def test_routing_is_by_issuer_for_jwts_and_by_the_setting_for_opaque_tokens() -> None:
    key = generate_key("RSA")
    one, two, same = (
        Named("one", "https://a"),
        Named("two", "https://b"),
        Named("same", "https://a"),
    )
    providers = [one, two, same]

    def minted(iss: str) -> str:
        return jwt.encode({"alg": "RS256", "kid": key.kid}, {"iss": iss}, key)

    assert route_token(minted("https://a"), providers, opaque="two").providers == (one, same)
    assert route_token(minted("https://c"), providers, opaque="two").providers == ()
    assert route_token(minted("https://b") + ".x", providers, opaque="two").providers == ()
    assert route_token("opaque", providers, opaque="two").providers == (two,)
    assert route_token("opaque", providers, opaque=None).providers == ()
    assert route_token("op.aque", providers, opaque="one").providers == (one,)


@pytest.mark.parametrize(
    ("token", "shaped"),
    [
        ("eyJhbGciOiJSUzI1NiJ9.e30.sig", True),
        ("eyJhbGciOiJSUzI1NiJ9.", True),
        ("eyJhbGciOiJSUzI1NiJ9", False),  # no dot
        ("opaque.token.value", False),
        ("bm90IGpzb24.x", False),  # base64url, not JSON
        ("WzFd.x", False),  # JSON, not an object
        ("e30!.x", False),
    ],
)
def test_looks_like_jwt(token: str, shaped: bool) -> None:
    assert looks_like_jwt(token) is shaped


def provider(name: str, **extra: Any) -> OAuthProvider:
    config = {"name": name, "issuerUrl": f"https://{name}.example", "audience": "api", **extra}
    return OAuthProvider.model_validate(config)


def test_the_opaque_token_provider() -> None:
    url = {"introspectionUrl": "https://idp.example/introspect"}
    assert opaque_token_provider([provider("a", **url)]) == "a"
    assert opaque_token_provider([provider("a")]) is None
    assert opaque_token_provider([provider("a", **url, introspectOpaqueTokens=False)]) is None
    assert opaque_token_provider([provider("a", **url), provider("b", **url)]) is None
    opted = provider("b", **url, introspectOpaqueTokens=True)
    assert opaque_token_provider([provider("a", **url), opted]) == "b"
    with pytest.raises(ValueError, match="at most one provider"):
        opaque_token_provider([provider("a", **url, introspectOpaqueTokens=True), opted])


async def test_guarded_providers_use_the_guarded_session_and_reuse_its_connections(
    idp_a: OidcIssuer, idp_b: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A provider without allowPrivateIP goes through the guarded session it is given (the
    app's), whose pool keeps its connection; one with allowPrivateIP stays on `http`."""

    def on_loopback_as_localhost(url: str) -> str:
        return url.replace("127.0.0.1", "localhost")

    async def public(host: str, port: int) -> Sequence[str]:
        return ["93.184.216.34"]  # what the check before each fetch is told

    secret_file = tmp_path / "alpha-client-secret"
    secret_file.write_text(idp_a.client_secret)
    guarded_config = OAuthProvider.model_validate(
        idp_a.provider_config(
            "alpha",
            allowPrivateIP=False,
            jwksUrl=on_loopback_as_localhost(idp_a.jwks_url),
            introspectionUrl=on_loopback_as_localhost(idp_a.introspection_url),
            clientId=idp_a.client_id,
            clientSecretFile=str(secret_file),
            introspectOpaqueTokens=True,
        )
    )
    providers = [guarded_config, introspecting(idp_b, "beta", tmp_path)]
    authenticator = Authenticator(providers, resolve=public)
    checked: list[IPAddress] = []
    opened: list[str] = []

    def allow_and_record(address: IPAddress) -> bool:
        checked.append(address)
        return False

    async def on_connection(*_: Any) -> None:
        opened.append("connection")

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connection)
    connector = aiohttp.TCPConnector(socket_factory=AddressGuard(allow_and_record).make_socket)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as guarded:
        authenticator.bind_http(http, guarded=guarded)
        for _ in range(3):
            assert await accepted_by(authenticator, idp_a.issue_opaque(idp_a.claims())) == "alpha"
        assert await accepted_by(authenticator, idp_b.mint(idp_b.claims())) == "beta"
    assert received(idp_a) == (3, 0)
    assert received(idp_b) == (0, 1)
    assert len(opened) == 1, "the three introspections shared one pooled connection"
    assert ipaddress.ip_address("127.0.0.1") in checked
