"""File sources: local paths (including a ConfigMap-style symlink mount) and http(s) URLs
served by a real local aiohttp app, with every fault the URL client must survive."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from mcp_registry_server.sources.base import MIB, FetchLimits
from mcp_registry_server.sources.errors import (
    SourceConfigError,
    SourceHTTPError,
    SourceNotFoundError,
    SourceTimeoutError,
    SourceTooLargeError,
    SourceUnavailableError,
)
from mcp_registry_server.sources.file import FilePathFetcher, FileUrlFetcher, read_file
from mcp_registry_server.sources.httpget import get_bytes
from mcp_registry_server.sources.localfiles import OUTSIDE_ROOTS, opened_under_roots
from mcp_registry_testing.upstreams import most_written_before_hangup

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
BODY = b'{"data": {"servers": []}}'


# -- paths ------------------------------------------------------------------------------------


async def test_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_bytes(BODY)
    result = await FilePathFetcher(path, limits=FetchLimits()).fetch()
    assert result.data == BODY
    assert result.content_hash == hashlib.sha256(BODY).hexdigest()


async def test_configmap_mount_follows_the_swapped_symlink(tmp_path: Path) -> None:
    """kubelet mounts `registry.json -> ..data/registry.json`, `..data -> ..<timestamp>/`
    and updates a ConfigMap by re-pointing `..data`; every fetch must see the new file."""
    mount = tmp_path / "mount"
    first, second = mount / "..2026_01_01", mount / "..2026_01_02"
    first.mkdir(parents=True)
    second.mkdir()
    (first / "registry.json").write_bytes(b"one")
    (second / "registry.json").write_bytes(b"two")
    (mount / "..data").symlink_to(first.name)
    (mount / "registry.json").symlink_to("..data/registry.json")
    source = FilePathFetcher(mount / "registry.json", limits=FetchLimits())
    assert (await source.fetch()).data == b"one"
    (mount / "..data_tmp").symlink_to(second.name)
    (mount / "..data_tmp").replace(mount / "..data")
    assert (await source.fetch()).data == b"two"


async def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"file not found: .*absent\.json"):
        await FilePathFetcher(tmp_path / "absent.json", limits=FetchLimits()).fetch()
    with pytest.raises(SourceNotFoundError, match="is a directory"):
        await FilePathFetcher(tmp_path, limits=FetchLimits()).fetch()


async def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 11)
    with pytest.raises(SourceTooLargeError, match="larger than the 10 byte limit"):
        await FilePathFetcher(path, limits=FetchLimits(max_bytes=10)).fetch()


# -- URLs -------------------------------------------------------------------------------------


class Upstream:
    """A local HTTP server whose routes misbehave on purpose; counts what it sent."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.streamed = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ok.json", self.ok)
        app.router.add_get("/error", self.error)
        app.router.add_get("/hang", self.hang)
        app.router.add_get("/huge", self.huge)
        app.router.add_get("/declared-huge", self.declared_huge)
        app.router.add_get("/loop", self.loop)
        app.router.add_get("/hop", self.hop)
        return app

    async def ok(self, request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="application/json")

    async def error(self, request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def hang(self, request: web.Request) -> web.Response:
        await self.release.wait()  # released only at teardown
        return web.Response(body=BODY)

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """200 MB, generated lazily in 1 MiB chunks, chunked encoding (no Content-Length)."""
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b" " * MIB
        while self.streamed < 200_000_000:
            await response.write(chunk)
            self.streamed += len(chunk)
        await response.write_eof()
        return response

    async def declared_huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(200_000_000)})
        await response.prepare(request)
        await response.write(b"{")
        await self.release.wait()
        return response

    async def loop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def hop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/ok.json")


@pytest.fixture
async def upstream(aiohttp_server: ServerFactory) -> AsyncIterator[tuple[Upstream, TestServer]]:
    fake = Upstream()
    server = await aiohttp_server(fake.app())
    yield fake, server
    fake.release.set()


