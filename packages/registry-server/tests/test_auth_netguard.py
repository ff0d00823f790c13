"""The SSRF guard: refused address ranges, the https rule, and resolution at fetch time."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from mcp_registry_server.auth.errors import UnsafeUrlError
from mcp_registry_server.auth.netguard import (
    Resolver,
    check_scheme,
    guard_url,
    is_forbidden_address,
)
from yarl import URL


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata (link-local)
        ("100.64.0.1", True),  # shared address space
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", True),
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_forbidden_address_ranges(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    ("url", "insecure", "allowed"),
    [
        ("https://idp.example.com", False, True),
        ("http://localhost:8080", False, True),
        ("http://127.0.0.1:9000", False, True),
        ("http://[::1]:9000", False, True),
        ("http://idp.example.com", False, False),
        ("http://idp.example.com", True, True),
        ("ftp://idp.example.com", True, False),
        ("file:///etc/passwd", True, False),
    ],
)
def test_scheme_rule(url: str, insecure: bool, allowed: bool) -> None:
    if allowed:
        check_scheme(URL(url), allow_insecure_http=insecure)
    else:
        with pytest.raises(UnsafeUrlError, match="HTTPS"):
            check_scheme(URL(url), allow_insecure_http=insecure)


def resolver_for(table: dict[str, list[str]]) -> Resolver:
    """A DNS stand-in answering from ``table`` (the guard's resolver is its DNS dependency)."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


async def test_hostname_resolving_to_private_address_is_refused() -> None:
    resolve = resolver_for({"idp.internal": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(UnsafeUrlError, match=r"non-public address 10\.0\.0\.5"):
        await guard_url(
            "https://idp.internal/jwks",
            allow_private_ip=False,
            allow_insecure_http=False,
            resolve=resolve,
        )


async def test_hostname_resolving_to_public_addresses_passes() -> None:
    resolve = resolver_for({"idp.example.com": ["93.184.216.34", "2606:4700:4700::1111"]})
    url = await guard_url(
        "https://idp.example.com/jwks",
        allow_private_ip=False,
        allow_insecure_http=False,
        resolve=resolve,
    )
    assert url.host == "idp.example.com"


async def test_resolution_happens_at_every_check() -> None:
    """DNS can change between fetches: the answer is not cached by the guard."""
    table = {"idp.example.com": ["93.184.216.34"]}
    resolve = resolver_for(table)
    url = "https://idp.example.com/jwks"
    await guard_url(url, allow_private_ip=False, allow_insecure_http=False, resolve=resolve)
    table["idp.example.com"] = ["169.254.169.254"]
    with pytest.raises(UnsafeUrlError, match=r"169\.254\.169\.254"):
        await guard_url(url, allow_private_ip=False, allow_insecure_http=False, resolve=resolve)


async def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(UnsafeUrlError, match="cannot resolve"):
        await guard_url(
            "https://nowhere.example/jwks",
            allow_private_ip=False,
            allow_insecure_http=False,
            resolve=resolver_for({}),
        )


async def test_localhost_resolves_to_loopback_and_is_refused_by_the_system_resolver() -> None:
    with pytest.raises(UnsafeUrlError, match="allowPrivateIP"):
        await guard_url(
            "http://localhost:1/jwks", allow_private_ip=False, allow_insecure_http=False
        )


async def test_literal_private_ip_allowed_with_allow_private_ip() -> None:
    url = await guard_url(
        "http://127.0.0.1:1/jwks", allow_private_ip=True, allow_insecure_http=False
    )
    assert url.port == 1


async def test_relative_url_is_refused() -> None:
    with pytest.raises(UnsafeUrlError, match="absolute"):
        await guard_url("/jwks", allow_private_ip=True, allow_insecure_http=True)
