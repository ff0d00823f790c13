"""The JWKS cache against a real local issuer: discovery, TTLs, rotation, rate limits, outages."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_server.auth.discovery import discovery_url, jwks_uri_from_discovery
from mcp_registry_server.auth.errors import DiscoveryError, FetchError, UnsafeUrlError
from mcp_registry_server.auth.fetch import FetchPolicy
from mcp_registry_server.auth.jwks import JwksCache, parse_jwks, ttl_from_cache_control
from mcp_registry_server.auth.netguard import Resolver
from mcp_registry_server.auth.settings import AuthSettings
from mcp_registry_server.netguard import REFUSED, AddressGuard, IPAddress
from mcp_registry_testing.clock import FakeClock
from mcp_registry_testing.oidc import OidcIssuer
from mcp_registry_testing.tls import make_certificates
from pytest_aiohttp import AiohttpServer

LOCAL = FetchPolicy(allow_private_ip=True)


def cache_for(
    idp: OidcIssuer,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    *,
    discover: bool = False,
    policy: FetchPolicy = LOCAL,
    token_file: Path | None = None,
    **settings: float,
) -> JwksCache:
    return JwksCache(
        provider="idp",
        issuer=idp.url,
        jwks_url=None if discover else idp.jwks_url,
        http=http,
        policy=policy,
        auth_token_file=token_file,
        settings=AuthSettings(**settings),  # type: ignore[arg-type]
        clock=clock,
    )


@pytest.mark.parametrize(
    ("header", "ttl"),
    [
        (None, 600.0),
        ("", 600.0),
        ("public, max-age=120", 120.0),
        ("max-age=5", 60.0),
        ("max-age=999999", 3600.0),
        ('max-age="300"', 300.0),
        ("no-store", 60.0),
        ("public, no-cache", 60.0),
        ("s-maxage=100", 600.0),
        ("max-age=abc", 600.0),
    ],
)
def test_ttl_from_cache_control(header: str | None, ttl: float) -> None:
    assert ttl_from_cache_control(header, default=600, lower=60, upper=3600) == ttl


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not an object"),
        ({"keys": "x"}, "not an object"),
        ({"keys": []}, "no public signing keys"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, "no public signing keys"),
        ({"keys": [{"kty": "RSA", "kid": "broken", "n": "AQAB"}]}, "unusable key"),
    ],
)
def test_parse_jwks_refuses_unusable_sets(document: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_jwks(document)


def test_parse_jwks_drops_symmetric_and_encryption_keys(idp: OidcIssuer) -> None:
    published = {"keys": [k.as_dict(private=False) for k in idp.keys]}
    published["keys"] += [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {**published["keys"][0], "kid": "enc-key", "use": "enc"},
    ]
    kids = {key.kid for key in parse_jwks(published)}
    assert kids == {idp.keys[0].kid}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"issuer": "https://other.example", "jwks_uri": "https://x/jwks"}, "names issuer"),
        ({"issuer": "https://idp.example/", "jwks_uri": "https://x/jwks"}, "names issuer"),
        ({"issuer": "https://idp.example"}, "no jwks_uri"),
        ("nope", "not a JSON object"),
    ],
)
def test_discovery_document_checks(document: object, reason: str) -> None:
    with pytest.raises(DiscoveryError, match=reason):
        jwks_uri_from_discovery(document, issuer="https://idp.example")


def test_discovery_url_does_not_double_slashes() -> None:
    assert discovery_url("https://idp.example/realms/a/") == (
        "https://idp.example/realms/a/.well-known/openid-configuration"
    )


async def test_keys_are_fetched_once_and_cached(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    cache = cache_for(idp, http, clock)
    kid = idp.keys[0].kid
    assert kid is not None
    for _ in range(5):
        assert await cache.keys_for(kid) is not None
    assert idp.counters.jwks == 1
    assert idp.counters.discovery == 0


async def test_discovery_finds_jwks_uri_once(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    cache = cache_for(idp, http, FakeClock(), discover=True)
    kid = idp.keys[0].kid
    assert kid is not None
    assert await cache.keys_for(kid) is not None
    assert await cache.keys_for(kid) is not None
    assert (idp.counters.discovery, idp.counters.jwks) == (1, 1)


async def test_discovery_with_mismatched_issuer_fails_and_retries_after_backoff(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    idp.discovery_issuer = "https://evil.example"
    clock = FakeClock()
    cache = cache_for(idp, http, clock, discover=True, backoff_initial=2, backoff_max=8)
    kid = idp.keys[0].kid
    assert kid is not None
    with pytest.raises(DiscoveryError, match=r"evil\.example"):
        await cache.keys_for(kid)
    with pytest.raises(FetchError, match="backing off"):
        await cache.keys_for(kid)
    assert idp.counters.discovery == 1
    idp.discovery_issuer = None
    clock.advance(2.1)
    assert await cache.keys_for(kid) is not None
    assert idp.counters.discovery == 2


async def test_ttl_expiry_refetches(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    idp.jwks_cache_control = "max-age=120"
    clock = FakeClock()
    cache = cache_for(idp, http, clock)
    kid = idp.keys[0].kid
    assert kid is not None
    await cache.keys_for(kid)
    clock.advance(119)
    await cache.keys_for(kid)
    assert idp.counters.jwks == 1
    clock.advance(2)
    await cache.keys_for(kid)
    assert idp.counters.jwks == 2


async def test_rotated_key_causes_exactly_one_refetch(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    cache = cache_for(idp, http, clock)
    old = idp.keys[0]
    assert old.kid is not None
    await cache.keys_for(old.kid)
    clock.advance(31)
    new = idp.add_key("EC")
    assert new.kid is not None
    keys = await cache.keys_for(new.kid)
    assert keys is not None
    assert {k.kid for k in keys} == {old.kid, new.kid}
    assert idp.counters.jwks == 2
    assert await cache.keys_for(new.kid) is not None
    assert idp.counters.jwks == 2


async def test_random_unknown_kids_do_not_hammer_the_issuer(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    cache = cache_for(idp, http, clock, unknown_kid_refetch_interval=30)
    for i in range(50):
        assert await cache.keys_for(f"random-{i}") is None
    assert idp.counters.jwks == 1  # the initial fetch; every refetch was inside the window
    clock.advance(30)
    for i in range(50):
        assert await cache.keys_for(f"random-again-{i}") is None
    assert idp.counters.jwks == 2


async def test_removed_key_is_forgotten_after_ttl(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    old = idp.keys[0]
    new = idp.add_key()
    cache = cache_for(idp, http, clock)
    assert old.kid is not None
    assert await cache.keys_for(old.kid) is not None
    idp.remove_key(old.kid)
    clock.advance(601)
    assert await cache.keys_for(old.kid) is None
    assert new.kid is not None
    assert await cache.keys_for(new.kid) is not None


async def test_stale_keys_are_served_while_the_issuer_is_down(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with OidcIssuer() as idp:
        cache = cache_for(idp, http, clock)
        kid = idp.keys[0].kid
        assert kid is not None
        assert await cache.keys_for(kid) is not None
    clock.advance(3600)
    assert await cache.keys_for(kid) is not None  # the refresh failed; the old keys stay


async def test_unreachable_issuer_without_cached_keys_fails(http: aiohttp.ClientSession) -> None:
    async with OidcIssuer() as idp:
        pass
    cache = cache_for(idp, http, FakeClock(), fetch_timeout=2)
    with pytest.raises(FetchError):
        await cache.keys_for("any")


async def test_private_issuer_refused_without_allow_private_ip(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    localhost = idp.url.replace("127.0.0.1", "localhost")
    cache = JwksCache(
        provider="idp",
        issuer=localhost,
        jwks_url=None,
        http=http,
        policy=FetchPolicy(allow_private_ip=False),
        clock=FakeClock(),
    )
    with pytest.raises(UnsafeUrlError, match="non-public address"):
        await cache.keys_for("any")
    assert (idp.counters.discovery, idp.counters.jwks) == (0, 0)


def public_dns(answers: list[str]) -> Resolver:
    """A DNS stand-in that answers every host with public `answers` (the guard's check)."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        return answers

    return resolve


async def test_a_host_resolved_anew_to_a_private_address_is_refused_on_connect(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    """DNS rebinding: the check is told a public address, the connection gets loopback (the
    issuer's); the socket's own guard refuses it before anything is sent."""
    cache = JwksCache(
        provider="idp",
        issuer=idp.url,
        jwks_url=idp.jwks_url.replace("127.0.0.1", "localhost"),
        http=http,
        policy=FetchPolicy(allow_private_ip=False, resolve=public_dns(["93.184.216.34"])),
        clock=FakeClock(),
    )
    with pytest.raises(UnsafeUrlError, match=re.escape(REFUSED)):
        await cache.keys_for("any")
    assert idp.counters.jwks == 0


async def test_the_connect_guard_checks_the_address_connected_to(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    seen: list[IPAddress] = []

    def allow_and_record(address: IPAddress) -> bool:
        seen.append(address)
        return False

    policy = FetchPolicy(
        allow_private_ip=False,
        resolve=public_dns(["93.184.216.34"]),
        guard=AddressGuard(allow_and_record),
    )
    cache = JwksCache(
        provider="idp",
        issuer=idp.url,
        jwks_url=idp.jwks_url.replace("127.0.0.1", "localhost"),
        http=http,
        policy=policy,
        clock=FakeClock(),
    )
    kid = idp.keys[0].kid
    assert kid is not None
    assert await cache.keys_for(kid) is not None
    # the policy's guard decides both checks: the answer before the fetch, then the address
    # the socket connected to (the issuer's; `localhost` may also resolve to ::1)
    assert seen[0] == ipaddress.ip_address("93.184.216.34")
    assert ipaddress.ip_address("127.0.0.1") in seen[1:]
    assert all(address.is_loopback for address in seen[1:])
    assert idp.counters.jwks == 1


async def test_auth_token_file_is_sent_and_reread(
    idp: OidcIssuer, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sa-token-1\n")
    clock = FakeClock()
    cache = cache_for(idp, http, clock, discover=True, token_file=token_file)
    kid = idp.keys[0].kid
    assert kid is not None
    await cache.keys_for(kid)
    assert idp.counters.last_discovery_authorization == "Bearer sa-token-1"
    assert idp.counters.last_jwks_authorization == "Bearer sa-token-1"
    token_file.write_text("sa-token-2")
    clock.advance(601)
    await cache.keys_for(kid)
    assert idp.counters.last_jwks_authorization == "Bearer sa-token-2"


async def test_oversized_jwks_is_refused(idp: OidcIssuer, http: aiohttp.ClientSession) -> None:
    for _ in range(6):
        idp.add_key()
    cache = cache_for(idp, http, FakeClock(), max_document_bytes=1024)
    with pytest.raises(FetchError, match="larger than 1024 bytes"):
        await cache.keys_for("any")


async def test_redirects_are_not_followed(
    aiohttp_server: AiohttpServer, http: aiohttp.ClientSession, idp: OidcIssuer
) -> None:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(idp.jwks_url)

    app = web.Application()
    app.router.add_get("/jwks", redirect)
    server = await aiohttp_server(app)
    cache = JwksCache(
        provider="idp",
        issuer=idp.url,
        jwks_url=str(server.make_url("/jwks")),
        http=http,
        policy=LOCAL,
        clock=FakeClock(),
    )
    with pytest.raises(FetchError, match="HTTP status 302"):
        await cache.keys_for("any")
    assert idp.counters.jwks == 0


async def test_https_issuer_needs_its_ca(http: aiohttp.ClientSession, tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    idp = OidcIssuer()
    await idp.start(tls=certs.server_context())
    try:
        untrusted = cache_for(idp, http, FakeClock())
        with pytest.raises(FetchError, match=r"(?i)certificate"):
            await untrusted.keys_for("any")
        trust = ssl.create_default_context()
        trust.load_verify_locations(cafile=certs.ca_cert)
        trusted = cache_for(idp, http, FakeClock(), policy=FetchPolicy(True, ssl_context=trust))
        kid = idp.keys[0].kid
        assert kid is not None
        assert await trusted.keys_for(kid) is not None
        assert idp.url.startswith("https://")
    finally:
        await idp.stop()


async def test_concurrent_requests_for_a_new_kid_share_one_refetch(
    idp: OidcIssuer, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    cache = cache_for(idp, http, clock)
    first = idp.keys[0].kid
    assert first is not None
    await asyncio.gather(*(cache.keys_for(first) for _ in range(10)))
    assert idp.counters.jwks == 1
    clock.advance(31)
    new = idp.add_key()
    assert new.kid is not None
    results = await asyncio.gather(*(cache.keys_for(new.kid) for _ in range(10)))
    assert all(keys is not None for keys in results)
    assert idp.counters.jwks == 2
