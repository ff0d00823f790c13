"""The private-address guard on every source fetch, with real loopback servers: api, file.url,
git over http, git:// and ssh refuse 169.254.169.254, 10.0.0.1, fe80::1 and a name that
resolves to loopback before connecting, with one message whatever the port; a source that
allows private addresses connects; a redirect to a private address is refused."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_server.netguard import REFUSED, AddressGuard, IPAddress, is_forbidden_address
from mcp_registry_server.sources.api import ApiFetcher
from mcp_registry_server.sources.base import FetchedDocument, Fetcher, FetchLimits
from mcp_registry_server.sources.errors import SourceAddressError, SourceUnavailableError
from mcp_registry_server.sources.file import FileUrlFetcher
from mcp_registry_server.sources.git import GitFetcher, GitTarget
from mcp_registry_testing.authz import server, upstream_document
from mcp_registry_testing.blackhole import BlackHole
from mcp_registry_testing.gitrepos import GitHttpServer, GitRepo
from mcp_registry_testing.loopback import serve

DOCUMENT = upstream_document([server("io.example/one")])
Kind = str
KINDS = ("file-url", "api", "git-http", "git-daemon", "ssh")
INTERNAL = ("169.254.169.254", "10.0.0.1", "[fe80::1]")


class Recording:
    """The guard's predicate, recording each address it was asked about."""

    def __init__(self, stand_in_public: IPAddress | None = None) -> None:
        self.asked: list[IPAddress] = []
        self._public = stand_in_public

    def __call__(self, address: IPAddress) -> bool:
        self.asked.append(address)
        return address != self._public and is_forbidden_address(address)


def url_for(kind: Kind, host: str, port: int) -> str:
    scheme, path = {
        "file-url": ("http", "/registry.json"),
        "api": ("http", ""),
        "git-http": ("http", "/repo.git"),
        "git-daemon": ("git", "/repo.git"),
        "ssh": ("ssh", "/repo.git"),
    }[kind]
    return f"{scheme}://{host}:{port}{path}"


def fetcher_of(
    kind: Kind, url: str, tmp_path: Path, http: aiohttp.ClientSession, guard: AddressGuard | None
) -> Fetcher:
    limits = FetchLimits()
    if kind == "file-url":
        return FileUrlFetcher(url, http=http, timeout=5, limits=limits, guard=guard)
    if kind == "api":
        return ApiFetcher(url, http=http, timeout=5, max_pages=5, limits=limits, guard=guard)
    target = GitTarget(repository=url)
    return GitFetcher(target, workdir=tmp_path / "work", limits=limits, timeout=5, guard=guard)


@pytest.fixture
async def listener() -> AsyncIterator[BlackHole]:
    """A real loopback listener: any connection to it would be counted."""
    async with BlackHole() as hole:
        yield hole


@pytest.mark.parametrize(
    ("kind", "host"),
    [
        (kind, host)
        for kind in KINDS
        for host in INTERNAL
        if (kind, host) != ("git-http", "[fe80::1]")  # see the test after this one
    ],
)
async def test_internal_addresses_are_refused_before_connecting(
    kind: Kind, host: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    recording = Recording()
    fetcher = fetcher_of(kind, url_for(kind, host, 8080), tmp_path, http, AddressGuard(recording))
    with pytest.raises(SourceAddressError) as refused:
        await fetcher.fetch()
    assert REFUSED in str(refused.value)
    assert recording.asked == [ipaddress.ip_address(host.strip("[]"))]


async def test_dulwich_reads_no_ipv6_literal_http_url(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """dulwich cannot parse `http://[fe80::1]:8080/...` at all: the fetch fails before any
    address is resolved or checked, so nothing connects either."""
    recording = Recording()
    url = url_for("git-http", "[fe80::1]", 8080)
    fetcher = fetcher_of("git-http", url, tmp_path, http, AddressGuard(recording))
    with pytest.raises(SourceUnavailableError, match="not a valid host or port"):
        await fetcher.fetch()
    assert recording.asked == []


@pytest.mark.parametrize("kind", KINDS)
async def test_a_name_resolving_to_loopback_is_refused_and_nothing_connects(
    kind: Kind, tmp_path: Path, http: aiohttp.ClientSession, listener: BlackHole
) -> None:
    """`localhost` (the system resolver's answer, loopback) at a real listener's port: the
    listener never sees a connection, and a closed port reads the same (no port-scan oracle)."""
    messages = []
    for port in (listener.port, await closed_port()):
        fetcher = fetcher_of(kind, url_for(kind, "localhost", port), tmp_path, http, AddressGuard())
        with pytest.raises(SourceAddressError) as refused:
            await fetcher.fetch()
        messages.append(str(refused.value).replace(str(port), "PORT"))
    assert listener.accepted == 0
    assert messages[0] == messages[1]
    assert REFUSED in messages[0]


async def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()
    return port


async def _registry(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


async def _servers(request: web.Request) -> web.Response:
    body = {"servers": [{"server": s} for s in DOCUMENT["data"]["servers"]], "metadata": {}}
    return web.json_response(body)


@pytest.mark.parametrize("kind", ["file-url", "api"])
async def test_a_source_that_allows_private_addresses_connects(
    kind: Kind, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    app = web.Application()
    app.router.add_get("/registry.json", _registry)
    app.router.add_get("/v0.1/servers", _servers)
    served = await serve(app)
    try:
        url = url_for(kind, "localhost", served.port)
        result = await fetcher_of(kind, url, tmp_path, http, None).fetch()
        fetched = result.data if isinstance(result, FetchedDocument) else json.dumps(result.servers)
        assert "io.example/one" in str(fetched)
    finally:
        await served.runner.cleanup()


async def test_a_git_source_that_allows_private_addresses_connects(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    repo = GitRepo.init(tmp_path / "src")
    repo.commit({"registry.json": b'{"version": 1}'})
    git = GitHttpServer()
    served = await serve(git.app(repo))
    try:
        url = f"http://localhost:{served.port}{git.mount}"
        assert (await fetcher_of("git-http", url, tmp_path, http, None).fetch()).data == (
            b'{"version": 1}'
        )
    finally:
        await served.runner.cleanup()


def redirecting_app(target: Callable[[], str]) -> web.Application:
    """Every GET answers 302 to `target()` (the same path on another host)."""

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(target() + request.path_qs)

    app = web.Application()
    app.router.add_get("/{tail:.*}", redirect)
    return app


@pytest.mark.parametrize("kind", ["file-url", "api", "git-http"])
async def test_a_redirect_to_a_private_address_is_refused(
    kind: Kind, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """127.0.0.1 stands in for a public upstream (the guard is told so); it redirects to
    127.0.0.2, a real listener on another loopback address, which must see no connection."""
    async with BlackHole(host="127.0.0.2") as private:
        served = await serve(redirecting_app(lambda: f"http://127.0.0.2:{private.port}"))
        try:
            recording = Recording(stand_in_public=ipaddress.ip_address("127.0.0.1"))
            url = url_for(kind, "127.0.0.1", served.port)
            fetcher = fetcher_of(kind, url, tmp_path, http, AddressGuard(recording))
            with pytest.raises(SourceAddressError) as refused:
                await fetcher.fetch()
            assert REFUSED in str(refused.value)
            assert ipaddress.ip_address("127.0.0.2") in recording.asked
            assert private.accepted == 0
        finally:
            await served.runner.cleanup()
