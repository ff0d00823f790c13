"""SSRF guard for the URLs the auth layer fetches: the https rule, and the shared private-address
guard (`mcp_registry_server.netguard`) applied to the resolved host before each fetch."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from mcp_registry_common.config.urls import LOOPBACK_HOSTS
from yarl import URL

from mcp_registry_server.auth.errors import UnsafeUrlError
from mcp_registry_server.netguard import (
    IPAddress,
    Resolver,
    is_forbidden_address,
    parse_address,
    system_resolver,
)

__all__ = ["Resolver", "check_scheme", "guard_url", "is_forbidden_address", "system_resolver"]


def check_scheme(url: URL, *, allow_insecure_http: bool) -> None:
    """Refuse non-https URLs, except http to a loopback host or when insecure URLs are allowed."""
    if url.scheme == "https":
        return
    if url.scheme == "http" and (allow_insecure_http or (url.host or "") in LOOPBACK_HOSTS):
        return
    raise UnsafeUrlError(
        str(url), "must use HTTPS (set THV_REGISTRY_INSECURE_URL=true to allow HTTP)"
    )


async def guard_url(
    url: str,
    *,
    allow_private_ip: bool,
    allow_insecure_http: bool,
    resolve: Resolver = system_resolver,
    forbidden: Callable[[IPAddress], bool] = is_forbidden_address,
) -> URL:
    """Check ``url`` before a fetch and return it parsed; raise ``UnsafeUrlError`` when refused
    (an address is refused when ``forbidden`` says so, as the connect-time guard's).

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
        addresses = [parse_address(a) for a in resolved]
    if not addresses:
        raise UnsafeUrlError(url, f"host {host} resolved to no address")
    for address in addresses:
        if forbidden(address):
            raise UnsafeUrlError(
                url,
                f"host {host} resolves to non-public address {address} (set allowPrivateIP: true "
                "to allow it)",
            )
    return parsed
