"""A failing smart-HTTP git fetch is tried once per attempt: urllib3 adds no tries of its own
(no "Retrying" warnings), whatever the failure (a TLS handshake, a 503 with Retry-After)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp_registry_server.sources.base import FetchLimits
from mcp_registry_server.sources.errors import FetchError
from mcp_registry_server.sources.git import GitFetcher, GitTarget

BUSY = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"


class CountingServer:
    """Answers every connection with one fixed reply (plain HTTP), counting connections."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.connections = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        async with asyncio.timeout(5):
            await reader.read(4096)
            writer.write(self.reply)
            await writer.drain()
        writer.close()


@pytest.fixture
async def busy() -> AsyncIterator[CountingServer]:
    counting = CountingServer(BUSY)
    server = await asyncio.start_server(counting.handle, "127.0.0.1", 0)
    counting.port = server.sockets[0].getsockname()[1]
    async with server:
        yield counting


@pytest.mark.parametrize("scheme", ["https", "http"])  # https to a plain server: TLS fails
async def test_a_failing_fetch_is_one_try_with_no_urllib3_retrying_lines(
    busy: CountingServer, tmp_path: Path, scheme: str, caplog: pytest.LogCaptureFixture
) -> None:
    source = GitFetcher(
        GitTarget(repository=f"{scheme}://127.0.0.1:{busy.port}/org/repo.git"),
        workdir=tmp_path / "work",
        limits=FetchLimits(),
        timeout=5,
        guard=None,  # a loopback remote: no private-address guard (test_sources_netguard.py)
    )
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        for attempt in (1, 2):
            with pytest.raises(FetchError):
                async with asyncio.timeout(30):
                    await source.fetch()
            assert busy.connections == attempt
    retrying = [r.getMessage() for r in caplog.records if "Retry" in r.getMessage()]
    assert retrying == []
