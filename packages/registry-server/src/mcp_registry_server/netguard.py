"""The private-address guard every outbound fetch shares (auth key fetches, every source kind).

An address is refused when it is not public (`is_forbidden_address`). The check is made on the
very address a socket is about to connect to, after resolution, so nothing can change between
the check and the use (no DNS rebinding): `AddressGuard.make_socket` is aiohttp's `socket_factory`
(every address aiohttp tries, IP literals and each redirect's host included) and
`AddressGuard.connect` opens blocking sockets (git://, git over http(s)) the same way.

A refusal happens before any packet is sent and always reads `REFUSED`, whatever the port or
whether anything listens there: the status of a source pointed at an internal address cannot
tell a closed port from an open one (no port-scan oracle).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiohttp

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves ``(host, port)`` to IP address strings."""
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
"""One ``getaddrinfo`` result: family, type, proto, canonical name, socket address."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

REFUSED = (
    "refused before connecting: the address is not public (private, loopback, link-local or "
    "reserved); allowPrivateIP lifts this guard"
)
"""The one message of every refusal."""


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


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve through the running event loop's ``getaddrinfo`` (the same path aiohttp uses)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_address(text: str) -> IPAddress:
    """An IP address from a socket address's host part (an IPv6 scope id dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


class ForbiddenAddressError(ConnectionRefusedError):
    """The guard refused an address before connecting (an OSError, as a failed connect is, so
    clients treat it like one; its message is always `REFUSED`)."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


def refused(error: BaseException | None) -> bool:
    """Whether ``error`` is, or was caused by, a guard refusal (clients wrap it in their own)."""
    seen = error
    for _ in range(16):
        if seen is None:
            return False
        if isinstance(seen, ForbiddenAddressError) or REFUSED in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """Refuses connections to the addresses `forbidden` names (`is_forbidden_address`)."""

    forbidden: Callable[[IPAddress], bool] = is_forbidden_address

    def check(self, host: str) -> None:
        """Raise `ForbiddenAddressError` when ``host`` (an IP address) is forbidden."""
        if self.forbidden(parse_address(host)):
            raise ForbiddenAddressError

    def make_socket(self, addr_info: AddrInfo) -> socket.socket:
        """aiohttp's ``socket_factory``: a socket for ``addr_info`` unless its address is
        forbidden (aiohttp then tries the next address, or fails with the refusal)."""
        family, type_, proto, _, sockaddr = addr_info
        self.check(str(sockaddr[0]))
        return socket.socket(family=family, type=type_, proto=proto)

    def addresses(self, host: str, port: int) -> list[AddrInfo]:
        """Blocking: ``host`` resolved, forbidden addresses left out; `ForbiddenAddressError`
        when every address is forbidden."""
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        allowed: list[AddrInfo] = [
            info for info in infos if not self.forbidden(parse_address(str(info[4][0])))
        ]
        if infos and not allowed:
            raise ForbiddenAddressError
        return allowed

    def connect(self, host: str, port: int, timeout: float) -> socket.socket:
        """Blocking: a TCP socket connected to an allowed address of ``host`` (each tried in
        turn, ``timeout`` for each connect and later on the socket)."""
        error: OSError | None = None
        for family, type_, proto, _, sockaddr in self.addresses(host, port):
            sock = socket.socket(family, type_, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            return sock
        raise error or OSError(f"{host} resolved to no address")


GUARD = AddressGuard()
"""The guard as configured: every non-public address refused."""

HttpClient = Callable[[], AbstractAsyncContextManager[aiohttp.ClientSession]]
"""The session one fetch uses, entered for the fetch and left after it."""


def guarded_session(http: aiohttp.ClientSession, guard: AddressGuard) -> aiohttp.ClientSession:
    """A session with `http`'s headers and timeouts whose every socket `guard` checks (its
    pool holds guarded connections only)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(socket_factory=guard.make_socket),
        headers=http.headers,
        timeout=http.timeout,
    )


def http_client(http: aiohttp.ClientSession, guard: AddressGuard | None) -> HttpClient:
    """The app's shared `http` when the fetch may reach any address (`guard` None); else a
    `guarded_session` of the fetch's own, closed after the fetch (a shared pool would hand it
    connections opened for unguarded fetches)."""
    if guard is None:
        return lambda: contextlib.nullcontext(http)
    return lambda: guarded_session(http, guard)
