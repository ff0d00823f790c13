"""SSRF guard for the URLs the auth layer fetches: scheme rule and refused address ranges."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

from mcp_registry_common.config.urls import LOOPBACK_HOSTS
from yarl import URL

from mcp_registry_server.auth.errors import UnsafeUrlError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves ``(host, port)`` to IP address strings."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_forbidden_address(address: IPAddress) -> bool:
    """Whether ``address`` is private, loopback, link-local, unique-local, multicast,
    unspecified or reserved, looking through IPv4-mapped, 6to4 and NAT64 IPv6 forms."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_forbidden_address(embedded):
            return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def check_scheme(url: URL, *, allow_insecure_http: bool) -> None:
    """Refuse non-https URLs, except http to a loopback host or when insecure URLs are allowed."""
    if url.scheme == "https":
        return
    if url.scheme == "http" and (allow_insecure_http or (url.host or "") in LOOPBACK_HOSTS):
        return
    raise UnsafeUrlError(
        str(url), "must use HTTPS (set THV_REGISTRY_INSECURE_URL=true to allow HTTP)"
    )


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve through the running event loop's ``getaddrinfo`` (the same path aiohttp uses)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def guard_url(
    url: str,
    *,
    allow_private_ip: bool,
    allow_insecure_http: bool,
    resolve: Resolver = system_resolver,
) -> URL:
    """Check ``url`` before a fetch and return it parsed; raise ``UnsafeUrlError`` when refused.

    Called at every fetch, since DNS answers can change between fetches.
    """
    parsed = URL(url)
    if not parsed.absolute or not parsed.host:
        raise UnsafeUrlError(url, "not an absolute URL with a host")
    check_scheme(parsed, allow_insecure_http=allow_insecure_http)
    if allow_private_ip:
        return parsed
    host = parsed.host.strip("[]")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            resolved = await resolve(host, parsed.port or 443)
        except OSError as error:
            raise UnsafeUrlError(url, f"cannot resolve host {host}: {error}") from error
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved]
    if not addresses:
        raise UnsafeUrlError(url, f"host {host} resolved to no address")
    for address in addresses:
        if is_forbidden_address(address):
            raise UnsafeUrlError(
                url,
                f"host {host} resolves to non-public address {address} (set allowPrivateIP: true "
                "to allow it)",
            )
    return parsed