def url_fetcher(
    server: TestServer, path: str, http: aiohttp.ClientSession, *, time_limit: float = 10.0
) -> FileUrlFetcher:
    url = str(server.make_url(path))
    # loopback upstreams: no private-address guard (test_sources_netguard.py has it)
    return FileUrlFetcher(url, http=http, timeout=time_limit, limits=FetchLimits(), guard=None)


async def test_url_ok_and_one_redirect(
    upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession
) -> None:
    _, server = upstream
    result = await url_fetcher(server, "/ok.json", http).fetch()
    assert result.data == BODY
    assert result.content_hash == hashlib.sha256(BODY).hexdigest()
    assert (await url_fetcher(server, "/hop", http).fetch()).data == BODY


async def test_non_200_names_status_and_url(
    upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession
) -> None:
    _, server = upstream
    with pytest.raises(SourceHTTPError) as caught:
        await url_fetcher(server, "/error", http).fetch()
    assert caught.value.status == 500
    assert (
        str(caught.value) == f"HTTP 500 Internal Server Error for URL {server.make_url('/error')}"
    )


async def test_timeout(upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession) -> None:
    _, server = upstream
    with pytest.raises(SourceTimeoutError, match=r"no complete answer within 0\.2s"):
        await url_fetcher(server, "/hang", http, time_limit=0.2).fetch()


async def test_streamed_200_mb_body_stops_at_the_limit(
    upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession
) -> None:
    fake, server = upstream
    with pytest.raises(SourceTooLargeError, match="exceeds the 10 MiB limit; stopped reading"):
        await url_fetcher(server, "/huge", http).fetch()
    # The client hung up at the limit: the server pushed no more than the kernel could hold.
    assert fake.streamed <= most_written_before_hangup(10 * MIB) < 200_000_000


async def test_declared_length_over_the_limit_is_refused_unread(
    upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession
) -> None:
    _, server = upstream
    with pytest.raises(SourceTooLargeError, match="declares 200000000 bytes, over the 10 MiB"):
        await url_fetcher(server, "/declared-huge", http).fetch()


async def test_redirect_loop(
    upstream: tuple[Upstream, TestServer], http: aiohttp.ClientSession
) -> None:
    _, server = upstream
    with pytest.raises(SourceUnavailableError, match="more than 10 redirects fetching"):
        await url_fetcher(server, "/loop", http).fetch()


async def test_connection_refused_and_credentials_redacted(http: aiohttp.ClientSession) -> None:
    with pytest.raises(SourceUnavailableError) as caught:
        await get_bytes(
            http, "http://u:pw-secret@127.0.0.1:9/r.json", time_limit=5, limits=FetchLimits()
        )
    assert "pw-secret" not in str(caught.value)
    assert "could not fetch http://REDACTED@127.0.0.1:9/r.json" in str(caught.value)


def test_a_path_outside_the_roots_is_refused_whether_or_not_anything_is_there(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.json").write_bytes(b"{}")
    (tmp_path / "there.json").write_bytes(b"{}")
    for path in (tmp_path / "there.json", tmp_path / "missing.json", root / ".." / "there.json"):
        with pytest.raises(SourceConfigError) as refused:
            read_file(path, max_bytes=10, roots=[str(root)])
        assert str(refused.value) == OUTSIDE_ROOTS
    assert read_file(root / "ok.json", max_bytes=10, roots=[str(root)]) == b"{}"
    with pytest.raises(SourceNotFoundError):  # under the root: what is missing may be said
        read_file(root / "missing.json", max_bytes=10, roots=[str(root)])


def test_the_file_opened_is_what_the_roots_check_not_the_name_it_was_opened_by(
    tmp_path: Path,
) -> None:
    """So a link re-pointed between the path's check and the open is refused too."""
    root = tmp_path / "root"
    root.mkdir()
    inside, outside = root / "in.json", tmp_path / "out.json"
    inside.write_bytes(b"{}")
    outside.write_bytes(b"{}")
    with outside.open("rb") as fh:
        assert not opened_under_roots(fh.fileno(), str(inside), [str(root)])
    with inside.open("rb") as fh:
        assert opened_under_roots(fh.fileno(), str(outside), [str(root)])
